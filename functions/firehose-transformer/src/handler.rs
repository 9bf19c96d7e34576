//! The invocation handler: the event's bytes in, the response's bytes out,
//! counts and metrics logged.
//!
//! Bytes on both sides: the event is the Runtime API's body as it arrived
//! and the response is `process_event`'s JSON as written, so neither is
//! parsed, validated or copied again on its way (`runtime.rs` posts it).

use std::io::Write as _;

use cognito_activity::metrics::{emf_line, Dimensions};
use cognito_activity::{process_event, Config};
use lambda_runtime::{Context, Error};

use crate::reingest::{Reingester, Sink};

/// Handles one invocation: `event` is the Firehose event's JSON, the answer
/// the response's. `Err` only when the event is not a Firehose
/// transformation event; bad records are answered, never raised.
pub async fn handle<S: Sink>(
    event: &[u8],
    context: &Context,
    config: &Config,
    reingester: &Reingester<S>,
) -> Result<Vec<u8>, Error> {
    let request_id = context.request_id.as_str();
    let function_name = context.env_config.function_name.as_str();
    let mut processed = process_event(event, config).map_err(|e| {
        tracing::error!(request_id = %request_id, error = %e, "invocation is not a Firehose event");
        Error::from(e.to_string())
    })?;
    if !processed.overflow.is_empty() {
        let deadline = deadline_instant(context.deadline);
        reingester.settle(&mut processed, config, deadline).await;
    }
    let s = &processed.stats;
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
    Ok(processed.to_json())
}

/// The invocation's deadline (epoch milliseconds, from the Runtime API's
/// `Lambda-Runtime-Deadline-Ms`) on tokio's clock.
fn deadline_instant(deadline_ms: u64) -> tokio::time::Instant {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    tokio::time::Instant::now()
        + std::time::Duration::from_millis(deadline_ms.saturating_sub(now_ms))
}
