//! ECS mapping (being written).

use crate::config::Config;
use crate::normalize::Normalized;

pub fn write(n: &Normalized<'_>, _cfg: &Config, out: &mut Vec<u8>) {
    super::write_json(n, out);
}
