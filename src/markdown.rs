//! The one place pulldown-cmark is configured. Record text is Markdown; what
//! comes out must be inert whatever went in:
//!
//! - raw HTML (block or inline) is shown as text, never passed through;
//! - links keep only safe destinations (http, https, mailto, tel, or a
//!   relative path); pulldown-cmark hands `javascript:` and `data:` URLs
//!   through as written, in any letter case or entity-encoded, so they are
//!   checked here after its decoding;
//! - images are never loaded (a report makes no request to another host):
//!   they are shown as their description;
//! - headings start at `<h4>`: record text always sits inside a page
//!   section, and the page's own outline must stay in order;
//! - footnotes (`[^1]`) are numbered within their own text and carry no
//!   `id`: one page shows many records' texts, and pulldown-cmark's ids
//!   (the label as written) would repeat across them.

use std::collections::HashMap;

use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd, html};

/// `# Title` in a record becomes this level on the page.
const TOP_HEADING: usize = 4;

fn demote(level: HeadingLevel) -> HeadingLevel {
    match (level as usize + TOP_HEADING - 1).min(6) {
        4 => HeadingLevel::H4,
        5 => HeadingLevel::H5,
        _ => HeadingLevel::H6,
    }
}

/// Renders Markdown as safe HTML.
pub fn to_html(markdown: &str) -> String {
    if let Some(text) = plain_paragraph(markdown) {
        return format!("<p>{text}</p>\n");
    }
    through_pulldown_cmark(markdown)
}

/// `text` without its final newline when it is a paragraph that Markdown
/// would print as it stands:
/// lines with no character that starts markup, needs escaping or is
/// trimmed, and no opening that makes a list or a heading. Most titles,
/// notes and stories in a record are such paragraphs, and skipping the
/// parser for them is most of the Markdown time in a build (the
/// `plain_paragraphs_render_as_markdown_would` property test holds the two
/// paths equal).
fn plain_paragraph(text: &str) -> Option<&str> {
    let text = text.strip_suffix('\n').unwrap_or(text);
    (!text.is_empty() && text.split('\n').all(is_plain_line)).then_some(text)
}

fn is_plain_line(line: &str) -> bool {
    let bytes = line.as_bytes();
    let Some(&first) = bytes.first() else {
        return false;
    };
    if !first.is_ascii_alphanumeric() || line.ends_with(char::is_whitespace) {
        return false;
    }
    if first.is_ascii_digit() {
        // "1. step" and "1) step" open an ordered list.
        let after = bytes.iter().find(|b| !b.is_ascii_digit());
        if matches!(after, Some(b'.' | b')')) {
            return false;
        }
    }
    !bytes.iter().any(|&b| {
        b < b' '
            || matches!(
                b,
                b'\\' | b'`' | b'*' | b'_' | b'[' | b']' | b'<' | b'>' | b'&' | b'~' | b'|' | 0x7f
            )
    })
}

fn through_pulldown_cmark(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES;
    let mut image_depth = 0usize;
    let mut dropped_links: Vec<bool> = Vec::new();
    let mut footnotes = FootnoteNumbers::default();
    let events = Parser::new_ext(markdown, options).filter_map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
        Event::FootnoteReference(label) => Some(Event::InlineHtml(CowStr::from(format!(
            "<sup class=\"footnote-reference\">{}</sup>",
            footnotes.number(label)
        )))),
        Event::Start(Tag::FootnoteDefinition(label)) => Some(Event::Html(CowStr::from(format!(
            "<div class=\"footnote-definition\"><sup class=\"footnote-definition-label\">{}</sup>",
            footnotes.number(label)
        )))),
        Event::End(TagEnd::FootnoteDefinition) => Some(Event::Html(CowStr::Borrowed("</div>\n"))),
        Event::Start(Tag::Heading {
            level,
            id,
            classes,
            attrs,
        }) => Some(Event::Start(Tag::Heading {
            level: demote(level),
            id,
            classes,
            attrs,
        })),
        Event::End(TagEnd::Heading(level)) => Some(Event::End(TagEnd::Heading(demote(level)))),
        Event::Start(Tag::Image { dest_url, .. }) => {
            image_depth += 1;
            let _ = dest_url;
            Some(Event::Text(CowStr::Borrowed("[image: ")))
        }
        Event::End(TagEnd::Image) => {
            image_depth = image_depth.saturating_sub(1);
            Some(Event::Text(CowStr::Borrowed("]")))
        }
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => {
            if is_safe_url(&dest_url) && image_depth == 0 {
                dropped_links.push(false);
                Some(Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                }))
            } else {
                dropped_links.push(true);
                None
            }
        }
        Event::End(TagEnd::Link) => {
            if dropped_links.pop().unwrap_or(true) {
                None
            } else {
                Some(Event::End(TagEnd::Link))
            }
        }
        other => Some(other),
    });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

/// Footnotes numbered in the order their labels first appear, as
/// pulldown-cmark's own writer numbers them.
#[derive(Default)]
struct FootnoteNumbers<'a> {
    numbers: HashMap<CowStr<'a>, usize>,
}

impl<'a> FootnoteNumbers<'a> {
    fn number(&mut self, label: CowStr<'a>) -> usize {
        let next = self.numbers.len() + 1;
        *self.numbers.entry(label).or_insert(next)
    }
}

/// Renders a one-paragraph text without the enclosing `<p>`, for table
/// cells and short lines.
pub fn inline_html(markdown: &str) -> String {
    if let Some(text) = plain_paragraph(markdown) {
        return text.to_owned();
    }
    let html = through_pulldown_cmark(markdown);
    let trimmed = html.trim_end();
    match trimmed
        .strip_prefix("<p>")
        .and_then(|s| s.strip_suffix("</p>"))
    {
        Some(inner) if !inner.contains("<p>") => inner.to_owned(),
        _ => html,
    }
}

/// A name or title (an engagement's title, a metric's name, a client's
/// name...) as inline Markdown, as FORMAT.md has every text field: its
/// lines joined into one, so that it stays one line of a heading or a
/// table cell. What Markdown would make a block of (`1. Discovery` is a
/// list, `# Q3` a heading) is shown as written. `links: false` keeps only
/// a link's text, for names shown inside a link of the page's own.
pub fn label_html(text: &str, links: bool) -> String {
    quotes_escaped(label_markup(text, links))
}

/// `"` and `'` in the text of `html` (not in its tags) as entities, so
/// that a label may go into an attribute value as well as an element:
/// pulldown-cmark escapes text for element content only.
fn quotes_escaped(html: String) -> String {
    if !html.contains(['"', '\'']) {
        return html;
    }
    let mut out = String::with_capacity(html.len() + 16);
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            // Record text that looks like a tag is escaped, so every `<`
            // here opens one of the renderer's tags.
            '<' => {
                in_tag = true;
                out.push(c);
            }
            '>' if in_tag => {
                in_tag = false;
                out.push(c);
            }
            '"' if !in_tag => out.push_str("&quot;"),
            '\'' if !in_tag => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn label_markup(text: &str, links: bool) -> String {
    let joined: String = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if let Some(plain) = plain_paragraph(&joined) {
        return plain.to_owned();
    }
    let html = through_pulldown_cmark(&joined);
    let Some(inner) = html
        .trim_end()
        .strip_prefix("<p>")
        .and_then(|s| s.strip_suffix("</p>"))
        .filter(|inner| !inner.contains("<p>"))
    else {
        return crate::charts::escape(&joined);
    };
    if links || !inner.contains("<a ") {
        return inner.to_owned();
    }
    // The renderer's own tags: attribute values are escaped, so the first
    // `>` ends the tag.
    let mut out = String::with_capacity(inner.len());
    let mut rest = inner;
    while let Some(at) = rest.find("<a ") {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        rest = rest.find('>').map_or("", |end| &rest[end + 1..]);
    }
    out.push_str(rest);
    out.replace("</a>", "")
}

/// A name or title as plain text: what `label_html` shows, without its
/// markup, for places that hold text only (a page's `<title>`, a
/// checklist's detail, the audit's JSON and CSV). `*redesign*` is
/// "redesign"; what `label_html` shows as written stays as written.
pub fn label_text(text: &str) -> String {
    let html = label_html(text, false);
    if !html.contains(['<', '&']) {
        return html;
    }
    // The renderer's own tags (record text that looks like a tag is
    // escaped, so every `<` here opens one) and its escapes.
    let mut out = String::with_capacity(html.len());
    let mut rest = html.as_str();
    while let Some(at) = rest.find('<') {
        out.push_str(&rest[..at]);
        rest = rest[at..].find('>').map_or("", |end| &rest[at + end + 1..]);
    }
    out.push_str(rest);
    if !out.contains('&') {
        return out;
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

/// Whether a link destination may appear in a report.
pub fn is_safe_url(url: &str) -> bool {
    // Browsers ignore leading spaces and control characters, and strip tabs
    // and newlines anywhere in a scheme: compare what the browser would see.
    let cleaned: String = url
        .trim_start_matches(|c: char| c.is_whitespace() || c.is_control())
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let scheme_end = cleaned.find([':', '/', '?', '#']);
    match scheme_end {
        Some(at) if cleaned[at..].starts_with(':') => {
            let scheme = cleaned[..at].to_ascii_lowercase();
            matches!(scheme.as_str(), "http" | "https" | "mailto" | "tel")
        }
        // No scheme: a relative link, a fragment or a query.
        _ => true,
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn labels_are_one_line_of_inline_markdown() {
        assert_eq!(label_html("Sales cycle", true), "Sales cycle");
        assert_eq!(label_html("Sales *cycle*", true), "Sales <em>cycle</em>");
        assert_eq!(label_html("Sales\n  cycle\n", true), "Sales cycle");
        // What would be a block is shown as written, escaped.
        assert_eq!(label_html("1. Discovery", true), "1. Discovery");
        assert_eq!(label_html("# Q3 <b>", true), "# Q3 &lt;b&gt;");
        // Safe in an attribute value too, in either quotes.
        assert_eq!(
            label_html("Churn x\" onmouseover=\"alert(1) it's", true),
            "Churn x&quot; onmouseover=&quot;alert(1) it&#39;s"
        );
        assert_eq!(
            label_html("*Say* \"hi\" [there](https://x.example/a'b)", true),
            "<em>Say</em> &quot;hi&quot; <a href=\"https://x.example/a&#x27;b\">there</a>"
        );
        // Inside a link of the page's own: the link's text only.
        assert_eq!(
            label_html("See [the plan](https://x.example) *now*", false),
            "See the plan <em>now</em>"
        );
        assert!(label_html("[a](https://x.example)", true).contains("<a href="));
    }
    use super::*;

    #[test]
    fn footnotes_are_numbered_in_their_text_and_carry_no_id() {
        let html = to_html(
            "Revenue grew.[^books] Costs fell.[^2] As the books say.[^books]\n\n\
             [^books]: Reviewed FY2024-25 books.\n\n[^2]: Their finance lead.\n",
        );
        assert_eq!(
            html.matches("<sup class=\"footnote-reference\">1</sup>")
                .count(),
            2,
            "{html}"
        );
        assert!(
            html.contains("<sup class=\"footnote-reference\">2</sup>"),
            "{html}"
        );
        assert!(
            html.contains(
                "<sup class=\"footnote-definition-label\">1</sup>\n<p>Reviewed FY2024-25 books.</p>"
            ),
            "{html}"
        );
        assert!(html.contains("Their finance lead."), "{html}");
        // Another text on the same page may use the same labels.
        assert!(!html.contains("id="), "{html}");
        assert!(!html.contains("href"), "{html}");
        // A definition is not a link destination any more.
        assert!(!html.contains("[^"), "{html}");
    }

    #[test]
    fn a_reference_with_no_definition_stays_text() {
        let html = to_html("See [^missing].\n");
        assert!(html.contains("[^missing]"), "{html}");
        assert!(!html.contains("<sup"), "{html}");
    }

    #[test]
    fn markup_in_a_footnote_stays_inert() {
        let html =
            to_html("Note.[^x]\n\n[^x]: <script>alert(1)</script> [a](javascript:alert(1))\n");
        assert!(!html.contains("<script"), "{html}");
        assert!(
            !html.to_ascii_lowercase().contains("href=\"javascript"),
            "{html}"
        );
    }

    #[test]
    fn raw_html_is_shown_as_text() {
        let html = to_html("Hello <script>alert(1)</script>\n\n<div onclick=\"x\">hi</div>\n");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<div"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }

    #[test]
    fn unsafe_links_lose_their_destination() {
        for url in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "&#x6A;avascript:alert(1)",
            "&#106;avascript:alert(1)",
            " javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox(1)",
            "java%0ascript:alert(1)",
        ] {
            let html = to_html(&format!("[click]({url}) and <{url}>"));
            let lower = html.to_ascii_lowercase();
            assert!(!lower.contains("href=\"javascript"), "{url}: {html}");
            assert!(!lower.contains("href=\"data"), "{url}: {html}");
            assert!(!lower.contains("href=\"vbscript"), "{url}: {html}");
            assert!(html.contains("click"), "{url}: {html}");
        }
    }

    #[test]
    fn safe_links_are_kept() {
        let html = to_html(
            "[site](https://example.com/a?b=1) [mail](mailto:a@example.com) [rel](notes.html#x)",
        );
        assert!(
            html.contains("href=\"https://example.com/a?b=1\""),
            "{html}"
        );
        assert!(html.contains("href=\"mailto:a@example.com\""), "{html}");
        assert!(html.contains("href=\"notes.html#x\""), "{html}");
    }

    #[test]
    fn images_are_never_loaded() {
        let html = to_html("![chart](https://tracker.example/pixel.png) ![x](javascript:alert(1))");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("[image: chart]"), "{html}");
    }

    #[test]
    fn link_text_is_escaped() {
        let html = to_html("[\"><img src=x onerror=alert(1)>](https://example.com)");
        assert!(!html.contains("<img"), "{html}");
    }

    #[test]
    fn headings_start_at_h4() {
        let html = to_html("# One\n\n## Two\n\n#### Four\n");
        assert!(html.contains("<h4>One</h4>"), "{html}");
        assert!(html.contains("<h5>Two</h5>"), "{html}");
        assert!(html.contains("<h6>Four</h6>"), "{html}");
    }

    proptest::proptest! {
        #[test]
        fn plain_paragraphs_render_as_markdown_would(
            text in proptest::prop_oneof![
                // Anything, markup included.
                "[a-zA-Z0-9 .,;:'\"!#()+=/%?$@^{}é\u{a0}\t\n*_`<>&|~\\[\\]\\\\-]{0,24}",
                // Mostly lines that look plain, to probe the edges of the fast path.
                "[0-9a-z][0-9 .)]{0,3}[a-zA-Z0-9 .,;:'\"!#()+=/%?$@^{}é\u{a0}\u{0}-]{0,16}[ \t\u{a0}a-z]?",
                // Paragraphs of such lines, as a YAML block scalar gives them.
                "([0-9a-z][0-9 .)=-]{0,3}[a-zA-Z0-9 .,;:'\"!#()+=/%?$@é\u{a0}-]{0,12}[ \t\u{a0}a-z]?\n){1,3}\n?[a-z=-]{0,3}",
            ]
        ) {
            proptest::prop_assert_eq!(to_html(&text), through_pulldown_cmark(&text));
            let inline = inline_html(&text);
            let slow = through_pulldown_cmark(&text);
            let trimmed = slow.trim_end();
            let expected = match trimmed.strip_prefix("<p>").and_then(|s| s.strip_suffix("</p>")) {
                Some(inner) if !inner.contains("<p>") => inner.to_owned(),
                _ => slow.clone(),
            };
            proptest::prop_assert_eq!(inline, expected);
        }
    }

    #[test]
    fn label_text_keeps_the_words_and_drops_the_markup() {
        for (text, plain) in [
            ("Sales cycle *redesign*", "Sales cycle redesign"),
            ("Plain words", "Plain words"),
            ("Two\n  lines ", "Two lines"),
            (
                "See [the plan](https://example.com) `v2`",
                "See the plan v2",
            ),
            (
                "R&D <b>bold</b> \\*not\\* \"quoted\" it's",
                "R&D <b>bold</b> *not* \"quoted\" it's",
            ),
            ("1. Discovery", "1. Discovery"),
            ("# Q3 & Q4", "# Q3 & Q4"),
            ("a < b > c", "a < b > c"),
        ] {
            assert_eq!(label_text(text), plain, "{text:?}");
        }
    }

    #[test]
    fn plain_lines_skip_the_parser_and_markup_does_not() {
        assert!(plain_paragraph("Pilot \"on track\" for 12 teams, 40% done!").is_some());
        assert_eq!(
            plain_paragraph("Two lines\nof a story\n"),
            Some("Two lines\nof a story")
        );
        assert_eq!(
            to_html("Two lines\nof a story\n"),
            "<p>Two lines\nof a story</p>\n"
        );
        assert_eq!(to_html("Pilot \"on track\""), "<p>Pilot \"on track\"</p>\n");
        for markup in [
            "1. first",
            "3) third",
            "*bold*",
            "a & b",
            "x <b>",
            "two\n\nparagraphs",
            "end ",
            "- item",
            "#1",
            "Title\n===",
            "a\n- b",
        ] {
            assert!(plain_paragraph(markup).is_none(), "{markup}");
        }
        assert_eq!(plain_paragraph("2026 goals"), Some("2026 goals"));
        // Cases that told wrong predicates apart (a hard break, a list
        // opening, a trailing space, a blank line): both paths agree.
        for text in ["0) +", "0 ", "a \na", "a\n0 \n", "a\n\n", "a  \nb"] {
            assert_eq!(to_html(text), through_pulldown_cmark(text), "{text:?}");
        }
    }

    #[test]
    fn inline_strips_the_paragraph() {
        assert_eq!(inline_html("Hello *there*"), "Hello <em>there</em>");
        assert_eq!(inline_html("a\n\nb"), "<p>a</p>\n<p>b</p>\n");
    }
}
