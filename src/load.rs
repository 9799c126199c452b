//! Reading records: a file's bytes, to text, to a checked YAML tree, to the
//! typed record. Every problem on the way becomes a diagnostic; a file that
//! cannot be read or parsed yields no record, and the run goes on.

use std::io::Read;
use std::path::Path;

use serde::de::DeserializeOwned;

use crate::diagnostics::Diagnostic;
use crate::front_matter::{self, SplitError};
use crate::rules;
use crate::schema::RecordKind;
use crate::yaml::{self, Node, Pos};

/// Records larger than this are refused unread: no engagement is 16 MiB, and
/// reading a 1 GB file by mistake should not exhaust the machine.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// A file's text as read: byte-order mark removed, CRLF turned into LF
/// (columns are unchanged by either).
#[derive(Debug, Clone)]
pub struct Source {
    pub file: String,
    pub text: String,
}

/// A record read and checked for shape: the tree (for positions) and, when
/// the shape is right, the typed record.
#[derive(Debug)]
pub struct Loaded<T> {
    pub source: Source,
    pub tree: Option<Node>,
    pub record: Option<T>,
    /// Paths of the fields left out of `record` because they were unknown
    /// or wrong (each already reported), and of what held a list item left
    /// out: what the rules say under them is not said.
    pub pruned: Vec<String>,
    /// The lists that lost an item, and the sections left out whole
    /// (already reported as wrong): `tree` and `record` are without them.
    pub dropped_from: Vec<String>,
    /// Each list that lost items, with their indices in the file, in
    /// ascending order: the rules number the items that are left.
    pub lost_items: Vec<(String, Vec<usize>)>,
    /// Required fields of the record itself that were missing or wrong
    /// (already reported): `record` holds a placeholder instead.
    pub replaced: Vec<&'static str>,
    /// The Markdown after the front matter (engagements only).
    pub body_start: usize,
}

impl<T> Loaded<T> {
    pub fn body(&self) -> &str {
        &self.source.text[self.body_start.min(self.source.text.len())..]
    }
}

/// Why a record file could not be read as text.
#[derive(Debug)]
pub enum Unreadable {
    Open(std::io::Error),
    NotAFile,
    TooLarge(u64),
    Read(std::io::Error),
    /// Where the first byte that is not UTF-8 is (1-based).
    NotUtf8 {
        line: usize,
        column: usize,
    },
}

/// `root/file` as every record is read: a regular file (links followed) of
/// at most `MAX_FILE_BYTES`, UTF-8, without a byte-order mark, its lines
/// ending in `\n`. (A rebuild fingerprints records with this too, to know
/// without parsing them that they did not change.)
pub fn read_text(root: &Path, file: &str) -> Result<String, Unreadable> {
    let path = root.join(file);
    let (handle, metadata) = std::fs::File::open(&path)
        .and_then(|f| f.metadata().map(|m| (f, m)))
        .map_err(Unreadable::Open)?;
    if !metadata.is_file() {
        return Err(Unreadable::NotAFile);
    }
    if metadata.len() > MAX_FILE_BYTES {
        return Err(Unreadable::TooLarge(metadata.len()));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    // The file may grow after the size check; never read past the limit.
    handle
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(Unreadable::Read)?;
    let text = String::from_utf8(bytes).map_err(|error| {
        let valid = &error.as_bytes()[..error.utf8_error().valid_up_to()];
        let valid = std::str::from_utf8(valid).unwrap_or_default();
        Unreadable::NotUtf8 {
            line: valid.matches('\n').count() + 1,
            column: valid.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1,
        }
    })?;
    let text = match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_owned(),
        None => text,
    };
    Ok(if text.contains('\r') {
        text.replace("\r\n", "\n")
    } else {
        text
    })
}

/// Reads `root/file` as UTF-8 text, or says why it cannot.
pub fn read_source(root: &Path, file: &str, out: &mut Vec<Diagnostic>) -> Option<Source> {
    let unreadable = |message: String, help: &str| {
        Diagnostic::new(rules::UNREADABLE_FILE, file, Pos::file_start(), message).help(help)
    };
    let problem = match read_text(root, file) {
        Ok(text) => {
            return Some(Source {
                file: file.to_owned(),
                text,
            });
        }
        Err(Unreadable::Open(error)) => unreadable(
            format!("cannot read `{file}`: {}", describe_io(&error)),
            "check that the file exists and that you may read it",
        ),
        Err(Unreadable::NotAFile) => unreadable(
            format!("`{file}` is not a regular file"),
            "replace it with an ordinary file, or remove it",
        ),
        Err(Unreadable::TooLarge(len)) => unreadable(
            format!(
                "`{file}` is {} MiB; records larger than {} MiB are not read",
                len / (1024 * 1024),
                MAX_FILE_BYTES / (1024 * 1024)
            ),
            "split the file, or move attachments out of the records folder",
        ),
        Err(Unreadable::Read(error)) => unreadable(
            format!("cannot read `{file}`: {}", describe_io(&error)),
            "check that you may read the file",
        ),
        Err(Unreadable::NotUtf8 { line, column }) => Diagnostic::new(
            rules::UNREADABLE_FILE,
            file,
            Pos::new(to_u32(line), to_u32(column), 1),
            format!("`{file}` is not UTF-8 text"),
        )
        .help("save the file as UTF-8 (most editors offer \"Save with encoding\")"),
    };
    out.push(problem);
    None
}

/// Reads an engagement file: front matter, YAML, shape, typed record.
pub fn engagement(
    root: &Path,
    file: &str,
    out: &mut Vec<Diagnostic>,
) -> Option<Loaded<crate::model::Engagement>> {
    let source = read_source(root, file, out)?;
    engagement_from_source(source, out)
}

/// An engagement already read as text (the fuzz targets start here).
pub fn engagement_from_source(
    source: Source,
    out: &mut Vec<Diagnostic>,
) -> Option<Loaded<crate::model::Engagement>> {
    let file = source.file.clone();
    let file = file.as_str();
    let split = match front_matter::split(&source.text) {
        Ok(split) => split,
        Err(error) => {
            const LAYOUT: &str = "start the file with a `---` line, then the YAML fields, then a `---` line, then the Markdown notes";
            let mut pos = Pos::file_start();
            let (message, help) = match error {
                SplitError::NoOpening { .. } if source.text.trim().is_empty() => {
                    (format!("`{file}` is empty"), LAYOUT)
                }
                SplitError::NoOpening { near: true } => (
                    "the first line must be `---` alone to open the front matter".to_owned(),
                    "write `---` on the first line, with nothing after it (no comment)",
                ),
                // Old Mac line endings: one line to everything but Mac editors.
                SplitError::NoOpening { .. }
                    if source.text.contains('\r') && !source.text.contains('\n') =>
                {
                    (
                        "the lines of this file end with a carriage return alone (CR, as old Mac editors save), so the `---` is not a line of its own".to_owned(),
                        "save the file with LF (or CRLF) line endings; most editors offer it under \"Line endings\"",
                    )
                }
                SplitError::NoOpening { near: false } => (
                    "the file does not start with a `---` line".to_owned(),
                    LAYOUT,
                ),
                SplitError::Unclosed {
                    near: Some(line), ..
                } => {
                    pos = Pos::new(line, 1, 1);
                    (
                        "the front matter opened on line 1 is never closed: this line would close it if it were `---` alone".to_owned(),
                        "write `---` alone on this line, with nothing after it",
                    )
                }
                SplitError::Unclosed { lines, near: None } => (
                    format!(
                        "the front matter opened on line 1 is never closed (read {lines} lines)"
                    ),
                    "add a `---` line after the last YAML field, before the Markdown notes",
                ),
            };
            let help = if crate::discover::is_readme_near_miss(file) {
                crate::discover::README_NEAR_MISS_HELP
            } else {
                help
            };
            out.push(
                Diagnostic::new(rules::FRONT_MATTER_MISSING, file, pos, message)
                    .help(help)
                    .with_source(&source.text),
            );
            return None;
        }
    };
    let yaml_offset = split.yaml.as_ptr() as usize - source.text.as_ptr() as usize;
    let yaml_end = yaml_offset + split.yaml.len();
    let body_start = split.body.as_ptr() as usize - source.text.as_ptr() as usize;
    let (tree, record, left_out) = typed(
        &source,
        yaml_offset..yaml_end,
        split.yaml_line - 1,
        RecordKind::Engagement,
        Pos::new(1, 1, 3),
        out,
    );
    Some(Loaded {
        source,
        tree,
        record,
        pruned: left_out.pruned,
        dropped_from: left_out.dropped_from,
        lost_items: left_out.lost_items,
        replaced: left_out.replaced,
        body_start,
    })
}

/// Reads a whole-file YAML record: `client.yaml` or `commonthread.yaml`.
pub fn yaml_file<T: DeserializeOwned>(
    root: &Path,
    file: &str,
    kind: RecordKind,
    out: &mut Vec<Diagnostic>,
) -> Option<Loaded<T>> {
    let source = read_source(root, file, out)?;
    let len = source.text.len();
    let (tree, record, left_out) = typed(&source, 0..len, 0, kind, Pos::file_start(), out);
    Some(Loaded {
        source,
        tree,
        record,
        pruned: left_out.pruned,
        dropped_from: left_out.dropped_from,
        lost_items: left_out.lost_items,
        replaced: left_out.replaced,
        body_start: len,
    })
}

/// What `typed` left out of a record, as paths (see `Loaded`).
#[derive(Default)]
struct LeftOut {
    pruned: Vec<String>,
    dropped_from: Vec<String>,
    lost_items: Vec<(String, Vec<usize>)>,
    replaced: Vec<&'static str>,
}

impl LeftOut {
    fn of(shape: &crate::structure::Outcome) -> LeftOut {
        let mut left_out = LeftOut {
            pruned: shape
                .prune
                .iter()
                .map(|steps| yaml::format_owned_path(steps))
                .collect(),
            dropped_from: Vec::new(),
            lost_items: Vec::new(),
            replaced: shape.replaced.clone(),
        };
        let mut lost: std::collections::BTreeMap<String, Vec<usize>> = Default::default();
        for item in &shape.dropped {
            let (list, last) = item.split_at(item.len() - 1);
            if let yaml::OwnedStep::Index(index) = last[0] {
                lost.entry(yaml::format_owned_path(list))
                    .or_default()
                    .push(index);
            }
        }
        left_out.lost_items = lost.into_iter().collect();
        for (_, indices) in &mut left_out.lost_items {
            indices.sort_unstable();
        }
        // Outer lists first: an inner list's path holds the outer index as
        // in the file.
        left_out.lost_items.sort_by_key(|(list, _)| list.len());
        // Whatever the rules say of a placeholder is not so.
        left_out
            .pruned
            .extend(shape.replaced.iter().map(|&key| key.to_owned()));
        // A section left out whole is treated as a list that lost items.
        let mut lists: Vec<&[yaml::OwnedStep]> = shape
            .dropped
            .iter()
            .map(|item| &item[..item.len() - 1])
            .chain(shape.sections.iter().map(Vec::as_slice))
            .collect();
        // A list may lose many items: each list once.
        lists.sort_unstable();
        lists.dedup();
        for list in lists {
            left_out.dropped_from.push(yaml::format_owned_path(list));
            // Without the item, everything said of its list may be wrong
            // (its latest entry, its count, its order), and so may what is
            // said of the item that holds the list (a metric's staleness
            // without its latest measurement).
            left_out.pruned.push(yaml::format_owned_path(list));
            if let Some(first_index) = list
                .iter()
                .position(|step| matches!(step, yaml::OwnedStep::Index(_)))
            {
                left_out
                    .pruned
                    .push(yaml::format_owned_path(&list[..=first_index]));
            }
        }
        left_out
    }
}

/// YAML text to tree to typed record, with every problem as a diagnostic.
fn typed<T: DeserializeOwned>(
    source: &Source,
    range: std::ops::Range<usize>,
    line_offset: u32,
    kind: RecordKind,
    root_pos: Pos,
    out: &mut Vec<Diagnostic>,
) -> (Option<Node>, Option<T>, LeftOut) {
    let file = source.file.as_str();
    let first = out.len();
    let parsed = yaml::parse(&source.text[range], line_offset);
    // Only a repeated key's error has a path: its first value is kept, but
    // which one the writer meant is unknown, so the rules say nothing of it.
    let repeated: Vec<String> = parsed
        .errors
        .iter()
        .filter_map(|error| error.path.clone())
        .collect();
    for error in parsed.errors {
        let mut diagnostic =
            Diagnostic::new(rules::YAML_SYNTAX, file, error.pos, error.message).help(error.help);
        if let Some(path) = error.path {
            diagnostic = diagnostic.path(path);
        }
        out.push(diagnostic);
    }
    let syntax_ok = out.len() == first;
    // No document at all (an empty file, or only comments) is an empty
    // record, and so is a null one: report their missing fields.
    let mut root = match parsed.root {
        Some(root) => root,
        None if syntax_ok => Node {
            kind: yaml::NodeKind::Null,
            pos: root_pos,
        },
        None => {
            Diagnostic::attach_sources(&mut out[first..], &source.text);
            return (None, None, LeftOut::default());
        }
    };
    if root.kind == yaml::NodeKind::Null {
        root = Node {
            kind: yaml::NodeKind::Map(Vec::new()),
            pos: root_pos,
        };
    }
    let shape = crate::structure::check(&root, kind, file, &source.text, root_pos, out);
    // A repeated key keeps its first value, and a wrong optional field is
    // left out: the rest of the record is still read, so the other rules
    // report their findings in the same run.
    let record = if shape.unusable {
        None
    } else {
        let value = if shape.prune.is_empty()
            && shape.dropped.is_empty()
            && shape.replaced.is_empty()
            && shape.spelled.is_empty()
        {
            root.to_value()
        } else {
            let mut pruned = root.clone();
            // First, while every path still leads where it did.
            for path in &shape.spelled {
                pruned.respell_at(path, &source.text);
            }
            pruned.remove_entries(&shape.prune);
            pruned.remove_items(&shape.dropped);
            for &key in &shape.replaced {
                // Any valid word serves: the rules run with every status.
                pruned.set_text(key, if key == "status" { "active" } else { "" });
            }
            pruned.to_value()
        };
        match serde_yaml::from_value::<T>(value) {
            Ok(record) => Some(record),
            Err(error) => {
                // The structural check should have caught this; say so
                // rather than lose the problem.
                if syntax_ok && shape.clean {
                    out.push(Diagnostic::new(
                        rules::INVALID_VALUE,
                        file,
                        root_pos,
                        format!("cannot read the record: {error}"),
                    ));
                }
                None
            }
        }
    };
    if kind == RecordKind::Engagement {
        rules::engagement::dropped_milestones(&root, &shape.dropped, file, out);
    }
    // The rules find their lines in the tree by index: it loses the same
    // list items as the record.
    root.remove_items(&shape.dropped);
    let mut left_out = LeftOut::of(&shape);
    for path in repeated {
        // As for a list that lost an item: nothing said of it, or of what
        // holds it (`updates` for a repeated `updates.log`).
        left_out.dropped_from.push(path.clone());
        // An item's `id` given twice (the `- ` of the next item forgotten)
        // loses an id: what names it must not be called unknown.
        if let Some(list) = path
            .strip_suffix(".id")
            .and_then(|item| item.rsplit_once('['))
        {
            left_out.dropped_from.push(list.0.to_owned());
        }
        left_out.pruned.push(path);
    }
    Diagnostic::attach_sources(&mut out[first..], &source.text);
    for diagnostic in &mut out[first..] {
        explain_comment_as_value(diagnostic);
    }
    (Some(root), record, left_out)
}

/// `title: #2 waitlist` is an empty title to YAML (`#` after a space starts
/// a comment): a field said to have no value, on a line where a comment
/// follows its colon, gets a help that says so.
fn explain_comment_as_value(diagnostic: &mut Diagnostic) {
    if diagnostic.rule.name != rules::MISSING_FIELD.name
        || !diagnostic.message.ends_with("has no value")
    {
        return;
    }
    let Some(line) = &diagnostic.source_line else {
        return;
    };
    let Some((key, after)) = line.split_once(':') else {
        return;
    };
    let after = after.trim_start();
    // `#2 waitlist`, not `# TBD`: a comment is `#` and a space.
    if after.starts_with('#')
        && after[1..]
            .chars()
            .next()
            .is_some_and(|c| !c.is_whitespace())
    {
        let key = key.trim().trim_start_matches("- ");
        diagnostic.help = format!(
            "`#` starts a comment in YAML, so `{key}` is empty: put the text in quotes, as `{key}: \"{}\"`",
            after.replace('"', "\\\"")
        );
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn describe_io(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::NotFound => "it vanished while the records were being read".into(),
        _ => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, bytes: &[u8]) {
        std::fs::write(dir.join(name), bytes).unwrap();
    }

    #[test]
    fn bom_and_crlf_are_accepted() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "e.md",
            b"\xEF\xBB\xBF---\r\ntitle: T\r\nstatus: prospect\r\nowner: D\r\n---\r\nBody\r\n",
        );
        let mut out = Vec::new();
        let loaded = engagement(dir.path(), "e.md", &mut out).unwrap();
        assert!(out.is_empty(), "{out:?}");
        assert_eq!(loaded.record.as_ref().unwrap().title.as_str(), "T");
        assert_eq!(loaded.body(), "Body\n");
    }

    #[test]
    fn bare_numbers_and_words_in_text_fields_are_read_as_written() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "e.md",
            b"---\r\ntitle: 1.10\r\nstatus: prospect\r\nowner: 007\r\ntags: [2.50, TRUE, 1e3, 0x1F, 12]\r\n---\r\n",
        );
        let mut out = Vec::new();
        let loaded = engagement(dir.path(), "e.md", &mut out).unwrap();
        assert!(out.is_empty(), "{out:?}");
        let record = loaded.record.unwrap();
        assert_eq!(record.title.as_str(), "1.10");
        assert_eq!(record.owner.as_str(), "007");
        let tags: Vec<&str> = record.tags.iter().map(|t| t.as_str()).collect();
        assert_eq!(tags, ["2.50", "TRUE", "1e3", "0x1F", "12"]);
    }

    #[test]
    fn a_value_read_as_a_comment_and_old_mac_line_endings_are_explained() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "e.md",
            b"---\ntitle: #2 waitlist at every desk\nstatus: prospect\nowner: D\n---\n",
        );
        let mut out = Vec::new();
        engagement(dir.path(), "e.md", &mut out).unwrap();
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].rule.name, "missing-field");
        assert_eq!(
            out[0].help,
            "`#` starts a comment in YAML, so `title` is empty: put the text in quotes, as `title: \"#2 waitlist at every desk\"`"
        );
        write(
            dir.path(),
            "mac.md",
            b"---\rtitle: T\rstatus: prospect\rowner: D\r---\r",
        );
        let mut out = Vec::new();
        assert!(engagement(dir.path(), "mac.md", &mut out).is_none());
        assert_eq!(out[0].rule.name, "front-matter-missing");
        assert!(out[0].message.contains("carriage return alone"), "{out:?}");
        // A comment written on purpose (`# TBD`) is not taken for text.
        write(
            dir.path(),
            "tbd.md",
            b"---\ntitle: T\nstatus: prospect\nowner:   # who answers for it\n---\n",
        );
        let mut out = Vec::new();
        engagement(dir.path(), "tbd.md", &mut out).unwrap();
        assert_eq!(
            out[0].help, "give `owner` a value; it is required",
            "{out:?}"
        );
    }

    #[test]
    fn invalid_utf8_is_reported_at_its_line() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "e.md", b"---\ntitle: caf\xE9\n---\n");
        let mut out = Vec::new();
        assert!(engagement(dir.path(), "e.md", &mut out).is_none());
        assert_eq!(out[0].rule.name, "unreadable-file");
        assert_eq!((out[0].pos.line, out[0].pos.column), (2, 11));
    }

    #[test]
    fn yaml_positions_are_file_positions() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "e.md",
            b"---\ntitle: T\nstatus: bogus\nowner: D\n---\n",
        );
        let mut out = Vec::new();
        engagement(dir.path(), "e.md", &mut out).unwrap();
        assert_eq!((out[0].pos.line, out[0].pos.column), (3, 9));
        assert_eq!(out[0].source_line.as_deref(), Some("status: bogus"));
    }
}
