//! Lines that could not be used, as the routes that read S3 objects keep
//! them under their error prefix: one JSON line each, in the shape of
//! Firehose's own error records (`errorCode`, `errorMessage`, `rawData` in
//! base64), plus where the line came from (`source`, `sourceVersion`,
//! `line`), gzip-compressed. `cognito-activity redrive` reads both shapes.
//!
//! A line whose bytes are not held here (longer than the reader allows,
//! past [`MAX_HELD_BYTES`], or in a part of the object that could not be
//! read) still has its bytes kept: the functions copy the source object
//! whole, as it was read, beside this output, and its last entry
//! (`Rejections.SourceCopied`) names the copy (or, `Rejections.SourceNotCopied`,
//! says why there is none: S3 refused it for good, or the object is larger
//! than one `CopyObject` copies). The copy is kept with the
//! error output, under its retention, whatever becomes of the source:
//! overwritten, deleted, or expired first (a backfill reads objects as old
//! as the raw bucket keeps).

use std::io::Write as _;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// One rejected line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rejected {
    pub error_code: String,
    pub error_message: String,
    /// `s3://bucket/key` of the object the line came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Its version id, else its ETag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
    /// The line's number in the object, from 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// The line's bytes, in base64; absent when they are not held (a line
    /// longer than the reader allows): then they are in the source object
    /// and its copy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_data: Option<String>,
    /// `s3://bucket/key` of the source object's copy, on the last entry when
    /// some lines are held without their bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_copy: Option<String>,
}

/// How the name of a source object's copy ends, beside its error output
/// (`<error prefix><name>.json.gz` and `<error prefix><name>.source`):
/// `cognito-activity redrive` passes over these when it lists the errors.
pub const SOURCE_COPY_SUFFIX: &str = ".source";

/// The error codes of the last entry that says where the bytes of the
/// lines held without them are (an entry about the others, with no line).
pub const SOURCE_COPIED: &str = "Rejections.SourceCopied";
pub const SOURCE_NOT_COPIED: &str = "Rejections.SourceNotCopied";

/// How many bytes of rejected lines one object's error output holds. Past
/// it, further rejected lines are only counted, and one entry
/// (`Rejections.Elided`) says how many and where they are: in the source
/// object and its copy. An object that is not Cognito's logs
/// at all (a Parquet or zstd file in the raw bucket, a manifest naming the
/// wrong prefix) is mostly rejected lines; holding them all, each in base64
/// inside JSON, would take 1.5 times the object in memory, past a 128 MB
/// function's memory on an 80 MB object.
pub const MAX_HELD_BYTES: usize = 8 << 20;

/// The rejected lines of one object, written as they come.
#[derive(Debug)]
pub struct Rejections {
    source: String,
    source_version: String,
    text: Vec<u8>,
    count: u64,
    /// Lines rejected after `text` reached [`MAX_HELD_BYTES`]: how many,
    /// the first and the last.
    elided: u64,
    elided_span: Option<(u64, u64)>,
    /// Lines held without their bytes, the elided ones included.
    without_bytes: u64,
}

impl Rejections {
    pub fn new(source: &str, source_version: &str) -> Rejections {
        Rejections {
            source: source.to_string(),
            source_version: source_version.to_string(),
            text: Vec::new(),
            count: 0,
            elided: 0,
            elided_span: None,
            without_bytes: 0,
        }
    }

    /// Keeps line `line` (`raw` its bytes when held) with why it was refused.
    pub fn push(&mut self, line: u64, code: &str, message: String, raw: Option<&[u8]>) {
        if self.text.len() >= MAX_HELD_BYTES {
            self.count += 1;
            self.elided += 1;
            self.without_bytes += 1;
            // Lines may come out of order (the Security Lake writer's
            // schema refusals come last): the span is the lowest and the
            // highest.
            self.elided_span = Some(match self.elided_span {
                Some((first, last)) => (first.min(line), last.max(line)),
                None => (line, line),
            });
            return;
        }
        if raw.is_none() {
            self.without_bytes += 1;
        }
        self.write(Some(line), code, message, raw, None);
    }

    fn write(
        &mut self,
        line: Option<u64>,
        code: &str,
        message: String,
        raw: Option<&[u8]>,
        source_copy: Option<&str>,
    ) {
        let entry = Rejected {
            error_code: code.to_string(),
            error_message: message,
            source: Some(self.source.clone()),
            source_version: Some(self.source_version.clone()),
            line,
            raw_data: raw.map(|r| base64::engine::general_purpose::STANDARD.encode(r)),
            source_copy: source_copy.map(str::to_string),
        };
        // Serializing strings and numbers into memory cannot fail.
        if serde_json::to_writer(&mut self.text, &entry).is_ok() {
            self.text.push(b'\n');
            self.count += 1;
        }
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Whether some line is held without its bytes: then the source object
    /// is to be copied, and [`finish`](Self::finish) told where.
    pub fn lacks_bytes(&self) -> bool {
        self.without_bytes > 0
    }

    /// The lines, gzip-compressed (or as they are, should compressing into
    /// memory ever fail: then `false`). When some are held without their
    /// bytes, a last entry says where those are: in `copy`, the source
    /// object copied whole as it was read, or (`Err`, with why) only in the
    /// source object.
    pub fn finish(mut self, copy: Result<&str, &str>) -> (Vec<u8>, bool) {
        if let Some((first, last)) = self.elided_span {
            let message = format!(
                "{} more rejected lines, from line {first} to line {last}, are not held here: \
                 this error output holds at most {MAX_HELD_BYTES} bytes of lines; \
                 their bytes are in the source object (the last entry says where else)",
                self.elided
            );
            // Counted already, line by line.
            self.count -= 1;
            self.write(Some(first), "Rejections.Elided", message, None, None);
        }
        if self.without_bytes > 0 {
            let n = self.without_bytes;
            let (code, message, copy) = match copy {
                Ok(copy) => (
                    SOURCE_COPIED,
                    format!(
                        "the bytes of the {n} rejected lines this output does not hold are in a \
                         copy of the source object, whole, as it was read: {copy}"
                    ),
                    Some(copy),
                ),
                Err(why) => (
                    SOURCE_NOT_COPIED,
                    format!(
                        "the bytes of the {n} rejected lines this output does not hold are only \
                         in the source object: {why}"
                    ),
                    None,
                ),
            };
            // An entry about the others, not a line of the object.
            self.count -= 1;
            self.write(None, code, message, None, copy);
        }
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        match gz.write_all(&self.text).and_then(|()| gz.finish()) {
            Ok(body) => (body, true),
            Err(_) => (self.text, false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejected_lines_read_back_with_their_bytes_and_reasons() {
        let mut r = Rejections::new("s3://b/k", "v1");
        r.push(3, "Code.A", "why".into(), Some(b"{\"x\":1}"));
        assert!(!r.lacks_bytes());
        r.push(9, "Code.B", "too long".into(), None);
        assert!(r.lacks_bytes());
        assert_eq!(r.count(), 2);
        let (gz, compressed) = r.finish(Ok("s3://out/errors/x.source"));
        assert!(compressed);
        let lines = read_back(&gz);
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].line, Some(3));
        assert_eq!(lines[0].raw_data.as_deref(), Some("eyJ4IjoxfQ=="));
        assert_eq!(lines[0].source_copy, None);
        assert_eq!(lines[1].raw_data, None);
        assert_eq!(lines[1].source.as_deref(), Some("s3://b/k"));
        // The last entry names the copy holding line 9's bytes.
        assert_eq!(lines[2].error_code, "Rejections.SourceCopied");
        assert_eq!(lines[2].line, None);
        assert_eq!(
            lines[2].source_copy.as_deref(),
            Some("s3://out/errors/x.source")
        );
        assert!(lines[2]
            .error_message
            .starts_with("the bytes of the 1 rejected lines"));
    }

    fn read_back(gz: &[u8]) -> Vec<Rejected> {
        let text = crate::decode::gunzip_capped(gz, 1 << 30).expect("gzip");
        serde_json::Deserializer::from_slice(&text)
            .into_iter()
            .map(|l| l.expect("a rejected line"))
            .collect()
    }

    #[test]
    fn lines_all_held_with_their_bytes_need_no_copy_and_get_no_last_entry() {
        let mut r = Rejections::new("s3://b/k", "v1");
        r.push(1, "Code.A", "why".into(), Some(b"x"));
        let (gz, _) = r.finish(Err("never asked"));
        let lines = read_back(&gz);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].error_code, "Code.A");
    }

    #[test]
    fn a_source_that_could_not_be_copied_is_named_as_the_only_place_of_the_bytes() {
        let mut r = Rejections::new("s3://b/k", "v1");
        r.push(4, "Code.B", "too long".into(), None);
        let (gz, _) = r.finish(Err("it is larger than CopyObject copies"));
        let lines = read_back(&gz);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].error_code, "Rejections.SourceNotCopied");
        assert_eq!(lines[1].source_copy, None);
        assert!(
            lines[1]
                .error_message
                .ends_with("only in the source object: it is larger than CopyObject copies"),
            "{}",
            lines[1].error_message
        );
    }

    #[test]
    fn past_the_cap_rejected_lines_are_counted_and_named_by_one_entry() {
        let mut r = Rejections::new("s3://b/k", "v1");
        let raw = vec![b'x'; 100_000];
        let total = 200u64;
        for line in 1..=total {
            r.push(line, "Code.A", "why".into(), Some(&raw));
        }
        // A line pushed late, out of order (the Security Lake writer's
        // schema refusals): the span stays the lowest to the highest.
        r.push(150, "Code.B", "why".into(), Some(&raw));
        // And one below the first elided line: the span then starts there.
        r.push(2, "Code.B", "why".into(), Some(&raw));
        assert_eq!(r.count(), total + 2);
        assert!(r.lacks_bytes());
        let (gz, _) = r.finish(Ok("s3://out/errors/x.source"));
        let text = crate::decode::gunzip_capped(&gz, 1 << 30).expect("gzip");
        assert!(
            text.len() < MAX_HELD_BYTES + 2 * raw.len(),
            "{}",
            text.len()
        );
        let mut lines = read_back(&gz);
        let copied = lines.pop().expect("the copy's entry");
        assert_eq!(copied.error_code, "Rejections.SourceCopied");
        let (held, last) = lines.split_at(lines.len() - 1);
        assert!(held
            .iter()
            .all(|l| l.raw_data.is_some() && l.error_code == "Code.A"));
        assert_eq!(last[0].error_code, "Rejections.Elided");
        // The span's lowest line (the late line 2, below the first elided).
        assert_eq!(last[0].line, Some(2));
        assert_eq!(last[0].raw_data, None);
        let elided = total + 2 - held.len() as u64;
        assert!(
            last[0].error_message.starts_with(&format!(
                "{elided} more rejected lines, from line 2 to line {total}"
            )),
            "{}",
            last[0].error_message
        );
        assert!(copied
            .error_message
            .starts_with(&format!("the bytes of the {elided} rejected lines")));
    }
}
