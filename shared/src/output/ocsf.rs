//! OCSF mapping (being written).

use crate::config::Config;
use crate::normalize::Normalized;

/// An OCSF event class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Class {
    pub uid: u32,
    /// snake_case name, used as the `ocsf_class` partition key.
    pub name: &'static str,
}

pub const AUTHENTICATION: Class = Class {
    uid: 3002,
    name: "authentication",
};
pub const ACCOUNT_CHANGE: Class = Class {
    uid: 3001,
    name: "account_change",
};

/// The class an event maps to.
pub fn class_of(n: &Normalized<'_>) -> Class {
    match n.event.type_.as_deref() {
        Some("SignUp" | "PasswordChange" | "ForgotPassword" | "ResendCode") => ACCOUNT_CHANGE,
        _ => AUTHENTICATION,
    }
}

pub fn write(n: &Normalized<'_>, _cfg: &Config, out: &mut Vec<u8>) {
    super::write_json(n, out);
}
