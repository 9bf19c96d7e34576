-- Password spraying: one source IP failing sign-in against many distinct users within a window.
-- Parameters: 1. window length in minutes (default 10)  2. distinct users that make a finding (default 5)
-- Windows are fixed (aligned to the epoch), so a slow spray split across two windows is seen in
-- neither when each half stays under the threshold: choose the window a little wider than needed.
-- Known false positives: a shared egress IP (corporate NAT, mobile carrier CGNAT, a VPN exit) where
-- many users mistype a password in the same minutes; an integration test hammering one pool.
-- Under IP_MODE=hash source_ip is the address's HMAC; under IP_MODE=truncate the /24 (IPv4) or
-- /48 (IPv6) network, which joins the users of a whole network into one finding.
SELECT
  source_ip,
  from_unixtime(window_start_ms / 1000.0) AS window_start,
  count(DISTINCT user_name) AS users,
  count(*) AS failures,
  min(event_time) AS first_seen,
  max(event_time) AS last_seen
FROM (
  SELECT *, event_time_ms - event_time_ms % (? * 60000) AS window_start_ms
  FROM cognito_activity
  WHERE event_type = 'SignIn' AND outcome = 'failure' AND source_ip IS NOT NULL
)
GROUP BY source_ip, window_start_ms
HAVING count(DISTINCT user_name) >= ?
ORDER BY users DESC, source_ip
