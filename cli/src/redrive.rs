//! `redrive`: records that landed under an error prefix, sent back once the
//! cause is fixed. Reads every object under `s3://BUCKET/PREFIX` (gzip or
//! plain JSON lines): Firehose's own error records (`errors/…`: the
//! transformer failed the record, or delivery failed) and the S3 route's and
//! the Security Lake writer's rejected lines (`errors/s3-transformer/…`,
//! `errors/security-lake/…`), all of which carry the original bytes in
//! `rawData` (base64). Then either:
//!
//! - `--stream NAME`: each original record back into the Firehose stream
//!   (`PutRecordBatch`, at most 500 records and 4 MiB a call, failed
//!   entries retried), where the transformer runs on it again; or
//! - `--to s3://BUCKET/PREFIX/`: the original lines of each object as one
//!   new object there (the raw bucket, for the S3 route: its function picks
//!   it up), named after the error object so a second run rewrites it; a
//!   gzip record as the text it decompresses to ([`object_text`]).
//!
//! With `--split-envelopes`, a CloudWatch Logs envelope goes back as one
//! envelope per log event ([`split_envelopes`]; with `--to`, one line
//! each): one that failed whole because of one unusable event (the S3
//! route's lines; a Firehose record when re-ingestion was off or failed)
//! would fail whole again, while its events sent apart fail alone, and the
//! others are delivered.
//!
//! It reports what it sent, and what it could not: entries without their
//! bytes (a line too long to keep, an object unreadable past a line; their
//! bytes are in the source object the entry names, and in its copy that the
//! error object's last entry names), records over
//! Firehose's per-record limit, and objects larger than `MAX_OBJECT_BYTES`
//! (256 MiB, stored or decompressed), of which it reads no more than that.
//! It never deletes or moves the error objects; `--dry-run` only reports.
//! Exit status 1 when anything was left.
//!
//! A run that stops on an error (S3 unreachable, the stream refusing whole
//! calls or some of their records past the retries, an answer that does not
//! say which records went in) says which object it stopped at and the last
//! one it finished; `--start-after` that key goes on from there. Objects are
//! handled in S3's key order, one at a time, so the new run sends again at
//! most the records of the object the first one stopped in (Firehose is
//! at least once: a record may arrive twice either way). A record the
//! stream refuses is never counted as left while its object counts as
//! finished: that would let `--start-after` skip it.
//!
//! AWS settings come from the environment, as for the functions (region,
//! credentials, `AWS_ENDPOINT_URL`).

use std::process::ExitCode;

use anyhow::{bail, Context as _, Result};
use base64::Engine as _;
use cognito_activity::decode::{gunzip_capped, is_gzip};
use cognito_activity::error::RecordError;
use cognito_activity::firehose::split::{envelope_per_event, split_per_event};
use cognito_activity::pipeline::rejected::{
    Rejected, SOURCE_COPIED, SOURCE_COPY_SUFFIX, SOURCE_NOT_COPIED,
};
use cognito_activity_aws::events::ObjectRef;
use cognito_activity_aws::firehose::primitives::Blob;
use cognito_activity_aws::firehose::types::Record;
use cognito_activity_aws::objects;
use serde_json::Value;

/// The largest error object read, as stored and after decompression.
const MAX_OBJECT_BYTES: usize = 256 << 20;
/// The content type of the objects `--to` writes: JSON lines, as the
/// Security Lake writer labels its uncompressed rejected lines.
const JSON_LINES: &str = "application/x-ndjson";
/// Firehose's PutRecordBatch limits ("4 MB" a call read as 4,000,000 bytes,
/// as the Firehose transformer reads it: a call over it fails whole).
const BATCH_RECORDS: usize = 500;
const BATCH_BYTES: usize = 4_000_000;
/// Firehose's limit on one record, before base64 (1,000 KiB). A larger one
/// would fail its whole `PutRecordBatch` call, and with it the run: it is
/// refused up front instead, and stays in its error object.
const MAX_RECORD_BYTES: usize = 1_000 * 1024;
const ATTEMPTS: u32 = 4;
/// The most an envelope is inflated to for `--split-envelopes`: the
/// transformer's default `MAX_DECOMPRESSED_BYTES`, so any envelope it could
/// read. A larger one is sent as it is.
const SPLIT_MAX_DECOMPRESSED: usize = 16 << 20;

#[derive(clap::Args)]
pub struct RedriveArgs {
    /// The bucket holding the error objects.
    #[arg(long)]
    bucket: String,
    /// Their prefix (`errors/`, `errors/processing-failed/2026/12/`, `errors/s3-transformer/`...).
    #[arg(long)]
    prefix: String,
    /// Send each original record into this Firehose stream.
    #[arg(long, conflicts_with = "to", required_unless_present = "to")]
    stream: Option<String>,
    /// Write each error object's original lines as one object under this S3 location.
    #[arg(long)]
    to: Option<String>,
    /// Send each log event of a CloudWatch Logs envelope as an envelope of its own (a record,
    /// or with --to a line), so that an unusable event fails alone and the others are delivered.
    #[arg(long)]
    split_envelopes: bool,
    /// Report what would be sent; send nothing.
    #[arg(long)]
    dry_run: bool,
    /// Skip the objects up to and including this key (S3 lists keys in order): to go on
    /// from where a run that stopped says it stopped.
    #[arg(long)]
    start_after: Option<String>,
}

/// One error object's original records.
struct Recovered {
    records: Vec<Vec<u8>>,
    /// Entries whose bytes are not held, with why.
    missing: Vec<String>,
    /// What the object says of those: where their bytes are (the last
    /// entry of ours, `Rejections.SourceCopied`), printed, not counted.
    notes: Vec<String>,
}

pub fn run(args: &RedriveArgs) -> Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(redrive(args))
}

async fn redrive(args: &RedriveArgs) -> Result<ExitCode> {
    let destination = match (&args.stream, &args.to) {
        (Some(stream), None) => Destination::Stream(stream.clone()),
        (None, Some(to)) => {
            let Some((bucket, prefix)) = to.strip_prefix("s3://").and_then(|r| r.split_once('/'))
            else {
                bail!("--to {to:?}: expected s3://BUCKET/PREFIX/");
            };
            Destination::Objects {
                bucket: bucket.to_string(),
                prefix: prefix.to_string(),
            }
        }
        _ => bail!("give --stream or --to"),
    };
    let sdk = cognito_activity_aws::load(&cognito_activity_aws::Options::default()).await;
    let s3 = cognito_activity_aws::s3_client(&sdk);
    let firehose = cognito_activity_aws::firehose_client(&sdk);

    let mut keys = Vec::new();
    let mut pages = s3
        .list_objects_v2()
        .bucket(&args.bucket)
        .prefix(&args.prefix)
        .set_start_after(args.start_after.clone())
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.with_context(|| format!("listing s3://{}/{}", args.bucket, args.prefix))?;
        keys.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_string))
                // Source objects copied beside their error output: the
                // bytes the entries could not hold, not error records.
                .filter(|k| !k.ends_with(SOURCE_COPY_SUFFIX)),
        );
    }

    let (mut sent, mut left) = (0usize, 0usize);
    // Keys come in S3's order (UTF-8 binary), so the last one handled
    // tells a new run where to start (`--start-after`).
    let mut last_done: Option<String> = None;
    for key in keys {
        match redrive_object(args, &destination, &s3, &firehose, &key).await {
            Ok((object_sent, object_left)) => {
                sent += object_sent;
                left += object_left;
                last_done = Some(key);
            }
            Err(e) => {
                eprintln!("{sent} records sent, {left} left before stopping");
                match &last_done {
                    Some(done) => eprintln!(
                        "stopped at s3://{}/{key}; every object before it was handled. To go on, run again with --start-after {done} (records of s3://{}/{key} sent before the stop are sent again)",
                        args.bucket, args.bucket
                    ),
                    None => eprintln!(
                        "stopped at s3://{}/{key}, the first object: run again as before (records of it sent before the stop are sent again)",
                        args.bucket
                    ),
                }
                return Err(e);
            }
        }
    }
    eprintln!("{sent} records sent, {left} left");
    Ok(if left > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// One error object: read, its records recovered and sent (or, with
/// `--dry-run`, reported). Returns how many records were sent and how many
/// were left; an error stops the run.
async fn redrive_object(
    args: &RedriveArgs,
    destination: &Destination,
    s3: &cognito_activity_aws::s3::Client,
    firehose: &cognito_activity_aws::firehose::Client,
    key: &str,
) -> Result<(usize, usize)> {
    let (mut sent, mut left) = (0usize, 0usize);
    let object = ObjectRef {
        bucket: args.bucket.clone(),
        key: key.to_string(),
        version_id: None,
    };
    let reading = || format!("reading s3://{}/{key}", args.bucket);
    let mut opened = objects::open(s3, &object).await.with_context(reading)?;
    let Some(body) = objects::read_capped(&mut opened, &object, MAX_OBJECT_BYTES as u64)
        .await
        .with_context(reading)?
    else {
        println!(
            "s3://{}/{key}: not sent: the object is larger than {MAX_OBJECT_BYTES} bytes; its records stay where they are",
            args.bucket
        );
        return Ok((0, 1));
    };
    let mut recovered = recover(&body);
    if args.split_envelopes {
        let (records, envelopes, events) = split_envelopes(recovered.records);
        recovered.records = records;
        if envelopes > 0 {
            println!(
                "s3://{}/{key}: {envelopes} CloudWatch Logs envelopes split into {events} log events",
                args.bucket
            );
        }
    }
    for why in &recovered.missing {
        println!("s3://{}/{key}: not sent: {why}", args.bucket);
    }
    for note in &recovered.notes {
        println!("s3://{}/{key}: {note}", args.bucket);
    }
    left += recovered.missing.len();
    if args.dry_run {
        // What the run would refuse up front, found as the run finds it.
        let count = recovered.records.len();
        let refused = match destination {
            Destination::Stream(_) => batches_of(recovered.records).1,
            Destination::Objects { .. } => object_text(recovered.records, MAX_OBJECT_BYTES).1,
        };
        for why in &refused {
            println!("s3://{}/{key}: would not be sent: {why}", args.bucket);
        }
        left += refused.len();
        println!(
            "s3://{}/{key}: {} records would be sent",
            args.bucket,
            count - refused.len()
        );
        return Ok((0, left));
    }
    let count = recovered.records.len();
    match destination {
        Destination::Stream(stream) => {
            let refused = put_all(firehose, stream, recovered.records).await?;
            for why in &refused {
                println!("s3://{}/{key}: not sent: {why}", args.bucket);
            }
            left += refused.len();
            sent += count - refused.len();
            println!(
                "s3://{}/{key}: {} of {count} records sent to {stream}",
                args.bucket,
                count - refused.len()
            );
        }
        Destination::Objects { bucket, prefix } => {
            if count == 0 {
                return Ok((sent, left));
            }
            let name = key
                .rsplit('/')
                .next()
                .unwrap_or("redrive")
                .trim_end_matches(".gz");
            let to = format!("{prefix}redrive-{name}");
            let (text, refused) = object_text(recovered.records, MAX_OBJECT_BYTES);
            for why in &refused {
                println!("s3://{}/{key}: not sent: {why}", args.bucket);
            }
            left += refused.len();
            let written = count - refused.len();
            if written == 0 {
                return Ok((sent, left));
            }
            objects::put(s3, bucket, &to, text, JSON_LINES)
                .await
                .with_context(|| format!("writing s3://{bucket}/{to}"))?;
            sent += written;
            println!(
                "s3://{}/{key}: {written} records written to s3://{bucket}/{to}",
                args.bucket
            );
        }
    }
    Ok((sent, left))
}

enum Destination {
    Stream(String),
    Objects { bucket: String, prefix: String },
}

/// `--split-envelopes`: each CloudWatch Logs envelope among `records` as
/// one envelope per log event, in place and in order: gzip ones as gzip
/// ([`split_per_event`], Firehose's error records), plain ones as plain
/// text ([`envelope_per_event`], the S3 route's rejected lines); every
/// other record as it is. Returns the records, how many envelopes were
/// split and into how many events.
fn split_envelopes(records: Vec<Vec<u8>>) -> (Vec<Vec<u8>>, usize, usize) {
    let mut out = Vec::with_capacity(records.len());
    let (mut envelopes, mut events) = (0, 0);
    for record in records {
        let split = match std::str::from_utf8(&record) {
            Ok(text) => envelope_per_event(text),
            Err(_) => split_per_event(&record, SPLIT_MAX_DECOMPRESSED),
        };
        match split {
            Ok(pieces) => {
                envelopes += 1;
                events += pieces.len();
                out.extend(pieces);
            }
            Err(_) => out.push(record),
        }
    }
    (out, envelopes, events)
}

/// The text of the object `--to` writes: each record as lines, for the S3
/// route, which reads an object's lines. A gzip record (a CloudWatch Logs
/// envelope from a Firehose error object) is written as the text it
/// decompresses to, since gzip bytes between lines would be read as a
/// broken line. The text is held to `limit` bytes in all
/// ([`MAX_OBJECT_BYTES`], as the error object read was): a record that
/// would take it past that, or a gzip record that does not decompress, is
/// refused, with why, and stays in its error object. Each record ends with
/// a newline.
fn object_text(records: Vec<Vec<u8>>, limit: usize) -> (Vec<u8>, Vec<String>) {
    let mut text = Vec::new();
    let mut refused = Vec::new();
    for (n, record) in records.into_iter().enumerate() {
        let room = limit.saturating_sub(text.len() + 1);
        let record = if is_gzip(&record) {
            match gunzip_capped(&record, room) {
                Ok(plain) => plain,
                Err(RecordError::TooLarge { .. }) => {
                    refused.push(format!(
                        "record {} decompresses past what one object written here holds ({limit} bytes)",
                        n + 1
                    ));
                    continue;
                }
                Err(e) => {
                    refused.push(format!(
                        "record {} is gzip that does not decompress: {e}",
                        n + 1
                    ));
                    continue;
                }
            }
        } else if record.len() > room {
            refused.push(format!(
                "record {} would take the object written here past {limit} bytes",
                n + 1
            ));
            continue;
        } else {
            record
        };
        text.extend_from_slice(record.strip_suffix(b"\n").unwrap_or(&record));
        text.push(b'\n');
    }
    (text, refused)
}

/// The original records of one error object (gzip or plain JSON lines).
fn recover(body: &[u8]) -> Recovered {
    let mut out = Recovered {
        records: Vec::new(),
        missing: Vec::new(),
        notes: Vec::new(),
    };
    let text = if is_gzip(body) {
        match gunzip_capped(body, MAX_OBJECT_BYTES) {
            Ok(text) => text,
            Err(e) => {
                out.missing
                    .push(format!("the object does not decompress: {e}"));
                return out;
            }
        }
    } else {
        body.to_vec()
    };
    // Firehose writes its error records back to back, one JSON object after
    // another (newline-separated or not); ours are newline-separated.
    for (n, entry) in serde_json::Deserializer::from_slice(&text)
        .into_iter::<Value>()
        .enumerate()
    {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                out.missing.push(format!(
                    "entry {} is not JSON ({e}); the rest of the object is not read",
                    n + 1
                ));
                break;
            }
        };
        let rejected: Option<Rejected> = serde_json::from_value(entry).ok();
        match rejected.as_ref().and_then(|r| r.raw_data.as_deref()) {
            Some(data) => match base64::engine::general_purpose::STANDARD.decode(data) {
                Ok(bytes) => out.records.push(bytes),
                Err(_) => out
                    .missing
                    .push(format!("entry {}: rawData is not base64", n + 1)),
            },
            None => match rejected {
                // An entry about the others (where the bytes of those held
                // without them are), not a line of the object.
                Some(r)
                    if r.line.is_none()
                        && [SOURCE_COPIED, SOURCE_NOT_COPIED].contains(&r.error_code.as_str()) =>
                {
                    out.notes.push(r.error_message)
                }
                Some(r) => out.missing.push(format!(
                    "entry {}: its bytes are not held ({}): see {} line {}",
                    n + 1,
                    r.error_message,
                    r.source.as_deref().unwrap_or("the source object"),
                    r.line.map_or_else(|| "?".to_string(), |l| l.to_string())
                )),
                None => out
                    .missing
                    .push(format!("entry {} is not an error record", n + 1)),
            },
        }
    }
    out
}

/// The records in `PutRecordBatch` calls within Firehose's limits, in
/// order, and the reasons of those too large to send at all.
fn batches_of(records: Vec<Vec<u8>>) -> (Vec<Vec<Vec<u8>>>, Vec<String>) {
    let mut refused = Vec::new();
    let mut batch: Vec<Vec<u8>> = Vec::new();
    let mut bytes = 0;
    let mut batches = Vec::new();
    for r in records {
        if r.len() > MAX_RECORD_BYTES {
            refused.push(format!(
                "a record of {} bytes is over Firehose's limit of {MAX_RECORD_BYTES} bytes; it stays in the error object",
                r.len()
            ));
            continue;
        }
        if !batch.is_empty() && (batch.len() == BATCH_RECORDS || bytes + r.len() > BATCH_BYTES) {
            batches.push(std::mem::take(&mut batch));
            bytes = 0;
        }
        bytes += r.len();
        batch.push(r);
    }
    if !batch.is_empty() {
        batches.push(batch);
    }
    (batches, refused)
}

/// Sends every record; answers the reasons of those too large to send at
/// all. Records the stream still refuses after `ATTEMPTS` tries are an
/// error, as is an answer that does not account for every record: the run
/// stops in their object, so that a run resumed with `--start-after` sends
/// the object again instead of skipping them.
async fn put_all(
    firehose: &cognito_activity_aws::firehose::Client,
    stream: &str,
    records: Vec<Vec<u8>>,
) -> Result<Vec<String>> {
    let (batches, refused) = batches_of(records);
    for mut pending in batches {
        for attempt in 1..=ATTEMPTS {
            let entries: Vec<Record> = pending
                .iter()
                .map(|r| Record::builder().data(Blob::new(r.clone())).build())
                .collect::<Result<_, _>>()
                .context("building a record")?;
            let out = firehose
                .put_record_batch()
                .delivery_stream_name(stream)
                .set_records(Some(entries))
                .send()
                .await
                .with_context(|| format!("PutRecordBatch into {stream}"))?;
            if out.failed_put_count() == 0 {
                pending.clear();
                break;
            }
            let answers = out.request_responses();
            if answers.len() != pending.len() {
                bail!(
                    "PutRecordBatch into {stream} answered {} entries for {} records: which went in is not known",
                    answers.len(),
                    pending.len()
                );
            }
            let mut again = Vec::new();
            let mut codes = Vec::new();
            for (record, answer) in pending.into_iter().zip(answers) {
                if let Some(code) = answer.error_code() {
                    again.push(record);
                    codes.push(code);
                }
            }
            pending = again;
            if pending.is_empty() {
                break;
            }
            if attempt == ATTEMPTS {
                codes.sort_unstable();
                codes.dedup();
                bail!(
                    "{stream} still refused {} records after {ATTEMPTS} tries ({})",
                    pending.len(),
                    codes.join(", ")
                );
            }
            tokio::time::sleep(std::time::Duration::from_millis(200 << attempt)).await;
        }
    }
    Ok(refused)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cognito_activity::firehose::split::gzip;

    #[test]
    fn split_envelopes_gives_one_record_per_log_event_and_keeps_the_rest() {
        let envelope = |n: usize| {
            let events: Vec<Value> = (0..n)
                .map(|i| serde_json::json!({"id": format!("e{i}"), "timestamp": 1, "message": "m"}))
                .collect();
            gzip(
                serde_json::json!({"messageType": "DATA_MESSAGE", "owner": "123456789012",
                    "logGroup": "g", "logStream": "s", "subscriptionFilters": ["f"],
                    "logEvents": events})
                .to_string()
                .as_bytes(),
            )
        };
        let plain = b"{\"eventSource\":\"USER_AUTH_EVENTS\"}".to_vec();
        let not_an_envelope = gzip(b"{\"a\":1}");
        let as_text = gunzip_capped(&envelope(2), 1 << 20).unwrap();
        let (records, envelopes, events) = split_envelopes(vec![
            envelope(3),
            plain.clone(),
            not_an_envelope.clone(),
            envelope(1),
            as_text,
        ]);
        assert_eq!((envelopes, events), (3, 6));
        assert_eq!(records.len(), 8);
        assert_eq!(records[3], plain);
        assert_eq!(records[4], not_an_envelope);
        // A plain envelope (an S3 route's line) gives plain envelopes.
        for (i, id) in [(6, "e0"), (7, "e1")] {
            let v: Value = serde_json::from_slice(&records[i]).unwrap();
            assert_eq!(v["logEvents"][0]["id"], id);
            assert_eq!(v["logEvents"].as_array().unwrap().len(), 1);
        }
        let ids: Vec<String> = [0, 1, 2, 5]
            .iter()
            .map(|&i| {
                let text = gunzip_capped(&records[i], 1 << 20).unwrap();
                let v: Value = serde_json::from_slice(&text).unwrap();
                assert_eq!(v["logEvents"].as_array().unwrap().len(), 1);
                v["logEvents"][0]["id"].as_str().unwrap().to_string()
            })
            .collect();
        assert_eq!(ids, ["e0", "e1", "e2", "e0"]);
    }

    #[test]
    fn records_written_as_an_object_are_lines_and_gzip_ones_their_text() {
        let envelope = br#"{"messageType":"DATA_MESSAGE","logEvents":[]}"#;
        let mut broken = gzip(b"cut short");
        broken.truncate(12);
        let (text, refused) = object_text(
            vec![
                b"{\"a\":1}".to_vec(),
                gzip(envelope),
                b"{\"b\":2}\n".to_vec(),
                broken,
                gzip(b"{\"c\":3}\n{\"d\":4}\n"),
            ],
            MAX_OBJECT_BYTES,
        );
        assert_eq!(
            String::from_utf8(text).unwrap(),
            format!(
                "{{\"a\":1}}\n{}\n{{\"b\":2}}\n{{\"c\":3}}\n{{\"d\":4}}\n",
                std::str::from_utf8(envelope).unwrap()
            )
        );
        assert_eq!(refused.len(), 1, "{refused:?}");
        assert!(refused[0].starts_with("record 4 is gzip"), "{refused:?}");

        // The text is held to the limit: what would pass it is refused.
        let (text, refused) = object_text(
            vec![
                vec![b'a'; 40],
                gzip(&[b'b'; 40]),
                vec![b'c'; 40],
                vec![b'd'; 8],
            ],
            100,
        );
        assert_eq!(text.len(), 41 + 41 + 9, "{refused:?}");
        assert_eq!(refused.len(), 1, "{refused:?}");
        assert!(refused[0].starts_with("record 3 would take"), "{refused:?}");
        let (text, refused) = object_text(vec![vec![b'a'; 40], gzip(&[b'b'; 80])], 100);
        assert_eq!(text.len(), 41);
        assert!(
            refused[0].starts_with("record 2 decompresses past"),
            "{refused:?}"
        );
    }

    #[test]
    fn records_go_in_calls_within_firehose_limits_and_one_too_large_is_refused() {
        let mut records: Vec<Vec<u8>> = (0..1200).map(|i| vec![b'a'; 10 + i % 7]).collect();
        records.insert(3, vec![b'b'; MAX_RECORD_BYTES + 1]);
        records.extend((0..9).map(|_| vec![b'c'; MAX_RECORD_BYTES]));
        let total = records.len();
        let (batches, refused) = batches_of(records);
        assert_eq!(refused.len(), 1, "{refused:?}");
        assert!(refused[0].contains(&format!("{} bytes", MAX_RECORD_BYTES + 1)));
        assert_eq!(batches.iter().map(Vec::len).sum::<usize>(), total - 1);
        for b in &batches {
            assert!(!b.is_empty() && b.len() <= BATCH_RECORDS);
            assert!(b.iter().map(Vec::len).sum::<usize>() <= BATCH_BYTES);
        }
        // In order: the small ones first, then the nine largest, three a
        // call (four are 4,096,000 bytes).
        assert_eq!(batches[0].len(), BATCH_RECORDS);
        assert!(batches
            .last()
            .is_some_and(|b| b.len() == 3 && b.iter().all(|r| r[0] == b'c')));
    }

    #[test]
    fn firehose_error_records_and_our_rejected_lines_give_back_their_bytes() {
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        // Firehose's shape, written back to back.
        let firehose = format!(
            r#"{{"attemptsMade":4,"arrivalTimestamp":1,"errorCode":"Lambda.FunctionError","errorMessage":"x","attemptEndingTimestamp":2,"rawData":"{}","lambdaArn":"arn"}}{{"attemptsMade":4,"errorCode":"Lambda.FunctionError","errorMessage":"x","rawData":"{}"}}"#,
            b64("{\"a\":1}"),
            b64("second")
        );
        let got = recover(firehose.as_bytes());
        assert_eq!(got.records, [b"{\"a\":1}".to_vec(), b"second".to_vec()]);
        assert!(got.missing.is_empty());
        // Ours, gzip, with an entry that holds no bytes.
        let mut r = cognito_activity::pipeline::rejected::Rejections::new("s3://raw/k", "v");
        r.push(1, "S3Transformer.Unusable", "bad".into(), Some(b"line one"));
        r.push(2, "S3Transformer.TooLong", "too long".into(), None);
        let (gz, _) = r.finish(Ok("s3://out/errors/k.source"));
        let got = recover(&gz);
        assert_eq!(got.records, [b"line one".to_vec()]);
        assert_eq!(got.missing.len(), 1);
        assert!(
            got.missing[0].contains("s3://raw/k line 2"),
            "{:?}",
            got.missing
        );
        // The last entry, not a record, says where line 2's bytes are.
        assert_eq!(got.notes.len(), 1);
        assert!(
            got.notes[0].starts_with("the bytes of the 1 rejected lines")
                && got.notes[0].ends_with("as it was read: s3://out/errors/k.source"),
            "{:?}",
            got.notes
        );
        let got = recover(b"{\"x\":1} not json");
        assert_eq!(got.missing.len(), 2, "{:?}", got.missing);
        // An entry with neither line nor bytes that is not ours about the
        // others is still a record left.
        let got = recover(br#"{"errorCode":"Other","errorMessage":"m"}"#);
        assert_eq!(
            (got.missing.len(), got.notes.len()),
            (1, 0),
            "{:?}",
            got.notes
        );
    }
}
