-- The common view over OUTPUT_FORMAT=ecs (table cognito_activity_ecs): ECS fields, with
-- Cognito's own under `cognito`. ECS names the time `@timestamp`; Hive cannot, so the table reads
-- it as `timestamp` (the JSON SerDe's mapping). Under USER_NAME_MODE=hash and IP_MODE=hash the
-- records hold HMACs in `user.hash` and `cognito.source.ip_hash` instead: user_name and source_ip
-- are those, as in the other formats' views.
CREATE OR REPLACE VIEW cognito_activity AS
SELECT
  from_iso8601_timestamp("timestamp") AS event_time,
  CAST(to_unixtime(from_iso8601_timestamp("timestamp")) * 1000 AS bigint) AS event_time_ms,
  coalesce("user".name, "user".hash) AS user_name,
  "user".id AS user_sub,
  "user".domain AS pool_id,
  event.action AS event_type,
  IF(lower(cognito.event_response) = 'inprogress', 'in_progress', event.outcome) AS outcome,
  coalesce(source.ip, cognito.source.ip_hash) AS source_ip,
  source.geo.city_name AS city,
  source.geo.country_iso_code AS country,
  cognito.risk.decision AS risk_decision,
  cognito.risk.level AS risk_level,
  cognito.risk.compromised_credentials AS compromised_credentials,
  cognito.challenges AS challenges,
  user_agent.original AS device
FROM cognito_activity_ecs
WHERE event.dataset = 'cognito.user_activity'
