-- The common view over OUTPUT_FORMAT=splunk (table cognito_activity_splunk): the HEC event
-- framing carries the normalized record under `event`. Under IP_MODE=hash, source_ip is the
-- address's HMAC (`source.ip_hash`), as user_name is the name's under USER_NAME_MODE=hash.
CREATE OR REPLACE VIEW cognito_activity AS
SELECT
  from_unixtime(event.time_ms / 1000.0) AS event_time,
  event.time_ms AS event_time_ms,
  event."user".name AS user_name,
  event."user".sub AS user_sub,
  event."user".pool_id AS pool_id,
  event.event.type AS event_type,
  event.event.outcome AS outcome,
  coalesce(event.source.ip, event.source.ip_hash) AS source_ip,
  event.source.city AS city,
  event.source.country_code AS country,
  event.risk.decision AS risk_decision,
  event.risk.level AS risk_level,
  event.risk.compromised_credentials AS compromised_credentials,
  event.challenges AS challenges,
  event.device.name AS device
FROM cognito_activity_splunk
WHERE event.kind = 'user_activity'
