-- Brute force that worked: a successful sign-in preceded by many failures on the same user within
-- a window before it.
-- Parameters: 1. look-back window in minutes (default 30)  2. failures before the success (default 5)
-- Known false positives: a user who forgot a password, retried many times, then remembered it
-- (check whether the success came from the same IP and device as the user's usual ones).
SELECT
  s.user_name,
  s.event_time AS success_time,
  s.source_ip AS success_ip,
  s.country AS success_country,
  count(*) AS failures_before,
  count(DISTINCT f.source_ip) AS failing_ips
FROM cognito_activity s
JOIN cognito_activity f
  ON f.user_name = s.user_name
  AND f.event_type = 'SignIn'
  AND f.outcome = 'failure'
  AND f.event_time_ms < s.event_time_ms
  AND f.event_time_ms >= s.event_time_ms - ? * 60000
WHERE s.event_type = 'SignIn' AND s.outcome = 'success'
GROUP BY s.user_name, s.event_time, s.source_ip, s.country
HAVING count(*) >= ?
ORDER BY failures_before DESC, s.user_name
