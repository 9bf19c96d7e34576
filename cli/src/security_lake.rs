//! `security-lake`: Cognito log lines to Amazon Security Lake custom
//! source objects (OCSF 1.1.0, Parquet, one class per source), written under
//! a directory in exactly the layout the bucket takes
//! (`ext/<source>/[<version>/]region=.../accountId=.../eventDay=.../`), so
//! history can be loaded with `aws s3 sync` and the files checked without
//! AWS (docs/security-lake.md).
//!
//! Each line is read as the Security Lake writer Lambda reads it
//! (`seclake::lines`): a raw record goes through the library's pipeline in
//! the OCSF 1.1.0 format with the same settings as the Lambda (privacy
//! modes and filters from the environment); a `normalized` line, a
//! `splunk` event or an OCSF 1.1.0 line (what the Firehose route delivers)
//! is mapped or taken as it is. Each OCSF record becomes one row. Rows are held in memory
//! until the input ends (one object per class, region, account and day is
//! written at the end, rows sorted by time): memory grows with the rows
//! written, not with the input's size.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use cognito_activity::normalize::Context;
use cognito_activity::{Config, Stats};
use cognito_activity_seclake::{lines, Batch};

use crate::input;

#[derive(clap::Args)]
pub struct SecurityLakeArgs {
    /// Directory to write the objects under (created when missing).
    #[arg(long)]
    out: PathBuf,
    /// The AWS account id of the `accountId=` partition (12 digits).
    #[arg(long)]
    account_id: String,
    /// The `region=` partition of every object; by default each event's
    /// own region, from its user pool id.
    #[arg(long)]
    region: Option<String>,
    /// A version segment after the source name, when the custom source's
    /// location has one (`ext/<source>/<version>/`).
    #[arg(long)]
    source_version: Option<String>,
    /// Cognito log lines (one JSON document or CloudWatch Logs envelope per
    /// line), or lines this tool wrote (`normalized`, `splunk`, OCSF
    /// 1.1.0), plain or gzip; stdin when none.
    files: Vec<PathBuf>,
}

pub fn run(args: &SecurityLakeArgs) -> Result<ExitCode> {
    let cfg = lines::ocsf_config(&Config::from_env()?);
    let mut batch = Batch::new(
        &args.account_id,
        args.region.as_deref(),
        args.source_version.as_deref(),
    )
    .with_context(|| {
        format!(
            "--account-id {:?}, --region {:?}, --source-version {:?}",
            args.account_id, args.region, args.source_version
        )
    })?;
    let ctx = Context {
        account_id: Some(args.account_id.as_str().into()),
        ..Context::default()
    };
    let mut stats = Stats::default();
    // Where each line placed came from, by its tag: the schema's refusals
    // are known only when the batch is finished.
    let mut names: Vec<String> = Vec::new();
    let mut places: Vec<(usize, u64)> = Vec::new();
    let mut counts = input::each_line(
        &args.files,
        cfg.max_decompressed_bytes,
        |line, name, lineno| {
            batch.add_input(line);
            if names.last().is_none_or(|last| last != name) {
                names.push(name.to_string());
            }
            // A place is kept only for a line that placed rows (a tag that
            // placed none is used again): memory grows with the rows, not
            // with the lines read.
            let tag = places.len() as u64;
            Ok(
                match lines::add_line(&mut batch, tag, line, &ctx, &cfg, &mut stats) {
                    Ok(0) => Ok(()),
                    Ok(_) => {
                        places.push((names.len() - 1, lineno));
                        Ok(())
                    }
                    Err(e) => Err(e.to_string()),
                },
            )
        },
    )?;
    let finished = batch.finish()?;
    for refused in &finished.refused {
        counts.bad += 1;
        let (name, lineno) = usize::try_from(refused.line)
            .ok()
            .and_then(|tag| places.get(tag))
            .map_or(("?", 0), |&(n, l)| {
                (names.get(n).map_or("?", String::as_str), l)
            });
        eprintln!("{name}:{lineno}: {}", refused.error);
    }
    let objects = finished.objects;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for object in &objects {
        write(&args.out, &object.key, &object.bytes)?;
        writeln!(out, "{} {} rows", object.key, object.rows)?;
    }
    eprintln!(
        "{} lines read, {} rows in {} objects, {} filtered, {} bad",
        counts.lines,
        objects.iter().map(|o| o.rows).sum::<usize>(),
        objects.len(),
        stats.events_filtered,
        counts.bad,
    );
    Ok(if counts.bad > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Writes one object under `dir`, through a temporary file renamed into
/// place, so a reader never sees half an object.
fn write(dir: &Path, key: &str, bytes: &[u8]) -> Result<()> {
    let path = dir.join(key);
    let parent = path.parent().unwrap_or(dir);
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let mut tmp = tempfile::NamedTempFile::new_in(parent)?;
    tmp.write_all(bytes)?;
    tmp.persist(&path)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
