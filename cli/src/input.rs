//! The line input of `normalize` and `security-lake`: files (or stdin when
//! none), plain or gzip, read a line at a time through the library's
//! streaming reader, so any size streams through in bounded memory.

use std::io::Read;
use std::path::PathBuf;

use anyhow::{Context as _, Result};
use cognito_activity::pipeline::reader::{self, Line, Lines};

/// What was read: lines with content, and how many of them were unusable
/// (too long, or refused by the caller).
#[derive(Debug, Default)]
pub struct Counts {
    pub lines: u64,
    pub bad: u64,
}

/// Calls `each(line, name, line number)` for every line of `files` that is
/// not blank, in order. A line longer than `max` bytes is reported on
/// stderr by file and number and counted as bad; so is every line for
/// which `each` answers `Ok(Err(reason))` (the reason, never the line, is
/// printed). An `Err` from `each` (writing failed) ends the reading.
pub fn each_line(
    files: &[PathBuf],
    max: usize,
    mut each: impl FnMut(&[u8], &str, u64) -> Result<Result<(), String>>,
) -> Result<Counts> {
    let inputs: Vec<(String, Box<dyn Read>)> = if files.is_empty() {
        vec![("<stdin>".to_string(), Box::new(std::io::stdin()))]
    } else {
        let mut v: Vec<(String, Box<dyn Read>)> = Vec::new();
        for f in files {
            let file =
                std::fs::File::open(f).with_context(|| format!("opening {}", f.display()))?;
            v.push((f.display().to_string(), Box::new(file)));
        }
        v
    };
    let mut counts = Counts::default();
    for (name, input) in inputs {
        let input = reader::open(input, max as u64).with_context(|| format!("reading {name}"))?;
        let mut lines = Lines::new(input, max);
        while let Some((lineno, line)) = lines
            .next_line()
            .with_context(|| format!("reading {name}"))?
        {
            let outcome = match line {
                Line::Text(text) if text.iter().all(u8::is_ascii_whitespace) => continue,
                Line::Text(text) => each(text, &name, lineno)?,
                Line::TooLong { len } => Err(format!(
                    "line of {len} bytes is longer than MAX_DECOMPRESSED_BYTES ({max})"
                )),
            };
            counts.lines += 1;
            if let Err(why) = outcome {
                counts.bad += 1;
                eprintln!("{name}:{lineno}: {why}");
            }
        }
    }
    Ok(counts)
}
