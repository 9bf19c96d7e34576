//! Output formats: one line of JSON per event, each ending in `\n`.
//!
//! `normalized` is our own schema (docs/schema.md); `ocsf` maps to OCSF
//! Authentication (3002) and Account Change (3001) (docs/ocsf.md); `ecs` to
//! Elastic Common Schema 9.x (docs/ecs.md); `splunk` wraps the normalized
//! record in the HTTP Event Collector framing that Firehose's Splunk
//! destination expects for the event endpoint.

pub mod ecs;
mod fastser;
mod normalized;
pub mod ocsf;
pub mod read;
pub mod splunk;

use crate::config::{Config, OutputFormat};
use crate::normalize::Normalized;

pub use normalized::write_normalized;

#[cfg(test)]
thread_local! {
    /// Tests set this to write through serde_json only, for comparison.
    pub(crate) static SERDE_ONLY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Appends one event, as one line in the configured format, to `out`.
pub fn write_line(n: &Normalized<'_>, cfg: &Config, out: &mut Vec<u8>) {
    match cfg.output_format {
        OutputFormat::Normalized => write_normalized(n, out),
        OutputFormat::Ocsf => ocsf::write(n, cfg, out),
        OutputFormat::Ecs => ecs::write(n, cfg, out),
        OutputFormat::Splunk => splunk::write(n, out),
    }
    out.push(b'\n');
}

/// Serializes any value as compact JSON. Our output types hold only strings,
/// numbers, booleans and maps with string keys, which cannot fail to
/// serialize; should one ever fail, the line is replaced by an explicit error
/// object rather than a panic or a silent gap.
///
/// The fast serializer in `fastser` writes serde_json's exact bytes; what it
/// does not support is written by serde_json itself.
pub(crate) fn write_json<T: serde::Serialize>(value: &T, out: &mut Vec<u8>) {
    let start = out.len();
    #[cfg(test)]
    let fast = !SERDE_ONLY.with(std::cell::Cell::get);
    #[cfg(not(test))]
    let fast = true;
    if fast && fastser::to_vec(value, out).is_ok() {
        return;
    }
    out.truncate(start);
    if serde_json::to_writer(&mut *out, value).is_err() {
        out.truncate(start);
        out.extend_from_slice(br#"{"error":"serialization failed"}"#);
    }
}
