//! What the position map costs against parsing alone, measured on one
//! thread over every engagement under a folder:
//!
//!   cargo run --release --example position_map_cost -- DIR [ROUNDS]
//!
//! - floor: serde_yaml parses the front matter into the typed record;
//! - position map: the spanned YAML tree (saphyr-parser events), which is
//!   what gives every diagnostic its line and column;
//! - full load: position map + structural check against the schema + the
//!   typed record (what `check` does per file before the rules).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn front_matter(text: &str) -> &str {
    let rest = text.strip_prefix("---\n").unwrap_or(text);
    rest.find("\n---").map_or(rest, |end| &rest[..end + 1])
}

fn best_of(rounds: usize, mut run: impl FnMut()) -> Duration {
    (0..rounds)
        .map(|_| {
            let started = Instant::now();
            run();
            started.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().expect("usage: position_map_cost DIR [ROUNDS]"));
    let rounds: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(5);
    let files: Vec<(String, String)> = walkdir::WalkDir::new(&dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "md"))
        .filter(|e| e.file_name() != "README.md")
        .map(|e| {
            let relative = e
                .path()
                .strip_prefix(&dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (relative, std::fs::read_to_string(e.path()).unwrap())
        })
        .collect();
    let bytes: usize = files.iter().map(|(_, t)| front_matter(t).len()).sum();

    let floor = best_of(rounds, || {
        for (_, text) in &files {
            let record: Result<commonthread::model::Engagement, _> =
                serde_yaml::from_str(front_matter(text));
            assert!(record.is_ok());
        }
    });
    let tree = best_of(rounds, || {
        for (_, text) in &files {
            let parsed = commonthread::yaml::parse(front_matter(text), 1);
            assert!(parsed.root.is_some());
        }
    });
    let full = best_of(rounds, || {
        for (file, _) in &files {
            let mut diagnostics = Vec::new();
            let loaded = commonthread::load::engagement(Path::new(&dir), file, &mut diagnostics);
            assert!(loaded.is_some_and(|l| l.record.is_some()));
        }
    });
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{} engagements, {:.1} MB of front matter, best of {rounds} rounds, one thread",
        files.len(),
        bytes as f64 / 1e6
    );
    println!(
        "floor (serde_yaml into the typed record): {:8.1} ms",
        ms(floor)
    );
    println!(
        "position map (spanned tree):              {:8.1} ms  ({:.2}x the floor)",
        ms(tree),
        ms(tree) / ms(floor)
    );
    println!(
        "full load (map + shape check + typed):    {:8.1} ms  ({:.2}x the floor)",
        ms(full),
        ms(full) / ms(floor)
    );
}
