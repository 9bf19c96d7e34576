-- Impossible travel: one user's consecutive successful sign-ins from two different countries,
-- closer in time than any journey between them allows.
-- Parameters: 1. minutes within which two countries are impossible (default 120)
-- The logs carry only a country and a city (Cognito's GeoIP lookup), not coordinates, so distance
-- is judged by country: any change of country within the window is a finding. Neighbouring
-- countries (a border city) and GeoIP errors are the price of that simplicity; raise the window
-- to find slower but still implausible journeys, lower it to quiet border regions.
-- Known false positives: VPNs and corporate proxies egressing in another country, mobile roaming,
-- a user who signs in on two devices, one of them over a VPN.
SELECT
  user_name,
  previous_country,
  country,
  previous_time,
  event_time,
  (event_time_ms - previous_ms) / 60000 AS minutes_apart,
  previous_ip,
  source_ip
FROM (
  SELECT
    user_name, country, event_time, event_time_ms, source_ip,
    lag(country) OVER (PARTITION BY user_name ORDER BY event_time_ms) AS previous_country,
    lag(event_time) OVER (PARTITION BY user_name ORDER BY event_time_ms) AS previous_time,
    lag(event_time_ms) OVER (PARTITION BY user_name ORDER BY event_time_ms) AS previous_ms,
    lag(source_ip) OVER (PARTITION BY user_name ORDER BY event_time_ms) AS previous_ip
  FROM cognito_activity
  WHERE event_type = 'SignIn' AND outcome = 'success' AND country IS NOT NULL
)
WHERE previous_country IS NOT NULL
  AND previous_country <> country
  AND event_time_ms - previous_ms <= ? * 60000
ORDER BY minutes_apart, user_name
