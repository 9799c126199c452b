//! A line of help for a custom template's syntax error.
//!
//! Tera says what it met ("Unknown tag" at an `{% endif %}`, "Unexpected
//! end of input" at the last line) but not what the author forgot, which
//! is almost always a tag opened further up and never closed, or one
//! closed in the wrong order. Reading the template's tags up to the error
//! finds that tag and where it is.

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
            let keyword = match word.strip_prefix('<') {
                Some(_) => &word[..word.find('(').unwrap_or(word.len())],
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
            (None, Some(name)) => top.keyword.strip_prefix('<') == name.strip_suffix('>'),
            _ => false,
        };
        if (closes.is_some() || word.starts_with("</")) && open.last().is_some_and(matches_top) {
            open.pop();
        }
    }
    open
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
