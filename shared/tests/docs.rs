//! The documentation lists exactly the settings the code reads, with their
//! defaults and allowed values.

use cognito_activity::config::{Allowed, SETTINGS};

fn doc() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/configuration.md"
    ))
    .expect("docs/configuration.md")
}

/// The rows of docs/configuration.md's settings table (the library's, the
/// first on the page) as (variable, allowed, default).
fn rows(doc: &str) -> Vec<(String, String, String)> {
    let table = doc.split("\n## ").next().unwrap_or_default();
    table
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<String> = l
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_string())
                .collect();
            (
                cells[0].trim_matches('`').to_string(),
                cells[1].clone(),
                cells[2].clone(),
            )
        })
        .collect()
}

#[test]
fn configuration_doc_lists_every_setting_and_nothing_else() {
    let doc = doc();
    let documented: Vec<String> = rows(&doc).into_iter().map(|r| r.0).collect();
    let code: Vec<String> = SETTINGS.iter().map(|s| s.name.to_string()).collect();
    assert_eq!(
        documented, code,
        "docs/configuration.md rows must match SETTINGS, in order"
    );
}

#[test]
fn configuration_doc_shows_each_default_and_allowed_word() {
    let doc = doc();
    for (row, s) in rows(&doc).iter().zip(SETTINGS) {
        if s.default.is_empty() {
            assert!(
                row.2.starts_with("(empty"),
                "{}: default cell {:?}",
                s.name,
                row.2
            );
        } else {
            assert_eq!(row.2, format!("`{}`", s.default), "{}", s.name);
        }
        match s.allowed {
            Allowed::OneOf(words) | Allowed::ListOf(words) => {
                for w in words {
                    assert!(
                        row.1.contains(&format!("`{w}`")),
                        "{}: {w} missing from {:?}",
                        s.name,
                        row.1
                    );
                }
            }
            Allowed::Integer { min, max } => {
                assert!(
                    row.1.contains(&format!("{min} to {max}")),
                    "{}: {:?}",
                    s.name,
                    row.1
                );
            }
            Allowed::FreeList | Allowed::Text | Allowed::Secret => {}
        }
    }
}

#[test]
fn every_documented_example_is_accepted() {
    let doc = doc();
    let table = doc.split("\n## ").next().unwrap_or_default();
    for line in table.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let name = cells[0].trim_matches('`');
        let example = cells[3].trim_matches('`');
        if name == "HASH_KEY" {
            continue; // a dynamic reference, resolved by CloudFormation
        }
        let result = cognito_activity::Config::from_lookup(|k| {
            if k == name {
                Some(example.to_string())
            } else if k == "HASH_KEY" {
                Some("a-key-of-at-least-16-bytes".to_string())
            } else {
                None
            }
        });
        assert!(result.is_ok(), "{name}={example}: {:?}", result.err());
    }
}
