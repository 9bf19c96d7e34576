//! The most an object's text may come to once inflated.
//!
//! The writer holds every row of an object until it is read whole (Parquet
//! is written per partition at the end), so what a gzip object inflates to
//! is memory. The library's reader bounds it only by a ratio to the
//! compressed bytes (64 times), which for an object of `MAX_OBJECT_BYTES`
//! is far past what the function holds. [`Capped`] fails the read past
//! `MAX_OBJECT_BYTES` of text instead: the lines before it are written, the
//! rest is reported as unreadable past the last whole line, its bytes kept
//! in the source object's copy beside the errors. Firehose's objects are at most 128 MiB
//! before compression, `MAX_OBJECT_BYTES`' default, so none of theirs stops.

use std::io::{self, BufRead, Read};

/// `inner`, failing once it would give more than `cap` bytes.
pub struct Capped<R> {
    inner: R,
    cap: u64,
    left: u64,
}

impl<R> Capped<R> {
    pub fn new(inner: R, cap: u64) -> Capped<R> {
        Capped {
            inner,
            cap,
            left: cap,
        }
    }
}

impl<R: BufRead> BufRead for Capped<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        let (cap, left) = (self.cap, self.left);
        let buf = self.inner.fill_buf()?;
        if !buf.is_empty() && left == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("the object's text is longer than MAX_OBJECT_BYTES ({cap} bytes)"),
            ));
        }
        let n = usize::try_from(left).map_or(buf.len(), |left| left.min(buf.len()));
        Ok(&buf[..n])
    }

    fn consume(&mut self, n: usize) {
        self.left = self.left.saturating_sub(n as u64);
        self.inner.consume(n);
    }
}

impl<R: BufRead> Read for Capped<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let buf = self.fill_buf()?;
        let n = buf.len().min(out.len());
        out[..n].copy_from_slice(&buf[..n]);
        self.consume(n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(input: &[u8], cap: u64) -> (Vec<u8>, Option<io::Error>) {
        let mut capped = Capped::new(io::BufReader::with_capacity(3, input), cap);
        let mut out = Vec::new();
        let err = capped.read_to_end(&mut out).err();
        (out, err)
    }

    #[test]
    fn up_to_the_cap_everything_reads_and_past_it_the_read_fails_after_the_cap() {
        assert_eq!(read_all(b"abcdef", 6).0, b"abcdef");
        assert!(read_all(b"abcdef", 6).1.is_none());
        assert!(read_all(b"abcdef", 100).1.is_none());
        let (out, err) = read_all(b"abcdef", 4);
        assert_eq!(out, b"abcd");
        let err = err.expect("past the cap");
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(
            err.to_string().contains("MAX_OBJECT_BYTES (4 bytes)"),
            "{err}"
        );
        assert!(read_all(b"", 0).1.is_none());
        assert!(read_all(b"a", 0).1.is_some());
    }
}
