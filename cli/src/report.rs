//! `cognito-activity report`: one self-contained HTML page of what happened
//! in a user pool: the period, events over time by outcome, risk, countries,
//! top failing users and IPs, devices, and the findings of the detections
//! (the same definitions and thresholds as the Athena queries), each linked
//! to the events behind it.
//!
//! The input is read twice, streamed both times (standard input is spooled
//! to a temporary file first): the first pass finds the period and runs the
//! detections, the second counts the charts (whose time buckets need the
//! period) and picks out, for each finding, the events behind it. Memory is
//! bounded by the aggregates, never by the number of events: see
//! [`aggregate`] and [`detect`] for what is kept and how it is capped.

mod aggregate;
mod detect;
mod escape;
mod html;
mod input;
mod row;
mod svg;
mod topk;

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use clap::Args;
use cognito_activity::Config;

use aggregate::Aggregates;
use detect::{Detection, Detector, Finding, Subject, Thresholds};
use html::{Page, Shown};
use input::Source;

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Files to read (raw Cognito log lines or our normalized, OCSF, ECS or
    /// Splunk output; plain or gzip); stdin when none.
    pub files: Vec<PathBuf>,
    /// Where to write the HTML page.
    #[arg(long, default_value = "report.html")]
    pub out: PathBuf,
    /// Rows per chart (top users, IPs, countries, devices).
    #[arg(long, default_value_t = 15)]
    pub top: usize,
    /// Events listed under each finding.
    #[arg(long, default_value_t = 25)]
    pub evidence_per_finding: usize,
    /// Findings listed per detection (the largest first).
    #[arg(long, default_value_t = 100)]
    pub max_findings: usize,
    /// Stop reading a gzip file past this many decompressed bytes.
    #[arg(long, default_value_t = 64 * 1024 * 1024 * 1024)]
    pub max_decompressed_bytes: u64,
    #[command(flatten)]
    pub thresholds: Thresholds,
}

pub fn run(args: &ReportArgs) -> Result<ExitCode> {
    // Raw lines are normalized with the same settings as the Lambda
    // (IP_MODE, USER_NAME_MODE, ...); the output filter is not applied: the
    // report shows everything it is given.
    let cfg = Config::from_env()?;
    let sources: Vec<Source> = if args.files.is_empty() {
        vec![Source::stdin()?]
    } else {
        args.files.iter().cloned().map(Source::Path).collect()
    };

    // Pass 1: the period and the detections.
    let mut detector = Detector::new(args.thresholds.clone());
    let mut period: Option<(i64, i64)> = None;
    let input = input::read_all(&sources, &cfg, args.max_decompressed_bytes, |row| {
        if let Some(t) = row.time_ms {
            period = Some(period.map_or((t, t), |(a, b)| (a.min(t), b.max(t))));
        }
        detector.observe(row);
    })?;
    let (findings, found) = limit(detector.finish(), args.max_findings);

    // Pass 2: the charts, and the events behind each finding.
    let mut shown: Vec<Shown> = findings
        .into_iter()
        .map(|finding| Shown {
            finding,
            events: Vec::new(),
            matched: 0,
        })
        .collect();
    // The findings by the user or IP they are about, to look an event's
    // up without allocating.
    let mut by_user: HashMap<String, Vec<usize>> = HashMap::new();
    let mut by_ip: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, s) in shown.iter().enumerate() {
        match &s.finding.subject {
            Subject::User(u) => by_user.entry(u.clone()).or_default().push(i),
            Subject::Ip(ip) => by_ip.entry(ip.clone()).or_default().push(i),
        }
    }
    let mut aggregates = Aggregates::new(period);
    input::read_all(&sources, &cfg, args.max_decompressed_bytes, |row| {
        aggregates.add(row);
        let of_user = row.user.as_deref().and_then(|u| by_user.get(u));
        let of_ip = row.source_ip.as_deref().and_then(|ip| by_ip.get(ip));
        for &i in of_user.into_iter().chain(of_ip).flatten() {
            let s = &mut shown[i];
            if s.finding.covers(row) {
                s.matched += 1;
                if s.events.len() < args.evidence_per_finding {
                    s.events.push(row.clone());
                }
            }
        }
    })?;
    for s in &mut shown {
        s.events.sort_by_key(|r| r.time_ms);
    }

    let page = html::render(&Page {
        sources: sources.iter().map(Source::name).collect(),
        input: &input,
        period,
        aggregates: &aggregates,
        findings: &shown,
        found: &found,
        thresholds: &args.thresholds,
        top: args.top,
    });
    std::fs::write(&args.out, page).with_context(|| format!("writing {}", args.out.display()))?;
    let total: usize = found.iter().map(|f| f.1).sum();
    eprintln!(
        "{} lines read, {} events, {} bad lines; {} finding(s); wrote {}",
        input.lines,
        input.events,
        input.bad_lines,
        total,
        args.out.display()
    );
    Ok(if input.bad_lines > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Keeps at most `max` findings per detection (those with the largest
/// counts), and says how many each detection found.
fn limit(findings: Vec<Finding>, max: usize) -> (Vec<Finding>, Vec<(Detection, usize)>) {
    let mut per: HashMap<Detection, Vec<Finding>> = HashMap::new();
    for f in findings {
        per.entry(f.detection).or_default().push(f);
    }
    let mut kept = Vec::new();
    let mut found = Vec::new();
    for det in Detection::ALL {
        let mut list = per.remove(&det).unwrap_or_default();
        found.push((det, list.len()));
        list.sort_by(|a, b| b.count.cmp(&a.count).then(a.first_ms.cmp(&b.first_ms)));
        list.truncate(max);
        list.sort_by(|a, b| (a.first_ms, &a.subject).cmp(&(b.first_ms, &b.subject)));
        kept.extend(list);
    }
    (kept, found)
}
