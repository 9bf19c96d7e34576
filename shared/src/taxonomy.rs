//! Classification: which OCSF class and activity a Cognito event is
//! (docs/ocsf.md, "Classes and activities"). One place decides it, and
//! everything that asks uses it: the OCSF output, the `ocsf_class`
//! partition key and filters, Security Lake's one-source-per-class layout.

use crate::cognito::LogKind;
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

impl Class {
    /// The class caption (`class_name`).
    pub fn caption(self) -> &'static str {
        if self == ACCOUNT_CHANGE {
            "Account Change"
        } else {
            "Authentication"
        }
    }
}

/// Both classes belong to this category.
pub const CATEGORY_UID: u32 = 3;
pub const CATEGORY_NAME: &str = "Identity & Access Management";

/// `activity_id` 0: the event has no type at all.
pub const ACTIVITY_UNKNOWN: u32 = 0;
/// `activity_id` 99: a type OCSF has no activity for; `activity_name` then
/// carries the Cognito type.
pub const ACTIVITY_OTHER: u32 = 99;

/// The source-defined `activity_name` of message-delivery logs, which have
/// no Cognito event type.
pub const NOTIFICATION_ACTIVITY: &str = "MessageDelivery";

/// Where one event lands: class and activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Activity {
    pub class: Class,
    pub id: u32,
}

impl Activity {
    /// `class_uid * 100 + activity_id`.
    pub fn type_uid(self) -> u32 {
        self.class.uid * 100 + self.id
    }

    /// The schema's caption of `activity_id` (`"Other"` for 99).
    pub fn caption(self) -> &'static str {
        match (self.class == ACCOUNT_CHANGE, self.id) {
            (_, 0) => "Unknown",
            (false, 1) => "Logon",
            (true, 1) => "Create",
            (true, 3) => "Password Change",
            (true, 4) => "Password Reset",
            _ => "Other",
        }
    }

    /// The schema's caption of `type_uid`: `"<class>: <activity>"`.
    pub fn type_name(self) -> &'static str {
        match (self.class == ACCOUNT_CHANGE, self.id) {
            (false, 0) => "Authentication: Unknown",
            (false, 1) => "Authentication: Logon",
            (false, _) => "Authentication: Other",
            (true, 0) => "Account Change: Unknown",
            (true, 1) => "Account Change: Create",
            (true, 3) => "Account Change: Password Change",
            (true, 4) => "Account Change: Password Reset",
            (true, _) => "Account Change: Other",
        }
    }
}

/// The class and activity of an event (docs/ocsf.md, "Classes and
/// activities").
pub fn activity_of(n: &Normalized<'_>) -> Activity {
    let (class, id) = if n.log_kind() == LogKind::Notification {
        (ACCOUNT_CHANGE, ACTIVITY_OTHER)
    } else {
        match n.event.type_.as_deref() {
            None => (AUTHENTICATION, ACTIVITY_UNKNOWN),
            Some(t) if t.eq_ignore_ascii_case("SignIn") => (AUTHENTICATION, 1),
            Some(t) if t.eq_ignore_ascii_case("SignUp") => (ACCOUNT_CHANGE, 1),
            Some(t) if t.eq_ignore_ascii_case("PasswordChange") => (ACCOUNT_CHANGE, 3),
            Some(t) if t.eq_ignore_ascii_case("ForgotPassword") => (ACCOUNT_CHANGE, 4),
            // A confirmation or verification code sent again: part of
            // creating or verifying an account, not of a logon.
            Some(t) if t.eq_ignore_ascii_case("ResendCode") => (ACCOUNT_CHANGE, ACTIVITY_OTHER),
            Some(_) => (AUTHENTICATION, ACTIVITY_OTHER),
        }
    };
    Activity { class, id }
}

/// The class an event maps to.
pub fn class_of(n: &Normalized<'_>) -> Class {
    activity_of(n).class
}
