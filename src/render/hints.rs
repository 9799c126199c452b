//! A line of help for a custom template's syntax error.
//!
//! Tera says what it met ("Unknown tag" at an `{% endif %}`, "Unexpected
//! end of input" at the last line) but not what the author forgot, which
//! is almost always a tag opened further up and never closed, or one
//! closed in the wrong order. Reading the template's tags up to the error
//! finds that tag and where it is.

use serde_json::Value;

/// Tags that open a body another tag closes, with that tag.
const PAIRS: [(&str, &str); 6] = [
    ("if", "endif"),
    ("for", "endfor"),
    ("block", "endblock"),
    ("filter", "endfilter"),
    ("component", "endcomponent"),
    ("set", "endset"),
];

/// Every tag Tera 2 knows, for "did you mean".
const KNOWN: [&str; 21] = [
    "if",
    "elif",
    "else",
    "endif",
    "for",
    "endfor",
    "block",
    "endblock",
    "filter",
    "endfilter",
    "component",
    "endcomponent",
    "set",
    "set_global",
    "endset",
    "include",
    "extends",
    "break",
    "continue",
    "raw",
    "endraw",
];

/// A `{% ... %}` tag: its words without the delimiters and trim marks, and
/// where it starts.
struct Tag<'s> {
    words: &'s str,
    start: usize,
    end: usize,
}

/// An opening tag still waiting for its end.
struct Open<'s> {
    /// `if`, `for`, ... or `<name` for a component called with a body.
    keyword: &'s str,
    /// The tag as written, shortened, to quote back.
    shown: String,
    start: usize,
}

impl Open<'_> {
    /// The tag that ends this one.
    fn closer(&self) -> String {
        match self.keyword.strip_prefix('<') {
            Some(name) => format!("{{% </{name}> %}}"),
            None => {
                let end = PAIRS
                    .iter()
                    .find(|(open, _)| *open == self.keyword)
                    .map_or("end", |(_, end)| end);
                format!("{{% {end} %}}")
            }
        }
    }
}

/// Help for the syntax error `message` that Tera found at byte `at` of a
/// template's `source`, when the template's tags explain it.
pub(super) fn for_syntax_error(source: &str, message: &str, at: usize) -> Option<String> {
    let scan = scan(source);
    if message.starts_with("Unexpected end of input") {
        if let Some((opener, start)) = scan.unclosed {
            let closer = match opener {
                "{{" => "}}",
                "{#" => "#}",
                _ => "%}",
            };
            return Some(format!(
                "the `{opener}` at {} is never closed: end it with `{closer}`",
                place(source, start)
            ));
        }
        let open = open_before(&scan.tags, source.len());
        let innermost = open.last()?;
        return Some(format!(
            "the `{}` at {} is never closed: add `{}` where its part ends",
            innermost.shown,
            place(source, innermost.start),
            innermost.closer()
        ));
    }
    if message != "Unknown tag" {
        return None;
    }
    let tag = scan
        .tags
        .iter()
        .find(|tag| tag.start <= at && at < tag.end)?;
    let word = first_word(tag.words);
    let open = open_before(&scan.tags, tag.start);
    let closes = PAIRS
        .iter()
        .find(|(_, end)| *end == word)
        .map(|(open, _)| *open);
    if let Some(opens) = closes.or(word.strip_prefix("</").map(|_| "")) {
        return Some(match open.last() {
            Some(innermost) => format!(
                "`{}` cannot end the `{}` at {}, which is still open: end that one first with `{}`",
                shorten(tag.words),
                innermost.shown,
                place(source, innermost.start),
                innermost.closer()
            ),
            None if opens.is_empty() => format!(
                "nothing is open here for `{}` to end: remove it, or add the component call it ends",
                shorten(tag.words)
            ),
            None => format!(
                "nothing is open here for `{{% {word} %}}` to end: remove it, or add the `{{% {opens} ... %}}` it ends"
            ),
        });
    }
    if matches!(word, "else" | "elif") {
        // Inside its `if` (or `for`), Tera refuses it only after an `else`.
        if let Some(innermost) = open
            .last()
            .filter(|o| o.keyword == "if" || (word == "else" && o.keyword == "for"))
        {
            return Some(format!(
                "`{{% {word} %}}` cannot come after the `{{% else %}}` of the `{}` at {}: `{{% else %}}` is its last part",
                innermost.shown,
                place(source, innermost.start)
            ));
        }
        let inside = open
            .last()
            .map(|o| {
                format!(
                    "; the innermost open tag here is the `{}` at {}",
                    o.shown,
                    place(source, o.start)
                )
            })
            .unwrap_or_default();
        let owners = if word == "else" {
            "an `{% if %}` or a `{% for %}`"
        } else {
            "an `{% if %}`"
        };
        return Some(format!("`{{% {word} %}}` belongs inside {owners}{inside}"));
    }
    if KNOWN.contains(&word) {
        return None;
    }
    Some(match crate::suggest::closest(word, KNOWN) {
        Some(near) => format!("Tera has no `{word}` tag: did you mean `{{% {near} %}}`?"),
        None => format!(
            "Tera has no `{word}` tag; its tags are {}",
            KNOWN
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    })
}

/// Help for "Tried to render a variable that is undefined", which Tera
/// reports at the filter an undefined value was given to (`{{ titel |
/// label }}`): the name before the filter, looked up in the page's
/// `context`, with what is there instead.
pub(super) fn for_undefined(source: &str, at: usize, context: &Value) -> Option<String> {
    let before = source.get(..at)?;
    let open = before.rfind("{{").max(before.rfind("{%"))?;
    let expression = before[open + 2..].trim_end().strip_suffix('|')?.trim_end();
    let path = expression
        .rsplit(|c: char| c.is_whitespace() || matches!(c, '(' | ',' | '=' | '{' | '-'))
        .next()?;
    let steps: Vec<&str> = path.split('.').collect();
    let is_name = |step: &&str| {
        step.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && step.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    if steps.is_empty() || !steps.iter().all(is_name) {
        return None;
    }
    // A loop's variable stands for the first item of what it loops over;
    // a name bound any other way (`set`, a component's parameter) is not
    // in the context, and nothing can be said of it.
    let first = steps[0];
    // A component sees only its parameters, not the page's variables.
    if let Some(parameters) = component_around(before) {
        if parameters.contains(&first)
            || loop_source(before, first).is_some()
            || binds(source, first)
        {
            return None;
        }
        return Some(missing(
            first,
            "a component sees only its parameters, which here are",
            &parameters,
        ));
    }
    let (mut value, mut shown) = match context.get(first) {
        Some(found) => (found, first.to_owned()),
        None => match loop_source(before, first) {
            Some(over) => {
                let (found, name) = resolve(context, before, &over, 0)?;
                (found, format!("{name}[…]"))
            }
            None if binds(source, first) => return None,
            None => {
                let names = keys(context);
                return Some(missing(first, "the variables of this page are", &names));
            }
        },
    };
    for step in &steps[1..] {
        match value {
            Value::Object(fields) => match fields.get(*step) {
                Some(found) => {
                    value = found;
                    shown = format!("{shown}.{step}");
                }
                None => {
                    let names = keys(value);
                    return Some(missing(
                        step,
                        &format!("the fields of `{shown}` are"),
                        &names,
                    ));
                }
            },
            _ => return None,
        }
    }
    None
}

/// "`titel` is not defined: the variables ... are a, b, c; did you mean
/// `title`?"
fn missing(name: &str, listed: &str, names: &[&str]) -> String {
    let near = crate::suggest::closest(name, names.iter().copied())
        .map(|near| format!("; did you mean `{near}`?"))
        .unwrap_or_default();
    let names: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    format!(
        "`{name}` is not defined: {listed} {}{near}",
        names.join(", ")
    )
}

fn keys(value: &Value) -> Vec<&str> {
    let mut names: Vec<&str> = value
        .as_object()
        .map(|fields| fields.keys().map(String::as_str).collect())
        .unwrap_or_default();
    names.retain(|name| *name != "stylesheet");
    names.sort_unstable();
    names
}

/// The parameters of the component whose definition `before` (a template
/// up to some point) ends inside, if it does.
fn component_around(before: &str) -> Option<Vec<&str>> {
    let tags = scan(before).tags;
    let last = tags
        .iter()
        .rposition(|tag| first_word(tag.words) == "component")?;
    if tags[last..]
        .iter()
        .any(|tag| first_word(tag.words) == "endcomponent")
    {
        return None;
    }
    parameters_of(tags[last].words)
}

/// The parameter names of `component name(a, b: map, c=["x, y"])`: split
/// at the commas outside brackets and quotes, each name before its `:`
/// (a type) or `=` (a default).
fn parameters_of(words: &str) -> Option<Vec<&str>> {
    let (_, list) = words.split_once('(')?;
    let list = list.rsplit_once(')').map_or(list, |(inside, _)| inside);
    let mut names = Vec::new();
    let (mut depth, mut quote, mut start) = (0usize, None, 0);
    for (at, c) in list
        .char_indices()
        .chain(std::iter::once((list.len(), ',')))
    {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'' | '`') => quote = Some(c),
            (None, '(' | '[' | '{') => depth += 1,
            (None, ')' | ']' | '}') => depth = depth.saturating_sub(1),
            (None, ',') if depth == 0 => {
                let part = &list[start..at];
                let name = part.split([':', '=']).next().unwrap_or_default().trim();
                if !name.is_empty() {
                    names.push(name);
                }
                start = at + 1;
            }
            _ => {}
        }
    }
    Some(names)
}

/// What `name` loops over in the innermost `{% for name in ... %}` of
/// `before` (the template up to the error), as written.
fn loop_source(before: &str, name: &str) -> Option<String> {
    scan(before).tags.iter().rev().find_map(|tag| {
        let rest = tag.words.strip_prefix("for")?.trim_start();
        let (names, over) = rest.split_once(" in ")?;
        let bound = names.split(',').map(str::trim).any(|n| n == name);
        let over = over.split(|c: char| c.is_whitespace() || c == '|').next()?;
        bound.then(|| over.to_owned())
    })
}

/// The value a dotted path written in the template stands for, and its
/// name: through loop variables, to the first item of each list.
fn resolve<'v>(
    context: &'v Value,
    before: &str,
    path: &str,
    depth: usize,
) -> Option<(&'v Value, String)> {
    if depth > 8 {
        return None;
    }
    let mut steps = path.split('.');
    let first = steps.next()?;
    let (mut value, mut shown) = match context.get(first) {
        Some(found) => (found, first.to_owned()),
        None => {
            let over = loop_source(before, first)?;
            let (found, name) = resolve(context, before, &over, depth + 1)?;
            (found, format!("{name}[…]"))
        }
    };
    for step in steps {
        value = value.get(step)?;
        shown = format!("{shown}.{step}");
    }
    // A loop's item: the first one stands for all.
    let item = value.as_array()?.first()?;
    Some((item, shown))
}

/// Whether the template binds `name` otherwise than in a loop: `set`, or a
/// component's parameter.
fn binds(source: &str, name: &str) -> bool {
    scan(source).tags.iter().any(|tag| {
        let words = tag.words;
        let set = ["set ", "set_global "].iter().any(|start| {
            words
                .strip_prefix(start)
                .is_some_and(|rest| first_word(rest.trim_start()).trim_end_matches('=') == name)
        });
        let parameter = words.starts_with("component ")
            && parameters_of(words).is_some_and(|names| names.contains(&name));
        set || parameter
    })
}

/// The template's tags, and the first delimiter that is never closed.
struct Scan<'s> {
    tags: Vec<Tag<'s>>,
    unclosed: Option<(&'static str, usize)>,
}

fn scan(source: &str) -> Scan<'_> {
    let mut tags = Vec::new();
    let mut at = 0;
    while let Some(found) = source[at..].find('{') {
        let start = at + found;
        let (opener, closer): (&'static str, &str) = match source.as_bytes().get(start + 1) {
            Some(b'%') => ("{%", "%}"),
            Some(b'{') => ("{{", "}}"),
            Some(b'#') => ("{#", "#}"),
            _ => {
                at = start + 1;
                continue;
            }
        };
        let Some(length) = source[start + 2..].find(closer) else {
            return Scan {
                tags,
                unclosed: Some((opener, start)),
            };
        };
        let end = start + 2 + length + 2;
        at = end;
        if opener != "{%" {
            continue;
        }
        let words = source[start + 2..end - 2]
            .trim_start_matches('-')
            .trim_end_matches('-')
            .trim();
        tags.push(Tag { words, start, end });
        if first_word(words) == "raw" {
            // Nothing up to `endraw` is a tag.
            match tags_named(source, at, "endraw") {
                Some(next) => at = next,
                None => break,
            }
        }
    }
    Scan {
        tags,
        unclosed: None,
    }
}

/// Where the first `{% name %}` tag from `from` starts.
fn tags_named(source: &str, from: usize, name: &str) -> Option<usize> {
    let mut at = from;
    while let Some(found) = source[at..].find("{%") {
        let start = at + found;
        let inner = source[start + 2..].trim_start_matches('-').trim_start();
        if first_word(inner) == name {
            return Some(start);
        }
        at = start + 2;
    }
    None
}

/// The tags still open just before byte `before`, outermost first.
fn open_before<'s>(tags: &[Tag<'s>], before: usize) -> Vec<Open<'s>> {
    let mut open: Vec<Open> = Vec::new();
    for tag in tags.iter().take_while(|tag| tag.start < before) {
        let word = first_word(tag.words);
        let opens = match word {
            // `{% set x = 1 %}` is whole; `{% set x %}...{% endset %}` is not.
            "set" => !tag.words.contains('='),
            _ if word.starts_with('<') && !word.starts_with("</") => !tag.words.ends_with("/>"),
            _ => PAIRS.iter().any(|(o, _)| *o == word),
        };
        if opens {
            // `<card`, for `{% <card(x=1)> %}` or `{% <card> %}`.
            let keyword = match word.strip_prefix('<') {
                Some(name) => &word[..1 + component_name(name).len()],
                None => word,
            };
            open.push(Open {
                keyword,
                shown: shorten(tag.words),
                start: tag.start,
            });
            continue;
        }
        let closes = PAIRS.iter().find(|(_, end)| *end == word).map(|(o, _)| *o);
        let matches_top = |top: &Open| match (closes, word.strip_prefix("</")) {
            (Some(opener), _) => top.keyword == opener,
            (None, Some(name)) => top.keyword.strip_prefix('<') == Some(component_name(name)),
            _ => false,
        };
        if (closes.is_some() || word.starts_with("</")) && open.last().is_some_and(matches_top) {
            open.pop();
        }
    }
    open
}

/// `card` of `card(x=1)>`, `card>` or `card />`.
fn component_name(after_bracket: &str) -> &str {
    let end = after_bracket
        .find(|c: char| c.is_whitespace() || matches!(c, '(' | '>' | '/'))
        .unwrap_or(after_bracket.len());
    &after_bracket[..end]
}

fn first_word(words: &str) -> &str {
    let end = words
        .find(|c: char| c.is_whitespace() || c == '(')
        .unwrap_or(words.len());
    &words[..end]
}

/// A tag as the author wrote it, cut to fit a message.
fn shorten(words: &str) -> String {
    let squeezed = words.split_whitespace().collect::<Vec<_>>().join(" ");
    let cut: String = squeezed.chars().take(40).collect();
    let ellipsis = if cut.len() < squeezed.len() {
        " ..."
    } else {
        ""
    };
    format!("{{% {cut}{ellipsis} %}}")
}

/// "line L, column C" of byte `at`, both from 1, the column in characters.
fn place(source: &str, at: usize) -> String {
    let before = &source[..at];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    format!("line {line}, column {column}")
}

#[cfg(test)]
mod tests {
    use super::for_syntax_error;

    /// Tera's own error for `template`, and the help this module gives.
    fn help_for(template: &str) -> (String, Option<String>) {
        let mut tera = tera::Tera::default();
        let error = tera
            .add_raw_template("page.html", template)
            .expect_err("the template has a mistake");
        let tera::ErrorKind::SyntaxError(report) = error.kind() else {
            panic!("not a syntax error: {error}");
        };
        let help = for_syntax_error(template, report.message(), report.span().range.start);
        (report.message().to_owned(), help)
    }

    #[test]
    fn an_end_tag_that_closes_the_wrong_tag_names_the_open_one() {
        let template = "{% block content %}\n{% if a %}{% for x in xs %}{{ x }}{% endif %}\n{% endblock content %}";
        let (message, help) = help_for(template);
        assert_eq!(message, "Unknown tag");
        assert_eq!(
            help.unwrap(),
            "`{% endif %}` cannot end the `{% for x in xs %}` at line 2, column 11, which is still open: end that one first with `{% endfor %}`"
        );
    }

    #[test]
    fn a_tag_left_open_to_the_end_is_named_with_its_place() {
        let template = "{% block content %}\n<p>{% if a %}yes</p>\n{% endblock content %}";
        let (_, help) = help_for(template);
        assert_eq!(
            help.unwrap(),
            "`{% endblock content %}` cannot end the `{% if a %}` at line 2, column 4, which is still open: end that one first with `{% endif %}`"
        );
        let template = "{% block content %}\n<p>hello</p>\n";
        let (message, help) = help_for(template);
        assert!(message.starts_with("Unexpected end of input"), "{message}");
        assert_eq!(
            help.unwrap(),
            "the `{% block content %}` at line 1, column 1 is never closed: add `{% endblock %}` where its part ends"
        );
    }

    #[test]
    fn an_unclosed_delimiter_at_the_end_is_named_before_any_tag() {
        let (message, help) = help_for("{% if a %}\n<p>{{ a");
        assert!(message.starts_with("Unexpected end of input"), "{message}");
        assert_eq!(
            help.unwrap(),
            "the `{{` at line 2, column 4 is never closed: end it with `}}`"
        );
    }

    #[test]
    fn a_misspelt_tag_gets_the_nearest_one() {
        let (_, help) = help_for("{% iff a %}x{% endif %}");
        assert_eq!(
            help.unwrap(),
            "Tera has no `iff` tag: did you mean `{% if %}`?"
        );
        let (_, help) = help_for("{% endfro %}");
        assert_eq!(
            help.unwrap(),
            "Tera has no `endfro` tag: did you mean `{% endfor %}`?"
        );
    }

    #[test]
    fn component_calls_and_a_part_after_else_are_read_as_tera_reads_them() {
        let (_, help) = help_for(
            "{% component card() %}x{% endcomponent card %}{% if title %}{% <card> %}hello{% </card> %}{% endfor %}",
        );
        assert_eq!(
            help.unwrap(),
            "`{% endfor %}` cannot end the `{% if title %}` at line 1, column 47, which is still open: end that one first with `{% endif %}`"
        );
        let (_, help) =
            help_for("{% if score %}high{% else %}none{% elif metrics %}some{% endif %}");
        assert_eq!(
            help.unwrap(),
            "`{% elif %}` cannot come after the `{% else %}` of the `{% if score %}` at line 1, column 1: `{% else %}` is its last part"
        );
    }

    #[test]
    fn an_end_tag_with_nothing_open_says_so() {
        let (_, help) = help_for("<p>a</p>{% endif %}");
        assert_eq!(
            help.unwrap(),
            "nothing is open here for `{% endif %}` to end: remove it, or add the `{% if ... %}` it ends"
        );
    }

    #[test]
    fn raw_text_and_whole_set_tags_are_not_counted() {
        // The `{% if %}` inside raw is text; `set x = 1` needs no end.
        let template = "{% raw %}{% if %}{% endraw %}{% set x = 1 %}{% for a in b %}{% endif %}";
        let (_, help) = help_for(template);
        assert_eq!(
            help.unwrap(),
            "`{% endif %}` cannot end the `{% for a in b %}` at line 1, column 45, which is still open: end that one first with `{% endfor %}`"
        );
    }

    /// The help for an undefined value given to the filter `filter` in
    /// `template`, with the page's context `context`.
    fn undefined(template: &str, filter: &str, context: serde_json::Value) -> Option<String> {
        let at = template.find(&format!("| {filter}")).expect("the filter") + 2;
        super::for_undefined(template, at, &context)
    }

    #[test]
    fn an_undefined_name_before_a_filter_is_named_with_what_there_is() {
        let context = serde_json::json!({
            "title": "T", "stylesheet": "", "page": { "as_of": "1 May" },
            "metrics": [{ "name": "N", "id": "x" }]
        });
        assert_eq!(
            undefined("<h1>{{ titel | label }}</h1>", "label", context.clone()).unwrap(),
            "`titel` is not defined: the variables of this page are `metrics`, `page`, `title`; did you mean `title`?"
        );
        assert_eq!(
            undefined("{{ page.asof | label }}", "label", context.clone()).unwrap(),
            "`asof` is not defined: the fields of `page` are `as_of`; did you mean `as_of`?"
        );
        // Through a loop's variable, to the fields of the list's items.
        assert_eq!(
            undefined(
                "{% for m in metrics %}{% if m.nmae | length > 0 %}x{% endif %}{% endfor %}",
                "length",
                context.clone()
            )
            .unwrap(),
            "`nmae` is not defined: the fields of `metrics[…]` are `id`, `name`; did you mean `name`?"
        );
        // Inside a component only its parameters are seen.
        assert_eq!(
            undefined(
                "{% component win(w) %}{{ titel | label }}{% endcomponent win %}",
                "label",
                context.clone()
            )
            .unwrap(),
            "`titel` is not defined: a component sees only its parameters, which here are `w`"
        );
        // Parameters with types and defaults that hold commas.
        assert_eq!(
            undefined(
                "{% component win(w: map, labels=[\"a, b\", \"c\"]) %}{{ titel | label }}{% endcomponent win %}",
                "label",
                context.clone()
            )
            .unwrap(),
            "`titel` is not defined: a component sees only its parameters, which here are `w`, `labels`"
        );
        assert_eq!(
            undefined(
                "{% component win(w: map) %}{{ w.titel | label }}{% endcomponent win %}",
                "label",
                context.clone()
            ),
            None
        );
        // A name bound by `set` or a component's parameter is not in the
        // context: nothing is said rather than something wrong.
        assert_eq!(
            undefined("{% set t = 1 %}{{ t | label }}", "label", context.clone()),
            None
        );
        assert_eq!(
            undefined(
                "{% component card(c) %}{{ c.x | label }}{% endcomponent card %}",
                "label",
                context
            ),
            None
        );
    }

    #[test]
    fn trim_marks_and_spacing_are_read_like_tera_reads_them() {
        let template = "{%- if a -%}\n  {%-   for x in xs   %}\n{%- endif -%}";
        let (_, help) = help_for(template);
        assert_eq!(
            help.unwrap(),
            "`{% endif %}` cannot end the `{% for x in xs %}` at line 2, column 3, which is still open: end that one first with `{% endfor %}`"
        );
    }
}
