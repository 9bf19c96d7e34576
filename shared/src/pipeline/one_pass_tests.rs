//! The one pass over a CloudWatch Logs envelope gives the general way's
//! answer and counts, or leaves the record to it.

use std::collections::BTreeSet;

use proptest::prelude::*;
use proptest::strategy::ValueTree;

use super::*;

/// Cognito records as they are written, and things that are not.
fn message() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => Just(include_str!("../../tests/fixtures/signin.json").trim().to_owned()),
        2 => Just(include_str!("../../tests/fixtures/signin-account-takeover.json").trim().to_owned()),
        2 => Just(include_str!("../../tests/fixtures/notification-email-bounce.json").trim().to_owned()),
        1 => Just(include_str!("../../tests/fixtures/unknown-fields.json").trim().to_owned()),
        1 => Just(include_str!("../../tests/fixtures/null-values.json").trim().to_owned()),
        // An escape inside an inner string: the ordinary way's message.
        1 => Just(include_str!("../../tests/fixtures/signin.json").trim().replace("alice", "al\\\"ice")),
        // Pretty-printed: escaped newlines between tokens.
        1 => Just(
            serde_json::to_string_pretty(
                &serde_json::from_str::<serde_json::Value>(include_str!(
                    "../../tests/fixtures/signup.json"
                ))
                .unwrap_or_default()
            )
            .unwrap_or_default()
        ),
        // Two documents in one message, NDJSON.
        1 => Just(format!(
            "{}\n{}",
            include_str!("../../tests/fixtures/signin.json").trim(),
            include_str!("../../tests/fixtures/signup.json").trim()
        )),
        1 => Just(r#"{"not":"cognito"}"#.to_owned()),
        1 => Just(r#"{"eventSource":"USER_AUTH_EVENTS","message":{"#.to_owned()),
        1 => Just(String::new()),
    ]
}

fn log_event() -> impl Strategy<Value = String> {
    (
        message(),
        prop::sample::select(vec![
            "imt", "itm", "mit", "tim", "m", "im", "imtx", "xmit", "immt",
        ]),
    )
        .prop_map(|(message, order)| {
            let members: Vec<String> = order
                .chars()
                .map(|c| match c {
                    'i' => r#""id":"37516444015960757693"#.to_owned() + "\"",
                    't' => r#""timestamp":1732400000000"#.to_owned(),
                    'm' => format!(r#""message":{}"#, serde_json::json!(message)),
                    _ => r#""extra":[1,{"a":null}]"#.to_owned(),
                })
                .collect();
            format!("{{{}}}", members.join(","))
        })
}

/// Envelopes in CloudWatch Logs' layout mostly, other layouts sometimes,
/// now and then damaged.
fn envelope() -> impl Strategy<Value = String> {
    let header = prop::sample::subsequence(
        vec![
            r#""owner":"123456789012""#,
            r#""logGroup":"/aws/vendedlogs/cognito""#,
            r#""logStream":"s""#,
            r#""subscriptionFilters":["f"]"#,
        ],
        0..=4,
    );
    // After the events: harmless there, or a field the events depend on.
    let after = prop::sample::select(vec![
        r#""cognitoActivityReingested":true"#,
        r#""cognitoActivityReingested":"yes""#,
        r#""policyLevel":"ACCOUNT_LEVEL_POLICY""#,
        r#""owner":null"#,
        r#""logStream":"late""#,
        r#""messageType":"DATA_MESSAGE""#,
    ]);
    (
        prop::sample::select(vec![
            "DATA_MESSAGE",
            "DATA_MESSAGE",
            "DATA_MESSAGE",
            "CONTROL_MESSAGE",
        ]),
        header,
        prop::collection::vec(log_event(), 0..5),
        prop::collection::vec(after, 0..2),
        prop::option::weighted(
            0.2,
            prop::collection::vec((any::<prop::sample::Index>(), any::<char>()), 1..3),
        ),
    )
        .prop_map(|(kind, header, events, after, edits)| {
            let mut members = vec![format!(r#""messageType":"{kind}""#)];
            members.extend(header.iter().map(|f| f.to_string()));
            members.push(format!(r#""logEvents":[{}]"#, events.join(",")));
            members.extend(after.iter().map(|f| f.to_string()));
            let text = format!("{{{}}}", members.join(","));
            match edits {
                Some(edits) => crate::json::parse::damage(&text, edits),
                None => text,
            }
        })
}

fn configs() -> Vec<Config> {
    let mut out: Vec<Config> = OutputFormat::ALL
        .iter()
        .map(|&output_format| Config {
            output_format,
            ..Config::default()
        })
        .collect();
    // Filters: events dropped, records with none left.
    out.push(Config {
        include_event_types: BTreeSet::from(["SignUp".to_owned()]),
        ..Config::default()
    });
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    #[test]
    fn an_envelope_read_in_one_pass_gets_the_general_answer(text in envelope()) {
        let holds = Holds::DocumentsOrEnvelope { compressed: true };
        let ctx = Context {
            account_id: Some("999999999999".into()),
            arrival_time_ms: Some(1_732_400_000_123),
            ..Context::default()
        };
        for cfg in configs() {
            let mut stats = Stats::default();
            let outcome = transform(text.as_bytes(), holds, &ctx, &cfg, &mut stats);
            let mut general_stats = Stats::default();
            let general = general(&text, holds, true, &ctx, &cfg, &mut general_stats);
            prop_assert_eq!(&outcome, &general);
            prop_assert_eq!(&stats, &general_stats);
            // Given up: nothing counted.
            let mut given_up = Stats::default();
            if envelope_in_one_pass(&text, &ctx, &cfg, &mut given_up).is_none() {
                prop_assert_eq!(given_up, Stats::default());
            }
        }
    }
}

#[test]
fn most_envelopes_are_read_in_one_pass() {
    // The equivalence above means little if the one pass always gave up.
    // (It gives up on most generated envelopes, by design: control
    // messages, late fields, damage, any message the pipeline refuses.)
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = envelope();
    let (mut taken, mut ok) = (0, 0);
    for _ in 0..400 {
        let text = strategy
            .new_tree(&mut runner)
            .map(|t| t.current())
            .unwrap_or_default();
        let cfg = Config::default();
        let outcome = envelope_in_one_pass(&text, &Context::default(), &cfg, &mut Stats::default());
        taken += usize::from(outcome.is_some());
        ok += usize::from(matches!(outcome, Some(RecordOutcome::Ok { .. })));
    }
    assert!(taken >= 50 && ok >= 50, "{taken} taken, {ok} Ok of 400");
}
