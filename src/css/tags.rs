//! The start tags of an HTML page, read the way a browser's tokenizer
//! reads them.
//!
//! The stylesheet cut drops a rule only when a page provably lacks what the
//! rule needs, so the names found here must include every element, class
//! and id a browser would build from the page, however a template spaces
//! or quotes its attributes (`class='a'`, `class = a`, `CLASS="a"`, an
//! attribute on its own line). Finding more than a browser does is safe (a
//! rule too many); finding less is not. So the reading follows the HTML
//! standard's tokenizer wherever skipping text could hide a tag: quoted
//! values, comments, and elements whose contents are text (`<script>`,
//! `<style>`, ...). Everything else errs on the side of reading more.

/// What the page holds, in order.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Found<'h> {
    /// A start tag's name, as written.
    Tag(&'h [u8]),
    /// The value of a `class` attribute of the start tag reported just
    /// before, without quotes.
    Class(&'h [u8]),
    /// The value of its `id` attribute.
    Id(&'h [u8]),
}

/// Elements whose contents a browser reads as text, up to their end tag
/// (outside SVG and MathML). `noscript` is not one of them: it is text only
/// when scripting is on, and markup when it is off.
const TEXT_ONLY: [&[u8]; 8] = [
    b"script",
    b"style",
    b"textarea",
    b"title",
    b"xmp",
    b"iframe",
    b"noembed",
    b"noframes",
];

/// Calls `found` for every start tag of `html`, then for its `class` and
/// `id` attributes.
pub(super) fn read<'h>(html: &'h [u8], found: &mut impl FnMut(Found<'h>)) {
    let mut at = 0;
    // Inside `<svg>` or `<math>` no element's contents are text-only.
    let mut foreign_depth = 0usize;
    loop {
        // Tags often follow one another: look before searching.
        match html.get(at) {
            Some(b'<') => at += 1,
            Some(_) => match memchr::memchr(b'<', &html[at..]) {
                Some(offset) => at += offset + 1,
                None => break,
            },
            None => break,
        }
        let Some(&next) = html.get(at) else { break };
        if next.is_ascii_alphabetic() {
            let name_end = until(html, at, ENDS_TAG_NAME);
            let name = &html[at..name_end];
            found(Found::Tag(name));
            let (after, self_closing) = attributes(html, name_end, found);
            at = after;
            // Most names are none of those below: a cheap test first.
            if name.len() < 3
                || !matches!(next | 0x20, b's' | b'm' | b't' | b'x' | b'i' | b'n' | b'p')
            {
                continue;
            }
            if is_one_of(name, &[b"svg", b"math"]) {
                if !self_closing {
                    foreign_depth += 1;
                }
            } else if foreign_depth == 0 {
                if name.eq_ignore_ascii_case(b"plaintext") {
                    break;
                }
                if is_one_of(name, &TEXT_ONLY) {
                    at = end_tag_of(html, at, name);
                }
            }
        } else if next == b'/' && html.get(at + 1).is_some_and(u8::is_ascii_alphabetic) {
            let name_end = until(html, at + 1, ENDS_TAG_NAME);
            if is_one_of(&html[at + 1..name_end], &[b"svg", b"math"]) {
                foreign_depth = foreign_depth.saturating_sub(1);
            }
            at = attributes(html, name_end, &mut |_| {}).0;
        } else if html[at..].starts_with(b"!--") {
            at = comment_end(html, at + 3);
        } else if matches!(next, b'!' | b'/' | b'?') {
            // A doctype or a bogus comment: up to the first `>`.
            at = memchr::memchr(b'>', &html[at..]).map_or(html.len(), |i| at + i + 1);
        }
        // Anything else after `<` is text.
    }
}

/// What a byte means inside a tag, as bits: one table lookup a byte.
const SPACE: u8 = 1;
const SLASH: u8 = 2;
const CLOSE: u8 = 4;
const EQUALS: u8 = 8;
const ENDS_TAG_NAME: u8 = SPACE | SLASH | CLOSE;
const ENDS_ATTRIBUTE_NAME: u8 = SPACE | SLASH | CLOSE | EQUALS;
const ENDS_UNQUOTED_VALUE: u8 = SPACE | CLOSE;

static KIND: [u8; 256] = {
    let mut kind = [0u8; 256];
    kind[b' ' as usize] = SPACE;
    kind[b'\t' as usize] = SPACE;
    kind[b'\n' as usize] = SPACE;
    kind[b'\r' as usize] = SPACE;
    kind[0x0c] = SPACE;
    kind[b'/' as usize] = SLASH;
    kind[b'>' as usize] = CLOSE;
    kind[b'=' as usize] = EQUALS;
    kind
};

/// The first position from `from` holding a byte of a kind in `kinds`, or
/// the end of `html`.
fn until(html: &[u8], from: usize, kinds: u8) -> usize {
    html[from..]
        .iter()
        .position(|&b| KIND[b as usize] & kinds != 0)
        .map_or(html.len(), |i| from + i)
}

/// The first position from `from` holding a byte of none of `kinds`, or the
/// end of `html`.
fn past(html: &[u8], from: usize, kinds: u8) -> usize {
    html[from..]
        .iter()
        .position(|&b| KIND[b as usize] & kinds == 0)
        .map_or(html.len(), |i| from + i)
}

fn is_one_of(name: &[u8], names: &[&[u8]]) -> bool {
    names.iter().any(|n| name.eq_ignore_ascii_case(n))
}

/// Reads a tag's attributes from `at` to just after its `>`; returns that
/// position and whether the tag ended with `/>`.
fn attributes<'h>(
    html: &'h [u8],
    mut at: usize,
    found: &mut impl FnMut(Found<'h>),
) -> (usize, bool) {
    let len = html.len();
    loop {
        // Before an attribute name: white space, and `/` that does not end
        // the tag.
        let name_start = past(html, at, SPACE | SLASH);
        if name_start >= len {
            return (len, false);
        }
        if html[name_start] == b'>' {
            let self_closing = name_start > at && html[name_start - 1] == b'/';
            return (name_start + 1, self_closing);
        }
        // The name; its first character may be `=`.
        at = until(html, name_start + 1, ENDS_ATTRIBUTE_NAME);
        let name = &html[name_start..at];
        if html.get(at) != Some(&b'=') {
            at = past(html, at, SPACE);
        }
        let mut value: &[u8] = &[];
        if html.get(at) == Some(&b'=') {
            at += 1;
            if !matches!(html.get(at), Some(b'"' | b'\'')) {
                at = past(html, at, SPACE);
            }
            match html.get(at) {
                Some(&quote @ (b'"' | b'\'')) => {
                    let start = at + 1;
                    let end = html[start..]
                        .iter()
                        .position(|&b| b == quote)
                        .map_or(len, |i| start + i);
                    value = &html[start..end];
                    at = (end + 1).min(len);
                }
                Some(b'>') | None => {}
                Some(_) => {
                    let start = at;
                    at = until(html, at, ENDS_UNQUOTED_VALUE);
                    value = &html[start..at];
                }
            }
        }
        if name.len() == 5 && name.eq_ignore_ascii_case(b"class") {
            found(Found::Class(value));
        } else if name.len() == 2 && name.eq_ignore_ascii_case(b"id") {
            found(Found::Id(value));
        }
    }
}

/// Whether a browser shows `html` in standards mode: the first thing in it,
/// after white space and comments, is `<!DOCTYPE html>`. Otherwise (quirks
/// mode) classes and ids match whatever their case.
pub(super) fn standards_mode(html: &[u8]) -> bool {
    let mut rest = html.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(html);
    loop {
        rest = rest.trim_ascii_start();
        if !rest.starts_with(b"<!--") {
            break;
        }
        rest = &rest[comment_end(rest, 4)..];
    }
    let Some((doctype, rest)) = rest.split_at_checked(9) else {
        return false;
    };
    let rest = rest.trim_ascii_start();
    let Some((name, rest)) = rest.split_at_checked(4) else {
        return false;
    };
    doctype.eq_ignore_ascii_case(b"<!doctype")
        && name.eq_ignore_ascii_case(b"html")
        && rest.trim_ascii_start().starts_with(b">")
}

/// Just after the `>` of the comment whose text starts at `from` (after
/// `<!--`). `<!-->` and `<!--->` are whole comments, and `--!>` ends one
/// as `-->` does.
fn comment_end(html: &[u8], from: usize) -> usize {
    let rest = &html[from.min(html.len())..];
    if rest.starts_with(b">") {
        return from + 1;
    }
    if rest.starts_with(b"->") {
        return from + 2;
    }
    let mut at = from;
    while let Some(i) = memchr::memmem::find(&html[at..], b"--") {
        let dashes = at + i;
        let after = &html[dashes + 2..];
        if after.starts_with(b">") {
            return dashes + 3;
        }
        if after.starts_with(b"!>") {
            return dashes + 4;
        }
        at = dashes + 1;
    }
    html.len()
}

/// Where the end tag `</name` of a text-only element starts, searching
/// from `from`: its contents hold no tags. The end of the page when there
/// is none.
fn end_tag_of(html: &[u8], from: usize, name: &[u8]) -> usize {
    let mut at = from;
    while let Some(i) = memchr::memmem::find(&html[at..], b"</") {
        let start = at + i;
        let after = start + 2 + name.len();
        if html.len() >= after
            && html[start + 2..after].eq_ignore_ascii_case(name)
            && html
                .get(after)
                .is_none_or(|&b| KIND[b as usize] & ENDS_TAG_NAME != 0)
        {
            return start;
        }
        at = start + 2;
    }
    html.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `read` reports, as text: `tag` for a tag, `class=value` and
    /// `id=value` for those attributes.
    fn seen(html: &str) -> Vec<String> {
        let mut out = Vec::new();
        read(html.as_bytes(), &mut |found| {
            out.push(match found {
                Found::Tag(name) => String::from_utf8_lossy(name).into_owned(),
                Found::Class(value) => format!("class={}", String::from_utf8_lossy(value)),
                Found::Id(value) => format!("id={}", String::from_utf8_lossy(value)),
            })
        });
        out
    }

    #[test]
    fn attributes_are_read_however_they_are_quoted_or_spaced() {
        assert_eq!(
            seen("<p class=\"a b\" id='x'>t</p><DIV\n\tCLASS = c\nhidden>"),
            ["p", "class=a b", "id=x", "DIV", "class=c"]
        );
        assert_eq!(
            seen("<a href=x/y class=z/><br/><img alt=\"\" id class=>"),
            ["a", "class=z/", "br", "img", "id=", "class="]
        );
    }

    #[test]
    fn a_quoted_value_may_hold_what_looks_like_markup() {
        assert_eq!(
            seen(r#"<p title="a > <b class='no'>" class="yes">"#),
            ["p", "class=yes"]
        );
        assert_eq!(
            seen(r#"<p title='it"s' class=a><i klass="b" ids="c" data-class="d">"#),
            ["p", "class=a", "i"]
        );
    }

    #[test]
    fn end_tags_text_and_stray_brackets_report_nothing() {
        assert_eq!(
            seen("a < b and c<3 </p class=\"x\"> <>"),
            Vec::<String>::new()
        );
        assert_eq!(seen(r#"</p title=">"><i>"#), ["i"]);
    }

    #[test]
    fn comments_and_doctypes_hide_what_they_hold() {
        assert_eq!(
            seen("<!DOCTYPE html><!-- <b class=x> --><i><!--><u><!---><s>"),
            ["i", "u", "s"]
        );
        assert_eq!(seen("<!-- a --!><em><!-- -- ---><q>"), ["em", "q"]);
        assert_eq!(seen("<?xml x?><![CDATA[ y ]]><b>"), ["b"]);
        assert_eq!(seen("<!-- never closed <b>"), Vec::<String>::new());
    }

    #[test]
    fn text_only_elements_hide_their_contents_until_their_end_tag() {
        assert_eq!(
            seen("<script>if (a<b && c) { x = '<i class=\"y\">' }</script ><u>"),
            ["script", "u"]
        );
        assert_eq!(
            seen("<style>p<q{}</styles></STYLE><u><title>a<b</title><i>"),
            ["style", "u", "title", "i"]
        );
        assert_eq!(seen("<textarea><b></textarea"), ["textarea"]);
        assert_eq!(seen("<plaintext><b>"), ["plaintext"]);
    }

    #[test]
    fn inside_svg_no_element_is_text_only() {
        assert_eq!(
            seen("<svg><title><tspan class=t>x</tspan></title></svg><title><b></title><i>"),
            ["svg", "title", "tspan", "class=t", "title", "i"]
        );
        assert_eq!(
            seen("<svg/><title><b></title><math><style><i></style></math>"),
            ["svg", "title", "math", "style", "i"]
        );
    }

    #[test]
    fn only_the_html5_doctype_first_means_standards_mode() {
        for page in [
            "<!DOCTYPE html><p>",
            "\u{feff} \n<!-- a --><!doctype HTML >",
            "<!DocType\thtml\n>",
        ] {
            assert!(standards_mode(page.as_bytes()), "{page:?}");
        }
        for page in [
            "",
            "<p><!DOCTYPE html>",
            "x<!DOCTYPE html>",
            "<!DOCTYPE html PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\">",
            "<!DOCTYPE htmlx>",
            "<!-- never closed <!DOCTYPE html>",
        ] {
            assert!(!standards_mode(page.as_bytes()), "{page:?}");
        }
    }

    #[test]
    fn a_page_cut_short_is_read_to_its_end() {
        assert_eq!(seen("<p class=\"a"), ["p", "class=a"]);
        assert_eq!(seen("<p class="), ["p", "class="]);
        assert_eq!(seen("<p"), ["p"]);
        assert_eq!(seen("<"), Vec::<String>::new());
        assert_eq!(seen("<script>x"), ["script"]);
    }
}
