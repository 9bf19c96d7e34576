//! The template offers exactly the library's output formats: its
//! `OutputFormat` parameter's `AllowedValues` and default equal
//! `OutputFormat::NAMES` and the setting's default, in the same order, so a
//! format added to the library cannot be missing from the deployment (nor the
//! other way round).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use cognito_activity::config::{setting, OutputFormat, OUTPUT_FORMAT};

fn output_format_parameter() -> serde_yaml::Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");
    let text = std::fs::read_to_string(path).expect("read template.yaml");
    let template: serde_yaml::Value = serde_yaml::from_str(&text).expect("template.yaml is YAML");
    template["Parameters"]["OutputFormat"].clone()
}

#[test]
fn the_templates_output_formats_are_the_librarys_list() {
    let parameter = output_format_parameter();
    let allowed: Vec<&str> = parameter["AllowedValues"]
        .as_sequence()
        .expect("OutputFormat has AllowedValues")
        .iter()
        .map(|v| v.as_str().expect("each allowed value is a string"))
        .collect();
    assert_eq!(allowed, OutputFormat::NAMES);
}

#[test]
fn the_templates_default_output_format_is_the_librarys_default() {
    let parameter = output_format_parameter();
    assert_eq!(
        parameter["Default"].as_str(),
        Some(OutputFormat::default().as_str())
    );
    assert_eq!(
        setting(OUTPUT_FORMAT).map(|s| s.default),
        Some(OutputFormat::default().as_str())
    );
}
