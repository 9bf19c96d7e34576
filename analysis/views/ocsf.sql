-- The common view over OUTPUT_FORMAT=ocsf (table cognito_activity_ocsf): Authentication (3002)
-- and Account Change (3001) events; Cognito's risk and challenges travel under `unmapped`.
-- Notification logs (Account Change with activity_id 99) are left out, as in the other views.
-- Under IP_MODE=hash, source_ip is the address's HMAC (`src_endpoint.uid`), as user_name is the
-- name's under USER_NAME_MODE=hash.
CREATE OR REPLACE VIEW cognito_activity AS
SELECT
  from_unixtime("time" / 1000.0) AS event_time,
  "time" AS event_time_ms,
  "user".name AS user_name,
  "user".uid AS user_sub,
  "user".account.uid AS pool_id,
  metadata.event_code AS event_type,
  CASE status_id WHEN 1 THEN 'success' WHEN 2 THEN 'failure'
    ELSE IF(lower(status_code) = 'inprogress', 'in_progress', 'unknown') END AS outcome,
  coalesce(src_endpoint.ip, src_endpoint.uid) AS source_ip,
  src_endpoint.location.city AS city,
  src_endpoint.location.country AS country,
  unmapped.risk.decision AS risk_decision,
  unmapped.risk.level AS risk_level,
  unmapped.risk.compromised_credentials AS compromised_credentials,
  unmapped.challenges AS challenges,
  http_request.user_agent AS device
FROM cognito_activity_ocsf
WHERE metadata.log_name = 'userAuthEvents'
