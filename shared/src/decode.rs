//! Record decoding: base64, then gzip when present, size-capped.
//!
//! A gzip stream is recognised by its magic bytes `1f 8b` (RFC 1952, section
//! 2.3.1), which CloudWatch Logs subscription data always carries; no
//! configuration says which records are compressed. Decompression goes
//! through [`gunzip_capped`] only: it stops at `limit` bytes, so a gzip bomb
//! costs one `ProcessingFailed` record, never the invocation's memory.

use std::io::Read;

use base64_simd::STANDARD;
use flate2::read::MultiGzDecoder;

use crate::error::RecordError;

// base64 goes through `base64-simd` (AVX2/SSE4.1 on x86_64, NEON on arm64,
// chosen at run time, with a scalar fallback): about ten times the `base64`
// crate's speed, and it is most of the bytes an invocation touches. It
// accepts exactly what the `base64` crate's padded standard engine does:
// the standard alphabet, canonical padding, no embedded whitespace.

/// Decodes base64 text (the standard alphabet, padded, as Firehose sends it).
pub fn base64_decode(text: &str) -> Result<Vec<u8>, RecordError> {
    STANDARD
        .decode_to_vec(text.trim_ascii())
        .map_err(|_| RecordError::Base64)
}

/// Encodes bytes as standard padded base64.
pub fn base64_encode(bytes: &[u8]) -> String {
    STANDARD.encode_to_string(bytes)
}

/// Whether `bytes` start with the gzip magic number.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// Decompresses a gzip stream (all members, as `gzip -d` does) into at most
/// `limit` bytes.
pub fn gunzip_capped(bytes: &[u8], limit: usize) -> Result<Vec<u8>, RecordError> {
    // Reading one byte past the limit tells "exactly limit" from "more".
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(8).min(limit));
    #[allow(clippy::disallowed_methods)] // the one capped use: `take` below
    let mut reader = MultiGzDecoder::new(bytes).take(cap);
    reader
        .read_to_end(&mut out)
        .map_err(|_| RecordError::Gzip)?;
    if out.len() > limit {
        return Err(RecordError::TooLarge { limit });
    }
    Ok(out)
}

/// The record's bytes, decompressed if gzip.
#[derive(Debug, PartialEq)]
pub struct Decoded {
    pub bytes: Vec<u8>,
    pub was_gzip: bool,
}

/// base64, then gzip when present.
pub fn decode_record(data: &str, limit: usize) -> Result<Decoded, RecordError> {
    let raw = base64_decode(data)?;
    if is_gzip(&raw) {
        let bytes = gunzip_capped(&raw, limit)?;
        Ok(Decoded {
            bytes,
            was_gzip: true,
        })
    } else {
        Ok(Decoded {
            bytes: raw,
            was_gzip: false,
        })
    }
}

/// The bytes as UTF-8 text, with a byte offset on error.
pub fn utf8(bytes: &[u8]) -> Result<&str, RecordError> {
    std::str::from_utf8(bytes).map_err(|e| RecordError::Utf8 {
        offset: e.valid_up_to(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use flate2::Compression;
    use proptest::prelude::*;
    use std::io::Write;

    pub(crate) fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), Compression::default());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn correctly_detects_gzipped_content() {
        let plain = b"{\"a\":1}";
        let d = decode_record(&base64_encode(&gzip(plain)), 1024).unwrap();
        assert!(d.was_gzip);
        assert_eq!(d.bytes, plain);
        let d = decode_record(&base64_encode(plain), 1024).unwrap();
        assert!(!d.was_gzip);
        assert_eq!(d.bytes, plain);
    }

    #[test]
    fn a_gzip_bomb_stops_at_the_cap() {
        let bomb = gzip(&vec![0u8; 10 * 1024 * 1024]);
        assert!(bomb.len() < 20_000);
        assert_eq!(
            gunzip_capped(&bomb, 1024 * 1024),
            Err(RecordError::TooLarge { limit: 1024 * 1024 })
        );
        assert_eq!(
            gunzip_capped(&bomb, 10 * 1024 * 1024).unwrap().len(),
            10 * 1024 * 1024
        );
    }

    #[test]
    fn truncated_and_corrupt_gzip_fail_cleanly() {
        let good = gzip(b"{\"hello\":\"world\"}");
        assert_eq!(
            gunzip_capped(&good[..good.len() - 5], 1024),
            Err(RecordError::Gzip)
        );
        let mut corrupt = good.clone();
        corrupt[12] ^= 0xff;
        assert!(gunzip_capped(&corrupt, 1024).is_err());
        assert_eq!(gunzip_capped(&[0x1f, 0x8b], 1024), Err(RecordError::Gzip));
    }

    #[test]
    fn concatenated_gzip_members_are_all_read() {
        let mut two = gzip(b"{\"a\":1}\n");
        two.extend(gzip(b"{\"a\":2}\n"));
        assert_eq!(
            gunzip_capped(&two, 1024).unwrap(),
            b"{\"a\":1}\n{\"a\":2}\n"
        );
    }

    #[test]
    fn rejects_invalid_base64() {
        assert_eq!(decode_record("not base64!", 10), Err(RecordError::Base64));
        assert_eq!(decode_record("QQ", 10), Err(RecordError::Base64));
        assert_eq!(decode_record("", 10).unwrap().bytes, b"");
    }

    proptest! {
        #[test]
        fn any_bytes_decode_or_fail_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = decode_record(&base64_encode(&bytes), 4096);
            let mut gz = vec![0x1f, 0x8b];
            gz.extend(&bytes);
            let _ = gunzip_capped(&gz, 4096);
        }

        #[test]
        fn base64_accepts_and_rejects_exactly_what_the_base64_crate_does(
            text in "[A-Za-z0-9+/=]{0,24}|[A-Za-z0-9+/= \n.-]{0,12}",
        ) {
            use base64::Engine as _;
            let reference = base64::engine::general_purpose::STANDARD.decode(text.trim_ascii()).ok();
            prop_assert_eq!(base64_decode(&text).ok(), reference);
        }

        #[test]
        fn base64_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            prop_assert_eq!(base64_decode(&base64_encode(&bytes)).unwrap(), bytes);
        }
    }
}
