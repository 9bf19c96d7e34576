//! Every English country name MaxMind's GeoIP databases write, current and
//! historical, resolves to MaxMind's own ISO 3166-1 code through the public
//! lookup and through normalization.
//!
//! Cognito fills a user-activity record's `country` with the English name
//! from MaxMind's data (GeoIP2 / GeoLite2 `country_name`), so these lists are
//! the names `geo::lookup` must know. The data and where it comes from are
//! described in `tests/data/maxmind/README.md`.

use cognito_activity::cognito::parse_documents;
use cognito_activity::geo;
use cognito_activity::normalize::{normalize, normalize_text, Context};
use cognito_activity::Config;

const CURRENT: &str = include_str!("data/maxmind/country-names-en.csv");
const HISTORICAL: &str = include_str!("data/maxmind/country-names-historical-en.csv");

/// Names whose meaning changed between MaxMind editions, with the code the
/// lookup gives them on purpose. GeoLite2 editions of 2018–2019 wrote
/// "Congo" for the Democratic Republic of the Congo (CD), while GeoIP
/// Legacy and ISO 3166-1 use "Congo" for the Republic of the Congo (CG);
/// the lookup follows ISO, and every edition since writes CD as "DR Congo"
/// or "Congo (DRC)".
const CONFLICTS: &[(&str, &str, &str)] = &[("Congo", "CD", "CG")];

/// One data row: ISO alpha-2 code and English name.
struct Row {
    line: usize,
    code: String,
    name: String,
}

/// Reads the test data: comma-separated, a header line, fields quoted with
/// `"` when they hold a comma (MaxMind's own quoting; no quote is doubled
/// in these files). Extra columns are ignored.
fn rows(text: &str) -> Vec<Row> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        if line.is_empty() {
            continue;
        }
        let mut fields = Vec::new();
        let mut rest = line;
        loop {
            let (field, after) = if let Some(quoted) = rest.strip_prefix('"') {
                let end = quoted.find('"').expect("closing quote");
                (&quoted[..end], &quoted[end + 1..])
            } else {
                match rest.find(',') {
                    Some(end) => (&rest[..end], &rest[end..]),
                    None => (rest, ""),
                }
            };
            fields.push(field.to_owned());
            match after.strip_prefix(',') {
                Some(next) => rest = next,
                None => {
                    assert!(after.is_empty(), "line {}: junk after a field", i + 1);
                    break;
                }
            }
        }
        assert!(fields.len() >= 2, "line {}: {line}", i + 1);
        out.push(Row {
            line: i + 1,
            code: fields[0].clone(),
            name: fields[1].clone(),
        });
    }
    out
}

fn expected(row: &Row) -> &str {
    CONFLICTS
        .iter()
        .find(|(name, code, _)| *name == row.name && *code == row.code)
        .map_or(row.code.as_str(), |(_, _, ours)| ours)
}

fn check_lookup(file: &str, text: &str) {
    let mut wrong = Vec::new();
    for row in rows(text) {
        let want = expected(&row);
        let got = geo::lookup(&row.name).map(|c| c.alpha2);
        if got != Some(want) {
            wrong.push(format!(
                "{file}:{}: {:?} gives {got:?}, MaxMind says {} (expected {want})",
                row.line, row.name, row.code
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_data_files_are_what_the_readme_says() {
    let current = rows(CURRENT);
    // 250 countries and territories: the 249 ISO 3166-1 alpha-2 codes plus
    // Kosovo (XK), each once.
    assert_eq!(current.len(), 250);
    let mut codes: Vec<&str> = current.iter().map(|r| r.code.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), current.len(), "a code is listed twice");
    assert!(codes.contains(&"XK"));
    let historical = rows(HISTORICAL);
    assert!(historical.len() >= 50);
    for row in current.iter().chain(&historical) {
        assert!(
            row.code.len() == 2 && row.code.bytes().all(|b| b.is_ascii_uppercase()),
            "line {}: {:?}",
            row.line,
            row.code
        );
        assert!(!row.name.is_empty());
    }
    for (name, code, _) in CONFLICTS {
        assert!(
            historical
                .iter()
                .any(|r| r.name == *name && r.code == *code),
            "conflict {name} {code} is not in the data"
        );
    }
}

#[test]
fn every_current_maxmind_name_maps_to_maxmind_code() {
    check_lookup("country-names-en.csv", CURRENT);
}

#[test]
fn every_historical_maxmind_name_maps_to_maxmind_code() {
    check_lookup("country-names-historical-en.csv", HISTORICAL);
}

/// The same through normalization, both ways (the streaming reader and the
/// general one), where the code reaches the records as `source.country_code`.
#[test]
fn normalization_carries_maxmind_code_for_every_name() {
    let cfg = Config::default();
    let ctx = Context::default();
    for row in rows(CURRENT).iter().chain(&rows(HISTORICAL)) {
        let want = expected(row);
        let record = serde_json::json!({
            "eventSource": "USER_AUTH_EVENTS",
            "logLevel": "INFO",
            "message": {"eventType": "SignIn", "country": row.name},
            "logSourceId": {"userPoolId": "us-east-1_example"},
        })
        .to_string();
        let fast = normalize_text(&record, &ctx, &cfg).expect("streaming reader takes it");
        let source = fast.source.as_ref().expect("a source");
        assert_eq!(source.country_code, Some(want), "{:?}", row.name);
        assert_eq!(source.country.as_deref(), Some(row.name.as_str()));
        let docs = parse_documents(&record).expect("parses");
        let general = normalize(&docs[0], &ctx, &cfg).expect("normalizes");
        let source = general.source.as_ref().expect("a source");
        assert_eq!(source.country_code, Some(want), "{:?}", row.name);
    }
}
