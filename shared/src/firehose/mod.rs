//! The Firehose protocol on top of the pipeline: the wire types of a
//! transformation event and its response ([`wire`]), the invocation that
//! runs every record through the pipeline ([`batch`]) under the 6 MiB
//! response budget ([`budget`]) into the response ([`response`]), and the
//! splitting of what overflows for re-ingestion ([`split`]).

pub mod batch;
pub mod budget;
pub mod response;
pub mod split;
pub mod wire;

pub use batch::{process_event, process_parsed, transform_record, INFLATE_RATIO};
pub use response::{
    decode_response_data, sets_apart, Overflow, OverflowKind, Processed, RecordWarnings,
    Settlement, RECORD_WARNINGS_PER_INVOCATION,
};
pub use wire::*;
