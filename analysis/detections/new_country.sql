-- Sign-in from a new country: a successful sign-in from a country the user had not signed in
-- from, once the user has a history: more than a baseline after the user's first successful
-- sign-in in the data.
-- Parameters: 1. baseline in hours, during which the user's countries are learned, not reported (default 24)
-- The history is what the table holds: with a short retention, more countries look new.
-- Order does not matter (first sign-in per user and per user and country), which is how
-- `cognito-activity report` computes the same finding in one pass.
-- Known false positives: travel, a new VPN or proxy, GeoIP databases moving an IP range.
WITH firsts AS (
  SELECT user_name, country, min(event_time_ms) AS first_from_country_ms
  FROM cognito_activity
  WHERE event_type = 'SignIn' AND outcome = 'success' AND country IS NOT NULL
  GROUP BY user_name, country
),
users AS (
  SELECT user_name, min(first_from_country_ms) AS first_ms
  FROM firsts
  GROUP BY user_name
)
SELECT
  f.user_name,
  f.country,
  from_unixtime(f.first_from_country_ms / 1000.0) AS first_seen_from_country,
  from_unixtime(u.first_ms / 1000.0) AS first_seen
FROM firsts f
JOIN users u ON u.user_name = f.user_name
WHERE f.first_from_country_ms > u.first_ms + ? * 3600000
ORDER BY f.first_from_country_ms, f.user_name
