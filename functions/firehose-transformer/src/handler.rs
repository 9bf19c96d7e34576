//! The invocation handler: the event's bytes in, the response's bytes out,
//! counts and metrics logged.
//!
//! Bytes on both sides: the event is the Runtime API's body as it arrived
//! and the response is `process_event`'s JSON as written, so neither is
//! parsed, validated or copied again on its way (`runtime.rs` posts it).

use std::io::Write as _;

use cognito_activity::firehose::Processed;
use cognito_activity::metrics::{emf_line, Dimensions};
use cognito_activity::{process_event, Config};
use cognito_activity_aws::lambda;
use lambda_runtime::{Context, Error};

use crate::reingest::{Reingester, Sink};

/// One invocation's answer: the response's JSON, and what it was built
/// from, for the caller to drop once the response is posted (freeing a
/// direct batch's thousands of record outputs is about 2% of its time, and
/// need not keep Firehose waiting). It borrows the event's record ids.
pub struct Answer<'e> {
    pub response: Vec<u8>,
    pub built_from: Processed<'e>,
}

/// Handles one invocation: `event` is the Firehose event's JSON, the answer
/// the response's. `Err` only when the event is not a Firehose
/// transformation event; bad records are answered, never raised.
pub async fn handle<'e, S: Sink>(
    event: &'e [u8],
    context: &Context,
    config: &Config,
    reingester: &Reingester<S>,
) -> Result<Answer<'e>, Error> {
    let request_id = context.request_id.as_str();
    let function_name = context.env_config.function_name.as_str();
    let mut processed = process_event(event, config).map_err(|e| {
        tracing::error!(request_id = %request_id, error = %e, "invocation is not a Firehose event");
        Error::from(e.to_string())
    })?;
    if !processed.overflow.is_empty() {
        let deadline = lambda::deadline_instant(context.deadline);
        reingester.settle(&mut processed, config, deadline).await;
    }
    let s = &processed.stats;
    // Every failure, by code ("json:3,gzip:1"): the records past the
    // per-record warning allowance are named only at DEBUG.
    let failures = s
        .failures
        .iter()
        .map(|(code, n)| format!("{code}:{n}"))
        .collect::<Vec<_>>()
        .join(",");
    tracing::info!(
        request_id = %request_id,
        invocation_id = processed.invocation_id.as_deref().unwrap_or(""),
        records_in = s.records_in,
        records_ok = s.records_ok,
        records_dropped = s.records_dropped,
        records_failed = s.records_failed,
        records_reingested = s.records_reingested,
        events_in = s.events_in,
        events_out = s.events_out,
        events_filtered = s.events_filtered,
        bytes_in = s.bytes_in,
        bytes_out = s.bytes_out,
        bytes_inflated = s.bytes_inflated,
        records_overflow = s.records_overflow,
        failures = %failures,
        records_not_named = processed.warnings.demoted(),
        "invocation complete"
    );
    if config.metrics {
        let stream = processed
            .delivery_stream_arn
            .as_deref()
            .and_then(|a| cognito_activity::firehose::arn_resource_name(a, "deliverystream/"));
        let dims = Dimensions {
            delivery_stream: stream,
            function_name: Some(function_name),
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        // EMF documents go to stdout as one line each; CloudWatch Logs
        // extracts the metrics from them.
        let line = emf_line(&processed.stats, config, &dims, now);
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
    }
    Ok(Answer {
        response: processed.to_json(),
        built_from: processed,
    })
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::rc::Rc;

    use cognito_activity::Config;
    use lambda_runtime::Context;
    use serde_json::Value;

    use super::*;
    use crate::reingest::{Entry, PutError, RetryPolicy, Target};

    /// Accepts every entry, counting them.
    #[derive(Default)]
    struct Accepting {
        entries: Rc<Cell<usize>>,
    }

    impl Sink for Accepting {
        async fn put_batch(
            &self,
            _target: &Target,
            entries: &[Entry],
        ) -> Result<Vec<Option<String>>, PutError> {
            self.entries.set(self.entries.get() + entries.len());
            Ok(vec![None; entries.len()])
        }
    }

    fn context() -> Context {
        let mut ctx = Context::default();
        ctx.request_id = "req-1".into();
        ctx.deadline = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64
            + 300_000;
        ctx
    }

    fn sample(name: &str) -> Vec<u8> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../events/");
        std::fs::read(format!("{path}{name}")).unwrap()
    }

    /// Metrics off: their EMF lines go straight to stdout.
    fn quiet() -> Config {
        Config {
            metrics: false,
            ..Config::default()
        }
    }

    fn reingester(config: &Config) -> Reingester<Accepting> {
        Reingester::new(
            Accepting::default(),
            config.reingest,
            RetryPolicy::default(),
        )
    }

    #[tokio::test]
    async fn the_handler_answers_the_bytes_process_event_writes() {
        let config = quiet();
        for name in [
            "firehose-direct-signin.json",
            "firehose-cwl-subscription.json",
        ] {
            let event = sample(name);
            let got = handle(&event, &context(), &config, &reingester(&config))
                .await
                .unwrap()
                .response;
            let want = process_event(&event, &config).unwrap().to_json();
            assert_eq!(got, want, "{name}");
        }
    }

    #[tokio::test]
    async fn an_event_that_is_not_a_firehose_event_is_an_error_saying_why() {
        let config = quiet();
        for bad in [&b"[]"[..], b"not json", b"\xff\xfe"] {
            let Err(err) = handle(bad, &context(), &config, &reingester(&config)).await else {
                panic!("an answer to an event that is not a Firehose event");
            };
            assert!(err.to_string().contains("event is not"), "{err}");
        }
    }

    #[tokio::test]
    async fn records_past_the_budget_are_reingested_and_every_record_answered_in_order() {
        let config = Config {
            response_budget_bytes: 65_536,
            ..quiet()
        };
        // The sample's one record, 200 times under distinct ids: some 200
        // KB of response, three times the budget.
        let mut event: Value =
            serde_json::from_slice(&sample("firehose-direct-signin.json")).unwrap();
        let record = event["records"][0].clone();
        let records: Vec<Value> = (0..200)
            .map(|i| {
                let mut r = record.clone();
                r["recordId"] = Value::from(format!("r{i:03}"));
                r
            })
            .collect();
        event["records"] = Value::from(records);
        let event = serde_json::to_vec(&event).unwrap();
        let sink = Accepting::default();
        let reingested = sink.entries.clone();
        let reingester = Reingester::new(sink, true, RetryPolicy::default());
        let got = handle(&event, &context(), &config, &reingester)
            .await
            .unwrap()
            .response;
        assert!(got.len() <= 65_536, "{} bytes answered", got.len());
        assert!(reingested.get() > 0, "nothing was re-ingested");
        let got: Value = serde_json::from_slice(&got).unwrap();
        let ids: Vec<&str> = got["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["recordId"].as_str().unwrap())
            .collect();
        let want: Vec<String> = (0..200).map(|i| format!("r{i:03}")).collect();
        assert_eq!(ids, want);
    }
}
