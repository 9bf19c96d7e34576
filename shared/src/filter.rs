//! Event filtering (`DROP_EVENT_RESPONSES`, `INCLUDE_EVENT_TYPES`,
//! `MIN_RISK_LEVEL`) and Firehose dynamic-partitioning keys
//! (`PARTITION_KEYS`).
//!
//! Filters apply to user-activity events; notification logs (message-delivery
//! errors) have no response, type or risk and are always kept. Security
//! signals (account takeover, block, compromised credentials) are never
//! dropped by `MIN_RISK_LEVEL`: a bank does not want its filter to hide the
//! one event it deploys this for.

use std::collections::BTreeMap;

use crate::cognito::LogKind;
use crate::config::{Config, PartitionKey, RiskRank};
use crate::normalize::Normalized;
use crate::taxonomy;
use crate::time::Civil;

/// Why an event was filtered out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterReason {
    EventResponse,
    EventType,
    RiskLevel,
}

impl FilterReason {
    pub fn as_str(self) -> &'static str {
        match self {
            FilterReason::EventResponse => "event_response",
            FilterReason::EventType => "event_type",
            FilterReason::RiskLevel => "risk_level",
        }
    }
}

fn rank(level: Option<&str>) -> RiskRank {
    match level {
        Some("low") => RiskRank::Low,
        Some("medium") => RiskRank::Medium,
        Some("high") => RiskRank::High,
        _ => RiskRank::None,
    }
}

/// `Ok(())` to keep the event, `Err(reason)` to drop it.
pub fn check(n: &Normalized<'_>, cfg: &Config) -> Result<(), FilterReason> {
    if n.log_kind() == LogKind::Notification {
        return Ok(());
    }
    if cfg.drop_outcomes.contains(n.event.outcome.as_str()) {
        return Err(FilterReason::EventResponse);
    }
    if !cfg.include_event_types.is_empty() {
        let t = n.event.type_.as_deref().unwrap_or("");
        if !cfg
            .include_event_types
            .iter()
            .any(|want| want.eq_ignore_ascii_case(t))
        {
            return Err(FilterReason::EventType);
        }
    }
    if cfg.min_risk_level > RiskRank::None && !n.is_security_signal() {
        let level = rank(n.risk.as_ref().and_then(|r| r.level.as_deref()));
        if level < cfg.min_risk_level {
            return Err(FilterReason::RiskLevel);
        }
    }
    Ok(())
}

/// Makes a value safe as one S3 prefix segment: ASCII letters, digits and
/// `_ - .` are kept, anything else becomes `_`; empty becomes `unknown`;
/// at most 128 bytes.
pub fn s3_safe(value: &str) -> String {
    let mut out: String = value
        .chars()
        .take(128)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() || out.chars().all(|c| c == '.') {
        out = "unknown".to_string();
    }
    out
}

/// The partition keys of one event, or `None` when `PARTITION_KEYS` is empty.
pub fn partition_keys(n: &Normalized<'_>, cfg: &Config) -> Option<BTreeMap<&'static str, String>> {
    if cfg.partition_keys.is_empty() {
        return None;
    }
    let civil = n.time_ms.and_then(Civil::from_epoch_ms);
    let two = |v: Option<u32>| v.map_or_else(|| "unknown".to_string(), |v| format!("{v:02}"));
    let mut keys = BTreeMap::new();
    for key in &cfg.partition_keys {
        let value = match key {
            PartitionKey::UserPoolId => s3_safe(
                n.user
                    .as_ref()
                    .and_then(|u| u.pool_id.as_deref())
                    .unwrap_or(""),
            ),
            PartitionKey::EventType => s3_safe(n.event.type_.as_deref().unwrap_or(n.kind)),
            PartitionKey::Outcome => n.event.outcome.as_str().to_string(),
            PartitionKey::RiskDecision => s3_safe(
                n.risk
                    .as_ref()
                    .and_then(|r| r.decision.as_deref())
                    .unwrap_or("none"),
            ),
            PartitionKey::OcsfClass => taxonomy::class_of(n).name.to_string(),
            PartitionKey::Year => {
                civil.map_or_else(|| "unknown".to_string(), |c| format!("{:04}", c.year))
            }
            PartitionKey::Month => two(civil.map(|c| c.month)),
            PartitionKey::Day => two(civil.map(|c| c.day)),
            PartitionKey::Hour => two(civil.map(|c| c.hour)),
        };
        keys.insert(key.as_str(), value);
    }
    Some(keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cognito::parse_documents;
    use crate::normalize::{normalize, Context};
    use std::collections::HashMap;

    fn cfg(pairs: &[(&str, &str)]) -> Config {
        let map: HashMap<_, _> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned()).unwrap()
    }

    fn check_json(json: &str, cfg: &Config) -> Result<(), FilterReason> {
        let docs = parse_documents(json).unwrap();
        let n = normalize(&docs[0], &Context::default(), cfg).unwrap();
        check(&n, cfg)
    }

    const IN_PROGRESS_LOW: &str = r#"{"eventSource":"USER_AUTH_EVENTS","message":{"eventType":"SignIn","eventResponse":"InProgress","riskLevel":"Low","riskDecision":"NoRisk"}}"#;
    const TAKEOVER: &str = r#"{"eventSource":"USER_AUTH_EVENTS","message":{"eventType":"SignIn","eventResponse":"Fail","riskDecision":"AccountTakeover","compromisedCredentialDetected":"true"}}"#;
    const NOTIFICATION: &str = r#"{"eventSource":"USER_NOTIFICATION","message":{"details":"x"}}"#;

    #[test]
    fn drops_by_event_response() {
        let c = cfg(&[("DROP_EVENT_RESPONSES", "InProgress")]);
        assert_eq!(
            check_json(IN_PROGRESS_LOW, &c),
            Err(FilterReason::EventResponse)
        );
        assert_eq!(check_json(TAKEOVER, &c), Ok(()));
    }

    #[test]
    fn keeps_only_included_event_types() {
        let c = cfg(&[("INCLUDE_EVENT_TYPES", "SignUp,ForgotPassword")]);
        assert_eq!(
            check_json(IN_PROGRESS_LOW, &c),
            Err(FilterReason::EventType)
        );
        let c = cfg(&[("INCLUDE_EVENT_TYPES", "signin")]);
        assert_eq!(check_json(IN_PROGRESS_LOW, &c), Ok(()));
    }

    #[test]
    fn min_risk_level_never_hides_security_signals_or_notifications() {
        let c = cfg(&[("MIN_RISK_LEVEL", "medium")]);
        assert_eq!(
            check_json(IN_PROGRESS_LOW, &c),
            Err(FilterReason::RiskLevel)
        );
        assert_eq!(check_json(TAKEOVER, &c), Ok(()));
        assert_eq!(check_json(NOTIFICATION, &c), Ok(()));
        let c = cfg(&[("MIN_RISK_LEVEL", "low")]);
        assert_eq!(check_json(IN_PROGRESS_LOW, &c), Ok(()));
    }

    #[test]
    fn partition_values_are_safe_for_s3_prefixes() {
        assert_eq!(s3_safe("us-east-1_AbC"), "us-east-1_AbC");
        assert_eq!(s3_safe("a/b c?d"), "a_b_c_d");
        assert_eq!(s3_safe(""), "unknown");
        assert_eq!(s3_safe(".."), "unknown");
        assert_eq!(s3_safe(&"x".repeat(500)).len(), 128);
    }

    #[test]
    fn computes_the_configured_partition_keys() {
        let c = cfg(&[(
            "PARTITION_KEYS",
            "user_pool_id,event_type,outcome,risk_decision,ocsf_class,year,month,day,hour",
        )]);
        let docs = parse_documents(crate::normalize::tests::FIELD_RECORD).unwrap();
        let n = normalize(&docs[0], &Context::default(), &c).unwrap();
        let keys = partition_keys(&n, &c).unwrap();
        assert_eq!(keys["user_pool_id"], "ap-northeast-1_EcsdFoftu");
        assert_eq!(keys["event_type"], "SignIn");
        assert_eq!(keys["outcome"], "in_progress");
        assert_eq!(keys["risk_decision"], "no_risk");
        assert_eq!(keys["ocsf_class"], "authentication");
        assert_eq!(
            (
                keys["year"].as_str(),
                keys["month"].as_str(),
                keys["day"].as_str(),
                keys["hour"].as_str()
            ),
            ("2024", "08", "07", "22")
        );
        assert!(partition_keys(&n, &Config::default()).is_none());
    }
}
