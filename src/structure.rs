//! The structural check: a YAML tree against its record kind's JSON Schema.
//!
//! serde stops at the first problem in a file and cannot say where a value
//! was; this walk reports every unknown field, missing field and wrong value
//! of a file at once, each at its own line and column. It reads the schema
//! generated from `model.rs`, so the check, the types and `commonthread
//! schema` always agree.
//!
//! The schema is compiled once per record kind into [`Shape`]s: every `$ref`
//! followed, every keyword looked up, properties in a hash map. The walk
//! visits each YAML node of every file, so it must not search JSON maps by
//! keyword as it goes (that was 8% of `check` in a profile).

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::Value;

use crate::diagnostics::Diagnostic;
use crate::model::Date;
use crate::rules;
use crate::schema::RecordKind;
use crate::yaml::{Node, NodeKind, OwnedStep, Pos, Step, describe_path, format_path};

/// What the structural check found, beyond its diagnostics.
#[derive(Debug, Default, PartialEq)]
pub struct Outcome {
    /// The tree has exactly the shape the schema asks for.
    pub clean: bool,
    /// Optional fields that are unknown or hold a wrong value. Without
    /// them the record still has a usable shape, so the other rules can run
    /// on the rest and report their findings in the same run.
    pub prune: Vec<Vec<OwnedStep>>,
    /// List items with a required field missing or wrong, or of a wrong
    /// type. Without them the record can be read, so the other rules run on
    /// the rest; what they would say about those lists is left unsaid (see
    /// `validate::check_loaded`).
    pub dropped: Vec<Vec<OwnedStep>>,
    /// Optional sections and lists (also in `prune`) left out whole for
    /// something wrong inside them or for being of a wrong type: what the
    /// rules say of them, of what holds them or of what refers into them
    /// is left unsaid, as for `dropped`.
    pub sections: Vec<Vec<OwnedStep>>,
    /// Required fields of the record itself that are missing or wrong but
    /// can stand in for by a placeholder (`title`, `owner`, `status` of an
    /// engagement, `name` of a client): the rest of the record is read with
    /// the placeholder, and the rules say nothing that depends on it.
    pub replaced: Vec<&'static str>,
    /// Bare numbers and `true`/`false` where text is asked for: the record reads them as written (`title: 1.10` is "1.10",
    /// not the number 1.1 printed back).
    pub spelled: Vec<Vec<OwnedStep>>,
    /// The record as a whole is of a wrong type (front matter that is a
    /// list): it cannot be read until it is fixed.
    pub unusable: bool,
}

/// The top-level required fields of a record kind whose value no rule
/// needs to read the rest (see `Outcome::replaced`).
fn replaceable(kind: RecordKind) -> &'static [&'static str] {
    match kind {
        RecordKind::Engagement => &["title", "owner", "status"],
        RecordKind::Client => &["name"],
        RecordKind::Config => &[],
    }
}

/// Checks `root` against the schema of `kind`; every problem found becomes a
/// diagnostic of `file`.
pub fn check(
    root: &Node,
    kind: RecordKind,
    file: &str,
    source: &str,
    root_pos: Pos,
    out: &mut Vec<Diagnostic>,
) -> Outcome {
    let schema = compiled(kind);
    let before = out.len();
    let mut walker = Walker {
        schema,
        file,
        source,
        out,
        path: Vec::new(),
        unusable: 0,
        prune: Vec::new(),
        dropped: Vec::new(),
        sections: Vec::new(),
        replaceable: replaceable(kind),
        replaced: Vec::new(),
        spelled: Vec::new(),
    };
    walker.check(root, schema.root, root_pos);
    let unusable = walker.unusable > 0;
    let prune = std::mem::take(&mut walker.prune);
    let dropped = std::mem::take(&mut walker.dropped);
    let sections = std::mem::take(&mut walker.sections);
    let replaced = std::mem::take(&mut walker.replaced);
    let spelled = std::mem::take(&mut walker.spelled);
    Outcome {
        clean: out.len() == before,
        prune,
        dropped,
        sections,
        replaced,
        spelled,
        unusable,
    }
}

/// A schema with its `$ref`s followed and its keywords looked up: one
/// [`Shape`] per distinct schema object, children by index.
struct Compiled {
    shapes: Vec<Shape>,
    root: ShapeId,
    /// Where each field name belongs, as paths of its mapping (`""` for
    /// the top, `updates`, `milestones[]`): for a field at a wrong level.
    homes: HashMap<&'static str, Vec<String>>,
}

impl Compiled {
    fn find_homes(&mut self) {
        let mut homes: HashMap<&'static str, Vec<String>> = HashMap::new();
        self.visit(self.root, String::new(), 0, &mut homes);
        self.homes = homes;
    }

    fn visit(
        &self,
        id: ShapeId,
        at: String,
        depth: usize,
        homes: &mut HashMap<&'static str, Vec<String>>,
    ) {
        if depth > 8 {
            return;
        }
        let shape = &self.shapes[id];
        for &(null, branch) in shape.any_of.iter().flatten() {
            if !null {
                self.visit(branch, at.clone(), depth + 1, homes);
            }
        }
        for &name in &shape.property_names {
            let places = homes.entry(name).or_default();
            if !places.contains(&at) {
                places.push(at.clone());
            }
            if let Some(&child) = shape.properties.as_ref().and_then(|p| p.get(name)) {
                let below = if at.is_empty() {
                    name.to_owned()
                } else {
                    format!("{at}.{name}")
                };
                self.visit(child, below, depth + 1, homes);
            }
        }
        if let Some(items) = shape.items {
            self.visit(items, format!("{at}[]"), depth + 1, homes);
        }
    }
}

/// Where a field of the mapping at `home` (see `Compiled::homes`) goes,
/// in words.
fn say_home(home: &str) -> String {
    match home.strip_suffix("[]") {
        _ if home.is_empty() => "at the top level, not indented".to_owned(),
        Some(list) => format!("in each item of `{list}`"),
        None => format!("under `{home}:`"),
    }
}

type ShapeId = usize;

/// What one schema object asks of a value.
#[derive(Default)]
struct Shape {
    /// `anyOf`: each branch, and whether it is written `{"type": "null"}`.
    any_of: Option<Vec<(bool, ShapeId)>>,
    /// `type`; `None` when any type is allowed.
    types: Option<Vec<&'static str>>,
    /// `enum`: the allowed words.
    words: Option<Vec<&'static str>>,
    /// `properties`, by name.
    properties: Option<HashMap<&'static str, ShapeId, foldhash::fast::FixedState>>,
    /// The property names in the schema's order, for suggestions.
    property_names: Vec<&'static str>,
    additional: Additional,
    required: Vec<&'static str>,
    items: Option<ShapeId>,
    /// `format: date`.
    date: bool,
    /// `format: uint32`.
    uint32: bool,
    minimum: Option<f64>,
    /// `exclusiveMinimum`: a weight must be above 0.
    above: Option<f64>,
    /// The slug pattern (`model::SLUG_PATTERN`): a metric's id.
    slug: bool,
}

#[derive(Default)]
enum Additional {
    /// No `additionalProperties`, or one that allows anything.
    #[default]
    Allowed,
    /// `additionalProperties: false`.
    Forbidden,
    /// `additionalProperties` with a schema for every extra value.
    Each(ShapeId),
}

fn compiled(kind: RecordKind) -> &'static Compiled {
    static ENGAGEMENT: OnceLock<Compiled> = OnceLock::new();
    static CLIENT: OnceLock<Compiled> = OnceLock::new();
    static CONFIG: OnceLock<Compiled> = OnceLock::new();
    let cell = match kind {
        RecordKind::Engagement => &ENGAGEMENT,
        RecordKind::Client => &CLIENT,
        RecordKind::Config => &CONFIG,
    };
    cell.get_or_init(|| {
        let mut compiled = Compiler::compile(crate::schema::schema(kind));
        compiled.find_homes();
        compiled
    })
}

struct Compiler {
    root_schema: &'static Value,
    shapes: Vec<Shape>,
    /// Schema objects already compiled, by address: a `$ref` to a
    /// definition compiles it once, and recursive definitions end.
    seen: HashMap<*const Value, ShapeId>,
}

impl Compiler {
    fn compile(root_schema: &'static Value) -> Compiled {
        let mut compiler = Compiler {
            root_schema,
            shapes: Vec::new(),
            seen: HashMap::new(),
        };
        let root = compiler.shape(root_schema);
        Compiled {
            shapes: compiler.shapes,
            root,
            homes: HashMap::new(),
        }
    }

    /// Follows `$ref` and single-branch `allOf` wrappers to the schema that
    /// says what the value is.
    fn resolve(&self, mut schema: &'static Value) -> &'static Value {
        loop {
            if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
                match self.root_schema.pointer(reference.trim_start_matches('#')) {
                    Some(target) if !std::ptr::eq(target, schema) => schema = target,
                    _ => return schema,
                }
            } else if let Some([only]) = schema
                .get("allOf")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
            {
                schema = only;
            } else {
                return schema;
            }
        }
    }

    fn shape(&mut self, schema: &'static Value) -> ShapeId {
        let schema = self.resolve(schema);
        if let Some(&id) = self.seen.get(&std::ptr::from_ref(schema)) {
            return id;
        }
        let id = self.shapes.len();
        self.shapes.push(Shape::default());
        self.seen.insert(std::ptr::from_ref(schema), id);

        let any_of = schema
            .get("anyOf")
            .and_then(Value::as_array)
            .map(|branches| {
                branches
                    .iter()
                    .map(|b| (is_null_schema(b), self.shape(b)))
                    .collect()
            });
        let object = schema.get("properties").and_then(Value::as_object);
        let properties = object.map(|p| {
            p.iter()
                .map(|(name, property)| (name.as_str(), self.shape(property)))
                .collect()
        });
        let property_names = object
            .map(|p| p.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let additional = match schema.get("additionalProperties") {
            Some(Value::Bool(false)) => Additional::Forbidden,
            Some(each) if each.is_object() => Additional::Each(self.shape(each)),
            _ => Additional::Allowed,
        };
        let items = schema.get("items").map(|item| self.shape(item));
        let format = schema.get("format").and_then(Value::as_str);
        self.shapes[id] = Shape {
            any_of,
            types: types_of(schema),
            words: schema
                .get("enum")
                .and_then(Value::as_array)
                .map(|words| words.iter().filter_map(Value::as_str).collect()),
            properties,
            property_names,
            additional,
            required: schema
                .get("required")
                .and_then(Value::as_array)
                .map(|names| names.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default(),
            items,
            date: format == Some("date"),
            uint32: format == Some("uint32"),
            minimum: schema.get("minimum").and_then(Value::as_f64),
            above: schema.get("exclusiveMinimum").and_then(Value::as_f64),
            slug: schema.get("pattern").and_then(Value::as_str) == Some(crate::model::SLUG_PATTERN),
        };
        id
    }
}

fn owned(steps: &[Step<'_>]) -> Vec<OwnedStep> {
    steps
        .iter()
        .map(|step| match step {
            Step::Key(key) => OwnedStep::Key((*key).to_owned()),
            Step::Index(index) => OwnedStep::Index(*index),
        })
        .collect()
}

struct Walker<'n, 'o> {
    schema: &'static Compiled,
    file: &'o str,
    /// The record's text, for a bare number's spelling.
    source: &'o str,
    out: &'o mut Vec<Diagnostic>,
    path: Vec<Step<'n>>,
    /// Problems no pruning can mend, in the part being checked.
    unusable: usize,
    prune: Vec<Vec<OwnedStep>>,
    dropped: Vec<Vec<OwnedStep>>,
    sections: Vec<Vec<OwnedStep>>,
    replaceable: &'static [&'static str],
    replaced: Vec<&'static str>,
    spelled: Vec<Vec<OwnedStep>>,
}

impl<'n> Walker<'n, '_> {
    fn shape(&self, id: ShapeId) -> &'static Shape {
        &self.schema.shapes[id]
    }

    fn push(&mut self, rule: &'static rules::Rule, pos: Pos, message: String, help: String) {
        if rule.name != rules::UNKNOWN_FIELD.name {
            self.unusable += 1;
        }
        let path = format_path(&self.path);
        self.out.push(
            Diagnostic::new(rule, self.file, pos, message)
                .path(path)
                .help(help),
        );
    }

    /// `anchor` is where a field missing from `node` is reported: the key
    /// that holds it, or the list item, or the file's first line.
    fn check(&mut self, node: &'n Node, id: ShapeId, anchor: Pos) {
        let shape = self.shape(id);
        if let Some(branches) = &shape.any_of {
            if node.kind == NodeKind::Null && branches.iter().any(|&(_, b)| self.allows_null(b)) {
                return;
            }
            let non_null: Vec<ShapeId> = branches
                .iter()
                .filter(|(null, _)| !null)
                .map(|&(_, b)| b)
                .collect();
            let chosen = match non_null.as_slice() {
                [only] => Some(*only),
                _ => non_null
                    .iter()
                    .copied()
                    .find(|&b| self.type_matches(node, b)),
            };
            match chosen {
                Some(branch) => self.check(node, branch, anchor),
                None => self.wrong_type(node, id),
            }
            return;
        }
        if !self.type_matches(node, id) {
            self.wrong_type(node, id);
            return;
        }
        if matches!(
            node.kind,
            NodeKind::Int(_) | NodeKind::Float(_) | NodeKind::Bool(_)
        ) && shape.types.as_ref().is_some_and(|t| t.contains(&"string"))
        {
            self.spelled.push(owned(&self.path));
        }
        if let Some(allowed) = &shape.words {
            self.check_word(node, allowed);
            return;
        }
        match &node.kind {
            NodeKind::Map(entries) => self.check_mapping(entries, shape, anchor),
            NodeKind::Seq(items) => {
                if let Some(item_shape) = shape.items {
                    for (index, item) in items.iter().enumerate() {
                        self.path.push(Step::Index(index));
                        let unusable_before = self.unusable;
                        self.check(item, item_shape, item.pos);
                        if self.unusable > unusable_before {
                            // The item cannot be read; the rest can.
                            self.unusable = unusable_before;
                            self.dropped.push(owned(&self.path));
                        }
                        self.path.pop();
                    }
                }
            }
            NodeKind::Str(text) if shape.date && Date::parse(text).is_none() => {
                let message = if text.trim().is_empty() {
                    "an empty text is not a date".to_owned()
                } else if looks_like_iso_date(text) {
                    format!("`{text}` is not a real date")
                } else {
                    format!("`{text}` is not a date written YYYY-MM-DD")
                };
                let help = if text.trim().is_empty() {
                    "write the date as YYYY-MM-DD, for example 2026-05-01, or leave the field out while there is no date"
                } else {
                    "write the date as YYYY-MM-DD, for example 2026-05-01, and check that the day exists in that month"
                };
                self.push(rules::INVALID_VALUE, node.pos, message, help.into());
            }
            NodeKind::Str(text) if shape.slug && !crate::rules::repository::is_slug(text) => {
                self.not_a_slug(node, text);
            }
            // `id: 1.5`, `id: 0x1F`: a bare number or word is a slug only
            // if its spelling is one (`id: 12` is).
            NodeKind::Int(_) | NodeKind::Float(_) | NodeKind::Bool(_) if shape.slug => {
                let spelt = crate::yaml::spelling(self.source, node.pos, &node.kind);
                if let Some(text) = spelt.filter(|t| !crate::rules::repository::is_slug(t)) {
                    self.not_a_slug(node, &text);
                }
            }
            NodeKind::Int(_) | NodeKind::Float(_) => self.check_number(node, shape),
            _ => {}
        }
    }

    fn check_mapping(
        &mut self,
        entries: &'n [crate::yaml::Entry],
        shape: &'static Shape,
        anchor: Pos,
    ) {
        // The known fields given here, at most one of each: gathered once,
        // and only for a mapping with a misspelt key, so that one with
        // thousands of unknown keys is still read in linear time.
        let mut given: Option<Vec<&str>> = None;
        let given_here = |given: &mut Option<Vec<&str>>, name: &str| {
            given
                .get_or_insert_with(|| {
                    let mut names: Vec<&str> = Vec::new();
                    for entry in entries {
                        if let Some((&known, _)) = shape
                            .properties
                            .as_ref()
                            .and_then(|p| p.get_key_value(entry.key.as_str()))
                            && !names.contains(&known)
                        {
                            names.push(known);
                        }
                    }
                    names
                })
                .contains(&name)
        };
        for (index, entry) in entries.iter().enumerate() {
            let property = shape
                .properties
                .as_ref()
                .and_then(|p| p.get(entry.key.as_str()).copied());
            self.path.push(Step::Key(&entry.key));
            let required = shape.required.contains(&entry.key.as_str());
            let unusable_before = self.unusable;
            match (property, &shape.additional) {
                (Some(property_shape), _) => {
                    if required && is_blank(&entry.value) {
                        let message = format!("`{}` has no value", entry.key);
                        self.push(
                            rules::MISSING_FIELD,
                            entry.key_pos,
                            message,
                            format!("give `{}` a value; it is required", entry.key),
                        );
                    } else {
                        let unusable_before = self.unusable;
                        self.check(&entry.value, property_shape, entry.key_pos);
                        // A wrong optional value is left out, and the rest stays
                        // usable. So is a section or list that is wrong itself
                        // or inside (`review:` without its `decision`), with
                        // what the rules would say of its absence unsaid.
                        if self.unusable > unusable_before && !required {
                            self.unusable = unusable_before;
                            self.prune.push(owned(&self.path));
                            let section =
                                matches!(entry.value.kind, NodeKind::Seq(_) | NodeKind::Map(_))
                                    || self.expects_section(property_shape);
                            if section {
                                self.sections.push(owned(&self.path));
                            }
                        }
                    }
                }
                (None, Additional::Forbidden) => {
                    let known = &shape.property_names;
                    let digits =
                        !entry.key.is_empty() && entry.key.bytes().all(|b| b.is_ascii_digit());
                    let near = crate::suggest::closest(&entry.key, known.iter().copied());
                    // `mielstones:` most likely holds the milestones: they are
                    // left out as a wrong section is, not reported absent
                    // (no `unknown-reference` for updates that name them).
                    if let Some(near) = near
                        && !shape.required.contains(&near)
                        && !given_here(&mut given, near)
                    {
                        let mut meant = owned(&self.path[..self.path.len() - 1]);
                        meant.push(OwnedStep::Key(near.to_owned()));
                        self.prune.push(meant.clone());
                        self.sections.push(meant);
                    }
                    let help = match near {
                        Some(near) => format!("did you mean `{near}`?"),
                        // YAML 1.1's merge key, which YAML 1.2 dropped.
                        None if entry.key == "<<" => "YAML 1.2 has no merge keys: write the fields out here; an alias such as `*name` copies a whole item".to_owned(),
                        // `{ amount: 48,000 }`: the comma ended the amount.
                        // `{ value: 7,9 }`: a decimal comma, which must not
                        // be read as a thousands separator and dropped.
                        None if digits && entry.key.len() != 3 && let Some(whole) = index
                            .checked_sub(1)
                            .map(|before| &entries[before])
                            .filter(|before| before.value.pos.line == entry.key_pos.line)
                            .and_then(|before| match before.value.kind {
                                NodeKind::Int(whole) => Some(whole),
                                _ => None,
                            }) => format!(
                            "a comma inside `{{ }}` separates fields: write a decimal number with a point, as {whole}.{}",
                            entry.key
                        ),
                        None if digits => "a comma inside `{ }` separates fields: write a number such as 48,000 without its comma, as 48000".to_owned(),
                        // `cadence_days:` at the top: it belongs elsewhere.
                        None if let Some(homes) = self.elsewhere(&entry.key) => {
                            format!("`{}` belongs {homes}; move it there", entry.key)
                        }
                        None => match crate::suggest::sharing_a_start(&entry.key, known.iter().copied()) {
                            // `dueDate:` for `due:`.
                            Some(near) => format!("did you mean `{near}`?"),
                            None => format!("remove it, or use one of: {}", known.join(", ")),
                        },
                    };
                    let parent = &self.path[..self.path.len() - 1];
                    let message = if parent.is_empty() {
                        format!("unknown field `{}`", entry.key)
                    } else {
                        format!("unknown field `{}` in {}", entry.key, describe_path(parent))
                    };
                    self.push(rules::UNKNOWN_FIELD, entry.key_pos, message, help);
                    self.prune.push(owned(&self.path));
                }
                (None, &Additional::Each(value_shape)) => {
                    let unusable_before = self.unusable;
                    self.check(&entry.value, value_shape, entry.key_pos);
                    if self.unusable > unusable_before {
                        self.unusable = unusable_before;
                        self.prune.push(owned(&self.path));
                    }
                }
                (None, Additional::Allowed) => {}
            }
            if self.unusable > unusable_before
                && let Some(&key) = self.top_level_replaceable(&entry.key)
            {
                self.unusable = unusable_before;
                self.replaced.push(key);
            }
            self.path.pop();
        }
        for &name in &shape.required {
            if !entries.iter().any(|e| e.key == name) {
                let message = if self.path.is_empty() {
                    format!("required field `{name}` is missing")
                } else {
                    format!(
                        "required field `{name}` is missing from {}",
                        describe_path(&self.path)
                    )
                };
                self.path.push(Step::Key(name));
                self.push(
                    rules::MISSING_FIELD,
                    anchor,
                    message,
                    format!("add `{name}:` with a value"),
                );
                if let Some(&key) = self.top_level_replaceable(name) {
                    self.unusable -= 1;
                    self.replaced.push(key);
                }
                self.path.pop();
            }
        }
    }

    /// Whether `id` asks for a mapping or a list (through `anyOf` too).
    fn expects_section(&self, id: ShapeId) -> bool {
        let shape = self.shape(id);
        if let Some(branches) = &shape.any_of {
            return branches.iter().any(|&(_, b)| self.expects_section(b));
        }
        shape
            .types
            .as_ref()
            .is_some_and(|types| types.iter().any(|t| matches!(*t, "object" | "array")))
    }

    /// `key`, when it is a replaceable field of the record itself (the
    /// path holds just that key).
    fn top_level_replaceable(&self, key: &str) -> Option<&'static &'static str> {
        if self.path.len() != 1 {
            return None;
        }
        self.replaceable.iter().find(|&&name| name == key)
    }

    fn check_word(&mut self, node: &Node, words: &[&str]) {
        let text = node.scalar_text();
        if text.as_deref().is_some_and(|t| words.contains(&t))
            && matches!(node.kind, NodeKind::Str(_))
        {
            return;
        }
        let shown = text.unwrap_or_else(|| node.kind_name().to_owned());
        let field = self.path.iter().rev().find_map(|s| match s {
            Step::Key(k) => Some(*k),
            Step::Index(_) => None,
        });
        // Under `rules:` the key is a rule's name and the word its level.
        let level =
            self.path.len() >= 2 && matches!(self.path[self.path.len() - 2], Step::Key("rules"));
        let what = if level {
            "level"
        } else {
            field.unwrap_or("value")
        };
        let near = same_meaning(&shown, words)
            .or_else(|| crate::suggest::closest(&shown, words.iter().copied()));
        let help = match near {
            Some(near) => format!(
                "did you mean `{near}`? {what} is one of: {}",
                words.join(", ")
            ),
            None => format!("{what} is one of: {}", words.join(", ")),
        };
        let message = match field {
            Some(rule) if level => format!("`{shown}` is not a level for {rule}"),
            _ => format!("`{shown}` is not a valid {what}"),
        };
        self.push(rules::INVALID_VALUE, node.pos, message, help);
    }

    fn check_number(&mut self, node: &Node, shape: &Shape) {
        let value = match node.kind {
            NodeKind::Int(i) => i as f64,
            NodeKind::Float(f) => f,
            _ => return,
        };
        if !value.is_finite() {
            self.push(
                rules::INVALID_VALUE,
                node.pos,
                "this number is not finite".into(),
                "write an ordinary number such as 12 or 4.5".into(),
            );
            return;
        }
        if let Some(minimum) = shape.minimum
            && value < minimum
        {
            self.push(
                rules::INVALID_VALUE,
                node.pos,
                format!("{value} is below the least allowed value, {minimum}"),
                format!("use a number of at least {minimum}"),
            );
        }
        if let Some(above) = shape.above
            && value <= above
        {
            self.push(
                rules::INVALID_VALUE,
                node.pos,
                format!("this metric has weight {value}; a weight must be above {above}"),
                "use a positive weight (the default is 1), or remove `weight:`".into(),
            );
        }
        if shape.uint32 && value > f64::from(u32::MAX) {
            self.push(
                rules::INVALID_VALUE,
                node.pos,
                format!("{value} is too large"),
                "use a smaller whole number".into(),
            );
        }
    }

    fn allows_null(&self, id: ShapeId) -> bool {
        self.shape(id)
            .types
            .as_ref()
            .is_some_and(|types| types.contains(&"null"))
    }

    fn type_matches(&self, node: &Node, id: ShapeId) -> bool {
        let Some(types) = &self.shape(id).types else {
            return true;
        };
        types.iter().any(|t| {
            matches!(
                (*t, &node.kind),
                ("null", NodeKind::Null)
                    | ("boolean", NodeKind::Bool(_))
                    | ("integer", NodeKind::Int(_))
                    | ("number", NodeKind::Int(_) | NodeKind::Float(_))
                    | ("string", NodeKind::Str(_))
                    | ("array", NodeKind::Seq(_))
                    | ("object", NodeKind::Map(_))
            )
        })
    }

    fn wrong_type(&mut self, node: &Node, id: ShapeId) {
        let expected = self.describe(id);
        let found = match &node.kind {
            NodeKind::Str(text) if text.chars().count() <= 40 => format!("`{text}`"),
            _ => node.kind_name().to_owned(),
        };
        let help = if expected.starts_with("a date") {
            "write the date as YYYY-MM-DD, for example 2026-05-01".to_owned()
        } else if expected == "a list" {
            "write one item per line, each starting with `- `".to_owned()
        } else if let NodeKind::Str(text) = &node.kind
            && (expected.starts_with("a number") || expected.starts_with("a whole number"))
            && text.trim().parse::<f64>().is_ok_and(f64::is_finite)
        {
            // YAML read a number as text: it was quoted.
            format!(
                "remove the quotes around {}: a number is written without them",
                text.trim()
            )
        } else if let NodeKind::Str(text) = &node.kind
            && expected.starts_with("a number")
            && let Some(point) = with_decimal_point(text)
        {
            format!("write the decimal number with a point, as {point}")
        } else if let NodeKind::Str(text) = &node.kind
            && expected.starts_with("a number")
            && looks_like_grouped_number(text)
        {
            let plain: String = text
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == '.' || *c == '-')
                .collect();
            format!("write the number without separators or a currency sign, as {plain}")
        } else if expected.starts_with("a whole number") {
            "write a whole number, such as 7, without a unit".to_owned()
        } else if expected.starts_with("a number") {
            // Only a metric has a `unit:` to hold what was written after
            // the number.
            if self.path.iter().any(|s| matches!(s, Step::Key("metrics"))) {
                "write the number alone, without its unit (put the unit in `unit:`)".to_owned()
            } else {
                "write the number alone, such as 48000 or 4.5, without a unit or words".to_owned()
            }
        } else if let Some(fields) = self.fields_example(id) {
            // `value: 25000` where fields are due: show them.
            format!("write its fields on the lines under it, indented, or inline as {fields}")
        } else {
            format!("write {expected} here")
        };
        self.push(
            rules::INVALID_VALUE,
            node.pos,
            format!("expected {expected}, found {found}"),
            help,
        );
    }

    fn not_a_slug(&mut self, node: &Node, text: &str) {
        self.push(
            rules::INVALID_VALUE,
            node.pos,
            format!("metric id `{text}` is not a slug"),
            "use lowercase letters, digits and dashes, such as `days-to-close`".into(),
        );
    }

    /// Where else a field named `key` belongs, in words, when not here:
    /// the sections (`updates:`) that have it, one or two, not the items of
    /// a list, which a field out of place seldom means.
    fn elsewhere(&self, key: &str) -> Option<String> {
        let here: String = self.path[..self.path.len().saturating_sub(1)]
            .iter()
            .map(|step| match step {
                Step::Key(key) => format!(".{key}"),
                Step::Index(_) => "[]".to_owned(),
            })
            .collect::<String>()
            .trim_start_matches('.')
            .to_owned();
        // In a list's item a stray field is most likely one of the item's
        // own misnamed (`date:` for `due:`): its fields are listed instead.
        if here.contains("[]") {
            return None;
        }
        let sections: Vec<&String> = self
            .schema
            .homes
            .get(key)?
            .iter()
            .filter(|home| !home.ends_with("[]") && **home != here)
            .collect();
        match sections.as_slice() {
            [] => None,
            [one] => Some(say_home(one)),
            [one, two] => Some(format!("{}, or {}", say_home(one), say_home(two))),
            _ => None,
        }
    }

    /// `{ amount: ..., currency: ... }`: the fields a mapping asks for (its
    /// required ones, else its first few), when `id` asks for a mapping.
    fn fields_example(&self, id: ShapeId) -> Option<String> {
        let shape = self.shape(id);
        let shape = match &shape.any_of {
            Some(branches) => branches
                .iter()
                .filter(|(null, _)| !null)
                .map(|&(_, b)| self.shape(b))
                .find(|b| b.properties.is_some())?,
            None => shape,
        };
        shape.properties.as_ref()?;
        let names: Vec<&str> = if shape.required.is_empty() {
            shape.property_names.iter().copied().take(3).collect()
        } else {
            shape.required.clone()
        };
        (!names.is_empty()).then(|| {
            let fields: Vec<String> = names.iter().map(|n| format!("{n}: ...")).collect();
            format!("`{{ {} }}`", fields.join(", "))
        })
    }

    /// What a schema asks for, in words.
    fn describe(&self, id: ShapeId) -> String {
        let shape = self.shape(id);
        if let Some(branches) = &shape.any_of {
            let words: Vec<String> = branches
                .iter()
                .filter(|(null, _)| !null)
                .map(|&(_, b)| self.describe(b))
                .collect();
            return words.join(" or ");
        }
        if shape.date {
            return "a date written YYYY-MM-DD".into();
        }
        if let Some(words) = &shape.words {
            return format!("one of {}", words.join(", "));
        }
        let types = shape.types.as_deref().unwrap_or_default();
        if types.contains(&"string") {
            "text".into()
        } else if types.contains(&"object") {
            "fields (`name: value` lines)".into()
        } else if types.contains(&"array") {
            "a list".into()
        } else if types.contains(&"integer") {
            "a whole number".into()
        } else if types.contains(&"number") {
            "a number".into()
        } else {
            "a value".into()
        }
    }
}

fn types_of(schema: &'static Value) -> Option<Vec<&'static str>> {
    match schema.get("type")? {
        Value::String(t) => Some(vec![t.as_str()]),
        Value::Array(types) => Some(types.iter().filter_map(Value::as_str).collect()),
        _ => None,
    }
}

fn is_null_schema(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("null")
}

/// Null, or text with nothing in it.
fn is_blank(node: &Node) -> bool {
    match &node.kind {
        NodeKind::Null => true,
        NodeKind::Str(text) => text.trim().is_empty(),
        _ => false,
    }
}

fn looks_like_iso_date(text: &str) -> bool {
    text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        })
}

/// The word of `words` that people often mean by `shown`: `done` for a
/// status means `completed`, `on hold` means `paused`.
fn same_meaning<'w>(shown: &str, words: &[&'w str]) -> Option<&'w str> {
    const MEANINGS: &[(&[&str], &str)] = &[
        (
            &["done", "finished", "complete", "closed", "delivered"],
            "completed",
        ),
        (
            &["on hold", "on-hold", "hold", "held", "suspended"],
            "paused",
        ),
        (
            &[
                "open",
                "ongoing",
                "in progress",
                "in-progress",
                "started",
                "running",
                "live",
            ],
            "active",
        ),
        (
            &["lead", "proposal", "proposed", "pipeline", "pending"],
            "prospect",
        ),
        (&["cancelled", "canceled", "stopped", "terminated"], "ended"),
        (&["rejected", "refused", "turned down"], "declined"),
        (&["warn"], "warning"),
        (&["err", "fail", "deny"], "error"),
        (&["none", "disabled", "ignore", "false", "no"], "off"),
    ];
    let shown = shown.trim().to_lowercase();
    if let Some(word) = words.iter().find(|w| **w == shown) {
        return Some(word);
    }
    MEANINGS
        .iter()
        .find(|(said, _)| said.contains(&shown.as_str()))
        .and_then(|(_, meant)| words.iter().find(|w| *w == meant))
        .copied()
}

/// `48,000`, `$48,000`, `1 200.50`: digits grouped by thousands, perhaps
/// after a currency sign, as people write amounts.
/// `14,5` written for 14.5, as much of Europe writes it: digits, one comma,
/// and not the three digits a thousands separator is followed by.
fn with_decimal_point(text: &str) -> Option<String> {
    let (whole, part) = text.trim().split_once(',')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let unsigned = whole.strip_prefix('-').unwrap_or(whole);
    (digits(unsigned) && digits(part) && part.len() != 3).then(|| format!("{whole}.{part}"))
}

fn looks_like_grouped_number(text: &str) -> bool {
    let text = text.trim().trim_start_matches(['$', '€', '£', '-']);
    let whole = text.split('.').next().unwrap_or_default();
    let groups: Vec<&str> = whole.split([',', ' ', '\u{a0}']).collect();
    groups.len() > 1
        && (1..=3).contains(&groups[0].len())
        && groups
            .iter()
            .all(|g| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit()))
        && groups[1..].iter().all(|g| g.len() == 3)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::RecordKind;

    fn diagnose(kind: RecordKind, yaml: &str) -> Vec<Diagnostic> {
        let parsed = crate::yaml::parse(yaml, 0);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let mut out = Vec::new();
        let _ = check(
            &parsed.root.unwrap(),
            kind,
            "f.md",
            yaml,
            Pos::file_start(),
            &mut out,
        );
        out
    }

    fn summary(diagnostics: &[Diagnostic]) -> Vec<(String, u32, u32, String)> {
        diagnostics
            .iter()
            .map(|d| {
                (
                    d.rule.name.to_owned(),
                    d.pos.line,
                    d.pos.column,
                    d.path.clone().unwrap_or_default(),
                )
            })
            .collect()
    }

    #[test]
    fn a_minimal_engagement_is_clean() {
        assert!(
            diagnose(
                RecordKind::Engagement,
                "title: T\nstatus: prospect\nowner: Dana\n"
            )
            .is_empty()
        );
    }

    #[test]
    fn every_problem_of_a_file_is_reported_at_its_place() {
        let yaml = "title: T\nstatus: yes\nowner: Dana\nmielstones: []\nmilestones:\n  - id: A\n    due: 2026-02-30\n  - title: B\n    due: 2026-03-01\n";
        let found = summary(&diagnose(RecordKind::Engagement, yaml));
        assert_eq!(
            found,
            vec![
                ("invalid-value".into(), 2, 9, "status".into()),
                ("unknown-field".into(), 4, 1, "mielstones".into()),
                ("invalid-value".into(), 7, 10, "milestones[0].due".into()),
                ("missing-field".into(), 6, 5, "milestones[0].title".into()),
                ("missing-field".into(), 8, 5, "milestones[1].id".into()),
            ]
        );
    }

    #[test]
    fn suggestions_name_the_closest_field_and_word() {
        let found = diagnose(
            RecordKind::Engagement,
            "title: T\nstatus: actve\nowner: D\nmielstones: []\n",
        );
        assert!(
            found[0].help.contains("did you mean `active`?"),
            "{}",
            found[0].help
        );
        assert!(
            found[1].help.contains("did you mean `milestones`?"),
            "{}",
            found[1].help
        );
    }

    #[test]
    fn null_or_empty_required_text_is_missing() {
        let found = summary(&diagnose(
            RecordKind::Engagement,
            "title: ~\nstatus: active\nowner: ''\n",
        ));
        assert_eq!(
            found,
            vec![
                ("missing-field".into(), 1, 1, "title".into()),
                ("missing-field".into(), 3, 1, "owner".into())
            ]
        );
    }

    #[test]
    fn missing_top_level_field_is_on_line_one() {
        let found = summary(&diagnose(RecordKind::Engagement, "title: T\nowner: D\n"));
        assert_eq!(found, vec![("missing-field".into(), 1, 1, "status".into())]);
    }

    #[test]
    fn missing_field_in_a_section_points_at_its_key() {
        let found = summary(&diagnose(
            RecordKind::Engagement,
            "title: T\nstatus: active\nowner: D\nreview:\n  date: 2026-01-01\n",
        ));
        assert_eq!(
            found,
            vec![("missing-field".into(), 4, 1, "review.decision".into())]
        );
    }

    #[test]
    fn wrong_types_are_invalid_values() {
        let found = summary(&diagnose(
            RecordKind::Engagement,
            "title: T\nstatus: active\nowner: D\nstart: 20260101\nmilestones: A\nupdates: {cadence_days: 0}\nsuccess:\n  metrics:\n    - {id: x, name: X, baseline: 10 days, target: .nan}\n",
        ));
        assert_eq!(
            found,
            vec![
                ("invalid-value".into(), 4, 8, "start".into()),
                ("invalid-value".into(), 5, 13, "milestones".into()),
                ("invalid-value".into(), 6, 25, "updates.cadence_days".into()),
                (
                    "invalid-value".into(),
                    9,
                    34,
                    "success.metrics[0].baseline".into()
                ),
                (
                    "invalid-value".into(),
                    9,
                    51,
                    "success.metrics[0].target".into()
                ),
            ]
        );
    }

    #[test]
    fn optional_sections_may_be_left_empty() {
        assert!(
            diagnose(
                RecordKind::Engagement,
                "title: T\nstatus: prospect\nowner: D\nwins:\nmilestones: ~\nreview:\n"
            )
            .is_empty()
        );
    }

    #[test]
    fn numbers_and_booleans_are_accepted_as_text() {
        assert!(
            diagnose(
                RecordKind::Engagement,
                "title: 2026\nstatus: prospect\nowner: true\n"
            )
            .is_empty()
        );
    }

    #[test]
    fn config_rule_levels_are_checked() {
        let found = summary(&diagnose(
            RecordKind::Config,
            "rules:\n  update-overdue: loud\n",
        ));
        assert_eq!(
            found,
            vec![("invalid-value".into(), 2, 19, "rules.update-overdue".into())]
        );
    }

    #[test]
    fn helps_name_the_slip_people_make() {
        let found = diagnose(
            RecordKind::Engagement,
            "title: T\nstatus: done\nowner: D\nvalue: { amount: 48,000, currency: USD }\nsuccess:\n  metrics:\n    - {id: x, name: X, baseline: '45', target: \"$1,200.50\"}\nmilestones:\n  - {id: A, title: A, due: 2026-04-01, done: ''}\n",
        );
        let helps: Vec<(&str, &str)> = found
            .iter()
            .map(|d| (d.path.as_deref().unwrap_or_default(), d.help.as_str()))
            .collect();
        let help = |path: &str| {
            helps
                .iter()
                .find(|(p, _)| *p == path)
                .unwrap_or_else(|| panic!("nothing at {path}: {helps:?}"))
                .1
        };
        assert!(
            help("status").starts_with("did you mean `completed`?"),
            "{helps:?}"
        );
        assert!(help("value.000").contains("as 48000"), "{helps:?}");
        assert!(
            help("success.metrics[0].baseline").starts_with("remove the quotes around 45"),
            "{helps:?}"
        );
        assert!(
            help("success.metrics[0].target").ends_with("as 1200.50"),
            "{helps:?}"
        );
        assert!(
            help("milestones[0].done").contains("leave the field out"),
            "{helps:?}"
        );
        // A bare number is no slug for a metric id; a field with homes in
        // several lists is not sent to any of them.
        let odd = diagnose(
            RecordKind::Engagement,
            "success:\n  metrics:\n    - {id: 1.5, name: X, baseline: 1, target: 2}\nmilestones:\n  - {id: A, title: A, due: 2026-04-01, date: 2026-04-01}\n",
        );
        let said: Vec<(&str, &str, &str)> = odd
            .iter()
            .map(|d| {
                (
                    d.path.as_deref().unwrap_or_default(),
                    d.message.as_str(),
                    d.help.as_str(),
                )
            })
            .collect();
        assert!(
            said.iter()
                .any(|(path, message, _)| *path == "success.metrics[0].id"
                    && *message == "metric id `1.5` is not a slug"),
            "{said:?}"
        );
        assert!(
            said.iter()
                .any(|(path, _, help)| *path == "milestones[0].date"
                    && help.starts_with("remove it, or use one of: ")),
            "{said:?}"
        );
        // A number id is quoted as written, and is no slug unless its
        // spelling is; a field of two sections names both.
        for (id, shown) in [("2.0", "2.0"), ("0x1F", "0x1F")] {
            let found = diagnose(
                RecordKind::Engagement,
                &format!(
                    "success:\n  metrics:\n    - {{id: {id}, name: X, baseline: 1, target: 2}}\n"
                ),
            );
            assert!(
                found
                    .iter()
                    .any(|d| d.message == format!("metric id `{shown}` is not a slug")),
                "{found:?}"
            );
        }
        let found = diagnose(RecordKind::Engagement, "decision: accept\n");
        assert!(
            found.iter().any(|d| d.help
                == "`decision` belongs under `qualification:`, or under `review:`; move it there"),
            "{found:?}"
        );
        // A field at the wrong level is sent where it belongs; a name that
        // starts like a field gets it; fields due get an example.
        let misplaced = diagnose(
            RecordKind::Engagement,
            "cadence_days: 7\nvalue: 25000\nmilestones:\n  - {id: A, title: A, dueDate: 2026-04-01, due: 2026-04-01}\n",
        );
        let helps: Vec<(&str, &str)> = misplaced
            .iter()
            .map(|d| (d.path.as_deref().unwrap_or_default(), d.help.as_str()))
            .collect();
        for expected in [
            (
                "cadence_days",
                "`cadence_days` belongs under `updates:`; move it there",
            ),
            ("milestones[0].dueDate", "did you mean `due`?"),
            (
                "value",
                "write its fields on the lines under it, indented, or inline as `{ amount: ... }`",
            ),
        ] {
            assert!(helps.contains(&expected), "{expected:?} in {helps:?}");
        }
        // A decimal comma is turned into a point, never dropped: 7,9 is not 79.
        let decimal = diagnose(
            RecordKind::Engagement,
            "success:\n  metrics:\n    - id: x\n      name: X\n      baseline: 14,5\n      target: 9\n      measurements:\n        - { date: 2026-10-30, value: 7,9 }\n",
        );
        let helps: Vec<(&str, &str)> = decimal
            .iter()
            .map(|d| (d.path.as_deref().unwrap_or_default(), d.help.as_str()))
            .collect();
        assert!(
            helps.contains(&(
                "success.metrics[0].baseline",
                "write the decimal number with a point, as 14.5"
            )),
            "{helps:?}"
        );
        assert!(
            helps.contains(&(
                "success.metrics[0].measurements[0].9",
                "a comma inside `{ }` separates fields: write a decimal number with a point, as 7.9"
            )),
            "{helps:?}"
        );
        let merged = diagnose(
            RecordKind::Engagement,
            "milestones:\n  - &a {id: A, title: A, due: 2026-04-01}\n  - <<: *a\n    id: B\n",
        );
        let merge = merged
            .iter()
            .find(|d| d.rule.name == "unknown-field")
            .unwrap();
        assert!(merge.help.contains("no merge keys"), "{merged:?}");
        let config = diagnose(
            RecordKind::Config,
            "rules:\n  update-overdue: Off\n  win-not-celebrated: none\n",
        );
        assert_eq!(config[0].message, "`Off` is not a level for update-overdue");
        assert!(config[0].help.starts_with("did you mean `off`?"));
        assert!(config[1].help.starts_with("did you mean `off`?"));
    }
}
