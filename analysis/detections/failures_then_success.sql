-- Brute force that worked: a successful sign-in after many failures on the same user within one
-- window.
-- Parameters: 1. window length in minutes (default 10)  2. failures before the success (default 5)
-- Windows are fixed (aligned to the epoch), as in brute_force.sql, whose window this shares: an
-- attack whose failures and success fall in two windows is seen only when enough failures fall
-- in the success's window. `cognito-activity report` computes the same finding in one pass.
-- Known false positives: a user who forgot a password, retried many times, then remembered it
-- (check whether the success came from the same IP and device as the user's usual ones).
WITH sign_ins AS (
  SELECT user_name, source_ip, country, event_time, event_time_ms, outcome,
    event_time_ms - event_time_ms % (? * 60000) AS window_start_ms
  FROM cognito_activity
  WHERE event_type = 'SignIn' AND outcome IN ('success', 'failure') AND user_name IS NOT NULL
),
numbered_failures AS (
  SELECT user_name, window_start_ms, event_time_ms,
    row_number() OVER (PARTITION BY user_name, window_start_ms ORDER BY event_time_ms) AS n
  FROM sign_ins
  WHERE outcome = 'failure'
)
SELECT
  s.user_name,
  from_unixtime(s.window_start_ms / 1000.0) AS window_start,
  min(s.event_time) AS success_time,
  min(s.source_ip) AS success_ip,
  min(s.country) AS success_country
FROM sign_ins s
JOIN numbered_failures f
  ON f.user_name = s.user_name
  AND f.window_start_ms = s.window_start_ms
  AND f.n = ?
  AND s.event_time_ms > f.event_time_ms
WHERE s.outcome = 'success'
GROUP BY s.user_name, s.window_start_ms
ORDER BY s.user_name, s.window_start_ms
