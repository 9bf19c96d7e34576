//! Decode, normalize and map Amazon Cognito user-activity logs on their way
//! through Amazon Data Firehose.
//!
//! The library is synchronous and free of the AWS SDK and tokio, so the
//! Lambda, the CLI, the tests and the benchmarks all run the same code.
//! [`firehose::process_event`] turns a whole Firehose transformation event into
//! the whole response; everything else serves it.

pub mod cognito;
pub mod config;
pub mod decode;
pub mod envelope;
pub mod error;
pub mod filter;
pub mod firehose;
#[cfg(feature = "fixtures")]
pub mod fixtures;
pub mod geo;
pub mod ip;
pub mod json;
pub mod metrics;
pub mod normalize;
pub mod output;
pub mod pipeline;
pub mod privacy;
pub mod stats;
pub mod taxonomy;
pub mod time;

pub use config::Config;
pub use error::{EventError, RecordError};
pub use firehose::{process_event, Processed, Settlement};
pub use firehose::{FirehoseResponse, RecordResult};
pub use stats::Stats;
