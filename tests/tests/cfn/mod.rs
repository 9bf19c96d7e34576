//! Reading `template.yaml` in tests: CloudFormation short-form tags to JSON,
//! its sections and resources, and conditions, `Fn::If` and Rules evaluated
//! for given parameter values, so a test can ask what a deployment with those
//! values creates and what the template refuses.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde_json::{Map, Value};

pub fn template() -> &'static Value {
    static TEMPLATE: OnceLock<Value> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");
        let text = std::fs::read_to_string(path).expect("read template.yaml");
        let yaml: serde_yaml::Value = serde_yaml::from_str(&text).expect("template.yaml is YAML");
        to_json(yaml)
    })
}

/// `!Ref X` -> `{"Ref": X}`, `!GetAtt a.b` -> `{"Fn::GetAtt": ["a", "b"]}`,
/// `!Condition X` -> `{"Condition": X}`, any other `!Name v` -> `{"Fn::Name": v}`.
pub fn to_json(value: serde_yaml::Value) -> Value {
    use serde_yaml::Value as Y;
    match value {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                Value::from(n.as_f64().unwrap())
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(to_json).collect()),
        Y::Mapping(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let key = match to_json(k) {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                out.insert(key, to_json(v));
            }
            Value::Object(out)
        }
        Y::Tagged(tagged) => {
            let name = tagged.tag.to_string().trim_start_matches('!').to_string();
            let inner = to_json(tagged.value);
            let (key, inner) = match name.as_str() {
                "Ref" => ("Ref".to_string(), inner),
                "Condition" => ("Condition".to_string(), inner),
                "GetAtt" => {
                    let inner = match inner {
                        Value::String(s) => {
                            let (resource, attribute) = s.split_once('.').unwrap();
                            Value::from(vec![resource, attribute])
                        }
                        other => other,
                    };
                    ("Fn::GetAtt".to_string(), inner)
                }
                other => (format!("Fn::{other}"), inner),
            };
            let mut out = Map::new();
            out.insert(key, inner);
            Value::Object(out)
        }
    }
}

pub fn section(name: &str) -> &'static Map<String, Value> {
    template()[name]
        .as_object()
        .unwrap_or_else(|| panic!("template.yaml has no {name} section"))
}

pub fn parameter(name: &str) -> &'static Map<String, Value> {
    section("Parameters")[name]
        .as_object()
        .unwrap_or_else(|| panic!("template.yaml has no parameter {name}"))
}

/// The one resource of this type, as (logical id, resource).
pub fn only_resource(kind: &str) -> (&'static str, &'static Value) {
    let found: Vec<_> = section("Resources")
        .iter()
        .filter(|(_, r)| r["Type"] == kind)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected exactly one {kind}, found {}",
        found.len()
    );
    (found[0].0.as_str(), found[0].1)
}

/// The resource with this logical id.
pub fn resource(id: &str) -> &'static Value {
    section("Resources")
        .get(id)
        .unwrap_or_else(|| panic!("template.yaml has no resource {id}"))
}

/// The Firehose transformer.
pub fn function() -> &'static Value {
    resource(TRANSFORMER)
}

/// The Firehose transformer's logical id.
pub const TRANSFORMER: &str = "TransformerFunction";

pub fn stream() -> (&'static str, &'static Value) {
    only_resource("AWS::KinesisFirehose::DeliveryStream")
}

pub fn environment() -> &'static Map<String, Value> {
    function()["Properties"]["Environment"]["Variables"]
        .as_object()
        .expect("the function has Environment.Variables")
}

/// Every name a value refers to: `Ref`s and `${Name}` / `${Name.Attr}` in `Fn::Sub` strings.
pub fn references(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("Ref", Value::String(name)) => {
                        out.insert(name.clone());
                    }
                    ("Fn::Sub", Value::String(text)) => sub_names(text, out),
                    ("Fn::Sub", Value::Array(parts)) => {
                        if let Some(Value::String(text)) = parts.first() {
                            sub_names(text, out);
                        }
                        parts.iter().skip(1).for_each(|p| references(p, out));
                    }
                    _ => references(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| references(v, out)),
        _ => {}
    }
}

pub fn sub_names(text: &str, out: &mut BTreeSet<String>) {
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        let name = &after[..end];
        if !name.starts_with('!') {
            out.insert(name.split('.').next().unwrap_or(name).to_string());
        }
        rest = &after[end + 1..];
    }
}

/// A scalar parameter attribute (`Default`, `MinValue`, ...) as text.
pub fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

pub fn allowed_values(param: &str) -> Vec<String> {
    parameter(param)["AllowedValues"]
        .as_array()
        .unwrap_or_else(|| panic!("parameter {param} has no AllowedValues"))
        .iter()
        .map(scalar)
        .collect()
}

/// Every object that looks like an IAM policy statement, wherever it is (also inside `Fn::If`).
pub fn statements<'a>(value: &'a Value, out: &mut Vec<&'a Map<String, Value>>) {
    match value {
        Value::Object(map) => {
            if map.contains_key("Effect")
                && (map.contains_key("Action") || map.contains_key("NotAction"))
            {
                out.push(map);
            }
            map.values().for_each(|v| statements(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| statements(v, out)),
        _ => {}
    }
}

pub fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items.iter().flat_map(strings).collect(),
        other => vec![other.to_string()],
    }
}

/// Parameter values: the defaults, with some overridden.
pub fn parameter_values(overrides: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut values: BTreeMap<String, String> = section("Parameters")
        .iter()
        .map(|(name, p)| (name.clone(), scalar(&p["Default"])))
        .collect();
    for (name, value) in overrides {
        values.insert(name.to_string(), value.to_string());
    }
    values
}

/// Evaluates a condition expression with the given parameter values.
pub fn condition_holds(expr: &Value, params: &BTreeMap<String, String>) -> bool {
    let operand = |v: &Value| -> String {
        match v.get("Ref").and_then(Value::as_str) {
            Some(name) => params
                .get(name)
                .unwrap_or_else(|| panic!("condition refers to unknown parameter {name}"))
                .clone(),
            None => scalar(v),
        }
    };
    let args = |key: &str| expr[key].as_array().unwrap().clone();
    if let Some(name) = expr.as_str() {
        return condition_holds(&section("Conditions")[name], params);
    }
    if let Some(name) = expr.get("Condition").and_then(Value::as_str) {
        return condition_holds(&section("Conditions")[name], params);
    }
    if expr.get("Fn::Equals").is_some() {
        let a = args("Fn::Equals");
        return operand(&a[0]) == operand(&a[1]);
    }
    if expr.get("Fn::Contains").is_some() {
        // Rules only: `[list, value]`.
        let a = args("Fn::Contains");
        let list: Vec<String> = a[0].as_array().unwrap().iter().map(operand).collect();
        return list.contains(&operand(&a[1]));
    }
    if expr.get("Fn::Not").is_some() {
        return !condition_holds(&args("Fn::Not")[0], params);
    }
    if expr.get("Fn::And").is_some() {
        return args("Fn::And").iter().all(|c| condition_holds(c, params));
    }
    if expr.get("Fn::Or").is_some() {
        return args("Fn::Or").iter().any(|c| condition_holds(c, params));
    }
    panic!("unsupported condition {expr}");
}

/// Resolves every `Fn::If` in a value; `None` stands for `AWS::NoValue`.
pub fn resolve_ifs(value: &Value, params: &BTreeMap<String, String>) -> Option<Value> {
    match value {
        Value::Object(map) if map.contains_key("Fn::If") => {
            let branches = map["Fn::If"].as_array().unwrap();
            let taken = if condition_holds(&branches[0], params) {
                &branches[1]
            } else {
                &branches[2]
            };
            resolve_ifs(taken, params)
        }
        Value::Object(map) if map.get("Ref") == Some(&Value::from("AWS::NoValue")) => None,
        Value::Object(map) => Some(Value::Object(
            map.iter()
                .filter_map(|(k, v)| resolve_ifs(v, params).map(|v| (k.clone(), v)))
                .collect(),
        )),
        Value::Array(items) => Some(Value::Array(
            items
                .iter()
                .filter_map(|v| resolve_ifs(v, params))
                .collect(),
        )),
        other => Some(other.clone()),
    }
}

/// Is this resource (or output) created with these parameter values?
pub fn present(resource: &Value, params: &BTreeMap<String, String>) -> bool {
    resource
        .get("Condition")
        .is_none_or(|condition| condition_holds(condition, params))
}

/// The resources created with these parameter values, `Fn::If`s resolved.
pub fn resources_with(params: &BTreeMap<String, String>) -> BTreeMap<String, Value> {
    section("Resources")
        .iter()
        .filter(|(_, r)| present(r, params))
        .map(|(id, r)| (id.clone(), resolve_ifs(r, params).unwrap()))
        .collect()
}

/// The Rules that refuse a deployment with these parameter values.
pub fn rules_refusing(params: &BTreeMap<String, String>) -> Vec<String> {
    let Some(rules) = template().get("Rules").and_then(Value::as_object) else {
        return Vec::new();
    };
    rules
        .iter()
        .filter(|(_, rule)| {
            rule.get("RuleCondition")
                .is_none_or(|c| condition_holds(c, params))
        })
        .filter(|(_, rule)| {
            rule["Assertions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| !condition_holds(&a["Assert"], params))
        })
        .map(|(name, _)| name.clone())
        .collect()
}

/// The delivery stream as deployed with every parameter at its default
/// (the S3 destination), `Fn::If`s resolved.
pub fn default_stream() -> Value {
    resolve_ifs(stream().1, &parameter_values(&[])).unwrap()
}

/// An environment variable's value with every parameter at its default, `Fn::If`s resolved.
pub fn default_environment_value(name: &str) -> Value {
    resolve_ifs(&environment()[name], &parameter_values(&[])).unwrap_or(Value::Null)
}
