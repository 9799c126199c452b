//! The parse-only floor: how fast can engagement files be read and turned
//! into typed records, with no checks, figures or pages?
//!
//! ```sh
//! cargo run --release --example parse_only -- DIR
//! ```
//!
//! Walks DIR (sorted, hidden entries skipped, symbolic links not followed),
//! takes every `*.md` file except `README.md`, splits the YAML front matter
//! from the body with the tool's own splitter, and deserializes it with
//! `serde_yaml::from_str::<commonthread::model::Engagement>`, on every core
//! through rayon as the tool does. Prints the count and the elapsed time;
//! exits 1 when a file cannot be read, split or deserialized.

use std::path::{Path, PathBuf};
use std::time::Instant;

use commonthread::model::Engagement;
use rayon::prelude::*;
use walkdir::WalkDir;

fn main() {
    let mut args = std::env::args_os().skip(1);
    let (Some(dir), None) = (args.next(), args.next()) else {
        eprintln!("usage: parse_only DIR");
        std::process::exit(2);
    };
    let dir = PathBuf::from(dir);
    let started = Instant::now();

    let files: Vec<PathBuf> = WalkDir::new(&dir)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'))
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && is_engagement(e.path()))
        .map(walkdir::DirEntry::into_path)
        .collect();
    let walked = started.elapsed();

    let results: Vec<Result<usize, String>> = files.par_iter().map(|p| parse(p)).collect();
    let elapsed = started.elapsed();

    let bytes: usize = results.iter().filter_map(|r| r.as_ref().ok()).sum();
    let failures: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    println!(
        "parsed {} engagements ({:.1} MB of files) in {:.3} s (walk {:.3} s) on {} threads; {} failed",
        files.len() - failures.len(),
        bytes as f64 / 1e6,
        elapsed.as_secs_f64(),
        walked.as_secs_f64(),
        rayon::current_num_threads(),
        failures.len()
    );
    if let Some(first) = failures.first() {
        eprintln!("first failure: {first}");
        std::process::exit(1);
    }
}

fn is_engagement(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "md")
        && path.file_name().is_some_and(|n| n != "README.md")
}

/// Reads, splits and deserializes one file; returns its size.
fn parse(path: &Path) -> Result<usize, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let text_no_bom = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let split = commonthread::front_matter::split(text_no_bom)
        .map_err(|e| format!("{}: no front matter ({e:?})", path.display()))?;
    serde_yaml::from_str::<Engagement>(split.yaml)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(text.len())
}
