//! Lines that could not be used, as the routes that read S3 objects keep
//! them under their error prefix: one JSON line each, in the shape of
//! Firehose's own error records (`errorCode`, `errorMessage`, `rawData` in
//! base64), plus where the line came from (`source`, `sourceVersion`,
//! `line`), gzip-compressed. `cognito-activity redrive` reads both shapes.

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
    /// longer than the reader allows stays in the source object).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_data: Option<String>,
}

/// How many bytes of rejected lines one object's error output holds. Past
/// it, further rejected lines are only counted, and one last entry
/// (`Rejections.Elided`) says how many and where they are: in the source
/// object, which stays in its bucket. An object that is not Cognito's logs
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
        }
    }

    /// Keeps line `line` (`raw` its bytes when held) with why it was refused.
    pub fn push(&mut self, line: u64, code: &str, message: String, raw: Option<&[u8]>) {
        if self.text.len() >= MAX_HELD_BYTES {
            self.count += 1;
            self.elided += 1;
            // Lines may come out of order (the Security Lake writer's
            // schema refusals come last): the span is the lowest and the
            // highest.
            self.elided_span = Some(match self.elided_span {
                Some((first, last)) => (first.min(line), last.max(line)),
                None => (line, line),
            });
            return;
        }
        self.write(line, code, message, raw);
    }

    fn write(&mut self, line: u64, code: &str, message: String, raw: Option<&[u8]>) {
        let entry = Rejected {
            error_code: code.to_string(),
            error_message: message,
            source: Some(self.source.clone()),
            source_version: Some(self.source_version.clone()),
            line: Some(line),
            raw_data: raw.map(|r| base64::engine::general_purpose::STANDARD.encode(r)),
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

    /// The lines, gzip-compressed (or as they are, should compressing into
    /// memory ever fail: then `false`).
    pub fn finish(mut self) -> (Vec<u8>, bool) {
        if let Some((first, last)) = self.elided_span {
            let message = format!(
                "{} more rejected lines, from line {first} to line {last}, are not copied here: \
                 this error output holds at most {MAX_HELD_BYTES} bytes of lines; \
                 their bytes are in the source object",
                self.elided
            );
            // Counted already, line by line.
            self.count -= 1;
            self.write(first, "Rejections.Elided", message, None);
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
        r.push(9, "Code.B", "too long".into(), None);
        assert_eq!(r.count(), 2);
        let (gz, compressed) = r.finish();
        assert!(compressed);
        let text = crate::decode::gunzip_capped(&gz, 1 << 20).expect("gzip");
        let lines: Vec<Rejected> = serde_json::Deserializer::from_slice(&text)
            .into_iter()
            .map(|l| l.expect("a rejected line"))
            .collect();
        assert_eq!(lines[0].line, Some(3));
        assert_eq!(lines[0].raw_data.as_deref(), Some("eyJ4IjoxfQ=="));
        assert_eq!(lines[1].raw_data, None);
        assert_eq!(lines[1].source.as_deref(), Some("s3://b/k"));
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
        let (gz, _) = r.finish();
        let text = crate::decode::gunzip_capped(&gz, 1 << 30).expect("gzip");
        assert!(
            text.len() < MAX_HELD_BYTES + 2 * raw.len(),
            "{}",
            text.len()
        );
        let lines: Vec<Rejected> = serde_json::Deserializer::from_slice(&text)
            .into_iter()
            .map(|l| l.expect("a rejected line"))
            .collect();
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
    }
}
