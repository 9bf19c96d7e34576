//! Record decoding: base64, then gzip when present, size-capped.
//!
//! A gzip stream is recognised by its magic bytes `1f 8b` (RFC 1952, section
//! 2.3.1), which CloudWatch Logs subscription data always carries; no
//! configuration says which records are compressed. Decompression goes
//! through [`gunzip_capped`] only: it stops at `limit` bytes, so a gzip bomb
//! costs one `ProcessingFailed` record, never the invocation's memory.
//! A single gzip member (what CloudWatch Logs sends) is inflated by
//! libdeflate in one call; anything else by flate2's `MultiGzDecoder`,
//! whose answers the fast path is property-tested against.

use std::borrow::Cow;
use std::cell::RefCell;
use std::io::Read;

use base64_simd::STANDARD;
use flate2::bufread::MultiGzDecoder;

use crate::error::RecordError;

// base64 goes through `base64-simd` (AVX2/SSE4.1 on x86_64, NEON on arm64,
// chosen at run time, with a scalar fallback): about ten times the `base64`
// crate's speed, and it is most of the bytes an invocation touches. It
// accepts exactly what the `base64` crate's padded standard engine does:
// the standard alphabet, canonical padding, no embedded whitespace.

/// Decodes base64 text (the standard alphabet, padded, as Firehose sends it).
pub fn base64_decode(text: &str) -> Result<Vec<u8>, RecordError> {
    let mut out = Vec::new();
    base64_decode_into(text, &mut out)?;
    Ok(out)
}

/// [`base64_decode`] into `out`, which is emptied first (its room is kept).
pub fn base64_decode_into(text: &str, out: &mut Vec<u8>) -> Result<(), RecordError> {
    out.clear();
    STANDARD
        .decode_append(text.trim_ascii(), out)
        .map_err(|_| RecordError::Base64)
}

/// Encodes bytes as standard padded base64.
pub fn base64_encode(bytes: &[u8]) -> String {
    STANDARD.encode_to_string(bytes)
}

/// The length of `n` bytes as standard padded base64.
pub const fn base64_len(n: usize) -> usize {
    n.div_ceil(3) * 4
}

/// Appends `bytes` as standard padded base64 to `out`.
pub fn base64_encode_append(bytes: &[u8], out: &mut Vec<u8>) {
    STANDARD.encode_append(bytes, out);
}

/// A Firehose invocation may inflate `MAX_DECOMPRESSED_BYTES` plus this many times
/// the gzip bytes it has read so far (the record being read included), in
/// total. One record may still expand to the cap; a batch of bombs costs
/// what a batch of ordinary envelopes does instead of the cap once per
/// record. CloudWatch Logs envelopes of Cognito events expand 4 to 9 times,
/// so ordinary batches never come near it; a record past it is
/// `ProcessingFailed` (`inflate_allowance`) with its original data.
/// The CLI's streaming reader holds gzip input to the same ratio.
pub const INFLATE_RATIO: u64 = 64;

/// Whether `bytes` start with the gzip magic number.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// Decompresses a gzip stream (all members, as `gzip -d` does) into at most
/// `limit` bytes.
///
/// The common case, one member (CloudWatch Logs sends nothing else), goes
/// through libdeflate in one call into a buffer of the size the trailer
/// announces; everything else (several members, trailing bytes, a header
/// CRC, corrupt data, output over the cap) goes through the streaming
/// decoder, [`gunzip_streaming`], whose answer is the reference.
pub fn gunzip_capped(bytes: &[u8], limit: usize) -> Result<Vec<u8>, RecordError> {
    match gunzip_one_member(bytes, limit) {
        Some(out) => Ok(out),
        None => gunzip_streaming(bytes, limit),
    }
}

// gzip header flags (RFC 1952, section 2.3.1).
const FHCRC: u8 = 1 << 1;
const FEXTRA: u8 = 1 << 2;
const FNAME: u8 = 1 << 3;
const FCOMMENT: u8 = 1 << 4;
const FRESERVED: u8 = 0xe0;
/// flate2 rejects a file name or comment longer than this.
const MAX_HEADER_FIELD: usize = 65_535;
/// The size of the trailer: CRC-32 and ISIZE.
const TRAILER: usize = 8;

/// Where the deflate data of the member starting `bytes` begins, when its
/// header is one that flate2 and libdeflate read alike: no header CRC (which
/// libdeflate skips unchecked), no reserved flag, names within flate2's cap.
fn simple_header_len(bytes: &[u8]) -> Option<usize> {
    let header = bytes.get(..10)?;
    if header[..3] != [0x1f, 0x8b, 8] || header[3] & (FHCRC | FRESERVED) != 0 {
        return None;
    }
    let flags = header[3];
    let mut pos = 10;
    if flags & FEXTRA != 0 {
        let xlen = bytes.get(pos..pos + 2)?;
        pos += 2 + usize::from(u16::from_le_bytes([xlen[0], xlen[1]]));
    }
    for field in [FNAME, FCOMMENT] {
        if flags & field != 0 {
            let rest = bytes.get(pos..)?;
            let window = &rest[..rest.len().min(MAX_HEADER_FIELD + 1)];
            pos += window.iter().position(|&b| b == 0)? + 1;
        }
    }
    (pos <= bytes.len()).then_some(pos)
}

/// One-member gzip through libdeflate, or `None` when the answer must come
/// from the streaming decoder (not provably one member, corrupt, over the
/// cap): only an `Ok` is ever decided here.
///
/// libdeflate does not say where the member's deflate data ended, so that
/// is proved from the trailer: libdeflate checked that the 8 bytes right
/// after the deflate data are the output's CRC-32 and length; if those
/// length bytes occur nowhere in the input except in the last 8 bytes, the
/// deflate data ended 8 bytes before the end, so there is no second member
/// and no trailing byte. (A false match only costs the streaming decode.)
fn gunzip_one_member(bytes: &[u8], limit: usize) -> Option<Vec<u8>> {
    let start = simple_header_len(bytes)?;
    let body_end = bytes.len().checked_sub(TRAILER)?;
    if start > body_end {
        return None;
    }
    let isize_field = bytes.get(body_end + 4..)?;
    // ISIZE, the last member's length mod 2^32: a hint, never trusted.
    let hint = u32::from_le_bytes([
        isize_field[0],
        isize_field[1],
        isize_field[2],
        isize_field[3],
    ]);
    if usize::try_from(hint).map_or(true, |h| h > limit) {
        // Over the cap if the claim is true, forged if not: either way the
        // streaming decoder answers, growing its buffer only as data comes.
        return None;
    }
    // The first buffer: what the trailer claims, but never more than the
    // compressed length plausibly expands to (the claim is the sender's: a
    // forged "4 GiB" must not cost a cap-sized zeroed buffer per record),
    // then doubled as the data proves it needs more.
    let plausible = (body_end - start)
        .saturating_mul(FIRST_GUESS_RATIO)
        .max(MIN_FIRST_BUFFER);
    let mut size = (hint as usize).min(plausible).min(limit);
    loop {
        let mut out = vec![0u8; size];
        match with_decompressor(|d| d.gzip_decompress(bytes, &mut out)) {
            Ok(n) => {
                out.truncate(n);
                // Truncation intended: ISIZE is the length modulo 2^32.
                let length = (n as u32).to_le_bytes();
                // The ISIZE field of a trailer starting anywhere from the
                // deflate data's first byte up to one byte before the last 8.
                let earlier = &bytes[start + 4..bytes.len() - 1];
                let one_member =
                    isize_field == length && memchr::memmem::find(earlier, &length).is_none();
                return one_member.then_some(out);
            }
            Err(libdeflater::DecompressionError::InsufficientSpace) if size < limit => {
                size = size.saturating_mul(2).max(MIN_FIRST_BUFFER).min(limit);
            }
            // Corrupt, or over the cap: which one, and where, is the
            // streaming decoder's to say (libdeflate can stop short of where
            // flate2 finds bad data past the cap).
            Err(_) => return None,
        }
    }
}

/// How much a gzip member's deflate data is first assumed to expand when its
/// trailer claims more: CloudWatch Logs envelopes of Cognito events expand
/// about 4 to 9 times. (Deflate cannot expand more than 1032 times.)
const FIRST_GUESS_RATIO: usize = 16;
/// The smallest first buffer.
const MIN_FIRST_BUFFER: usize = 4096;

thread_local! {
    // libdeflate's decompressor is about 11 KB of tables: one per thread
    // saves allocating and zeroing it for every record.
    static DECOMPRESSOR: RefCell<Option<libdeflater::Decompressor>> = const { RefCell::new(None) };
}

fn with_decompressor<T>(f: impl FnOnce(&mut libdeflater::Decompressor) -> T) -> T {
    DECOMPRESSOR.with(|cell| match cell.try_borrow_mut() {
        Ok(mut slot) => f(slot.get_or_insert_with(libdeflater::Decompressor::new)),
        Err(_) => f(&mut libdeflater::Decompressor::new()),
    })
}

/// The streaming decoder (flate2, all members), capped: the general path
/// and the reference the fast path is tested against.
// Never inlined: flate2's inflater builds its ~40 KB state on the stack
// before boxing it, and inlined into `batch::transform` that made every
// record's call probe and dirty some 13 stack pages.
#[inline(never)]
fn gunzip_streaming(bytes: &[u8], limit: usize) -> Result<Vec<u8>, RecordError> {
    // Reading one byte past the limit tells "exactly limit" from "more".
    let cap = limit.saturating_add(1);
    #[allow(clippy::disallowed_methods)] // the one capped use: `cap` below
    // The `bufread` decoder reads the slice in place (the `read` one would
    // allocate a 32 KB buffer to copy it through).
    let mut reader = MultiGzDecoder::new(bytes);
    // Grown as data arrives, never past `cap`: `read_to_end` doubles its
    // buffer, which for output just past a power of two held twice the cap.
    let mut out = vec![0u8; bytes.len().saturating_mul(4).max(64).min(cap)];
    let mut len = 0;
    loop {
        if len == out.len() {
            if len == cap {
                break;
            }
            out.resize(len.saturating_mul(2).min(cap), 0);
        }
        match reader.read(&mut out[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return Err(RecordError::Gzip),
        }
    }
    if len > limit {
        return Err(RecordError::TooLarge { limit });
    }
    out.truncate(len);
    Ok(out)
}

/// The record's bytes, decompressed if gzip.
#[derive(Debug, PartialEq)]
pub struct Decoded<'s> {
    /// The caller's scratch buffer when the record was not gzip, the
    /// inflated bytes when it was.
    pub bytes: Cow<'s, [u8]>,
    pub was_gzip: bool,
    /// The gzip stream's length (0 when not gzip).
    pub compressed_len: usize,
}

/// base64, then gzip when present, inflating at most `limit(compressed
/// length)` bytes. The base64 is decoded into `scratch`, which a batch
/// passes from record to record: a buffer per record was an allocation
/// and a free for each of a direct batch's thousands of records.
pub fn decode_record<'s>(
    data: &str,
    scratch: &'s mut Vec<u8>,
    limit: impl FnOnce(usize) -> usize,
) -> Result<Decoded<'s>, RecordError> {
    base64_decode_into(data, scratch)?;
    let raw: &'s [u8] = scratch;
    if is_gzip(raw) {
        let compressed_len = raw.len();
        let bytes = gunzip_capped(raw, limit(compressed_len))?;
        Ok(Decoded {
            bytes: Cow::Owned(bytes),
            was_gzip: true,
            compressed_len,
        })
    } else {
        Ok(Decoded {
            bytes: Cow::Borrowed(raw),
            was_gzip: false,
            compressed_len: 0,
        })
    }
}

/// The bytes as UTF-8 text, with a byte offset on error.
pub fn utf8(bytes: &[u8]) -> Result<&str, RecordError> {
    // simdutf8's `basic` flavour answers only yes or no, and faster; on
    // no, the `compat` flavour finds where (same answer and the same
    // `valid_up_to` as std: property test below).
    if let Ok(text) = simdutf8::basic::from_utf8(bytes) {
        return Ok(text);
    }
    simdutf8::compat::from_utf8(bytes).map_err(|e| RecordError::Utf8 {
        offset: e.valid_up_to(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use flate2::{Compression, GzBuilder};
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
        let mut scratch = Vec::new();
        let d = decode_record(&base64_encode(&gzip(plain)), &mut scratch, |_| 1024).unwrap();
        assert!(d.was_gzip);
        assert_eq!(*d.bytes, *plain);
        let d = decode_record(&base64_encode(plain), &mut scratch, |_| 1024).unwrap();
        assert!(!d.was_gzip);
        assert_eq!(*d.bytes, *plain);
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
    fn one_plain_member_takes_the_libdeflate_path() {
        let text = br#"{"messageType":"DATA_MESSAGE","logEvents":[]}"#;
        assert_eq!(gunzip_one_member(&gzip(text), 1024).unwrap(), text);
        let named = GzBuilder::new()
            .filename("a.json")
            .comment("c")
            .extra(vec![1, 2, 3])
            .write(Vec::new(), Compression::fast());
        let named = finish_with(named, text);
        assert_eq!(gunzip_one_member(&named, 1024).unwrap(), text);
        assert_eq!(gunzip_capped(&named, 1024).unwrap(), text);
    }

    #[test]
    fn anything_but_one_whole_member_is_left_to_the_streaming_decoder() {
        let one = gzip(b"{\"a\":1}\n");
        let mut two = one.clone();
        two.extend(&one);
        assert_eq!(gunzip_one_member(&two, 1024), None);
        assert_eq!(
            gunzip_capped(&two, 1024).unwrap(),
            b"{\"a\":1}\n{\"a\":1}\n"
        );
        let mut trailing = one.clone();
        trailing.push(0);
        assert_eq!(gunzip_one_member(&trailing, 1024), None);
        assert_eq!(gunzip_capped(&trailing, 1024), Err(RecordError::Gzip));
        // Over the cap: the streaming decoder's answer, TooLarge.
        assert_eq!(gunzip_one_member(&one, 4), None);
        assert_eq!(
            gunzip_capped(&one, 4),
            Err(RecordError::TooLarge { limit: 4 })
        );
    }

    #[test]
    fn a_header_crc_is_checked_as_flate2_checks_it() {
        // FHCRC set by hand: libdeflate would skip it unchecked.
        let mut good = gzip(b"hello");
        good[3] |= FHCRC;
        let crc = libdeflater::crc32(&good[..10]);
        good.splice(10..10, (crc as u16).to_le_bytes());
        assert_eq!(gunzip_capped(&good, 1024).unwrap(), b"hello");
        let mut bad = good.clone();
        bad[10] ^= 1;
        assert_eq!(gunzip_capped(&bad, 1024), Err(RecordError::Gzip));
    }

    fn finish_with(mut enc: GzEncoder<Vec<u8>>, bytes: &[u8]) -> Vec<u8> {
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    /// Text that compresses somewhat, like log lines, or not at all.
    fn payload() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..600),
            proptest::collection::vec(
                prop_oneof![Just(b'a'), Just(b'{'), Just(b'"'), Just(0u8)],
                0..3000
            ),
        ]
    }

    /// One gzip member, sometimes with header fields.
    fn member() -> impl Strategy<Value = Vec<u8>> {
        (payload(), 0u32..10, any::<bool>()).prop_map(|(bytes, level, named)| {
            let mut b = GzBuilder::new();
            if named {
                b = b.filename("x.log").extra(vec![7; 3]);
            }
            finish_with(b.write(Vec::new(), Compression::new(level)), &bytes)
        })
    }

    /// How a test input is damaged after it is built.
    #[derive(Debug, Clone)]
    enum Damage {
        None,
        Truncate(usize),
        Flip(usize, u8),
        Append(Vec<u8>),
    }

    fn damage() -> impl Strategy<Value = Damage> {
        prop_oneof![
            3 => Just(Damage::None),
            1 => any::<usize>().prop_map(Damage::Truncate),
            2 => (any::<usize>(), 1u8..=255).prop_map(|(i, x)| Damage::Flip(i, x)),
            1 => proptest::collection::vec(any::<u8>(), 1..30).prop_map(Damage::Append),
        ]
    }

    fn apply(mut bytes: Vec<u8>, d: &Damage) -> Vec<u8> {
        match d {
            Damage::None => {}
            Damage::Truncate(i) => bytes.truncate(i % (bytes.len() + 1)),
            Damage::Flip(i, x) => {
                if !bytes.is_empty() {
                    let i = i % bytes.len();
                    bytes[i] ^= x;
                }
            }
            Damage::Append(tail) => bytes.extend(tail),
        }
        bytes
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn gunzip_answers_exactly_as_flate2_multigzdecoder_does(
            members in proptest::collection::vec(member(), 1..4),
            damage in damage(),
            limit_pick in 0usize..4,
            limit_raw in 0usize..8000,
        ) {
            let input = apply(members.concat(), &damage);
            let full = gunzip_streaming(&input, usize::MAX).map(|v| v.len()).unwrap_or(0);
            // Under, at, just over and anywhere around the output's size.
            let limit = match limit_pick {
                0 => full,
                1 => full.saturating_sub(1),
                2 => full + 1,
                _ => limit_raw,
            };
            prop_assert_eq!(gunzip_capped(&input, limit), gunzip_streaming(&input, limit));
        }

        #[test]
        fn gunzip_of_random_bytes_answers_as_flate2_does(
            bytes in proptest::collection::vec(any::<u8>(), 0..300),
            limit in 0usize..2000,
        ) {
            let mut gz = vec![0x1f, 0x8b, 8, 0];
            gz.extend(&bytes);
            prop_assert_eq!(gunzip_capped(&gz, limit), gunzip_streaming(&gz, limit));
        }

        #[test]
        fn utf8_answers_as_std_does_with_the_same_offset(
            text in "\\PC{0,80}",
            damage in damage(),
        ) {
            let bytes = apply(text.into_bytes(), &damage);
            let reference = std::str::from_utf8(&bytes).map_err(|e| RecordError::Utf8 {
                offset: e.valid_up_to(),
            });
            prop_assert_eq!(utf8(&bytes), reference);
        }
    }

    #[test]
    fn rejects_invalid_base64() {
        assert_eq!(
            decode_record("not base64!", &mut Vec::new(), |_| 10),
            Err(RecordError::Base64)
        );
        assert_eq!(
            decode_record("QQ", &mut Vec::new(), |_| 10),
            Err(RecordError::Base64)
        );
        assert_eq!(
            *decode_record("", &mut Vec::new(), |_| 10).unwrap().bytes,
            *b""
        );
    }

    proptest! {
        #[test]
        fn any_bytes_decode_or_fail_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = decode_record(&base64_encode(&bytes), &mut Vec::new(), |_| 4096);
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
        fn a_scratch_buffer_passed_from_record_to_record_answers_as_a_fresh_one(
            texts in proptest::collection::vec(
                prop_oneof![
                    proptest::collection::vec(any::<u8>(), 0..300).prop_map(|b| base64_encode(&b)),
                    proptest::collection::vec(any::<u8>(), 0..300).prop_map(|b| base64_encode(&gzip(&b))),
                    "[A-Za-z0-9+/= ]{0,40}",
                ],
                1..8,
            ),
        ) {
            // Longer records before shorter ones, failures between
            // successes: nothing of an earlier record shows in a later one.
            let mut scratch = Vec::new();
            for text in &texts {
                let mut fresh_buffer = Vec::new();
                let fresh = decode_record(text, &mut fresh_buffer, |_| 4096);
                let reused = decode_record(text, &mut scratch, |_| 4096);
                prop_assert_eq!(&reused, &fresh);
                if let Ok(d) = &reused {
                    if !d.was_gzip {
                        prop_assert_eq!(Some(d.bytes.to_vec()), base64_decode(text).ok());
                    }
                }
            }
        }

        #[test]
        fn base64_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            prop_assert_eq!(base64_decode(&base64_encode(&bytes)).unwrap(), bytes);
        }
    }
}
