-- Brute force: many failed sign-ins on one user within a window, from any number of IPs.
-- Parameters: 1. window length in minutes (default 10)  2. failures that make a finding (default 10)
-- Windows are fixed (aligned to the epoch); see password_spraying.sql.
-- Known false positives: a user (or a misconfigured app with a stale stored password) retrying in
-- a loop; Cognito's own lockout answers these failures too, so a finding may already be contained.
SELECT
  user_name,
  from_unixtime(window_start_ms / 1000.0) AS window_start,
  count(*) AS failures,
  count(DISTINCT source_ip) AS source_ips,
  min(event_time) AS first_seen,
  max(event_time) AS last_seen
FROM (
  SELECT *, event_time_ms - event_time_ms % (? * 60000) AS window_start_ms
  FROM cognito_activity
  WHERE event_type = 'SignIn' AND outcome = 'failure' AND user_name IS NOT NULL
)
GROUP BY user_name, window_start_ms
HAVING count(*) >= ?
ORDER BY failures DESC, user_name
