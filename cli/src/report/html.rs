//! The page: one self-contained HTML document (inline CSS and SVG, no
//! script, nothing fetched when opened), readable on screen and in print.
//!
//! Every value read from the logs (user names, IPs, device strings, cities,
//! even risk values kept "as written") is attacker-controlled, so every one
//! goes through [`escape`] before it reaches the page, in text and in
//! attributes alike.

use std::fmt::Write as _;

use super::aggregate::{Aggregates, OUTCOMES};
use super::detect::{Detection, Finding, Thresholds};
use super::escape::escape;
use super::input::{Format, InputStats};
use super::row::{country_label, Row};
use super::svg::{hbars, stacked_bars, Series};
use super::topk::TopK;

/// A finding with the events behind it (up to the per-finding limit).
pub struct Shown {
    pub finding: Finding,
    pub events: Vec<Row>,
    /// How many events matched in all.
    pub matched: u64,
}

/// Everything on the page.
pub struct Page<'a> {
    pub sources: Vec<String>,
    pub input: &'a InputStats,
    pub period: Option<(i64, i64)>,
    pub aggregates: &'a Aggregates,
    pub findings: &'a [Shown],
    /// Findings found, per detection, before the per-detection limit.
    pub found: &'a [(Detection, usize)],
    pub thresholds: &'a Thresholds,
    pub top: usize,
}

pub const COLORS: [&str; 4] = ["#2e7d32", "#c62828", "#f9a825", "#9e9e9e"];

/// `2024-11-23 22:13:23 UTC` (to the second).
pub fn when(ms: i64) -> String {
    match cognito_activity::time::rfc3339_millis(ms) {
        Some(s) => {
            let s = s.as_str();
            format!("{} {} UTC", &s[..10], &s[11..19])
        }
        None => format!("{ms} ms"),
    }
}

fn when_short(ms: i64, width_ms: i64) -> String {
    let full = when(ms);
    if width_ms >= 86_400_000 {
        full[..10].to_string()
    } else {
        full[5..16].to_string()
    }
}

fn items(t: &TopK, k: usize, label: impl Fn(&str) -> String) -> Vec<(String, u64)> {
    t.top(k)
        .into_iter()
        .map(|c| (label(&c.key), c.count))
        .collect()
}

fn approx_note(t: &TopK) -> &'static str {
    if t.is_exact() {
        ""
    } else {
        r#"<p class="note">More distinct values than tracked: counts are upper bounds (Space-Saving; see docs/analysis.md).</p>"#
    }
}

const STYLE: &str = r#"
:root { --ink:#1f2328; --muted:#59636e; --line:#d0d7de; --bg:#fff; --panel:#f6f8fa; --bad:#c62828; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: var(--bg); margin: 0; }
main { max-width: 1180px; margin: 0 auto; padding: 16px 24px 48px; }
header { border-bottom: 3px solid var(--ink); margin-bottom: 12px; }
h1 { font-size: 24px; margin: 8px 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
.sub { color: var(--muted); margin: 0 0 8px; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(140px, 1fr)); gap: 8px; margin: 12px 0; }
.tile { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; }
.tile b { display: block; font-size: 20px; }
.tile span { color: var(--muted); font-size: 12px; }
.tile.alert b { color: var(--bad); }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 16px; }
svg.chart { width: 100%; height: auto; display: block; }
svg.bars { width: 100%; max-width: 560px; height: auto; display: block; }
svg text { font: 11px system-ui, sans-serif; fill: var(--ink); }
svg text.axis { fill: var(--muted); font-size: 10px; }
svg text.legend { font-size: 11px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: var(--panel); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.code, .code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; overflow-wrap: anywhere; }
.rule { color: var(--muted); margin: 0 0 6px; }
.none { color: var(--muted); font-style: italic; }
.note { color: var(--muted); font-size: 12px; }
.det-count { display: inline-block; min-width: 22px; text-align: center; border-radius: 10px; padding: 0 7px; background: var(--panel); border: 1px solid var(--line); font-size: 12px; margin-left: 6px; }
.det-count.hit { background: var(--bad); color: #fff; border-color: var(--bad); }
.evidence { margin-bottom: 18px; }
.evidence:target { outline: 2px solid #0969da; outline-offset: 4px; }
a { color: #0969da; }
.outcome-success { color: #2e7d32; } .outcome-failure { color: #c62828; font-weight: 600; }
nav.toc { font-size: 13px; } nav.toc a { margin-right: 12px; }
@media print {
  body { font-size: 11px; }
  main { max-width: none; padding: 0; }
  nav.toc { display: none; }
  h2 { break-after: avoid; }
  section, .evidence, tr, svg { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
  .tile, th { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  svg rect { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"#;

pub fn render(p: &Page<'_>) -> String {
    let a = p.aggregates;
    let mut s = String::with_capacity(64 * 1024);
    s.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    s.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    // No network: nothing but inline content is allowed, even if a value
    // slipped through unescaped.
    s.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">");
    s.push_str("<title>Cognito user activity report</title><style>");
    s.push_str(STYLE);
    s.push_str("</style></head><body><main>");

    // Header: the period and what was read.
    let period = match p.period {
        Some((a, b)) => format!("{} to {}", when(a), when(b)),
        None => "no timestamped events".to_string(),
    };
    let formats: Vec<String> = Format::ALL
        .iter()
        .zip(p.input.formats)
        .filter(|(_, n)| *n > 0)
        .map(|(f, n)| format!("{n} {}", f.as_str()))
        .collect();
    let _ = write!(
        s,
        r#"<header id="period"><h1>Cognito user activity report</h1><p class="sub">Period: <b>{}</b></p><p class="sub">{} events from {} line(s) in {} ({}){}</p></header>"#,
        escape(&period),
        p.input.events,
        p.input.lines,
        escape(&p.sources.join(", ")),
        escape(&formats.join(", ")),
        if p.input.bad_lines > 0 {
            format!("; <b>{} unreadable line(s) skipped</b>", p.input.bad_lines)
        } else {
            String::new()
        }
    );
    let pools: Vec<String> = a.pools.top(8).into_iter().map(|c| c.key).collect();
    if !pools.is_empty() {
        let more = a.pools.distinct_tracked().saturating_sub(pools.len());
        let _ = write!(
            s,
            r#"<p class="sub">User pool(s): <span class="code">{}</span>{}</p>"#,
            escape(&pools.join(", ")),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        );
    }
    s.push_str(r##"<nav class="toc"><a href="#overview">Overview</a><a href="#timeline">Over time</a><a href="#risk">Risk</a><a href="#countries">Countries</a><a href="#failing">Failing users and IPs</a><a href="#devices">Devices</a><a href="#detections">Detections</a><a href="#events">Events behind findings</a></nav>"##);

    // Overview tiles.
    let total_findings: usize = p.found.iter().map(|f| f.1).sum();
    s.push_str(r#"<section id="overview"><h2>Overview</h2><div class="tiles">"#);
    let tile = |s: &mut String, value: String, label: &str, alert: bool| {
        let _ = write!(
            s,
            r#"<div class="tile{}"><b>{value}</b><span>{label}</span></div>"#,
            if alert { " alert" } else { "" }
        );
    };
    tile(&mut s, a.events.to_string(), "events", false);
    tile(
        &mut s,
        format!(
            "{}{}",
            a.users.distinct_tracked(),
            if a.users.is_exact() { "" } else { "+" }
        ),
        "users",
        false,
    );
    for (i, o) in OUTCOMES.iter().enumerate() {
        tile(
            &mut s,
            a.outcomes[i].to_string(),
            o.as_str(),
            i == 1 && a.outcomes[i] > 0,
        );
    }
    tile(
        &mut s,
        a.compromised.to_string(),
        "compromised credentials",
        a.compromised > 0,
    );
    tile(
        &mut s,
        a.mfa_failures.to_string(),
        "failed MFA challenges",
        false,
    );
    tile(
        &mut s,
        total_findings.to_string(),
        "findings",
        total_findings > 0,
    );
    s.push_str("</div></section>");

    // Events over time.
    s.push_str(r#"<section id="timeline"><h2>Events over time, by outcome</h2>"#);
    match &a.histogram {
        Some(h) => {
            let series: Vec<Series> = OUTCOMES
                .iter()
                .zip(COLORS)
                .map(|(o, color)| Series {
                    name: o.as_str(),
                    color,
                })
                .collect();
            let width = h.width_ms;
            s.push_str(&stacked_bars(h, &series, |ms| when_short(ms, width)));
            let _ = write!(
                s,
                r#"<p class="note">One bar per {}{}.</p>"#,
                duration(h.width_ms),
                if a.without_time > 0 {
                    format!("; {} event(s) without a time are not shown", a.without_time)
                } else {
                    String::new()
                }
            );
        }
        None => s.push_str(r#"<p class="none">No timestamped events.</p>"#),
    }
    s.push_str("</section>");

    // Risk.
    s.push_str(r#"<section id="risk"><h2>Risk decisions and levels</h2><div class="grid2"><div><h3>Risk decision</h3>"#);
    s.push_str(&hbars(
        &items(&a.risk_decisions, p.top, str::to_string),
        "#6a1b9a",
        "Risk decisions",
    ));
    s.push_str(approx_note(&a.risk_decisions));
    s.push_str("</div><div><h3>Risk level</h3>");
    s.push_str(&hbars(
        &items(&a.risk_levels, p.top, str::to_string),
        "#ef6c00",
        "Risk levels",
    ));
    s.push_str(approx_note(&a.risk_levels));
    let _ = write!(
        s,
        r#"</div></div><p class="note">{} event(s) with compromised credentials detected.</p></section>"#,
        a.compromised
    );

    // Countries.
    s.push_str(r#"<section id="countries"><h2>Countries</h2>"#);
    s.push_str(&hbars(
        &items(&a.countries, p.top, country_label),
        "#1565c0",
        "Events by country",
    ));
    s.push_str(approx_note(&a.countries));
    s.push_str("</section>");

    // Failing users and IPs.
    s.push_str(r#"<section id="failing"><h2>Top failing users and source IPs</h2><div class="grid2"><div><h3>Users with the most failed events</h3>"#);
    s.push_str(&hbars(
        &items(&a.failing_users, p.top, str::to_string),
        COLORS[1],
        "Top failing users",
    ));
    s.push_str(approx_note(&a.failing_users));
    s.push_str("</div><div><h3>Source IPs with the most failed events</h3>");
    s.push_str(&hbars(
        &items(&a.failing_ips, p.top, str::to_string),
        COLORS[1],
        "Top failing source IPs",
    ));
    s.push_str(approx_note(&a.failing_ips));
    s.push_str("</div></div></section>");

    // Devices.
    s.push_str(r#"<section id="devices"><h2>Devices</h2><div class="grid2"><div>"#);
    s.push_str(&hbars(
        &items(&a.devices, p.top, str::to_string),
        "#00838f",
        "Events by device",
    ));
    s.push_str(approx_note(&a.devices));
    s.push_str("</div><div><h3>Event types</h3>");
    s.push_str(&hbars(
        &items(&a.event_types, p.top, str::to_string),
        "#455a64",
        "Events by type",
    ));
    s.push_str("</div></div></section>");

    detections(&mut s, p);
    evidence(&mut s, p);

    s.push_str(r#"<footer><p class="note">Generated by cognito-activity report. Self-contained: no scripts, nothing loaded from the network. Thresholds: "#);
    let _ = write!(s, "{}", escape(&format!("{:?}", p.thresholds)));
    s.push_str("</p></footer></main></body></html>\n");
    s
}

fn duration(ms: i64) -> String {
    match ms {
        ms if ms % 86_400_000 == 0 => format!("{} day(s)", ms / 86_400_000),
        ms if ms % 3_600_000 == 0 => format!("{} hour(s)", ms / 3_600_000),
        ms => format!("{} minute(s)", ms / 60_000),
    }
}

fn detections(s: &mut String, p: &Page<'_>) {
    s.push_str(r#"<section id="detections"><h2>Detections</h2>"#);
    for (det, found) in p.found {
        let shown: Vec<(usize, &Shown)> = p
            .findings
            .iter()
            .enumerate()
            .filter(|(_, f)| f.finding.detection == *det)
            .collect();
        let _ = write!(
            s,
            r#"<h3 id="d-{}">{}<span class="det-count{}">{}</span></h3><p class="rule">{}</p>"#,
            det.id(),
            det.title(),
            if *found > 0 { " hit" } else { "" },
            found,
            escape(&det.rule(p.thresholds))
        );
        if shown.is_empty() {
            s.push_str(r#"<p class="none">No findings.</p>"#);
            continue;
        }
        s.push_str(r#"<table><thead><tr><th>Who</th><th>From where</th><th>When</th><th class="num">How many</th><th>Why it fired</th><th>Events</th></tr></thead><tbody>"#);
        for (i, f) in shown.iter().copied() {
            let fi = &f.finding;
            let from: Vec<String> = fi.from.iter().map(|c| country_label(c)).collect();
            let when_text = if fi.first_ms == fi.last_ms {
                when(fi.first_ms)
            } else {
                format!("{} to {}", when(fi.first_ms), when(fi.last_ms))
            };
            let _ = write!(
                s,
                r##"<tr class="finding" id="finding-{i}" data-detection="{}" data-subject="{}"><td><span class="note">{}</span><br><span class="code">{}</span></td><td class="code">{}</td><td>{}</td><td class="num">{}</td><td>{}</td><td><a href="#events-{i}">{} event(s)</a></td></tr>"##,
                det.id(),
                escape(fi.subject.value()),
                fi.subject.kind(),
                escape(fi.subject.value()),
                escape(&from.join(", ")),
                escape(&when_text),
                fi.count,
                escape(&fi.why),
                f.matched
            );
        }
        s.push_str("</tbody></table>");
        if *found > shown.len() {
            let _ = write!(
                s,
                r#"<p class="note">{} more finding(s) not shown (--max-findings).</p>"#,
                found - shown.len()
            );
        }
    }
    s.push_str("</section>");
}

fn evidence(s: &mut String, p: &Page<'_>) {
    s.push_str(r#"<section id="events"><h2>Events behind the findings</h2>"#);
    if p.findings.is_empty() {
        s.push_str(r#"<p class="none">No findings.</p>"#);
    }
    for (i, f) in p.findings.iter().enumerate() {
        let fi = &f.finding;
        let _ = write!(
            s,
            r##"<div class="evidence" id="events-{i}"><h3>{}: <span class="code">{}</span> <a href="#finding-{i}" class="note">back to the finding</a></h3>"##,
            fi.detection.title(),
            escape(fi.subject.value()),
        );
        if f.matched > f.events.len() as u64 {
            let _ = write!(
                s,
                r#"<p class="note">The first {} of {} events (--evidence-per-finding).</p>"#,
                f.events.len(),
                f.matched
            );
        }
        s.push_str(r#"<table><thead><tr><th>Time</th><th>User</th><th>Event</th><th>Outcome</th><th>Source IP</th><th>Location</th><th>Risk</th><th>Challenges</th><th>Device</th></tr></thead><tbody>"#);
        for r in &f.events {
            let location = [r.city.clone(), r.country.as_deref().map(country_label)]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ");
            let mut risk = [r.risk_decision.clone(), r.risk_level.clone()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" / ");
            if r.compromised_credentials == Some(true) {
                risk.push_str(" / compromised credentials");
            }
            let challenges = r
                .challenges
                .iter()
                .map(|c| format!("{}:{}", c.name, c.result))
                .collect::<Vec<_>>()
                .join(", ");
            let _ = write!(
                s,
                r#"<tr><td>{}</td><td class="code">{}</td><td>{}</td><td class="outcome-{}">{}</td><td class="code">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
                r.time_ms.map(when).unwrap_or_default(),
                escape(r.user.as_deref().unwrap_or_default()),
                escape(r.event_type.as_deref().unwrap_or_default()),
                r.outcome.as_str(),
                r.outcome.as_str(),
                escape(r.source_ip.as_deref().unwrap_or_default()),
                escape(&location),
                escape(&risk),
                escape(&challenges),
                escape(r.device.as_deref().unwrap_or_default()),
            );
        }
        s.push_str("</tbody></table></div>");
    }
    s.push_str("</section>");
}
