//! The charts, drawn as inline SVG: a stacked bar chart over time and
//! horizontal bar charts. Every label passes through [`escape`]: they come
//! from the logs.

use std::fmt::Write as _;

use super::aggregate::Histogram;
use super::escape::escape;

/// One series of a stacked chart: its name and color.
pub struct Series {
    pub name: &'static str,
    pub color: &'static str,
}

/// Events over time as stacked bars, with a legend and time labels.
/// `label` formats a bucket's start for the axis.
pub fn stacked_bars(h: &Histogram, series: &[Series], label: impl Fn(i64) -> String) -> String {
    let (width, height, left, bottom, top) = (960.0, 260.0, 56.0, 40.0, 24.0);
    let plot_w = width - left - 8.0;
    let plot_h = height - bottom - top;
    let max = h
        .buckets
        .iter()
        .map(|b| b.iter().sum::<u64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let n = h.buckets.len().max(1) as f64;
    let bar_w = plot_w / n;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="Events over time by outcome" xmlns="http://www.w3.org/2000/svg">"#
    );
    // Grid lines and the y axis: 0, half, max.
    for frac in [0.0, 0.5, 1.0] {
        let y = top + plot_h * (1.0 - frac);
        let v = (max as f64 * frac).round() as u64;
        let _ = write!(
            s,
            r##"<line x1="{left}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end" class="axis">{v}</text>"##,
            width - 8.0,
            left - 6.0,
            y + 4.0
        );
    }
    for (i, b) in h.buckets.iter().enumerate() {
        let x = left + i as f64 * bar_w;
        let mut y = top + plot_h;
        let total: u64 = b.iter().sum();
        for (count, ser) in b.iter().zip(series) {
            if *count == 0 {
                continue;
            }
            let bh = plot_h * *count as f64 / max as f64;
            y -= bh;
            let _ = write!(
                s,
                r#"<rect x="{x:.2}" y="{y:.2}" width="{:.2}" height="{bh:.2}" fill="{}"><title>{}: {} {}</title></rect>"#,
                (bar_w - 1.0).max(0.5),
                ser.color,
                escape(&label(h.start_ms + i as i64 * h.width_ms)),
                count,
                ser.name
            );
        }
        let _ = total;
    }
    // About six time labels along the axis.
    let step = (h.buckets.len() / 6).max(1);
    for i in (0..h.buckets.len()).step_by(step) {
        let x = left + i as f64 * bar_w;
        let _ = write!(
            s,
            r#"<text x="{x:.1}" y="{:.1}" class="axis">{}</text>"#,
            top + plot_h + 16.0,
            escape(&label(h.start_ms + i as i64 * h.width_ms))
        );
    }
    // Legend, top right.
    let mut lx = left;
    for ser in series {
        let _ = write!(
            s,
            r#"<rect x="{lx}" y="4" width="12" height="12" fill="{}"/><text x="{}" y="14" class="legend">{}</text>"#,
            ser.color,
            lx + 16.0,
            ser.name
        );
        lx += 24.0 + 8.0 * ser.name.len() as f64;
    }
    s.push_str("</svg>");
    s
}

/// A horizontal bar chart of labelled counts, largest first as given.
pub fn hbars(items: &[(String, u64)], color: &str, aria: &str) -> String {
    let row_h = 22.0;
    let (width, label_w) = (560.0, 220.0);
    let height = row_h * items.len().max(1) as f64 + 4.0;
    let max = items.iter().map(|i| i.1).max().unwrap_or(0).max(1);
    let bar_max = width - label_w - 70.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="bars" viewBox="0 0 {width} {height}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">"#,
        escape(aria)
    );
    if items.is_empty() {
        s.push_str(r#"<text x="4" y="16" class="axis">no events</text>"#);
    }
    for (i, (label, count)) in items.iter().enumerate() {
        let y = 2.0 + i as f64 * row_h;
        let w = (bar_max * *count as f64 / max as f64).max(1.0);
        let short = shorten(label, 32);
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end" class="label"><title>{}</title>{}</text><rect x="{label_w}" y="{:.1}" width="{w:.1}" height="{:.1}" fill="{color}"/><text x="{:.1}" y="{:.1}" class="value">{count}</text>"#,
            label_w - 6.0,
            y + 15.0,
            escape(label),
            escape(&short),
            y + 3.0,
            row_h - 6.0,
            label_w + w + 4.0,
            y + 15.0
        );
    }
    s.push_str("</svg>");
    s
}

/// `text` cut to `max` characters with an ellipsis.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}
