//! CloudWatch Embedded Metric Format (EMF) for one invocation.
//!
//! <https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>
//! One JSON line per invocation, written to stdout by the Lambda; CloudWatch
//! Logs extracts the metrics asynchronously, so publishing costs no API call
//! and no latency. Metric names are fixed (the template's alarms use them);
//! the namespace and dimensions come from `METRICS_NAMESPACE` and
//! `METRICS_DIMENSIONS`. Per-value breakdowns (outcome, risk decision, risk
//! level) are separate metrics named after the value, so a hostile value
//! cannot create dimensions: values are bounded to short words by `Stats`.

use serde_json::{json, Map, Value};

use crate::config::{Config, MetricDimension};
use crate::stats::Stats;

/// Dimension values for this invocation.
#[derive(Debug, Clone, Default)]
pub struct Dimensions<'a> {
    pub delivery_stream: Option<&'a str>,
    pub function_name: Option<&'a str>,
}

fn camel(word: &str) -> String {
    word.split('_')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// The metrics of one invocation as (name, unit, value).
pub fn metric_values(stats: &Stats) -> Vec<(String, &'static str, u64)> {
    let mut m: Vec<(String, &'static str, u64)> = vec![
        ("RecordsIn".into(), "Count", stats.records_in),
        ("RecordsOk".into(), "Count", stats.records_ok),
        ("RecordsDropped".into(), "Count", stats.records_dropped),
        ("RecordsFailed".into(), "Count", stats.records_failed),
        (
            "RecordsReingested".into(),
            "Count",
            stats.records_reingested,
        ),
        ("BytesIn".into(), "Bytes", stats.bytes_in),
        ("BytesOut".into(), "Bytes", stats.bytes_out),
        ("EventsIn".into(), "Count", stats.events_in),
        ("EventsOut".into(), "Count", stats.events_out),
        ("EventsFiltered".into(), "Count", stats.events_filtered),
        (
            "CompromisedCredentials".into(),
            "Count",
            stats.compromised_credentials,
        ),
        ("AccountTakeovers".into(), "Count", stats.account_takeovers),
    ];
    for (k, v) in stats.by_outcome.iter() {
        m.push((format!("Outcome{}", camel(k)), "Count", v));
    }
    for (k, v) in stats.by_risk_decision.iter() {
        m.push((format!("RiskDecision{}", camel(k)), "Count", v));
    }
    for (k, v) in stats.by_risk_level.iter() {
        m.push((format!("RiskLevel{}", camel(k)), "Count", v));
    }
    m
}

/// One EMF document (a single line of JSON, no trailing newline).
pub fn emf_line(stats: &Stats, cfg: &Config, dims: &Dimensions<'_>, timestamp_ms: i64) -> String {
    let mut root = Map::new();
    let mut dim_names = Vec::new();
    for d in &cfg.metrics_dimensions {
        let (name, value) = match d {
            MetricDimension::DeliveryStream => ("DeliveryStream", dims.delivery_stream),
            MetricDimension::FunctionName => ("FunctionName", dims.function_name),
        };
        // A dimension needs a value; "unknown" keeps the metric queryable.
        root.insert(
            name.into(),
            Value::String(value.unwrap_or("unknown").to_string()),
        );
        dim_names.push(name);
    }
    let values = metric_values(stats);
    let definitions: Vec<Value> = values
        .iter()
        .map(|(name, unit, _)| json!({"Name": name, "Unit": unit}))
        .collect();
    for (name, _, v) in values {
        root.insert(name, json!(v));
    }
    root.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": cfg.metrics_namespace,
                "Dimensions": [dim_names],
                "Metrics": definitions,
            }]
        }),
    );
    Value::Object(root).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emits_a_valid_emf_document_with_the_configured_dimensions() {
        let mut stats = Stats {
            records_in: 3,
            records_ok: 2,
            records_failed: 1,
            account_takeovers: 1,
            ..Stats::default()
        };
        stats.by_outcome.add("in_progress", 2);
        stats.by_risk_decision.add("account_takeover", 1);
        let cfg = Config::default();
        let dims = Dimensions {
            delivery_stream: Some("s1"),
            function_name: Some("f1"),
        };
        let line = emf_line(&stats, &cfg, &dims, 1_700_000_000_000);
        assert!(!line.contains('\n'));
        let v: Value = serde_json::from_str(&line).unwrap();
        let cw = &v["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(cw["Namespace"], "CognitoActivity");
        assert_eq!(cw["Dimensions"][0], json!(["DeliveryStream"]));
        assert_eq!(v["DeliveryStream"], "s1");
        assert!(v.get("FunctionName").is_none());
        assert_eq!(v["RecordsFailed"], 1);
        assert_eq!(v["AccountTakeovers"], 1);
        assert_eq!(v["OutcomeInProgress"], 2);
        assert_eq!(v["RiskDecisionAccountTakeover"], 1);
        // Every metric value has a definition and the reverse.
        let names: Vec<&str> = cw["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["Name"].as_str().unwrap())
            .collect();
        for n in &names {
            assert!(v.get(*n).is_some(), "{n}");
        }
        assert!(
            names.len() <= 100,
            "EMF allows at most 100 metrics per directive"
        );
    }
}
