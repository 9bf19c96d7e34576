-- MFA failures: users who failed many MFA challenges (SMS, email, TOTP codes) within a window:
-- someone who has the password and is guessing or phishing the second factor.
-- Parameters: 1. window length in minutes (default 30)  2. failed MFA challenges that make a finding (default 3)
-- A challenge is MFA when its name says so (Mfa, SmsMfa, SoftwareTokenMfa, EmailOtp, WebAuthn,
-- Passkey, ...), as the library's Challenge::is_mfa and the CLI's report decide.
-- Known false positives: a user whose authenticator clock drifted, or an SMS that arrived late.
SELECT
  user_name,
  from_unixtime(window_start_ms / 1000.0) AS window_start,
  sum(mfa_failures) AS mfa_failures,
  count(DISTINCT source_ip) AS source_ips,
  min(event_time) AS first_seen,
  max(event_time) AS last_seen
FROM (
  SELECT
    user_name, source_ip, event_time,
    event_time_ms - event_time_ms % (? * 60000) AS window_start_ms,
    cardinality(filter(challenges, c -> (lower(c.name) LIKE '%mfa%' OR lower(c.name) LIKE '%otp%'
      OR lower(c.name) LIKE '%softwaretoken%' OR lower(c.name) LIKE '%webauthn%'
      OR lower(c.name) LIKE '%passkey%') AND c.result = 'failure')) AS mfa_failures
  FROM cognito_activity
  WHERE event_type = 'SignIn' AND challenges IS NOT NULL
)
WHERE mfa_failures > 0
GROUP BY user_name, window_start_ms
HAVING sum(mfa_failures) >= ?
ORDER BY mfa_failures DESC, user_name
