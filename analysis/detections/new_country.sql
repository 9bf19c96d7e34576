-- Sign-in from a new country: a successful sign-in from a country the user never signed in from
-- before, for users with enough history to have a usual place.
-- Parameters: 1. earlier successful sign-ins the user needs before a new country counts (default 3)
-- The history is what the table holds: with a short retention, more countries look new.
-- Known false positives: travel, a new VPN or proxy, GeoIP databases moving an IP range.
SELECT
  user_name,
  country,
  city,
  event_time,
  source_ip,
  prior_signins
FROM (
  SELECT
    user_name, country, city, event_time, source_ip,
    count(*) OVER (PARTITION BY user_name ORDER BY event_time_ms ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prior_signins,
    count(*) OVER (PARTITION BY user_name, country ORDER BY event_time_ms ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prior_from_country
  FROM cognito_activity
  WHERE event_type = 'SignIn' AND outcome = 'success' AND country IS NOT NULL
)
WHERE prior_from_country = 0 AND prior_signins >= ?
ORDER BY event_time, user_name
