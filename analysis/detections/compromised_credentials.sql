-- Compromised credentials and account-takeover risk: every event where Cognito threat protection
-- found the password in a breach corpus or scored an account takeover, blocked or not.
-- Parameters: none (every such event is reported; filter on risk_level to narrow).
-- `blocked` says whether Cognito stopped it (risk decision block, or the event failed); the ones
-- that were not blocked are the ones to act on first.
-- Known false positives: threat protection in audit mode scores risk without acting, so every
-- finding there shows as not blocked; a user whose password was in a breach elsewhere and who
-- has not changed it yet (a true finding, but about the user, not an attacker).
SELECT
  event_time,
  user_name,
  event_type,
  outcome,
  risk_decision,
  risk_level,
  compromised_credentials,
  source_ip,
  country,
  CASE WHEN risk_decision = 'block' OR outcome = 'failure' THEN 'blocked' ELSE 'not blocked' END AS blocked
FROM cognito_activity
WHERE compromised_credentials
  OR risk_decision IN ('account_takeover', 'block')
ORDER BY event_time, user_name
