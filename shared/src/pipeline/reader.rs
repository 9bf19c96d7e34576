//! Reads a stream of Cognito log lines of any size, one line at a time, for
//! the pipeline: memory is bounded by the longest line allowed, not by the
//! input. A line is one payload (a Cognito document, or a CloudWatch Logs
//! envelope as a subscription delivers it, decompressed); gzip input is
//! decompressed as it is read.

use std::io::{self, BufRead, BufReader, Read};

use flate2::bufread::MultiGzDecoder;

use crate::decode::is_gzip;

/// One line of input, without its line end.
#[derive(Debug, PartialEq, Eq)]
pub enum Line<'b> {
    Text(&'b [u8]),
    /// Longer than the reader allows: skipped up to its end, never held.
    TooLong {
        len: u64,
    },
}

/// The lines of a stream, each at most `max` bytes long.
pub struct Lines<R> {
    reader: R,
    buf: Vec<u8>,
    max: usize,
    number: u64,
}

impl<R: BufRead> Lines<R> {
    pub fn new(reader: R, max: usize) -> Self {
        Lines {
            reader,
            buf: Vec::new(),
            max,
            number: 0,
        }
    }

    /// The next line and its number (from 1); `None` at the end of input.
    /// Each byte is looked at once, so reading costs what the input
    /// weighs, however its lines are cut.
    pub fn next_line(&mut self) -> io::Result<Option<(u64, Line<'_>)>> {
        self.buf.clear();
        let mut len = 0u64;
        let mut seen_any = false;
        loop {
            let available = match self.reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                if !seen_any {
                    return Ok(None);
                }
                break;
            }
            seen_any = true;
            let (chunk, ended) = match memchr::memchr(b'\n', available) {
                Some(at) => (&available[..at], true),
                None => (available, false),
            };
            len += chunk.len() as u64;
            if len <= self.max as u64 {
                self.buf.extend_from_slice(chunk);
            }
            let used = chunk.len() + usize::from(ended);
            self.reader.consume(used);
            if ended {
                break;
            }
        }
        self.number += 1;
        if len > self.max as u64 {
            return Ok(Some((self.number, Line::TooLong { len })));
        }
        if self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
        Ok(Some((self.number, Line::Text(&self.buf))))
    }
}

/// `reader` as buffered text, decompressed as it is read when it starts
/// with the gzip magic (of one or more concatenated members).
pub fn open<'r>(reader: impl Read + 'r) -> io::Result<Box<dyn BufRead + 'r>> {
    let mut reader = BufReader::with_capacity(64 * 1024, reader);
    let head = reader.fill_buf()?;
    Ok(if is_gzip(head) {
        Box::new(BufReader::with_capacity(
            64 * 1024,
            MultiGzDecoder::new(reader),
        ))
    } else {
        Box::new(reader)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn all(input: &[u8], max: usize) -> Vec<(u64, Result<Vec<u8>, u64>)> {
        let mut lines = Lines::new(BufReader::with_capacity(7, input), max);
        let mut out = Vec::new();
        while let Some((n, line)) = lines.next_line().unwrap() {
            out.push((
                n,
                match line {
                    Line::Text(t) => Ok(t.to_vec()),
                    Line::TooLong { len } => Err(len),
                },
            ));
        }
        out
    }

    #[test]
    fn lines_are_numbered_and_a_long_one_is_skipped_whole() {
        let got = all(b"{\"a\":1}\r\n\nabcdefghijklmnop\nxy", 10);
        assert_eq!(
            got,
            vec![
                (1, Ok(b"{\"a\":1}".to_vec())),
                (2, Ok(Vec::new())),
                (3, Err(16)),
                (4, Ok(b"xy".to_vec())),
            ]
        );
        assert!(all(b"", 10).is_empty());
        assert_eq!(all(b"a\n", 10), vec![(1, Ok(b"a".to_vec()))]);
    }

    #[test]
    fn gzip_input_is_read_as_its_text() {
        let text = b"{\"a\":1}\n{\"b\":2}\n";
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, text).unwrap();
        let zipped = gz.finish().unwrap();
        let mut plain = String::new();
        open(zipped.as_slice())
            .unwrap()
            .read_to_string(&mut plain)
            .unwrap();
        assert_eq!(plain.as_bytes(), text);
        let mut same = String::new();
        open(&text[..]).unwrap().read_to_string(&mut same).unwrap();
        assert_eq!(same.as_bytes(), text);
    }

    proptest! {
        #[test]
        fn lines_are_what_splitting_on_newlines_gives(
            input in proptest::collection::vec(prop_oneof![Just(b'\n'), Just(b'x'), Just(b'\r'), any::<u8>()], 0..200),
            max in 0usize..20,
        ) {
            let mut want = Vec::new();
            let mut parts: Vec<&[u8]> = input.split(|&b| b == b'\n').collect();
            if input.last() == Some(&b'\n') || input.is_empty() {
                parts.pop();
            }
            for (i, part) in parts.into_iter().enumerate() {
                let part = part.strip_suffix(b"\r").filter(|_| part.len() <= max).unwrap_or(part);
                want.push((i as u64 + 1, if part.len() > max { Err(part.len() as u64) } else { Ok(part.to_vec()) }));
            }
            prop_assert_eq!(all(&input, max), want);
        }
    }
}
