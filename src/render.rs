//! Tera, configured once: the built-in templates are compiled into the
//! binary, and a templates folder (`--templates`, or `templates:` in
//! commonthread.yaml) overrides them file by file.

use std::path::Path;

use serde::Serialize;
use tera::{Context, Tera};

mod hints;

/// The built-in templates, by name.
pub const BUILT_IN: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    (
        "components.html",
        include_str!("../templates/components.html"),
    ),
    (
        "portfolio.html",
        include_str!("../templates/portfolio.html"),
    ),
    (
        "portfolio-rows.html",
        include_str!("../templates/portfolio-rows.html"),
    ),
    ("client.html", include_str!("../templates/client.html")),
    (
        "scorecard.html",
        include_str!("../templates/scorecard.html"),
    ),
    ("review.html", include_str!("../templates/review.html")),
    ("audit.html", include_str!("../templates/audit.html")),
];

/// The stylesheet inlined into every page (overridable as `style.css`).
pub const BUILT_IN_STYLE: &str = include_str!("../templates/style.css");

pub struct Renderer {
    tera: Tera,
    style: crate::css::Stylesheet,
    /// The fingerprint of every template and the stylesheet as loaded.
    sources: u128,
    /// No template was overridden (the stylesheet may have been).
    built_in_templates: bool,
    /// Files in the templates folder that replace nothing, each with what
    /// it may have been meant to be.
    unused: Vec<UnusedTemplate>,
    /// What in the templates folder would break a page's promises (a
    /// script, a request to another host, the stylesheet left out).
    risks: Vec<String>,
    /// Each template's text by name, to explain a rendering error.
    texts: Vec<(String, String)>,
}

/// A file in the templates folder whose name is not a built-in template's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnusedTemplate {
    pub path: std::path::PathBuf,
    pub meant: Option<&'static str>,
}

/// Every name a templates folder can replace.
fn replaceable() -> impl Iterator<Item = &'static str> {
    BUILT_IN
        .iter()
        .map(|(name, _)| *name)
        .chain(std::iter::once("style.css"))
}

/// The `.html` and `.css` files in `dir` that are no built-in's name, in
/// name order. Only those: a folder may well hold a README or images.
fn unused_files(dir: &Path) -> Vec<UnusedTemplate> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut unused: Vec<UnusedTemplate> = entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_str()?.to_owned();
            let template = name.ends_with(".html") || name.ends_with(".css");
            (template && !replaceable().any(|known| known == name)).then(|| UnusedTemplate {
                path: entry.path(),
                meant: crate::suggest::closest(&name, replaceable()),
            })
        })
        .collect();
    unused.sort_by(|a, b| a.path.cmp(&b.path));
    unused
}

/// Where the page's stylesheet goes until it is cut to the page.
const STYLE_MARKER: &str = "/*commonthread:stylesheet*/";

/// The room a page is rendered into at first (see `render_part`).
const PAGE_CAPACITY: usize = 64 * 1024;

impl Renderer {
    /// Loads the templates, the user's files first. Errors name the file.
    pub fn new(overrides: Option<&Path>) -> Result<Renderer, String> {
        let mut sources: Vec<(String, String)> = Vec::new();
        let mut style = BUILT_IN_STYLE.to_owned();
        let mut unused = Vec::new();
        let mut risks = Vec::new();
        if let Some(dir) = overrides {
            if !dir.is_dir() {
                return Err(format!(
                    "the templates folder `{}` does not exist",
                    dir.display()
                ));
            }
            let read = |name: &str| -> Result<Option<String>, String> {
                let path = dir.join(name);
                if !path.is_file() {
                    return Ok(None);
                }
                std::fs::read_to_string(&path)
                    .map(Some)
                    .map_err(|e| format!("cannot read template `{}`: {e}", path.display()))
            };
            for (name, _) in BUILT_IN {
                if let Some(text) = read(name)? {
                    sources.push(((*name).to_owned(), text));
                }
            }
            if let Some(text) = read("style.css")? {
                risks.extend(risks_in(&dir.join("style.css"), &text));
                style = text;
            }
            for (name, text) in &sources {
                risks.extend(risks_in(&dir.join(name), text));
            }
            unused = unused_files(dir);
        }
        let built_in_templates = sources.is_empty();
        for (name, text) in BUILT_IN {
            if !sources.iter().any(|(n, _)| n == name) {
                sources.push(((*name).to_owned(), (*text).to_owned()));
            }
        }
        let mut fingerprint = crate::reuse::Fingerprint::new().text(&style);
        for (name, text) in &sources {
            fingerprint = fingerprint.text(name).text(text);
        }
        let sources_fingerprint = fingerprint.finish();
        // Inlined into every page: every byte saved is saved thousands of times.
        let style = crate::css::Stylesheet::parse(&minify_css(&style));
        let mut tera = Tera::default();
        tera.autoescape_on([".html"]);
        tera.set_escape_fn(write_escaped_html);
        tera.register_filter("date_words", date_words);
        tera.register_filter("num", num);
        tera.register_filter("figure", figure);
        tera.register_filter("label", label);
        tera.register_filter("plain_text", plain_text);
        tera.add_raw_templates(sources.iter().map(|(n, t)| (n.as_str(), t.as_str())))
            .map_err(|e| with_help(describe(&e), &e, &sources))?;
        Ok(Renderer {
            tera,
            style,
            sources: sources_fingerprint,
            built_in_templates,
            unused,
            risks,
            texts: sources,
        })
    }

    /// Warnings about the templates folder's files: what would make a page
    /// need a script or ask another host for anything (INTERFACE.md), or
    /// leave it without its styles.
    pub fn template_risks(&self) -> &[String] {
        &self.risks
    }

    /// Files in the templates folder that replace no built-in template (a
    /// misspelt name, or a template of an older commonthread).
    pub fn unused_templates(&self) -> &[UnusedTemplate] {
        &self.unused
    }

    /// What the templates and stylesheet were, as a fingerprint: pages
    /// rendered from other ones are not reused (see `reuse`).
    pub fn sources_fingerprint(&self) -> u128 {
        self.sources
    }

    /// Whether every template is the built-in one, which prints the commit
    /// once and as it is (see `reuse::Stamp`).
    pub fn built_in_templates(&self) -> bool {
        self.built_in_templates
    }

    /// Renders one page from its view model.
    pub fn render<T: Serialize>(&self, template: &str, view: &T) -> Result<String, String> {
        Ok(self.finish(self.render_part(template, view)?))
    }

    /// Renders a template as it stands, for a page assembled from several
    /// parts; `finish` makes the assembled page whole.
    pub fn render_part<T: Serialize>(&self, template: &str, view: &T) -> Result<String, String> {
        let mut context = Context::from_serialize(view).map_err(|e| describe(&e))?;
        context.insert("stylesheet", STYLE_MARKER);
        // Most pages are 20-90 KB: room for one from the start spares the
        // copies of a buffer grown from the template's size.
        let mut page = Vec::with_capacity(PAGE_CAPACITY);
        self.tera
            .render_to(template, &context, &mut page)
            .map_err(|e| self.explain_render_error(&e, view))?;
        String::from_utf8(page).map_err(|e| e.to_string())
    }

    /// A rendering error's report, with a line of help when the page's
    /// context says what a template named wrongly.
    fn explain_render_error<T: Serialize>(&self, error: &tera::Error, view: &T) -> String {
        let report = describe(error);
        let tera::ErrorKind::RenderingError(rendering) = error.kind() else {
            return report;
        };
        if rendering.message() != "Tried to render a variable that is undefined" {
            return report;
        }
        let help = self
            .texts
            .iter()
            .find(|(name, _)| name == rendering.filename())
            .zip(serde_json::to_value(view).ok())
            .and_then(|((_, text), context)| {
                hints::for_undefined(text, rendering.span().range.start, &context)
            });
        match help {
            Some(help) => format!("{}\n  = help: {help}", report.trim_end()),
            None => report,
        }
    }

    /// The stylesheet cut to what the page uses, and no hidden controls.
    pub fn finish(&self, mut html: String) -> String {
        // Only the rules this page can use: most of the sheet is for
        // other kinds of page, and it is inlined into every one.
        if let Some(at) = html.find(STYLE_MARKER) {
            let css = self.style.for_page(&html);
            let tail = at + STYLE_MARKER.len();
            if html.len() < 1 << 20 {
                // One copy: the cheapest for an ordinary page.
                let mut page = String::with_capacity(html.len() + css.len());
                page.push_str(&html[..at]);
                page.push_str(&css);
                page.push_str(&html[tail..]);
                html = page;
            } else {
                // In place: the portfolio of 100,000 engagements is a page
                // of 108 MB, and a copy of it was a build's peak memory.
                // (Not `replace_range`: its `Vec::splice` is slow for a
                // long replacement, 2.2% of a full build's CPU.)
                html.drain(at..tail);
                html.insert_str(at, &css);
            }
        }
        without_hidden_controls(html)
    }
}

/// The stylesheet without comments and without the white space CSS does
/// not need; quoted strings are kept exactly.
pub fn minify_css(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut chars = css.chars().peekable();
    let mut pending_space = false;
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut previous = ' ';
                for d in chars.by_ref() {
                    if previous == '*' && d == '/' {
                        break;
                    }
                    previous = d;
                }
                pending_space = true;
            }
            '"' | '\'' => {
                if pending_space && needs_space(out.chars().last()) {
                    out.push(' ');
                }
                pending_space = false;
                out.push(c);
                while let Some(d) = chars.next() {
                    out.push(d);
                    if d == '\\' {
                        if let Some(escaped) = chars.next() {
                            out.push(escaped);
                        }
                    } else if d == c {
                        break;
                    }
                }
            }
            c if c.is_whitespace() => pending_space = true,
            '{' | '}' | ';' | ',' | '>' => {
                // A `;` right before `}` is not needed either.
                if c == '}' && out.ends_with(';') {
                    out.pop();
                }
                out.push(c);
                pending_space = false;
            }
            c => {
                if pending_space && needs_space(out.chars().last()) {
                    out.push(' ');
                }
                pending_space = false;
                out.push(c);
            }
        }
    }
    out
}

/// Whether white space after `last` can matter (not after a separator).
fn needs_space(last: Option<char>) -> bool {
    !matches!(last, None | Some('{' | '}' | ';' | ',' | '>' | ':'))
}

/// `{{ "2026-05-04" | date_words }}` → "4 May 2026"; other values pass through.
fn date_words(value: &tera::Value, _: tera::Kwargs, _: &tera::State) -> tera::Value {
    match value.as_str().and_then(crate::model::Date::parse) {
        Some(date) => tera::Value::from(crate::charts::date_long(date)),
        None => value.clone(),
    }
}

/// `{{ 100.0 | num }}` → "100", `{{ 37.5 | num }}` → "37.5": a fraction as
/// people write it (Tera prints `100.0`); other values pass through.
fn num(value: &tera::Value, _: tera::Kwargs, _: &tera::State) -> tera::Value {
    match value.as_f64() {
        Some(number) if value.is_f64() => tera::Value::from(number.to_string()),
        _ => value.clone(),
    }
}

/// `{{ 1602500 | figure(unit="USD") }}` → "1,602,500 USD": a figure as the
/// pages print it (thousands separated, at most two decimals, with its
/// unit); other values pass through.
fn figure(value: &tera::Value, kwargs: tera::Kwargs, _: &tera::State) -> tera::Value {
    let unit: Option<&str> = kwargs.get("unit").ok().flatten();
    match value.as_f64() {
        Some(number) => tera::Value::from(crate::charts::format_number(number, unit.unwrap_or(""))),
        None => value.clone(),
    }
}

/// `{{ e.title | label }}`: a name or title as inline Markdown (see
/// `markdown::label_html`), safe to print as it is;
/// `{{ e.title | label(links=false) }}` inside a link. Other values pass
/// through.
fn label(value: &tera::Value, kwargs: tera::Kwargs, _: &tera::State) -> tera::Value {
    let links: bool = kwargs.get("links").ok().flatten().unwrap_or(true);
    match value.as_str() {
        Some(text) => tera::Value::safe_string(&crate::markdown::label_html(text, links)),
        None => value.clone(),
    }
}

/// A name or title as plain text, for text-only places such as `<title>`.
fn plain_text(value: &tera::Value, _: tera::Kwargs, _: &tera::State) -> tera::Value {
    match value.as_str() {
        Some(text) => tera::Value::from(crate::markdown::label_text(text)),
        None => value.clone(),
    }
}

/// What in one template (or the stylesheet) at `path` would break a page's
/// promises, line by line. A plain reading of the text, not a parser: it
/// errs towards saying too much, in a warning.
fn risks_in(path: &Path, text: &str) -> Vec<String> {
    let shown = path.display();
    let mut found = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let lower = line.to_ascii_lowercase();
        let squeezed: String = lower
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '"' && *c != '\'')
            .collect();
        let remote = [
            "src=http:",
            "src=https:",
            "src=//",
            "url(http:",
            "url(https:",
            "url(//",
        ]
        .iter()
        .any(|p| squeezed.contains(p))
            || (lower.contains("<link")
                && ["http:", "https:", "href=//"]
                    .iter()
                    .any(|p| squeezed.contains(p)))
            || lower.contains("@import");
        let what = if ["<script", "<iframe", "<object", "<embed"]
            .iter()
            .any(|tag| lower.contains(tag))
        {
            "embeds a script or another document"
        } else if remote {
            "loads something from another host"
        } else {
            continue;
        };
        found.push(format!(
            "warning: `{shown}` line {}: it {what}; the pages must need no script and ask no other host for anything (self-contained, to be e-mailed or printed as they are)",
            number + 1
        ));
    }
    if path.file_name().is_some_and(|n| n == "base.html") {
        let squeezed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        if !squeezed.contains("stylesheet|safe") {
            found.push(format!(
                "warning: `{shown}` does not print `{{{{ stylesheet | safe }}}}`: the pages will have no styles"
            ));
        }
        if !text.contains("Content-Security-Policy") {
            found.push(format!(
                "warning: `{shown}` has no `Content-Security-Policy` meta tag: it is what keeps a page from asking other hosts for anything; keep the built-in one"
            ));
        }
    }
    found
}

/// The escaping the pages have always had (`&<>"'/`, as Tera 1 did it),
/// copying the runs between specials whole: escaping was 6% of build CPU.
fn write_escaped_html(input: &str, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let bytes = input.as_bytes();
    let mut run = 0;
    for (i, byte) in bytes.iter().enumerate() {
        let entity: &[u8] = match byte {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'"' => b"&quot;",
            b'\'' => b"&#x27;",
            b'/' => b"&#x2F;",
            _ => continue,
        };
        out.write_all(&bytes[run..i])?;
        out.write_all(entity)?;
        run = i + 1;
    }
    out.write_all(&bytes[run..])
}

/// Record text may carry control characters (a bell, a NUL) that HTML does
/// not allow, and bidirectional overrides that make `gpj.exe` read as
/// `exe.jpg`. Neither belongs on a page a client reads: both are dropped.
fn without_hidden_controls(html: String) -> String {
    let hidden = |c: char| {
        (c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
            || ('\u{202A}'..='\u{202E}').contains(&c)
    };
    // Almost every page has none: a byte scan says so without decoding.
    // In UTF-8 they are C0 controls and DEL, C1 controls (C2 80-9F) and
    // U+202A-202E (E2 80 AA-AE).
    let bytes = html.as_bytes();
    let hidden_at = |i: usize| match bytes[i] {
        b'\n' | b'\t' | b'\r' => false,
        0..0x20 | 0x7F => true,
        0xC2 => bytes.get(i + 1).is_some_and(|n| (0x80..=0x9F).contains(n)),
        0xE2 => {
            bytes.get(i + 1) == Some(&0x80)
                && bytes.get(i + 2).is_some_and(|n| (0xAA..=0xAE).contains(n))
        }
        _ => false,
    };
    // A branch-free test of 64 bytes at a time (the compiler vectorizes
    // it) finds the few blocks worth a closer look.
    let may_hide = |b: u8| {
        (b < 0x20 && b != b'\n' && b != b'\t' && b != b'\r')
            | (b == 0x7F)
            | (b == 0xC2)
            | (b == 0xE2)
    };
    let found = bytes.chunks(64).enumerate().any(|(block, chunk)| {
        chunk.iter().fold(false, |seen, &b| seen | may_hide(b))
            && (0..chunk.len()).any(|i| hidden_at(block * 64 + i))
    });
    if !found {
        return html;
    }
    html.chars().filter(|c| !hidden(*c)).collect()
}

/// A syntax error's report with a line of help, when the template's tags
/// say what was forgotten.
fn with_help(report: String, error: &tera::Error, sources: &[(String, String)]) -> String {
    let tera::ErrorKind::SyntaxError(syntax) = error.kind() else {
        return report;
    };
    let source = sources.iter().find(|(name, _)| name == syntax.filename());
    let help = source.and_then(|(_, text)| {
        hints::for_syntax_error(text, syntax.message(), syntax.span().range.start)
    });
    match help {
        Some(help) => format!("{}\n  = help: {help}", report.trim_end()),
        None => report,
    }
}

/// Tera's error with every cause, which is where the useful part is. A
/// template error is a report that points at the template's line and
/// column; its own "error: " would repeat ours.
fn describe(error: &tera::Error) -> String {
    let report = error.to_string();
    let mut text = report.strip_prefix("error: ").unwrap_or(&report).to_owned();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::{minify_css, without_hidden_controls};

    #[test]
    fn hidden_controls_are_dropped_and_everything_else_kept() {
        let kept = "a · b – c — d\n\te\r\n’é€";
        assert_eq!(without_hidden_controls(kept.to_owned()), kept);
        let hostile = "x\u{0}y\u{7}z\u{7F}\u{85}\u{9F}gpj\u{202E}exe\u{202A}\u{202D}·";
        assert_eq!(without_hidden_controls(hostile.to_owned()), "xyzgpjexe·");
        // U+2029 (E2 80 A9) and U+202F (E2 80 AF) are neighbours, not controls.
        let near = "\u{2029}\u{202F}";
        assert_eq!(without_hidden_controls(near.to_owned()), near);
        // Found wherever it falls against the 64-byte blocks of the scan.
        for before in 60..70 {
            let pad = "a".repeat(before);
            for hidden in ["\u{202E}", "\u{85}", "\u{7}"] {
                let page = format!("{pad}{hidden}b{pad}");
                assert_eq!(without_hidden_controls(page), format!("{pad}b{pad}"));
            }
        }
    }

    #[test]
    fn num_prints_fractions_as_people_write_them_and_passes_the_rest() {
        let mut tera = tera::Tera::default();
        tera.register_filter("num", super::num);
        let mut context = tera::Context::new();
        context.insert("whole", &100.0);
        context.insert("part", &37.5);
        context.insert("below", &-0.5);
        context.insert("count", &3);
        context.insert("text", &"a");
        let shown = tera
            .render_str(
                "{{ whole | num }} {{ part | num }} {{ below | num }} {{ count | num }} {{ text | num }}",
                &context,
                false,
            )
            .unwrap();
        assert_eq!(shown, "100 37.5 -0.5 3 a");
    }

    #[test]
    fn figure_prints_a_number_with_separators_and_its_unit() {
        let mut tera = tera::Tera::default();
        tera.register_filter("figure", super::figure);
        let mut context = tera::Context::new();
        context.insert("money", &1_602_500);
        context.insert("share", &12.5);
        context.insert("none", &Option::<String>::None);
        context.insert("text", &"a");
        let shown = tera
            .render_str(
                r#"{{ money | figure(unit="USD") }} {{ share | figure(unit="%") }} {{ share | figure(unit=none) }} {{ money | figure }} {{ text | figure }}"#,
                &context,
                false,
            )
            .unwrap();
        assert_eq!(shown, "1,602,500 USD 12.5% 12.5 1,602,500 a");
    }

    #[test]
    fn escaping_covers_the_six_specials_and_copies_the_rest() {
        let escaped = |text: &str| {
            let mut out = Vec::new();
            super::write_escaped_html(text, &mut out).unwrap();
            String::from_utf8(out).unwrap()
        };
        for (text, expected) in [
            ("", ""),
            ("plain", "plain"),
            (
                "a & b < c > d \" e ' f / g",
                "a &amp; b &lt; c &gt; d &quot; e &#x27; f &#x2F; g",
            ),
            ("&&<<>>", "&amp;&amp;&lt;&lt;&gt;&gt;"),
            ("é/€/😀<", "é&#x2F;€&#x2F;😀&lt;"),
            ("ends with &", "ends with &amp;"),
        ] {
            assert_eq!(escaped(text), expected, "{text:?}");
        }
    }

    #[test]
    fn css_loses_comments_and_white_space_but_not_meaning() {
        let css = "/* note */\nbody {\n  color: red;\n  font: 16px/1.5 \"Noto Sans\", sans-serif;\n}\na:focus-visible , .x > .y { content: \"Due:  \"; }\n@media (max-width: 40rem) { .a .b { margin: 0 auto; } }\n";
        assert_eq!(
            minify_css(css),
            "body{color:red;font:16px/1.5 \"Noto Sans\",sans-serif}a:focus-visible,.x>.y{content:\"Due:  \"}@media (max-width:40rem){.a .b{margin:0 auto}}"
        );
    }

    #[test]
    fn the_built_in_stylesheet_shrinks() {
        let minified = minify_css(super::BUILT_IN_STYLE);
        assert!(
            minified.len() * 10 < super::BUILT_IN_STYLE.len() * 9,
            "{} -> {}",
            super::BUILT_IN_STYLE.len(),
            minified.len()
        );
        assert_eq!(minified.matches('{').count(), minified.matches('}').count());
    }

    /// Tera 2 tests a text for being empty as it is, while `| safe` makes
    /// a copy of it: a chart or rendered Markdown copied for nothing. (Tera
    /// 1 was the other way round, escaping what it tested.)
    #[test]
    fn built_in_templates_test_fields_without_copying_them() {
        let mut copying_tests = Vec::new();
        for (name, source) in super::BUILT_IN {
            for tag in source
                .split("{%")
                .skip(1)
                .filter_map(|t| t.split_once("%}"))
            {
                let tag = tag.0.trim_start_matches('-').trim_start();
                let is_test = tag.starts_with("if ") || tag.starts_with("elif ");
                if is_test && tag.contains("| safe") {
                    copying_tests.push(format!("{name}: {{% {} %}}", tag.trim_end()));
                }
            }
        }
        assert!(copying_tests.is_empty(), "{copying_tests:#?}");
    }
}
