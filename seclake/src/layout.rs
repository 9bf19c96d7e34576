//! Where objects go: Amazon Security Lake's layout for custom sources.
//!
//! Security Lake gives each custom source a prefix in its bucket and asks
//! for objects partitioned by region, account and day
//! (<https://docs.aws.amazon.com/security-lake/latest/userguide/custom-sources.html>,
//! "Partitioning"):
//!
//! ```text
//! ext/<source-name>/[<source-version>/]region=<region>/accountId=<account>/eventDay=<YYYYMMDD>/<object>.parquet
//! ```
//!
//! The version segment is there when the source was created with a
//! `--source-version` (the location `create-custom-log-source` returns
//! ends in it); docs/security-lake.md says how to read it. One source per
//! OCSF class: Security Lake wants one class per source and per object.
//! Source names are at most 20 characters (the API's limit, so that the
//! provider role `AmazonSecurityLake-Provider-<name>-<region>` fits IAM's 64).

use cognito_activity::taxonomy::{Class, ACCOUNT_CHANGE, AUTHENTICATION};
use cognito_activity::time::Civil;
use sha2::{Digest, Sha256};

use crate::Error;

/// One Security Lake custom source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source {
    pub class: Class,
    /// `--source-name`: at most 20 characters.
    pub name: &'static str,
    /// `--event-classes`: the class as Security Lake names it.
    pub event_class: &'static str,
}

/// The two sources, one per class the mapping emits.
pub const SOURCES: [Source; 2] = [
    Source {
        class: AUTHENTICATION,
        name: "cognitoauth",
        event_class: "AUTHENTICATION",
    },
    Source {
        class: ACCOUNT_CHANGE,
        name: "cognitoacct",
        event_class: "ACCOUNT_CHANGE",
    },
];

/// The source of `class`.
pub fn source(class: Class) -> Source {
    if class == ACCOUNT_CHANGE {
        SOURCES[1]
    } else {
        SOURCES[0]
    }
}

/// The class of an OCSF `class_uid`.
pub fn class_of_uid(uid: i64) -> Option<Class> {
    SOURCES
        .iter()
        .map(|s| s.class)
        .find(|c| i64::from(c.uid) == uid)
}

/// `eventDay`: the UTC day of an epoch-millisecond time, as `YYYYMMDD`.
pub fn event_day(time_ms: i64) -> Option<String> {
    let c = Civil::from_epoch_ms(time_ms)?;
    (1..=9999)
        .contains(&c.year)
        .then(|| format!("{:04}{:02}{:02}", c.year, c.month, c.day))
}

/// An AWS account id: twelve digits.
pub fn check_account_id(s: &str) -> Result<(), Error> {
    let ok = s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit());
    segment(ok, "account id", "twelve digits")
}

/// `Ok` when `ok`, else the error naming the segment and its rule.
fn segment(ok: bool, what: &'static str, rule: &'static str) -> Result<(), Error> {
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidSegment { what, rule })
    }
}

/// A region name: lowercase letters, digits and dashes, 1 to 32 of them,
/// starting with a letter (`eu-west-1`, `us-gov-west-1`).
pub fn check_region(s: &str) -> Result<(), Error> {
    let ok = (1..=32).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    segment(ok, "region", "[a-z][a-z0-9-]{0,31}")
}

/// A source version: letters, digits and dots, 1 to 32 (`1.0`).
pub fn check_source_version(s: &str) -> Result<(), Error> {
    let ok = (1..=32).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.')
        && !s.starts_with('.');
    segment(ok, "source version", "[A-Za-z0-9][A-Za-z0-9.]{0,31}")
}

/// One partition: the rows of one object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Partition {
    /// The class uid (orders Account Change before Authentication).
    pub class_uid: u32,
    pub region: String,
    pub account_id: String,
    /// `YYYYMMDD`.
    pub event_day: String,
}

impl Partition {
    pub fn class(&self) -> Class {
        class_of_uid(i64::from(self.class_uid)).unwrap_or(AUTHENTICATION)
    }

    /// `ext/<source>/[<version>/]region=.../accountId=.../eventDay=.../`
    pub fn prefix(&self, source_version: Option<&str>) -> String {
        let name = source(self.class()).name;
        let version = source_version.map(|v| format!("{v}/")).unwrap_or_default();
        format!("ext/{name}/{version}{}", self.segments())
    }

    /// `region=.../accountId=.../eventDay=.../`: what follows the source's
    /// location (the `s3://bucket/ext/<source>/<version>/` that
    /// `create-custom-log-source` answers).
    pub fn segments(&self) -> String {
        format!(
            "region={}/accountId={}/eventDay={}/",
            self.region, self.account_id, self.event_day
        )
    }

    /// The object's name: derived from the digest of every input byte and
    /// the partition, so the same input always writes the same keys (a
    /// re-run overwrites rather than duplicates) and different inputs never
    /// collide.
    pub fn object_name(&self, input_digest: &[u8; 32]) -> String {
        let mut h = Sha256::new();
        h.update(input_digest);
        for part in [
            self.class_uid.to_string().as_str(),
            &self.region,
            &self.account_id,
            &self.event_day,
        ] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part.as_bytes());
        }
        let digest = h.finalize();
        let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        format!("{}-{hex}.parquet", self.class().name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn partition() -> Partition {
        Partition {
            class_uid: 3002,
            region: "eu-west-1".into(),
            account_id: "123456789012".into(),
            event_day: "20241123".into(),
        }
    }

    #[test]
    fn source_names_fit_the_twenty_character_limit_and_differ() {
        for s in SOURCES {
            assert!(s.name.len() <= 20 && !s.name.is_empty(), "{}", s.name);
            assert_eq!(source(s.class), s);
        }
        assert_ne!(SOURCES[0].name, SOURCES[1].name);
    }

    #[test]
    fn the_prefix_follows_the_custom_source_layout() {
        assert_eq!(
            partition().prefix(None),
            "ext/cognitoauth/region=eu-west-1/accountId=123456789012/eventDay=20241123/"
        );
        assert_eq!(
            partition().prefix(Some("1.0")),
            "ext/cognitoauth/1.0/region=eu-west-1/accountId=123456789012/eventDay=20241123/"
        );
    }

    #[test]
    fn object_names_are_stable_and_depend_on_input_and_partition() {
        let p = partition();
        let a = p.object_name(&[1; 32]);
        assert_eq!(a, p.object_name(&[1; 32]));
        assert_ne!(a, p.object_name(&[2; 32]));
        let mut q = p.clone();
        q.event_day = "20241124".into();
        assert_ne!(a, q.object_name(&[1; 32]));
        assert!(a.starts_with("authentication-") && a.ends_with(".parquet"));
        assert_eq!(a.len(), "authentication-".len() + 32 + ".parquet".len());
    }

    #[test]
    fn event_day_is_the_utc_day() {
        assert_eq!(event_day(1_732_400_003_000).as_deref(), Some("20241123"));
        assert_eq!(event_day(0).as_deref(), Some("19700101"));
        assert_eq!(event_day(-1).as_deref(), Some("19691231"));
        assert_eq!(event_day(i64::MAX), None);
        assert_eq!(event_day(i64::MIN), None);
    }

    #[test]
    fn segments_that_could_escape_the_prefix_are_refused() {
        assert!(check_account_id("123456789012").is_ok());
        for bad in [
            "12345678901",
            "1234567890123",
            "12345678901a",
            "../456789012",
        ] {
            assert!(check_account_id(bad).is_err(), "{bad}");
        }
        assert!(check_region("eu-west-1").is_ok());
        assert!(check_region("us-gov-west-1").is_ok());
        for bad in ["", "EU-west-1", "eu/west", "..", "1eu", "eu-west-1 "] {
            assert!(check_region(bad).is_err(), "{bad:?}");
        }
        assert!(check_source_version("1.0").is_ok());
        for bad in ["", ".", "..", "1/0", "../1"] {
            assert!(check_source_version(bad).is_err(), "{bad:?}");
        }
    }
}
