//! The JSON layer: a parser that builds a borrowed value tree, that tree,
//! and the one escape scanner and string writer every writer uses. It knows
//! nothing of Cognito, Firehose or our formats; everything above reads and
//! writes JSON through it.

pub mod escape;
pub mod parse;
pub mod value;

pub use value::{Field, Object};
