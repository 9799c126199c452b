//! A YAML document read into a tree that remembers where every key and value
//! stands, so that every diagnostic, not only syntax errors, can point at the
//! exact line and column. serde_yaml gives no positions for values; this tree
//! is built from saphyr-parser's events, which carry them.
//!
//! Scalars are resolved as YAML 1.2's core schema says (`yes` is a string).
//! Repeated keys, deep nesting and alias bombs are refused here, before any
//! typed deserialization, so nothing downstream can be fed a hostile tree.

use saphyr_parser::{Event, Parser, ScalarStyle, Span};
use serde_yaml::{Mapping, Number, Value};

/// Deeper than this is not a record anyone writes; refusing it keeps every
/// recursive step below (checks, conversion, drop) far from the stack's end.
pub const MAX_DEPTH: usize = 64;
/// Values that aliases may copy in one document; a few aliases of aliases
/// otherwise grow exponentially (the "billion laughs").
pub const MAX_ALIAS_COPIES: usize = 10_000;

/// A position in a file: 1-based line and column (in characters), and the
/// length in characters of what is there, for the caret.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
    pub len: u32,
}

impl Pos {
    pub const fn new(line: u32, column: u32, len: u32) -> Pos {
        Pos { line, column, len }
    }

    /// Line 1, column 1: where a file-level problem is reported.
    pub const fn file_start() -> Pos {
        Pos::new(1, 1, 0)
    }
}

/// One step of a path into a record: a field or a list index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// A step of a path kept beyond the tree it was taken from. Paths order
/// step by step, a path after its own beginning.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OwnedStep {
    Key(String),
    Index(usize),
}

/// Formats an owned path as `milestones[1].due`.
pub fn format_owned_path(steps: &[OwnedStep]) -> String {
    let borrowed: Vec<Step<'_>> = steps
        .iter()
        .map(|step| match step {
            OwnedStep::Key(key) => Step::Key(key),
            OwnedStep::Index(index) => Step::Index(*index),
        })
        .collect();
    format_path(&borrowed)
}

/// Formats a path as `milestones[1].due`.
pub fn format_path(steps: &[Step<'_>]) -> String {
    let mut out = String::new();
    for step in steps {
        match step {
            Step::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Step::Index(index) => {
                out.push('[');
                out.push_str(&index.to_string());
                out.push(']');
            }
        }
    }
    out
}

/// A path as a message says it to people: list items counted from one and
/// named for their list, innermost first (`the 4th measurement of the 1st
/// metric`); a path through no list stays `code` (`` `value` ``).
pub fn describe_path(steps: &[Step<'_>]) -> String {
    let Some(last_index) = steps.iter().rposition(|s| matches!(s, Step::Index(_))) else {
        return format!("`{}`", format_path(steps));
    };
    let mut items = Vec::new();
    let mut list: Option<&str> = None;
    for step in &steps[..=last_index] {
        match step {
            Step::Key(key) => list = Some(key),
            Step::Index(index) => items.push(match list.and_then(singular) {
                Some(name) => format!("the {} {name}", ordinal(index + 1)),
                None => format!(
                    "the {} item of `{}`",
                    ordinal(index + 1),
                    list.unwrap_or_default()
                ),
            }),
        }
    }
    items.reverse();
    let items = items.join(" of ");
    match format_path(&steps[last_index + 1..]) {
        rest if rest.is_empty() => items,
        rest => format!("`{rest}` of {items}"),
    }
}

/// What one item of a record's list is called.
fn singular(list: &str) -> Option<&'static str> {
    Some(match list {
        "milestones" => "milestone",
        "metrics" => "metric",
        "measurements" => "measurement",
        "log" => "update",
        "wins" => "win",
        "concerns" => "concern",
        "claims" => "claim",
        "red_flags" => "red flag",
        "contacts" => "contact",
        "rebaselined" => "rebaseline",
        "tags" => "tag",
        _ => return None,
    })
}

/// 1st, 2nd, 3rd, 4th, ... 11th, 12th, 13th, 21st.
pub fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

impl Node {
    /// Follows `steps` as far as they go: the deepest node reached, the
    /// key or list item that holds it (the file's start for the root), and
    /// whether every step was found.
    fn follow(&self, steps: &[Step<'_>]) -> (&Node, Pos, bool) {
        let mut node = self;
        let mut anchor = Pos::file_start();
        for step in steps {
            let next = match step {
                Step::Key(key) => node.get(key).map(|entry| (&entry.value, entry.key_pos)),
                Step::Index(index) => node.item(*index).map(|item| (item, item.pos)),
            };
            match next {
                Some((child, child_anchor)) => {
                    node = child;
                    anchor = child_anchor;
                }
                None => return (node, anchor, false),
            }
        }
        (node, anchor, true)
    }

    /// Where a diagnostic about the value at `steps` belongs: the value
    /// itself when it is there; the key when the value is left empty; else,
    /// for an absent field, the key or list item that would hold it (the
    /// file's first line for a top-level field).
    pub fn locate(&self, steps: &[Step<'_>]) -> Pos {
        match self.follow(steps) {
            (node, _, true) if node.kind != NodeKind::Null => node.pos,
            (_, anchor, _) => anchor,
        }
    }

    /// Where a diagnostic about a section as a whole belongs: its key (or
    /// list item) when it is there, else as `locate` says.
    pub fn locate_key(&self, steps: &[Step<'_>]) -> Pos {
        self.follow(steps).1
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    pub pos: Pos,
}

#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_pos: Pos,
    pub value: Node,
}

/// Something wrong with the YAML itself, at a position.
#[derive(Clone, Debug, PartialEq)]
pub struct YamlError {
    pub pos: Pos,
    pub message: String,
    pub help: String,
    /// Where in the record, when the tree is far enough along to know.
    pub path: Option<String>,
}

/// The outcome of reading one document: the tree (absent when the syntax is
/// broken beyond repair) and every problem found on the way.
#[derive(Debug)]
pub struct Parsed {
    pub root: Option<Node>,
    pub errors: Vec<YamlError>,
}

impl Node {
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            NodeKind::Null => "nothing",
            NodeKind::Bool(_) => "true/false",
            NodeKind::Int(_) | NodeKind::Float(_) => "a number",
            NodeKind::Str(_) => "text",
            NodeKind::Seq(_) => "a list",
            NodeKind::Map(_) => "a mapping",
        }
    }

    /// The value under `key`, when this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Entry> {
        match &self.kind {
            NodeKind::Map(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    pub fn item(&self, index: usize) -> Option<&Node> {
        match &self.kind {
            NodeKind::Seq(items) => items.get(index),
            _ => None,
        }
    }

    /// The scalar as the text it spells (numbers and booleans included).
    pub fn scalar_text(&self) -> Option<String> {
        match &self.kind {
            NodeKind::Str(s) => Some(s.clone()),
            NodeKind::Int(i) => Some(i.to_string()),
            NodeKind::Float(f) => Some(f.to_string()),
            NodeKind::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// Removes the mapping entries at `paths` (those that are there). Only
    /// entries are removed, never list items, so the indices of every other
    /// value stay as they were in the file. One pass per parent mapping, so
    /// a record with thousands of unknown fields stays linear.
    pub fn remove_entries(&mut self, paths: &[Vec<OwnedStep>]) {
        let mut by_parent: std::collections::HashMap<
            &[OwnedStep],
            std::collections::HashSet<&str>,
        > = std::collections::HashMap::new();
        for path in paths {
            if let Some((OwnedStep::Key(key), parent)) = path.split_last() {
                by_parent.entry(parent).or_default().insert(key);
            }
        }
        for (parent, keys) in by_parent {
            if let Some(Node {
                kind: NodeKind::Map(entries),
                ..
            }) = descend_mut(self, parent)
            {
                entries.retain(|e| !keys.contains(e.key.as_str()));
            }
        }
    }

    /// Sets the field `key` of this map to the text `value`, adding it
    /// (at the map's position) when it is not there.
    pub fn set_text(&mut self, key: &str, value: &str) {
        let pos = self.pos;
        let NodeKind::Map(entries) = &mut self.kind else {
            return;
        };
        let text = Node {
            kind: NodeKind::Str(value.to_owned()),
            pos,
        };
        match entries.iter_mut().find(|e| e.key == key) {
            Some(entry) => entry.value = text,
            None => entries.push(Entry {
                key: key.to_owned(),
                key_pos: pos,
                value: text,
            }),
        }
    }

    /// Removes the list items at `paths` (each ending in an index, as the
    /// tree was when they were taken).
    pub fn remove_items(&mut self, paths: &[Vec<OwnedStep>]) {
        let mut by_list: std::collections::BTreeMap<
            &[OwnedStep],
            std::collections::HashSet<usize>,
        > = std::collections::BTreeMap::new();
        for path in paths {
            if let Some((OwnedStep::Index(index), list)) = path.split_last() {
                by_list.entry(list).or_default().insert(*index);
            }
        }
        // Later and deeper lists first, so that every path still points
        // where it did when it is reached (an outer list loses its items
        // after the lists inside them).
        for (list, indices) in by_list.into_iter().rev() {
            if let Some(Node {
                kind: NodeKind::Seq(items),
                ..
            }) = descend_mut(self, list)
            {
                let mut index = 0;
                items.retain(|_| {
                    index += 1;
                    !indices.contains(&(index - 1))
                });
            }
        }
    }

    /// Turns the bare number or boolean at `path` into the text `source`
    /// spells it with (see `spelling`).
    pub fn respell_at(&mut self, path: &[OwnedStep], source: &str) {
        if let Some(node) = descend_mut(self, path)
            && let Some(text) = spelling(source, node.pos, &node.kind)
        {
            node.kind = NodeKind::Str(text);
        }
    }

    /// The same tree as a serde_yaml value, for typed deserialization. Null
    /// entries are left out so that `wins:` reads as "no wins".
    pub fn to_value(&self) -> Value {
        match &self.kind {
            NodeKind::Null => Value::Null,
            NodeKind::Bool(b) => Value::Bool(*b),
            NodeKind::Int(i) => Value::Number(Number::from(*i)),
            NodeKind::Float(f) => Value::Number(Number::from(*f)),
            NodeKind::Str(s) => Value::String(s.clone()),
            NodeKind::Seq(items) => Value::Sequence(items.iter().map(Node::to_value).collect()),
            NodeKind::Map(entries) => {
                let mut map = Mapping::with_capacity(entries.len());
                for entry in entries {
                    if entry.value.kind != NodeKind::Null {
                        map.insert(Value::String(entry.key.clone()), entry.value.to_value());
                    }
                }
                Value::Mapping(map)
            }
        }
    }
}

/// The first tab from line `line` (from 1), character `column` (from 0) of
/// `text`, within three lines: its line and its column (from 1). The
/// character before `column` counts too: some errors point just past it.
fn first_tab(text: &str, line: usize, column: usize) -> Option<(usize, usize)> {
    text.lines()
        .enumerate()
        .skip(line.checked_sub(1)?)
        .take(3)
        .find_map(|(index, row)| {
            let skip = if index + 1 == line {
                column.saturating_sub(1)
            } else {
                0
            };
            row.chars()
                .enumerate()
                .skip(skip)
                .find(|&(_, c)| c == '\t')
                .map(|(at, _)| (index + 1, at + 1))
        })
}

/// A non-breaking space (U+00A0) in the indentation of a line, or right
/// after a key's colon or a list's dash, on `line` (1-based) or up to three
/// lines before it: YAML reads it as text, not space, and stumbles later.
/// Its line and column (from 1).
fn non_breaking_space(text: &str, line: usize) -> Option<(usize, usize)> {
    let first = line.saturating_sub(3).max(1);
    text.lines()
        .enumerate()
        .skip(first - 1)
        .take(line + 1 - first)
        .find_map(|(index, row)| {
            let chars: Vec<char> = row.chars().collect();
            let indent = chars.iter().take_while(|c| c.is_whitespace()).count();
            // The colon that ends the line's leading key, if it has one.
            // (`- id:` has its key after the dash.)
            let key_start = if chars[indent..].starts_with(&['-', ' ']) {
                indent + 2
            } else {
                indent
            };
            let key_end = chars[key_start..]
                .iter()
                .position(|&c| c == ':' || c == ' ')
                .map(|at| key_start + at)
                .filter(|&at| chars[at] == ':' && at > key_start);
            let column = chars.iter().enumerate().position(|(at, &c)| {
                c == '\u{a0}'
                    && (at < indent
                        // `owner:<NBSP>Leah`, `-<NBSP>item`: not a key or an
                        // item to YAML. Further on, a value may hold one.
                        || key_end.is_some_and(|colon| at == colon + 1)
                        || (at == indent + 1 && chars[indent] == '-'))
            })?;
            Some((index + 1, column + 1))
        })
}

/// What a scan error means, where it is clearer than the parser's words.
struct Explained {
    /// A better place (line and column, from 1), when the error's is not.
    at: Option<(usize, usize)>,
    message: String,
    help: String,
}

const INDENTATION_HELP: &str = "line this up with the lines above it: the fields of one item start in the same column, and the items of a list (`- `) under one another";

/// Quotes and indentation, the commonest slips after a missing colon.
fn explain_scan_error(text: &str, scan: &saphyr_parser::ScanError) -> Option<Explained> {
    let info = scan.info();
    let marker = scan.marker();
    let row = text
        .lines()
        .nth(marker.line().checked_sub(1)?)
        .unwrap_or_default();
    if info.contains("trailing content after") {
        // `title: 'Grove City's best week'`: the quote inside ended it.
        let value_start = row.find(": ").map_or(0, |at| at + 2);
        let quote = row[value_start..].trim_start().chars().next()?;
        return match quote {
            '\'' => Some(Explained {
                at: None,
                message: "the text in single quotes ends at the `'` before this".to_owned(),
                help: "write a `'` inside single quotes twice (`''`), or put the text in double quotes".to_owned(),
            }),
            '"' => Some(Explained {
                at: None,
                message: "the text in double quotes ends at the `\"` before this".to_owned(),
                help: "write a `\"` inside double quotes as `\\\"`, or put the text in single quotes".to_owned(),
            }),
            _ => None,
        };
    }
    if info.contains("quoted scalar") {
        // A quote opened and never closed: the scanner runs on to a line it
        // cannot take. The opening quote is on the nearest line above with
        // an odd number of them.
        let first = marker.line().saturating_sub(20).max(1);
        let (line, column, quote) = text
            .lines()
            .enumerate()
            .skip(first - 1)
            .take(marker.line() + 1 - first)
            .filter_map(|(index, row)| {
                let value_start = row.find(": ").map(|at| at + 2).or_else(|| {
                    let trimmed = row.trim_start();
                    trimmed
                        .starts_with("- ")
                        .then(|| row.len() - trimmed.len() + 2)
                })?;
                let value = &row[value_start..];
                let quote = value
                    .trim_start()
                    .chars()
                    .next()
                    .filter(|c| matches!(c, '"' | '\''))?;
                let opens_at = value_start + (value.len() - value.trim_start().len());
                let odd = value.matches(quote).count() % 2 == 1;
                odd.then(|| (index + 1, row[..opens_at].chars().count() + 1, quote))
            })
            .last()?;
        return Some(Explained {
            at: Some((line, column)),
            message: format!("the `{quote}` opened here is never closed"),
            help: format!("close it with `{quote}` at the end of the text"),
        });
    }
    // `milestones: []` and then items under it: the `[]` closed the list.
    if let Some((line, column, list)) = closed_list_above(text, marker.line()) {
        return Some(Explained {
            at: Some((line, column)),
            message: format!(
                "`{list}` closes the list on this line, so the items under it belong to nothing"
            ),
            help: format!(
                "delete the `{}` to list the items under it",
                &list[list.len() - 2..]
            ),
        });
    }
    // `outcome: [Draft] plan`: a value that starts with a bracket is a list
    // or a mapping to YAML.
    if let Some((_, value)) = row.split_once(": ")
        && matches!(value.trim_start().chars().next(), Some('[' | '{'))
        && !matches!(
            value
                .split(" #")
                .next()
                .unwrap_or(value)
                .trim_end()
                .chars()
                .last(),
            Some(']' | '}')
        )
    {
        return Some(Explained {
            at: None,
            message: "a value that starts with `[` or `{` is read as a list or a mapping, and this one goes on after it closes".to_owned(),
            help: "put the whole text in quotes".to_owned(),
        });
    }
    let key_at_start = {
        let trimmed = row.trim_start().trim_start_matches("- ");
        let key_len = trimmed
            .find(':')
            .filter(|&at| !trimmed[..at].contains(' ') && at > 0);
        key_len.map(|at| row.len() - trimmed.len() + at)
    };
    // A line indented under a value reads as more of that text; its
    // `name:` then is a `: ` inside a text. Which was meant, a new field or
    // more text, only the writer knows.
    if info.contains("mapping values are not allowed")
        && let Some(at) = key_at_start
        && row[..at].chars().count() == marker.col()
    {
        let name = row[..at].trim_start().trim_start_matches("- ");
        return Some(Explained {
            at: None,
            message: format!(
                "`{name}:` is read as more of the text above it, which cannot hold `: ` unquoted"
            ),
            help: format!(
                "if `{name}:` starts a field, line it up with the fields above it; if it goes on with the text above, put that whole text in quotes"
            ),
        });
    }
    let indentation = info.contains("did not find expected key")
        || info.contains("did not find expected '-' indicator")
        || info.contains("block sequence entries are not allowed");
    indentation.then(|| Explained {
        at: None,
        message: "this line's indentation does not fit the lines above it".to_owned(),
        help: INDENTATION_HELP.to_owned(),
    })
}

/// A line ending in `: []` (or `: {}`) just above `line` (1-based), with
/// items under it: its line, and the `key: []`.
fn closed_list_above(text: &str, line: usize) -> Option<(usize, usize, String)> {
    let rows: Vec<&str> = text.lines().take(line).collect();
    let (index, row) = rows
        .iter()
        .enumerate()
        .rev()
        .skip(1)
        .take(3)
        .find(|(_, row)| {
            let trimmed = row.trim();
            !trimmed.is_empty() && !trimmed.starts_with('#')
        })?;
    let code = row.split(" #").next().unwrap_or(row).trim_end();
    let next = rows[index + 1..].iter().find(|r| !r.trim().is_empty())?;
    let indent = |r: &str| r.len() - r.trim_start().len();
    // Items (`- `) under it: a deeper field is an indentation slip instead.
    let items = next.trim_start().starts_with("- ") && indent(next) >= indent(row);
    (code.ends_with(": []") && items).then(|| {
        (
            index + 1,
            code[..code.len() - 2].chars().count() + 1,
            code.trim_start().to_owned(),
        )
    })
}

/// A `key: |` (or `>`) within five lines above `line` (1-based) whose
/// next line with text is indented no further than the key: the text meant
/// for it, and so the error. That line, and the key with its indicator.
fn unindented_block_text(text: &str, line: usize) -> Option<(usize, usize, String)> {
    let rows: Vec<&str> = text.lines().take(line).collect();
    let first = line.saturating_sub(6);
    (first..rows.len()).rev().find_map(|index| {
        let row = rows[index];
        let trimmed = row.trim_end();
        let (key, indicator) = trimmed.rsplit_once(": ")?;
        let indicator = indicator.trim();
        if !(indicator.starts_with('|') || indicator.starts_with('>')) || indicator.len() > 3 {
            return None;
        }
        // The key's own column: after the dash of a list item.
        let trimmed_row = row.trim_start();
        let indent =
            row.len() - trimmed_row.len() + if trimmed_row.starts_with("- ") { 2 } else { 0 };
        let (next, next_row) = rows
            .iter()
            .enumerate()
            .skip(index + 1)
            .find(|(_, r)| !r.trim().is_empty())?;
        let next_indent = next_row.len() - next_row.trim_start().len();
        // A field or an item there leaves the text empty, which is valid:
        // the error is elsewhere.
        let words = next_row.trim_start();
        let field = words.starts_with("- ")
            || words.starts_with('#')
            // `owner:Dana` or `owner:<NBSP>Dana` too: a field with a slip,
            // which the other explanations name.
            || words.split_once(':').is_some_and(|(name, _)| {
                !name.is_empty()
                    && name.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-')
            });
        (next_indent <= indent && !field).then(|| {
            (
                next + 1,
                next_indent + 1,
                format!("{}: {indicator}", key.trim()),
            )
        })
    })
}

/// The nearest line before `line` (1-based, up to three back) with a `[`
/// or `{` outside quotes that is not closed on it, as (line, column,
/// bracket).
fn unclosed_bracket(text: &str, line: usize) -> Option<(usize, usize, char)> {
    let first = line.saturating_sub(3).max(1);
    let rows: Vec<&str> = text
        .lines()
        .skip(first - 1)
        .take(line.saturating_sub(first))
        .collect();
    rows.iter().enumerate().rev().find_map(|(at, row)| {
        let mut open: Vec<(usize, char)> = Vec::new();
        let mut quote = None;
        for (column, c) in row.chars().enumerate() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(c),
                (None, '#')
                    if column == 0 || row[..row.char_indices().nth(column)?.0].ends_with(' ') =>
                {
                    break;
                }
                (None, '[' | '{') => open.push((column + 1, c)),
                (None, ']' | '}') => {
                    open.pop();
                }
                _ => {}
            }
        }
        open.first().map(|&(column, c)| (first + at, column, c))
    })
}

/// The nearest line at or up to three lines before `line` (1-based) that
/// reads like a field with no space after its colon (`owner:Dana`), as
/// (line, column of the colon, key).
fn missing_space_after_colon(text: &str, line: usize) -> Option<(usize, usize, &str)> {
    let first = line.saturating_sub(3).max(1);
    let rows: Vec<&str> = text
        .lines()
        .skip(first - 1)
        .take(line + 1 - first)
        .collect();
    rows.iter().enumerate().rev().find_map(|(at, row)| {
        let indent = row.len() - row.trim_start_matches(' ').len();
        let rest = &row[indent..];
        let (rest, indent) = match rest.strip_prefix("- ") {
            Some(after) => (
                after.trim_start_matches(' '),
                row.len() - after.trim_start_matches(' ').len(),
            ),
            None => (rest, indent),
        };
        let key_len = rest
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
            .count();
        let starts_with_letter = rest.bytes().next().is_some_and(|b| b.is_ascii_alphabetic());
        let after = rest[key_len..].strip_prefix(':')?;
        let next = after.chars().next()?;
        (starts_with_letter && !next.is_whitespace() && next != ':')
            .then(|| (first + at, indent + key_len + 1, &rest[..key_len]))
    })
}

/// A line of plain words where a `key: value` was due (`status active`,
/// or a value's second line not indented): saphyr finds out only at the
/// start of the next line, and names that one. The nearest line before it
/// holding something other than a comment: its line and column (both
/// from 1) and words. None when the error is another one, or the line is
/// not plain words (a quote, a bracket, a colon: other errors explain those).
fn line_without_colon<'t>(
    text: &'t str,
    scan: &saphyr_parser::ScanError,
) -> Option<(usize, usize, &'t str)> {
    let marker = scan.marker();
    if scan.info() != "simple key expect ':'" || marker.col() != 0 {
        return None;
    }
    let (index, row) = text
        .lines()
        .enumerate()
        .take(marker.line().checked_sub(1)?)
        .filter(|(_, row)| {
            let trimmed = row.trim();
            !trimmed.is_empty() && !trimmed.starts_with('#')
        })
        .last()?;
    let words = row.trim();
    let plain = words.chars().next().is_some_and(|c| c.is_alphanumeric())
        && !words.contains(':')
        && !words.contains(" #");
    let indent = row.chars().take_while(|c| c.is_whitespace()).count();
    plain.then_some((index + 1, indent + 1, words))
}

/// Reads one YAML document. `line_offset` is the number of lines before the
/// document in its file, so positions are the file's own.
pub fn parse(text: &str, line_offset: u32) -> Parsed {
    // A lone carriage return (no line feed after it) among LF-ended lines
    // is a line break to YAML but not to an editor or to the diagnostics'
    // line numbers: read as a space, it keeps every position where the
    // writer sees it.
    let without_lone_cr;
    // A file whose every line ends in CR alone is read as YAML reads it.
    let text = if has_lone_cr(text) {
        // In a file of mostly CR-ended lines (a classic Mac file, perhaps
        // with a line added since), each is a line break.
        without_lone_cr = replace_lone_cr(text, if mostly_cr_lines(text) { '\n' } else { ' ' });
        without_lone_cr.as_str()
    } else {
        text
    };
    let mut parsed = parse_once(text, line_offset);
    // YAML 1.2 allows a tab after a key's colon (`owner:<tab>Dana`, what a
    // paste from a spreadsheet gives), which saphyr refuses: a space in its
    // place reads the same and keeps every position. Bounded, because each
    // try parses the document again.
    let mut untabbed: Option<String> = None;
    for _ in 0..MAX_TAB_FIXES {
        let Err(tabs) = parsed else { break };
        let copy = untabbed.get_or_insert_with(|| text.to_owned());
        // Tabs and spaces are one byte each: offsets and columns stay.
        copy.replace_range(tabs.clone(), &" ".repeat(tabs.len()));
        parsed = parse_once(copy, line_offset);
    }
    match parsed {
        Ok(parsed) => parsed,
        Err(tabs) => Parsed {
            root: None,
            errors: vec![YamlError {
                pos: position_of(text, tabs.start, line_offset),
                message: format!("more than {MAX_TAB_FIXES} keys have a tab after their colon"),
                help: "put a space after each key's colon instead of a tab".into(),
                path: None,
            }],
        },
    }
}

/// More lines end in CR alone than in LF: a classic Mac file, perhaps with
/// a line added since.
fn mostly_cr_lines(text: &str) -> bool {
    let bytes = text.as_bytes();
    let lone_cr = memchr::memchr_iter(b'\r', bytes)
        .filter(|&at| bytes.get(at + 1) != Some(&b'\n'))
        .count();
    lone_cr > memchr::memchr_iter(b'\n', bytes).count()
}

fn has_lone_cr(text: &str) -> bool {
    memchr::memchr_iter(b'\r', text.as_bytes())
        .any(|at| text.as_bytes().get(at + 1) != Some(&b'\n'))
}

fn replace_lone_cr(text: &str, with: char) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(if c == '\r' && chars.peek() != Some(&'\n') {
            with
        } else {
            c
        });
    }
    out
}

/// The line and column of a byte offset, for errors found outside saphyr.
fn position_of(text: &str, offset: usize, line_offset: u32) -> Pos {
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |at| at + 1);
    Pos::new(
        to_u32(before.matches('\n').count() + 1) + line_offset,
        to_u32(before[line_start..].chars().count() + 1),
        1,
    )
}

/// How many tabs after colons `parse` replaces before it gives up.
const MAX_TAB_FIXES: usize = 64;

/// One reading of a document; `Err` holds the byte range of the tabs after
/// a key's colon that saphyr refused, when that was the only problem so far.
fn parse_once(text: &str, line_offset: u32) -> Result<Parsed, std::ops::Range<usize>> {
    let mut builder = Builder {
        line_offset,
        stack: Vec::new(),
        anchors: Vec::new(),
        alias_copies: 0,
        root: None,
        errors: Vec::new(),
        documents: 0,
    };
    for event in Parser::new_from_str(text) {
        match event {
            Ok((event, span)) => {
                if let Err(fatal) = builder.event(event, span) {
                    builder.errors.push(fatal);
                    return Ok(Parsed {
                        root: None,
                        errors: builder.errors,
                    });
                }
            }
            Err(scan) => {
                let marker = scan.marker();
                if scan.info() == "':' must be followed by a valid YAML whitespace"
                    && let Some(tabs) = tabs_before(text, marker.index())
                {
                    return Err(tabs);
                }
                if scan.info().contains("recursion limit") {
                    // saphyr's own limit is deeper than ours and its scanner
                    // reads ahead: point where our limit is passed, as
                    // `Builder::open` does for shallower nesting.
                    let block_levels = builder.block_levels(text, line_offset);
                    let offset = opener_past_limit(text, marker.index(), block_levels)
                        .unwrap_or_else(|| byte_offset(text, marker.index()));
                    builder
                        .errors
                        .push(too_deep(position_of(text, offset, line_offset)));
                    return Ok(Parsed {
                        root: None,
                        errors: builder.errors,
                    });
                }
                let message = format!("YAML syntax: {}", scan.info());
                let mut pos = Pos::new(
                    to_u32(marker.line()) + line_offset,
                    to_u32(marker.col()) + 1,
                    1,
                );
                let help = if scan.info().contains("tab") {
                    // The scanner stops where the value began; the tab that
                    // broke it may be later on, often on the next line.
                    if let Some((line, column)) = first_tab(text, marker.line(), marker.col()) {
                        pos = Pos::new(to_u32(line) + line_offset, to_u32(column), 1);
                    }
                    "indent with spaces: YAML does not allow a tab here"
                } else {
                    "fix the YAML here; quote a text that holds `: `, `#` or starts with a special character"
                };
                let mut help = help.to_owned();
                let mut message = message;
                // `owner:Dana` is one plain text to YAML, not a field: the
                // parser stumbles a line or two later.
                let block_text = unindented_block_text(text, marker.line());
                if let Some((line, column, key)) = block_text {
                    pos = Pos::new(to_u32(line) + line_offset, to_u32(column), 1);
                    message = format!(
                        "this line is not indented further than `{key}`, so it is not part of its text"
                    );
                    help = format!(
                        "indent every line of that text further than `{key}`, such as by two spaces"
                    );
                } else if let Some((line, column)) = non_breaking_space(text, marker.line()) {
                    pos = Pos::new(to_u32(line) + line_offset, to_u32(column), 1);
                    message = "a non-breaking space (as word processors paste) stands where YAML needs an ordinary space".to_owned();
                    help = "delete it and type an ordinary space".to_owned();
                } else if let Some((line, column, key)) =
                    missing_space_after_colon(text, marker.line())
                {
                    pos = Pos::new(to_u32(line) + line_offset, to_u32(column), 1);
                    message = format!(
                        "`{key}:` has no space after its colon, so YAML does not read it as a field"
                    );
                    help = format!("put a space after the colon: `{key}: ...`");
                } else if let Some((line, column, words)) = line_without_colon(text, &scan) {
                    pos = Pos::new(to_u32(line) + line_offset, to_u32(column), 1);
                    message = format!(
                        "`{words}` is not a field: this line has no `: ` between a name and a value"
                    );
                    help = match words.split_once(' ') {
                        Some((name, value)) => format!(
                            "write `{name}: {}` if it is a field; to continue the value above, indent this line",
                            value.trim_start()
                        ),
                        None => format!(
                            "write `{words}: <value>` if it is a field; to continue the value above, indent this line"
                        ),
                    };
                } else if let Some((line, column, open)) = unclosed_bracket(text, marker.line()) {
                    let close = if open == '[' { ']' } else { '}' };
                    pos = Pos::new(to_u32(line) + line_offset, to_u32(column), 1);
                    message = format!("the `{open}` opened here is never closed");
                    help = format!("close it with `{close}` at the end of what it holds");
                } else if let Some(said) = explain_scan_error(text, &scan) {
                    if let Some((line, column)) = said.at {
                        pos = Pos::new(to_u32(line) + line_offset, to_u32(column), 1);
                    }
                    message = said.message;
                    help = said.help;
                }
                builder.errors.push(YamlError {
                    pos,
                    message,
                    help,
                    path: None,
                });
                return Ok(Parsed {
                    root: None,
                    errors: builder.errors,
                });
            }
        }
    }
    Ok(Parsed {
        root: builder.root,
        errors: builder.errors,
    })
}

/// The byte offset of the `char_index`th character of `text`.
fn byte_offset(text: &str, char_index: usize) -> usize {
    text.char_indices()
        .nth(char_index)
        .map_or(text.len(), |(at, _)| at)
}

/// The byte offset of the flow bracket that opens level `MAX_DEPTH + 1`,
/// counting the `block_levels` outside it, among the brackets still open
/// at the `char_index`th character.
fn opener_past_limit(text: &str, char_index: usize, block_levels: usize) -> Option<usize> {
    let end = byte_offset(text, char_index);
    // The brackets enclosing `end`, innermost first: walk back, skipping
    // the pairs already closed.
    let mut enclosing = Vec::new();
    let mut closed = 0usize;
    for (at, c) in text[..end].char_indices().rev() {
        match c {
            ']' | '}' => closed += 1,
            '[' | '{' if closed > 0 => closed -= 1,
            '[' | '{' => enclosing.push(at),
            _ => {}
        }
    }
    let nth = MAX_DEPTH.checked_sub(block_levels)?;
    enclosing.len().checked_sub(nth + 1).map(|i| enclosing[i])
}

fn too_deep(pos: Pos) -> YamlError {
    YamlError {
        pos,
        message: format!("values are nested more than {MAX_DEPTH} levels deep"),
        help: "records are at most a few levels deep; check the indentation".into(),
        path: None,
    }
}

/// The byte range of the tabs that end just before the `char_index`th
/// character and follow a colon, if there are any.
fn tabs_before(text: &str, char_index: usize) -> Option<std::ops::Range<usize>> {
    let end = byte_offset(text, char_index);
    let before = &text[..end];
    let start = before.trim_end_matches('\t').len();
    (start < end && before[..start].ends_with(':')).then_some(start..end)
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A collection being built, with the key waiting for its value.
enum Open {
    Seq {
        node: Node,
        anchor: usize,
    },
    Map {
        node: Node,
        anchor: usize,
        pending_key: Option<(String, Pos)>,
    },
}

struct Builder {
    line_offset: u32,
    stack: Vec<Open>,
    anchors: Vec<(usize, Node)>,
    alias_copies: usize,
    root: Option<Node>,
    errors: Vec<YamlError>,
    documents: usize,
}

impl Builder {
    fn pos(&self, span: &Span) -> Pos {
        let start = span.start;
        let len = span.end.index().saturating_sub(start.index());
        Pos::new(
            to_u32(start.line()) + self.line_offset,
            to_u32(start.col()) + 1,
            to_u32(len),
        )
    }

    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), YamlError> {
        let pos = self.pos(&span);
        match event {
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(YamlError {
                        pos,
                        message: "a second YAML document starts here".into(),
                        help: "keep one document: remove this `---` or `...` line".into(),
                        path: None,
                    });
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                let is_key_position = matches!(
                    self.stack.last(),
                    Some(Open::Map {
                        pending_key: None,
                        ..
                    })
                );
                if is_key_position {
                    if let Some(Open::Map { pending_key, .. }) = self.stack.last_mut() {
                        *pending_key = Some((text.into_owned(), pos));
                    }
                    return Ok(());
                }
                let force_string = tag.as_ref().is_some_and(|t| t.suffix == "str");
                let kind = if style == ScalarStyle::Plain && !force_string {
                    resolve_plain(&text)
                } else {
                    NodeKind::Str(text.into_owned())
                };
                self.complete(Node { kind, pos }, anchor)?;
            }
            Event::SequenceStart(anchor, _) => {
                self.open(
                    Open::Seq {
                        node: Node {
                            kind: NodeKind::Seq(Vec::new()),
                            pos,
                        },
                        anchor,
                    },
                    pos,
                )?;
            }
            Event::MappingStart(anchor, _) => {
                self.open(
                    Open::Map {
                        node: Node {
                            kind: NodeKind::Map(Vec::new()),
                            pos,
                        },
                        anchor,
                        pending_key: None,
                    },
                    pos,
                )?;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (mut node, anchor) = match self.stack.pop() {
                    Some(Open::Seq { node, anchor }) => (node, anchor),
                    Some(Open::Map { node, anchor, .. }) => (node, anchor),
                    None => return Ok(()),
                };
                if let NodeKind::Map(entries) = &mut node.kind {
                    self.drop_repeated_keys(entries);
                }
                self.complete(node, anchor)?;
            }
            Event::Alias(id) => {
                let Some(original) = self
                    .anchors
                    .iter()
                    .rev()
                    .find(|(anchor, _)| *anchor == id)
                    .map(|(_, node)| node.clone())
                else {
                    return Err(YamlError {
                        pos,
                        message: "this alias names no anchor".into(),
                        help: "define the anchor (`&name`) before using `*name`".into(),
                        path: None,
                    });
                };
                self.alias_copies += count_nodes(&original);
                if self.alias_copies > MAX_ALIAS_COPIES {
                    return Err(YamlError {
                        pos,
                        message: format!(
                            "aliases here copy more than {MAX_ALIAS_COPIES} values (an alias bomb?)"
                        ),
                        help: "write the values out instead of nesting aliases".into(),
                        path: None,
                    });
                }
                // Everything in a copy is where the alias is: a finding in
                // it (a repeated id, a late date) belongs to this use of the
                // values, the second occurrence, not to the anchor's.
                let mut copy = original;
                move_to(&mut copy, pos);
                self.complete(copy, 0)?;
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
        }
        Ok(())
    }

    /// How many of the open collections are block ones: the others start
    /// with a bracket in `text`.
    fn block_levels(&self, text: &str, line_offset: u32) -> usize {
        let starts_with_bracket = |pos: Pos| {
            let line = pos.line.saturating_sub(line_offset + 1) as usize;
            let column = pos.column.saturating_sub(1) as usize;
            text.split('\n')
                .nth(line)
                .and_then(|line| line.chars().nth(column))
                .is_some_and(|c| matches!(c, '[' | '{'))
        };
        self.stack
            .iter()
            .filter(|open| {
                let (Open::Seq { node, .. } | Open::Map { node, .. }) = open;
                !starts_with_bracket(node.pos)
            })
            .count()
    }

    fn open(&mut self, open: Open, pos: Pos) -> Result<(), YamlError> {
        if let Some(Open::Map {
            pending_key: None, ..
        }) = self.stack.last()
        {
            return Err(YamlError {
                pos,
                message: "a list or mapping is used as a key".into(),
                help: "keys are plain words such as `title` or `due`".into(),
                path: None,
            });
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(too_deep(pos));
        }
        self.stack.push(open);
        Ok(())
    }

    /// Hands a finished node to its parent, or makes it the root.
    fn complete(&mut self, node: Node, anchor: usize) -> Result<(), YamlError> {
        if anchor != 0 {
            self.anchors.push((anchor, node.clone()));
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Open::Seq { node: parent, .. }) => {
                if let NodeKind::Seq(items) = &mut parent.kind {
                    items.push(node);
                }
            }
            Some(Open::Map {
                node: parent,
                pending_key,
                ..
            }) => {
                let Some((key, key_pos)) = pending_key.take() else {
                    return Err(YamlError {
                        pos: node.pos,
                        message: "a list or mapping is used as a key".into(),
                        help: "keys are plain words such as `title` or `due`".into(),
                        path: None,
                    });
                };
                if let NodeKind::Map(entries) = &mut parent.kind {
                    entries.push(Entry {
                        key,
                        key_pos,
                        value: node,
                    });
                }
            }
        }
        Ok(())
    }

    /// The path of the node about to be completed: each open list's next
    /// index and each open mapping's pending key.
    fn open_path(&self) -> Vec<OwnedStep> {
        self.stack
            .iter()
            .filter_map(|open| match open {
                Open::Seq { node, .. } => match &node.kind {
                    NodeKind::Seq(items) => Some(OwnedStep::Index(items.len())),
                    _ => None,
                },
                Open::Map { pending_key, .. } => pending_key
                    .as_ref()
                    .map(|(key, _)| OwnedStep::Key(key.clone())),
            })
            .collect()
    }

    /// A repeated key is an error at its second occurrence; the first one
    /// stays so the rest of the record can still be checked.
    fn drop_repeated_keys(&mut self, entries: &mut Vec<Entry>) {
        if entries.len() < 2 {
            return;
        }
        let mut order: Vec<usize> = (0..entries.len()).collect();
        order.sort_by(|&a, &b| entries[a].key.cmp(&entries[b].key).then(a.cmp(&b)));
        let mut repeated = vec![false; entries.len()];
        for pair in order.windows(2) {
            if entries[pair[0]].key == entries[pair[1]].key {
                repeated[pair[1]] = true;
            }
        }
        if !repeated.contains(&true) {
            return;
        }
        let mut path = self.open_path();
        let names: Vec<String> = (0..entries.len())
            .filter(|&i| repeated[i])
            .map(|i| format!("`{}`", entries[i].key))
            .collect();
        let first = repeated.iter().position(|&r| r).unwrap_or_default();
        // In a list item, repeated keys most often start an item whose `- `
        // was forgotten: one finding for them all, at the first.
        if matches!(self.stack.last(), Some(Open::Seq { .. })) {
            let message = match names.as_slice() {
                [one] => format!("{one} is given twice"),
                [one, others @ ..] => format!(
                    "{one} is given twice in this item, and so {} after it",
                    match others {
                        [other] => format!("is {other}"),
                        _ if others.len() > 5 => {
                            format!(
                                "are {} and {} more",
                                others[..5].join(", "),
                                others.len() - 5
                            )
                        }
                        _ => format!("are {}", others.join(", ")),
                    }
                ),
                [] => String::new(),
            };
            path.push(OwnedStep::Key(entries[first].key.clone()));
            self.errors.push(YamlError {
                pos: entries[first].key_pos,
                message,
                help: format!(
                    "if this `{}:` starts the list's next item, begin its line with `- `; \
                     otherwise keep one of each",
                    entries[first].key
                ),
                path: Some(format_owned_path(&path)),
            });
        } else {
            for (entry, _) in entries.iter().zip(&repeated).filter(|(_, r)| **r) {
                path.push(OwnedStep::Key(entry.key.clone()));
                self.errors.push(YamlError {
                    pos: entry.key_pos,
                    message: format!("`{}` is given twice", entry.key),
                    help: "keep one of the two: YAML would silently use only one".into(),
                    path: Some(format_owned_path(&path)),
                });
                path.pop();
            }
        }
        let mut index = 0;
        entries.retain(|_| {
            index += 1;
            !repeated[index - 1]
        });
    }
}

/// The node at `path` under `node`, for changing it.
fn descend_mut<'a>(node: &'a mut Node, path: &[OwnedStep]) -> Option<&'a mut Node> {
    let Some((first, rest)) = path.split_first() else {
        return Some(node);
    };
    let child = match (first, &mut node.kind) {
        (OwnedStep::Key(key), NodeKind::Map(entries)) => entries
            .iter_mut()
            .find(|e| e.key == *key)
            .map(|e| &mut e.value),
        (OwnedStep::Index(index), NodeKind::Seq(items)) => items.get_mut(*index),
        _ => None,
    }?;
    descend_mut(child, rest)
}

/// Puts `node` and everything in it at `pos`.
fn move_to(node: &mut Node, pos: Pos) {
    node.pos = pos;
    match &mut node.kind {
        NodeKind::Seq(items) => items.iter_mut().for_each(|item| move_to(item, pos)),
        NodeKind::Map(entries) => entries.iter_mut().for_each(|entry| {
            entry.key_pos = pos;
            move_to(&mut entry.value, pos);
        }),
        _ => {}
    }
}

fn count_nodes(node: &Node) -> usize {
    match &node.kind {
        NodeKind::Seq(items) => 1 + items.iter().map(count_nodes).sum::<usize>(),
        NodeKind::Map(entries) => 1 + entries.iter().map(|e| count_nodes(&e.value)).sum::<usize>(),
        _ => 1,
    }
}

/// A bare number or boolean as the record's `source` spells it at `pos`
/// (`1.10`, `007`, `TRUE`), when the text there reads as `kind`.
pub fn spelling(source: &str, pos: Pos, kind: &NodeKind) -> Option<String> {
    let line = source
        .split('\n')
        .nth((pos.line as usize).checked_sub(1)?)?;
    let text: String = line
        .chars()
        .skip((pos.column as usize).checked_sub(1)?)
        .take(pos.len as usize)
        .collect();
    // `&v 1.10`: the anchor is no part of the value.
    let text = match text.strip_prefix('&') {
        Some(anchored) => anchored
            .split_once(char::is_whitespace)?
            .1
            .trim_start()
            .to_owned(),
        None => text,
    };
    let same = match (resolve_plain(&text), kind) {
        (NodeKind::Float(a), NodeKind::Float(b)) => a.to_bits() == b.to_bits(),
        (found, kind) => found == *kind,
    };
    same.then_some(text)
}

/// YAML 1.2 core schema resolution of a plain scalar.
fn resolve_plain(text: &str) -> NodeKind {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return NodeKind::Null,
        "true" | "True" | "TRUE" => return NodeKind::Bool(true),
        "false" | "False" | "FALSE" => return NodeKind::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return NodeKind::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return NodeKind::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return NodeKind::Float(f64::NAN),
        _ => {}
    }
    if let Some(kind) = resolve_int(text) {
        return kind;
    }
    if is_core_float(text)
        && let Ok(f) = text.parse::<f64>()
    {
        return NodeKind::Float(f);
    }
    NodeKind::Str(text.to_owned())
}

fn resolve_int(text: &str) -> Option<NodeKind> {
    let (digits, radix) = if let Some(hex) = text.strip_prefix("0x") {
        (hex, 16)
    } else if let Some(octal) = text.strip_prefix("0o") {
        (octal, 8)
    } else {
        (text, 10)
    };
    let unsigned = if radix == 10 {
        digits.strip_prefix(['-', '+']).unwrap_or(digits)
    } else {
        digits
    };
    if unsigned.is_empty() || !unsigned.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    match i64::from_str_radix(digits, radix) {
        Ok(i) => Some(NodeKind::Int(i)),
        // Too large for an integer: still a number.
        Err(_) => digits.parse::<f64>().ok().map(NodeKind::Float),
    }
}

/// `[-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?`
fn is_core_float(text: &str) -> bool {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(at) => (&body[..at], Some(&body[at + 1..])),
        None => (body, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((whole, fraction)) => {
            whole.chars().all(|c| c.is_ascii_digit())
                && fraction.chars().all(|c| c.is_ascii_digit())
                && (!whole.is_empty() || !fraction.is_empty())
        }
        None => !mantissa.is_empty() && mantissa.chars().all(|c| c.is_ascii_digit()),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let digits = e.strip_prefix(['-', '+']).unwrap_or(e);
        !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(text: &str) -> Node {
        let parsed = parse(text, 0);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        parsed.root.expect("a root")
    }

    #[test]
    fn positions_are_one_based_and_in_characters() {
        let node = root("title: Straße\nmilestones:\n  - id: A\n    due: 2026-05-01\n");
        let title = node.get("title").unwrap();
        assert_eq!(title.key_pos, Pos::new(1, 1, 5));
        assert_eq!(title.value.pos, Pos::new(1, 8, 6));
        let due = node
            .get("milestones")
            .unwrap()
            .value
            .item(0)
            .unwrap()
            .get("due")
            .unwrap();
        assert_eq!(due.value.pos, Pos::new(4, 10, 10));
    }

    #[test]
    fn line_offset_is_added() {
        let parsed = parse("a: 1\n", 1);
        assert_eq!(parsed.root.unwrap().get("a").unwrap().value.pos.line, 2);
    }

    #[test]
    fn yaml_1_2_scalars() {
        let node = root(
            "a: yes\nb: no\nc: ~\nd: 12\ne: 1.5\nf: true\ng: '12'\nh: 2026-05-01\ni:\nj: 0x1F\nk: 1e3\n",
        );
        let kind = |k: &str| node.get(k).unwrap().value.kind.clone();
        assert_eq!(kind("a"), NodeKind::Str("yes".into()));
        assert_eq!(kind("b"), NodeKind::Str("no".into()));
        assert_eq!(kind("c"), NodeKind::Null);
        assert_eq!(kind("d"), NodeKind::Int(12));
        assert_eq!(kind("e"), NodeKind::Float(1.5));
        assert_eq!(kind("f"), NodeKind::Bool(true));
        assert_eq!(kind("g"), NodeKind::Str("12".into()));
        assert_eq!(kind("h"), NodeKind::Str("2026-05-01".into()));
        assert_eq!(kind("i"), NodeKind::Null);
        assert_eq!(kind("j"), NodeKind::Int(31));
        assert_eq!(kind("k"), NodeKind::Float(1000.0));
    }

    #[test]
    fn repeated_key_is_reported_at_its_second_occurrence() {
        let parsed = parse("title: One\nstatus: active\ntitle: Two\n", 0);
        assert_eq!(parsed.errors.len(), 1);
        assert_eq!(parsed.errors[0].pos, Pos::new(3, 1, 5));
        let root = parsed.root.unwrap();
        assert_eq!(
            root.get("title").unwrap().value.kind,
            NodeKind::Str("One".into())
        );
        assert_eq!(parsed.errors[0].path.as_deref(), Some("title"));
    }

    #[test]
    fn a_tab_after_a_keys_colon_is_separation_as_yaml_1_2_says() {
        let parsed = parse(
            "title:\tOne\nsteps:\n  - due:\t\t2026-05-01\n    what:\t-x\n",
            0,
        );
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let root = parsed.root.unwrap();
        assert_eq!(
            root.get("title").unwrap().value.kind,
            NodeKind::Str("One".into())
        );
        let step = root.get("steps").unwrap().value.item(0).unwrap();
        let due = &step.get("due").unwrap().value;
        assert_eq!(due.kind, NodeKind::Str("2026-05-01".into()));
        assert_eq!(due.pos, Pos::new(3, 11, 10));
        // Inside quotes a tab is text, and stays one.
        let parsed = parse("a: \"x:\ty\"\n", 0);
        assert_eq!(
            parsed.root.unwrap().get("a").unwrap().value.kind,
            NodeKind::Str("x:\ty".into())
        );
    }

    #[test]
    fn too_many_tabs_after_colons_are_one_error_at_the_next_one() {
        let mut yaml: String = (0..MAX_TAB_FIXES).map(|i| format!("k{i}:\tv\n")).collect();
        yaml.push_str("last:\tv\n");
        let parsed = parse(&yaml, 2);
        assert!(parsed.root.is_none());
        assert_eq!(parsed.errors.len(), 1);
        assert_eq!(
            parsed.errors[0].pos,
            Pos::new(MAX_TAB_FIXES as u32 + 3, 6, 1)
        );
    }

    #[test]
    fn repeated_key_deep_in_the_record_names_its_path() {
        let yaml = "milestones:\n  - id: A\n  - id: B\n    due: 2026-01-01\n    due: 2026-02-01\nsuccess:\n  metrics:\n    - {id: m, id: n}\n";
        let parsed = parse(yaml, 0);
        let paths: Vec<_> = parsed.errors.iter().map(|e| e.path.as_deref()).collect();
        assert_eq!(
            paths,
            [Some("milestones[1].due"), Some("success.metrics[0].id")]
        );
        assert!(parsed.errors[0].help.contains("begin its line with `- `"));
        let parsed = parse("a: 1\na: 2\n", 0);
        assert!(!parsed.errors[0].help.contains("- "));
    }

    #[test]
    fn alias_bomb_is_refused() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for (name, prev) in ["b", "c", "d", "e", "f"]
            .iter()
            .zip(["a", "b", "c", "d", "e"])
        {
            text.push_str(&format!("{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        let parsed = parse(&text, 0);
        assert!(parsed.root.is_none());
        assert!(parsed.errors[0].message.contains("alias bomb"));
    }

    #[test]
    fn small_aliases_are_copied() {
        let node = root("a: &x {k: 1}\nb: *x\n");
        let copied = node.get("b").unwrap().value.get("k").unwrap();
        assert_eq!(copied.value.kind, NodeKind::Int(1));
        // The copy is where the alias is, not where the anchor is.
        assert_eq!(
            (copied.key_pos, copied.value.pos),
            (Pos::new(2, 4, 2), Pos::new(2, 4, 2))
        );
        let original = node.get("a").unwrap().value.get("k").unwrap();
        assert_eq!(original.value.pos, Pos::new(1, 11, 1));
    }

    #[test]
    fn deep_nesting_is_refused_without_overflowing() {
        let text = format!("a: {}{}", "[".repeat(20_000), "]".repeat(20_000));
        let parsed = parse(&text, 0);
        assert!(parsed.root.is_none());
        assert!(
            parsed.errors[0].message.contains("nested"),
            "{:?}",
            parsed.errors
        );
    }

    #[test]
    fn nesting_past_the_limit_is_reported_where_it_passes_the_limit() {
        // Shallower than saphyr's own limit, our builder refuses; deeper,
        // saphyr's scanner does first. Both point at the same bracket: the
        // root mapping is one level, so the 64th `[` opens the 65th.
        for depth in [100, 300, 5_000] {
            let text = format!("a: 1\nb: {}{}\n", "[".repeat(depth), "]".repeat(depth));
            let parsed = parse(&text, 0);
            assert_eq!(parsed.errors.len(), 1, "{depth}: {:?}", parsed.errors);
            let error = &parsed.errors[0];
            assert_eq!(error.pos, Pos::new(2, 4 + 63, 1), "{depth}");
            assert!(error.message.contains("more than 64 levels"));
            assert!(error.help.contains("indentation"));
        }
        // Inside a block list two levels deep, with closed pairs before.
        let text = format!(
            "a: [x, {{y: z}}]\nb:\n  - {}{}\n",
            "{k: ".repeat(400),
            "}".repeat(400)
        );
        let error = &parse(&text, 0).errors[0];
        assert_eq!(error.pos, Pos::new(3, 5 + 62 * 4, 1), "{error:?}");
    }

    #[test]
    fn slips_near_a_syntax_error_are_found_and_odd_text_is_safe() {
        let text = "title: T\nowner:Dana\nstart: 2026-01-01\n";
        assert_eq!(missing_space_after_colon(text, 3), Some((2, 6, "owner")));
        assert_eq!(
            missing_space_after_colon("  - id:A\n", 1),
            Some((1, 7, "id"))
        );
        // A time or a URL after `: ` is no slip.
        assert_eq!(
            missing_space_after_colon("summary: call at 10:30\nurl: http://x\n", 2),
            None
        );
        assert_eq!(
            unclosed_bracket("tags: [a, b\nx: 1\n", 2),
            Some((1, 7, '['))
        );
        assert_eq!(unclosed_bracket("t: \"[not\" # [no\nx: 1\n", 2), None);
        for line in [0, 1, 5, 1000] {
            for text in ["", "é:é\n[", "\u{202e}:x\n{{{", "- - - :\n"] {
                let _ = missing_space_after_colon(text, line);
                let _ = unclosed_bracket(text, line);
            }
        }
    }

    #[test]
    fn a_line_with_no_colon_is_named_not_the_line_after_it() {
        // saphyr finds out at the next line (here the front matter's end).
        let parsed = parse("title: T\nstatus active\n# a comment\n\nowner: O\n", 1);
        assert_eq!(parsed.errors.len(), 1, "{:?}", parsed.errors);
        let error = &parsed.errors[0];
        assert_eq!((error.pos.line, error.pos.column), (3, 1));
        assert!(
            error.message.contains("`status active`"),
            "{}",
            error.message
        );
        assert!(error.help.contains("`status: active`"), "{}", error.help);
        // In a list item, indented.
        let parsed = parse("wins:\n  - date: 2026-01-01\n    oops\n", 0);
        let error = &parsed.errors[0];
        assert_eq!((error.pos.line, error.pos.column), (3, 5));
        assert!(error.help.contains("`oops: <value>`"), "{}", error.help);
    }

    /// The one syntax error of `yaml`: line, column, message and help.
    fn the_error(yaml: &str) -> (u32, u32, String, String) {
        let parsed = parse(yaml, 0);
        assert_eq!(parsed.errors.len(), 1, "{yaml:?}: {:?}", parsed.errors);
        let error = &parsed.errors[0];
        (
            error.pos.line,
            error.pos.column,
            error.message.clone(),
            error.help.clone(),
        )
    }

    #[test]
    fn the_slips_of_hand_editing_are_named_where_they_are() {
        // A non-breaking space pasted after a colon, and one as indentation.
        let (line, column, message, help) =
            the_error("title: T\nowner:\u{a0}Leah Brandt\nstart: 2026-04-06\n");
        assert_eq!((line, column), (2, 7));
        assert!(message.contains("non-breaking space"), "{message}");
        assert_eq!(help, "delete it and type an ordinary space");
        let (line, column, ..) = the_error(
            "milestones:\n  - id: A\n    due: 2026-01-01\n\u{a0} - id: B\n    due: 2026-02-01\n",
        );
        assert_eq!((line, column), (4, 1));
        // A quote inside single quotes, and a quote never closed.
        let (line, _, message, help) = the_error("title: 'Grove City's best week'\nowner: O\n");
        assert_eq!(line, 1);
        assert!(message.contains("single quotes ends"), "{message}");
        assert!(help.contains("(`''`)"), "{help}");
        let (line, column, message, _) =
            the_error("wins:\n  - title: \"A deal closed\n    date: 2026-01-01\nowner: O\n");
        assert_eq!((line, column), (2, 12));
        assert_eq!(message, "the `\"` opened here is never closed");
        // A list item one space out.
        let (_, _, message, help) = the_error(
            "milestones:\n  - id: A\n    due: 2026-01-01\n - id: B\n    due: 2026-02-01\n",
        );
        assert_eq!(
            message,
            "this line's indentation does not fit the lines above it"
        );
        assert!(help.starts_with("line this up"), "{help}");
        // A field indented too far and a text going on with a colon read
        // the same to YAML: both fixes are named.
        for yaml in [
            "milestones:\n  - id: A\n      due: 2026-01-01\n",
            "updates:\n  log:\n    - summary: Shared the map with the\n        following: milestone B\n",
        ] {
            let (_, _, message, help) = the_error(yaml);
            assert!(
                message.ends_with(
                    "is read as more of the text above it, which cannot hold `: ` unquoted"
                ),
                "{message}"
            );
            assert!(
                help.contains("line it up") && help.contains("in quotes"),
                "{help}"
            );
        }
        // A value that starts with a bracket; a list closed by `[]` and
        // then given items.
        let (_, _, message, help) =
            the_error("milestones:\n  - id: A\n    outcome: [Draft] plan signed off\n");
        assert!(
            message.starts_with("a value that starts with `[`"),
            "{message}"
        );
        assert_eq!(help, "put the whole text in quotes");
        let (line, _, message, help) =
            the_error("milestones: []   # the path\n  - id: A\n    due: 2026-01-01\n");
        assert_eq!(line, 1);
        assert!(
            message.starts_with("`milestones: []` closes the list"),
            "{message}"
        );
        assert_eq!(help, "delete the `[]` to list the items under it");
        // A non-breaking space inside a value is no one's business; the
        // error after it is named.
        let (line, _, message, _) = the_error(
            "current_state: Ratio 3:\u{a0}1 in favour\ndesired_outcome: Deals close: fast\n",
        );
        assert_eq!(line, 2);
        assert!(!message.contains("non-breaking"), "{message}");
        // But a second `: ` in a value is still quoting's case.
        let (_, _, _, help) = the_error("title: Deposit policy: repeat no-shows\nowner: O\n");
        assert!(help.contains("quote a text that holds `: `"), "{help}");
        // Text under `key: |` that is not indented: that line, not the next.
        let (line, column, message, help) = the_error(
            "internal_notes: |\nDr. Patel is against deposits. If it fails, offer\n  the fallback: first slot only.\n",
        );
        assert_eq!((line, column), (2, 1));
        assert!(message.contains("`internal_notes: |`"), "{message}");
        assert!(help.contains("indent every line"), "{help}");
        // In a list item, measured from the key, not the dash; and a line
        // without a colon is named the same way.
        let (line, column, message, _) = the_error(
            "concerns:\n  - concern: |\n    Weekly reports arrive late.\n    date: 2026-03-15\n",
        );
        assert_eq!((line, column), (3, 5));
        assert!(message.contains("`- concern: |`"), "{message}");
        let (line, _, message, _) =
            the_error("internal_notes: |\nDr. Patel is against deposits.\nowner: O\n");
        assert_eq!(line, 2);
        assert!(message.contains("`internal_notes: |`"), "{message}");
    }

    #[test]
    fn paths_are_said_to_people_with_items_counted_from_one() {
        use Step::{Index as I, Key as K};
        assert_eq!(describe_path(&[K("milestones"), I(1)]), "the 2nd milestone");
        assert_eq!(
            describe_path(&[K("success"), K("metrics"), I(0), K("measurements"), I(3)]),
            "the 4th measurement of the 1st metric"
        );
        assert_eq!(
            describe_path(&[K("updates"), K("log"), I(10), K("extra")]),
            "`extra` of the 11th update"
        );
        assert_eq!(describe_path(&[K("odd"), I(21)]), "the 22nd item of `odd`");
        assert_eq!(describe_path(&[K("value")]), "`value`");
        assert_eq!(
            (
                ordinal(1),
                ordinal(3),
                ordinal(12),
                ordinal(23),
                ordinal(111)
            ),
            (
                "1st".into(),
                "3rd".into(),
                "12th".into(),
                "23rd".into(),
                "111th".into()
            )
        );
    }

    #[test]
    fn a_lone_carriage_return_is_read_as_a_space_where_the_writer_sees_one() {
        let parsed = parse("title: Two\rwords\nowner: O\nstatus: bogus word: x\n", 0);
        // The error is on the third line as an editor counts them.
        assert_eq!(parsed.errors.len(), 1, "{:?}", parsed.errors);
        assert_eq!(parsed.errors[0].pos.line, 3);
        let node = root("title: Two\rwords\nowner: O\n");
        assert_eq!(
            node.to_value().get("title").and_then(Value::as_str),
            Some("Two words")
        );
        // A file of CR-only lines is read as YAML reads it: line by line.
        let node = root("name: Acme\rsince: 2024-05-01\rindustry: Freight\r");
        assert_eq!(
            node.to_value().get("industry").and_then(Value::as_str),
            Some("Freight")
        );
    }

    #[test]
    fn explanations_give_way_to_what_the_line_really_holds() {
        // A non-breaking space after the first key of a list item.
        let (line, column, message, _) =
            the_error("milestones:\n  - id:\u{a0}A\n    title: x\n    due: 2026-01-01\n");
        assert_eq!((line, column), (2, 8));
        assert!(message.contains("non-breaking"), "{message}");
        // A closed bracket before a comment is no text going on.
        let (_, _, message, _) = the_error("milestones:\n  - id: A\n   tags: [a]  # x\n");
        assert!(!message.contains("starts with `[`"), "{message}");
        // A deeper field after `[]` is an indentation slip, not items.
        let (_, _, message, _) = the_error(
            "success:\n  agreed: 2026-01-01\n  agreed_by: []\n    metrics:\n    - id: x\n",
        );
        assert!(!message.contains("closes the list"), "{message}");
        // A field with a slip under `key: |` is named as that slip.
        let (_, _, message, _) = the_error("internal_notes: |\nowner:Dana\n");
        assert!(message.contains("no space after its colon"), "{message}");
        // A classic Mac file with one LF-ended line added since.
        let node = root("name: Acme\rsince: 2024-05-01\rindustry: Freight\n");
        assert_eq!(
            node.to_value().get("industry").and_then(Value::as_str),
            Some("Freight")
        );
    }

    #[test]
    fn an_anchored_bare_number_is_spelt_without_its_anchor() {
        let text = "title: &v 1.10\n";
        let node = root(text);
        let title = node.get("title").unwrap();
        assert_eq!(
            spelling(text, title.value.pos, &title.value.kind).as_deref(),
            Some("1.10")
        );
    }

    #[test]
    fn syntax_error_has_a_position() {
        let parsed = parse("title: [unclosed\nstatus: active\n", 3);
        assert!(parsed.root.is_none());
        assert!(parsed.errors[0].pos.line >= 4);
    }

    #[test]
    fn null_entries_are_left_out_of_the_value() {
        let node = root("wins:\ntitle: x\n");
        let value = node.to_value();
        assert!(value.get("wins").is_none());
        assert_eq!(value.get("title").and_then(Value::as_str), Some("x"));
    }
}
