//! Reads a stream of Cognito log lines of any size, one line at a time, for
//! the pipeline: memory is bounded by the longest line allowed, not by the
//! input. A line is one payload (a Cognito document, or a CloudWatch Logs
//! envelope as a subscription delivers it, decompressed); gzip input is
//! decompressed as it is read.

use std::cell::Cell;
use std::io::{self, BufRead, BufReader, Read};
use std::rc::Rc;

use flate2::bufread::MultiGzDecoder;

use crate::decode::{is_gzip, INFLATE_RATIO};

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
/// with the gzip magic (of one or more concatenated members). Gzip input may
/// inflate to `floor` bytes plus [`INFLATE_RATIO`] times the compressed
/// bytes read, no more (a read past it fails), so a small bomb cannot cost
/// more than its size says.
pub fn open<'r>(reader: impl Read + 'r, floor: u64) -> io::Result<Box<dyn BufRead + 'r>> {
    let mut reader = BufReader::with_capacity(64 * 1024, reader);
    let head = reader.fill_buf()?;
    if !is_gzip(head) {
        return Ok(Box::new(reader));
    }
    let consumed = Rc::new(Cell::new(0u64));
    let counted = Counted {
        inner: reader,
        consumed: Rc::clone(&consumed),
    };
    // Bounded by `Ratio` around it: its output is counted against its input.
    #[allow(clippy::disallowed_methods)]
    let gunzip = MultiGzDecoder::new(counted);
    Ok(Box::new(BufReader::with_capacity(
        64 * 1024,
        Ratio {
            inner: gunzip,
            consumed,
            produced: 0,
            floor,
        },
    )))
}

/// A buffered reader that counts the bytes consumed from it.
struct Counted<R> {
    inner: R,
    consumed: Rc<Cell<u64>>,
}

impl<R: BufRead> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.consumed.set(self.consumed.get() + n as u64);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counted<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.consumed.set(self.consumed.get() + amt as u64);
        self.inner.consume(amt);
    }
}

/// Decompressed output held to `floor` plus [`INFLATE_RATIO`] times the
/// compressed bytes consumed.
struct Ratio<R> {
    inner: R,
    consumed: Rc<Cell<u64>>,
    produced: u64,
    floor: u64,
}

impl<R: Read> Read for Ratio<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.produced += n as u64;
        let allowed = self
            .floor
            .saturating_add(INFLATE_RATIO.saturating_mul(self.consumed.get()));
        if self.produced > allowed {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("gzip input inflates more than {INFLATE_RATIO} times its size"),
            ));
        }
        Ok(n)
    }
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
        open(zipped.as_slice(), 1 << 20)
            .unwrap()
            .read_to_string(&mut plain)
            .unwrap();
        assert_eq!(plain.as_bytes(), text);
        let mut same = String::new();
        open(&text[..], 1 << 20)
            .unwrap()
            .read_to_string(&mut same)
            .unwrap();
        assert_eq!(same.as_bytes(), text);
    }

    #[test]
    fn a_gzip_bomb_stops_at_its_ratio() {
        // 64 MiB of newlines compress to about 64 KiB: far past 64 times.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let block = vec![b'\n'; 1 << 20];
        for _ in 0..64 {
            std::io::Write::write_all(&mut gz, &block).unwrap();
        }
        let zipped = gz.finish().unwrap();
        assert!(zipped.len() < 1 << 20, "{}", zipped.len());
        let mut lines = Lines::new(open(zipped.as_slice(), 1 << 16).unwrap(), 100);
        let err = loop {
            match lines.next_line() {
                Ok(Some(_)) => {}
                Ok(None) => panic!("the bomb was read to its end"),
                Err(e) => break e,
            }
        };
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("64 times"), "{err}");
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
