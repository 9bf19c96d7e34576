-- The common view over OUTPUT_FORMAT=normalized (table cognito_activity_normalized).
-- Every detection reads these columns only, so it is written once for every format.
-- Under USER_NAME_MODE=hash and IP_MODE=hash, user_name and source_ip are the HMACs (the
-- record holds the name's in `user.name`, the address's in `source.ip_hash`).
CREATE OR REPLACE VIEW cognito_activity AS
SELECT
  from_unixtime(time_ms / 1000.0) AS event_time,
  time_ms AS event_time_ms,
  "user".name AS user_name,
  "user".sub AS user_sub,
  "user".pool_id AS pool_id,
  event.type AS event_type,
  event.outcome AS outcome,
  coalesce(source.ip, source.ip_hash) AS source_ip,
  source.city AS city,
  source.country_code AS country,
  risk.decision AS risk_decision,
  risk.level AS risk_level,
  risk.compromised_credentials AS compromised_credentials,
  challenges,
  device.name AS device
FROM cognito_activity_normalized
WHERE kind = 'user_activity'
