//! The properties the fuzz targets check, shared by the targets
//! (fuzz/fuzz_targets/*.rs) and by tests/fuzz_regressions.rs, which replays
//! the seed corpus and every saved crash through them under plain
//! `cargo test`. Each function panics when its property does not hold.

use std::sync::Once;

use commonthread::markdown::{inline_html, to_html};
use commonthread::model::Date;
use commonthread::validate::check_engagement_text;

/// The file name every fuzzed engagement is checked under.
pub const FILE: &str = "acme/fuzz.md";
/// The as-of date of every fuzzed check.
pub const AS_OF: &str = "2026-11-16";

/// The fuzz input as text: valid UTF-8 as it is (what `String::from_utf8`
/// gives), anything else through `String::from_utf8_lossy`, so invalid
/// bytes become U+FFFD and still reach the parser.
pub fn text_of(data: &[u8]) -> String {
    match std::str::from_utf8(data) {
        Ok(text) => text.to_owned(),
        Err(_) => String::from_utf8_lossy(data).into_owned(),
    }
}

/// `check_engagement_text` never panics, and every diagnostic points at a
/// real position: line >= 1, column >= 1, and its `source_line`, when it
/// has one, is the input's line at that position.
pub fn check_engagement(data: &[u8]) {
    let text = text_of(data);
    let as_of = Date::parse(AS_OF).unwrap();
    let (_record, diagnostics) = check_engagement_text(FILE, text.clone(), as_of);
    for d in &diagnostics {
        assert!(
            d.pos.line >= 1 && d.pos.column >= 1,
            "diagnostic at line {} column {} ({}: {})",
            d.pos.line,
            d.pos.column,
            d.rule.name,
            d.message
        );
        if let Some(source_line) = &d.source_line {
            // Lines as the snippet counts them: split on `\n`, a trailing
            // `\r` dropped.
            let line = text
                .split('\n')
                .nth(d.pos.line as usize - 1)
                .map(|l| l.trim_end_matches('\r'));
            assert_eq!(
                line,
                Some(source_line.as_str()),
                "the source_line of a diagnostic at line {} ({}: {}) is not that line of the input",
                d.pos.line,
                d.rule.name,
                d.message
            );
        }
    }
}

/// `to_html` and `inline_html` never panic and their HTML is inert: a small
/// tag scanner reads it the way a browser's tokenizer would and fails on
///
/// - a `<script`, `<img`, `<iframe`, `<style` or `<svg` tag, or any other tag
///   pulldown-cmark does not emit for CommonMark + tables + strikethrough +
///   tasklists (and any `<!`, `<?` or stray `<`: pulldown-cmark escapes every
///   `<` of the text, so each one in the output must open one of its tags);
/// - an event-handler attribute (`on...=`), or an attribute the tag does not
///   get from pulldown-cmark;
/// - an `href` or `src` (or other URL attribute) whose value, once HTML
///   entities are decoded and whitespace and control characters removed,
///   starts with `javascript:`, `vbscript:` or `data:` (any letter case).
///
/// Escaped text such as `&lt;script&gt;` is text, and is fine.
pub fn markdown(data: &[u8]) {
    static SELF_TEST: Once = Once::new();
    SELF_TEST.call_once(self_test);
    let markdown = String::from_utf8_lossy(data);
    check_html("to_html", &markdown, &to_html(&markdown));
    check_html("inline_html", &markdown, &inline_html(&markdown));
}

fn check_html(kind: &str, markdown: &str, html: &str) {
    let found = problems(html);
    assert!(
        found.is_empty(),
        "{kind} produced unsafe HTML: {found:?}\n--- input ---\n{markdown:?}\n--- output ---\n{html}"
    );
}

/// Tags pulldown-cmark writes for the options src/markdown.rs enables
/// (images are turned into text there, so `img` is not among them), with
/// the attributes each may carry.
const ALLOWED: &[(&str, &[&str])] = &[
    ("p", &[]),
    ("h1", &[]),
    ("h2", &[]),
    ("h3", &[]),
    ("h4", &[]),
    ("h5", &[]),
    ("h6", &[]),
    ("blockquote", &[]),
    ("pre", &[]),
    ("code", &["class"]),
    ("ol", &["start"]),
    ("ul", &[]),
    ("li", &[]),
    ("em", &[]),
    ("strong", &[]),
    ("del", &[]),
    ("a", &["href", "title"]),
    ("table", &[]),
    ("thead", &[]),
    ("tbody", &[]),
    ("tr", &[]),
    ("th", &["style"]),
    ("td", &["style"]),
    ("input", &["type", "disabled", "checked"]),
    ("hr", &[]),
    ("br", &[]),
    // Footnotes, as src/markdown.rs writes them: numbered, without ids.
    ("sup", &["class"]),
    ("div", &["class"]),
];

const FORBIDDEN_TAGS: &[&str] = &["script", "img", "iframe", "style", "svg"];
const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "xlink:href",
    "action",
    "formaction",
    "srcset",
    "poster",
    "background",
    "cite",
    "data",
];
const FORBIDDEN_SCHEMES: &[&str] = &["javascript:", "vbscript:", "data:"];

struct Tag {
    name: String,
    attributes: Vec<(String, String)>,
}

fn is_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\x0c' | '\r' | ' ')
}

/// Reads the tag that starts at `html[at..]` (just after its `<`) as a
/// browser's tokenizer would; returns it and the index after its `>`.
fn read_tag(html: &str, at: usize) -> Result<(Tag, usize), String> {
    let rest = &html[at..];
    let mut chars = rest.char_indices().peekable();
    if let Some(&(_, '/')) = chars.peek() {
        chars.next();
    }
    match chars.peek() {
        Some(&(_, c)) if c.is_ascii_alphabetic() => {}
        Some(&(_, c)) => {
            return Err(format!(
                "`<` followed by {c:?} is not a tag of pulldown-cmark"
            ));
        }
        None => return Err("`<` at the end of the output".into()),
    }
    let mut name = String::new();
    while let Some(&(_, c)) = chars.peek() {
        if is_space(c) || c == '/' || c == '>' {
            break;
        }
        name.push(c.to_ascii_lowercase());
        chars.next();
    }
    let mut attributes = Vec::new();
    loop {
        while let Some(&(_, c)) = chars.peek() {
            if is_space(c) || c == '/' {
                chars.next();
            } else {
                break;
            }
        }
        let Some((i, c)) = chars.next() else {
            return Err(format!("tag `<{name}` is never closed"));
        };
        if c == '>' {
            return Ok((Tag { name, attributes }, at + i + 1));
        }
        // An attribute: its name (the first character may be `=`), then
        // an optional `= value`.
        let mut attribute = String::new();
        attribute.push(c.to_ascii_lowercase());
        while let Some(&(_, c)) = chars.peek() {
            if is_space(c) || c == '/' || c == '>' || c == '=' {
                break;
            }
            attribute.push(c.to_ascii_lowercase());
            chars.next();
        }
        while let Some(&(_, c)) = chars.peek() {
            if is_space(c) {
                chars.next();
            } else {
                break;
            }
        }
        let mut value = String::new();
        if let Some(&(_, '=')) = chars.peek() {
            chars.next();
            while let Some(&(_, c)) = chars.peek() {
                if is_space(c) {
                    chars.next();
                } else {
                    break;
                }
            }
            match chars.peek() {
                Some(&(_, quote @ ('"' | '\''))) => {
                    chars.next();
                    loop {
                        match chars.next() {
                            Some((_, c)) if c == quote => break,
                            Some((_, c)) => value.push(c),
                            None => {
                                return Err(format!(
                                    "attribute `{attribute}` of `<{name}` is never closed"
                                ));
                            }
                        }
                    }
                }
                _ => {
                    while let Some(&(_, c)) = chars.peek() {
                        if is_space(c) || c == '>' {
                            break;
                        }
                        value.push(c);
                        chars.next();
                    }
                }
            }
        }
        attributes.push((attribute, value));
    }
}

/// Decodes the HTML character references a browser would in an attribute
/// value: numeric ones, and the named ones that can spell a scheme or hide
/// its separators.
fn decode_entities(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let after = &rest[1..];
        if let Some(numeric) = after.strip_prefix('#') {
            let (digits, radix, skip) = match numeric.strip_prefix(['x', 'X']) {
                Some(hex) => (hex, 16, 2),
                None => (numeric, 10, 1),
            };
            let len = digits
                .find(|c: char| !c.is_digit(radix))
                .unwrap_or(digits.len());
            if len > 0 {
                let code = u32::from_str_radix(&digits[..len.min(8)], radix).unwrap_or(0xFFFD);
                out.push(
                    char::from_u32(code)
                        .filter(|&c| c != '\0')
                        .unwrap_or('\u{FFFD}'),
                );
                let mut consumed = 1 + skip + len;
                if digits[len..].starts_with(';') {
                    consumed += 1;
                }
                rest = &rest[consumed..];
                continue;
            }
        } else {
            const NAMED: &[(&str, &str)] = &[
                ("amp;", "&"),
                ("lt;", "<"),
                ("gt;", ">"),
                ("quot;", "\""),
                ("apos;", "'"),
                ("nbsp;", "\u{a0}"),
                ("colon;", ":"),
                ("Tab;", "\t"),
                ("NewLine;", "\n"),
                ("amp", "&"),
                ("lt", "<"),
                ("gt", ">"),
                ("quot", "\""),
                ("nbsp", "\u{a0}"),
            ];
            if let Some((name, decoded)) = NAMED.iter().find(|(name, _)| after.starts_with(name)) {
                out.push_str(decoded);
                rest = &rest[1 + name.len()..];
                continue;
            }
        }
        out.push('&');
        rest = &rest[1..];
    }
    out.push_str(rest);
    out
}

/// A URL attribute's value as a browser would take its scheme from it.
fn normalized_url(value: &str) -> String {
    decode_entities(value)
        .chars()
        .filter(|&c| !c.is_whitespace() && !c.is_control())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Every problem with `html`, an empty list when it is inert.
pub fn problems(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(offset) = html[from..].find('<') {
        let at = from + offset + 1;
        let (tag, next) = match read_tag(html, at) {
            Ok(pair) => pair,
            Err(problem) => {
                found.push(problem);
                from = at;
                continue;
            }
        };
        from = next;
        if FORBIDDEN_TAGS.contains(&tag.name.as_str()) {
            found.push(format!("injected `<{}>` tag", tag.name));
        }
        let allowed = ALLOWED.iter().find(|(name, _)| *name == tag.name);
        if allowed.is_none() {
            found.push(format!("unexpected `<{}>` tag", tag.name));
        }
        for (attribute, value) in &tag.attributes {
            if attribute.starts_with("on") {
                found.push(format!(
                    "event handler `{attribute}=\"{value}\"` on `<{}>`",
                    tag.name
                ));
            }
            if allowed.is_some_and(|(_, attributes)| !attributes.contains(&attribute.as_str())) {
                found.push(format!(
                    "unexpected attribute `{attribute}` on `<{}>`",
                    tag.name
                ));
            }
            if URL_ATTRIBUTES.contains(&attribute.as_str()) {
                let url = normalized_url(value);
                if let Some(scheme) = FORBIDDEN_SCHEMES.iter().find(|s| url.starts_with(*s)) {
                    found.push(format!(
                        "`{attribute}` with a {scheme} URL on `<{}>`: {value:?}",
                        tag.name
                    ));
                }
            }
            if attribute == "style"
                && !matches!(
                    value.as_str(),
                    "text-align: left" | "text-align: center" | "text-align: right"
                )
            {
                found.push(format!("unexpected style {value:?} on `<{}>`", tag.name));
            }
        }
    }
    found
}

/// The scanner must catch what it is there to catch: checked once per run.
pub fn self_test() {
    for bad in [
        "<p>x</p><script>alert(1)</script>",
        "<IMG src=x>",
        "<iframe>",
        "<style>",
        "<svg/onload=alert(1)>",
        "<a href=\"x\" onclick=\"y\">",
        "<a href=\"x\"\tonmouseover=y>",
        "<a href=\"JaVaScRiPt:alert(1)\">",
        "<a href=\" &#x6A;ava&#115;cript&colon;alert(1)\">",
        "<a href=\"java&Tab;script:alert(1)\">",
        "<a href=\"vbscript:x\">",
        "<a href='data:text/html,x'>",
        "<a href=data:text/html,x>",
        "<a href=\"\u{1}javascript:x\">",
        "<a href=\"x\" src=\"javascript:y\">",
        "<a href=\"x\"/onclick=y>",
        "<span>",
        "<div class=\"footnote-definition\" onclick=\"y\">",
        "<sup id=\"1\">",
        "<!-- hidden -->",
        "<td style=\"background:url(javascript:x)\">",
    ] {
        assert!(!problems(bad).is_empty(), "the scanner misses {bad:?}");
    }
    for good in [
        "<p>&lt;script&gt;alert(1)&lt;/script&gt; onclick=x</p>\n",
        "<p>x<sup class=\"footnote-reference\">1</sup></p>\n<div class=\"footnote-definition\"><sup class=\"footnote-definition-label\">1</sup>\n<p>y</p>\n</div>\n",
        "<p><a href=\"https://example.com/?a=1&amp;b=javascript:x\" title=\"onclick=&quot;x&quot;\">x</a></p>",
        "<ul>\n<li><input disabled=\"\" type=\"checkbox\" checked=\"\"/>\nx</li>\n</ul>\n",
        "<table><thead><tr><th style=\"text-align: center\">a</th></tr></thead><tbody></tbody></table>",
        "<pre><code class=\"language-js\">&lt;img src=x onerror=y&gt;</code></pre>",
        "<h4>x</h4><hr /><br /><ol start=\"3\"><li><del>x</del></li></ol>",
    ] {
        assert_eq!(
            problems(good),
            Vec::<String>::new(),
            "the scanner flags {good:?}"
        );
    }
}
