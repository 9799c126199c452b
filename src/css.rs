//! The inline stylesheet, cut down to what one page can use.
//!
//! Every page carries its stylesheet inline (INTERFACE.md: self-contained
//! pages), and the whole sheet is larger than most pages' own content. A
//! rule is left out of a page only when it provably cannot match: one of
//! its selectors' classes, ids or element names is nowhere in the page.
//! Anything this module does not fully understand is kept, so a page can
//! only get rules it does not need, never lose one it does.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A fast hash for the short names looked up thousands of times a page.
type Names = HashMap<Box<str>, usize, foldhash::fast::FixedState>;

/// A stylesheet split into rules once, to be pruned for each page.
#[derive(Debug)]
pub struct Stylesheet {
    items: Vec<Item>,
    /// Every element name, class and id some selector needs, numbered: a
    /// page's tokens become a bit set over these numbers.
    tags: Names,
    classes: Names,
    ids: Names,
    /// The sheet cut for each set of tokens seen so far. Pages of one kind
    /// share a handful of sets, so cutting is mostly a lookup.
    cut: Mutex<HashMap<Vec<u64>, Arc<str>>>,
    /// The searches for ` class="` and ` id="`, built once.
    class_finder: memchr::memmem::Finder<'static>,
    id_finder: memchr::memmem::Finder<'static>,
}

/// The cut sheets kept (about 9 KB each): 10,000 engagements show 1,827
/// sets, the common ones early; past this a new set is cut, not kept.
const MAX_CUTS: usize = 1024;

#[derive(Debug, Clone)]
enum Item {
    /// `selectors{declarations}`, with the token numbers each selector needs.
    Rule { text: String, needs: Vec<Needs> },
    /// `@media ...{...}`: its rules are pruned; the block goes if empty.
    Media { prelude: String, items: Vec<Item> },
    /// Anything else (`@page`, `@font-face`, a selector we do not parse):
    /// always kept.
    Keep(String),
}

/// What one selector needs in a page to possibly match: `None` for a
/// selector that could match anything we cannot see (kept always).
type Needs = Option<Vec<usize>>;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Token {
    Class(String),
    Id(String),
    Tag(String),
}

impl Stylesheet {
    /// Parses minified CSS (see `render::minify_css`). Never fails: what
    /// does not parse is kept as it is.
    pub fn parse(css: &str) -> Stylesheet {
        let mut sheet = Stylesheet {
            items: Vec::new(),
            tags: Names::default(),
            classes: Names::default(),
            ids: Names::default(),
            cut: Mutex::new(HashMap::new()),
            class_finder: attribute_finder(b" class=\""),
            id_finder: attribute_finder(b" id=\""),
        };
        let (items, _) = parse_items(css, 0, &mut |token| sheet.number(token));
        sheet.items = items;
        sheet
    }

    /// The number of a token, given on first sight.
    fn number(&mut self, token: Token) -> usize {
        let next = self.tags.len() + self.classes.len() + self.ids.len();
        let (names, name) = match token {
            Token::Tag(name) => (&mut self.tags, name),
            Token::Class(name) => (&mut self.classes, name),
            Token::Id(name) => (&mut self.ids, name),
        };
        *names.entry(name.into_boxed_str()).or_insert(next)
    }

    fn token_count(&self) -> usize {
        self.tags.len() + self.classes.len() + self.ids.len()
    }

    /// The rules that may match something in `html`, in their order.
    pub fn for_page(&self, html: &str) -> Arc<str> {
        let present = self.tokens_of(html);
        let cached = |cut: &HashMap<Vec<u64>, Arc<str>>| cut.get(&present).cloned();
        if let Some(css) = self.cut.lock().ok().and_then(|cut| cached(&cut)) {
            return css;
        }
        let mut out = String::new();
        write_items(&self.items, &present, &mut out);
        let css: Arc<str> = out.into();
        if let Ok(mut cut) = self.cut.lock()
            && cut.len() < MAX_CUTS
        {
            cut.insert(present, Arc::clone(&css));
        }
        css
    }

    /// The bit set of the sheet's tokens found in a page: every element
    /// name after a `<`, and every name in a `class="..."` or `id="..."`.
    fn tokens_of(&self, html: &str) -> Vec<u64> {
        let mut present = vec![0u64; self.token_count().div_ceil(64)];
        let mut mark = |names: &Names, name: &str| {
            if let Some(&number) = names.get(name) {
                present[number / 64] |= 1 << (number % 64);
            }
        };
        let bytes = html.as_bytes();
        for open in memchr::memchr_iter(b'<', bytes) {
            let start = open + 1;
            let mut end = start;
            while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'-') {
                end += 1;
            }
            if end > start && bytes[start].is_ascii_alphabetic() {
                let name = &html[start..end];
                if name.bytes().any(|b| b.is_ascii_uppercase()) {
                    mark(&self.tags, &name.to_ascii_lowercase());
                } else {
                    mark(&self.tags, name);
                }
            }
        }
        for (finder, names) in [
            (&self.class_finder, &self.classes),
            (&self.id_finder, &self.ids),
        ] {
            for at in finder.find_iter(bytes) {
                let value = &html[at + finder.needle().len()..];
                let end = memchr::memchr(b'"', value.as_bytes()).unwrap_or(value.len());
                for name in value[..end].split_ascii_whitespace() {
                    mark(names, name);
                }
            }
        }
        present
    }
}

/// A search for ` class="` or ` id="` in a page. The default byte ranking
/// looks for `="` (its two rarest bytes in most text), which every
/// attribute has; counted on our pages, `s` or `i` two bytes before `=`
/// is as rare as the needle itself.
fn attribute_finder(needle: &'static [u8]) -> memchr::memmem::Finder<'static> {
    struct InPages;
    impl memchr::arch::all::packedpair::HeuristicFrequencyRank for InPages {
        fn rank(&self, byte: u8) -> u8 {
            match byte {
                b'=' => 0,
                b's' | b'i' => 10,
                b' ' | b'"' => 255,
                _ => 200,
            }
        }
    }
    memchr::memmem::FinderBuilder::new().build_forward_with_ranker(InPages, needle)
}

fn write_items(items: &[Item], present: &[u64], out: &mut String) {
    let has = |number: &usize| present[number / 64] & (1 << (number % 64)) != 0;
    for item in items {
        match item {
            Item::Rule { text, needs } => {
                let may_match = needs.iter().any(|selector| match selector {
                    None => true,
                    Some(tokens) => tokens.iter().all(has),
                });
                if may_match {
                    out.push_str(text);
                }
            }
            Item::Media { prelude, items } => {
                let mut inner = String::new();
                write_items(items, present, &mut inner);
                if !inner.is_empty() {
                    out.push_str(prelude);
                    out.push('{');
                    out.push_str(&inner);
                    out.push('}');
                }
            }
            Item::Keep(text) => out.push_str(text),
        }
    }
}

/// Items until the end of `css` or an unmatched `}`; returns them and
/// where parsing stopped (just after that `}`).
fn parse_items(
    css: &str,
    mut at: usize,
    number: &mut dyn FnMut(Token) -> usize,
) -> (Vec<Item>, usize) {
    let bytes = css.as_bytes();
    let mut items = Vec::new();
    while at < bytes.len() {
        if bytes[at] == b'}' {
            return (items, at + 1);
        }
        if bytes[at].is_ascii_whitespace() {
            at += 1;
            continue;
        }
        let Some(open) = find_outside_strings(css, at, b"{;}") else {
            items.push(Item::Keep(css[at..].to_owned()));
            return (items, bytes.len());
        };
        if bytes[open] != b'{' {
            // A statement (`@charset "x";`) or stray text: kept.
            let end = if bytes[open] == b';' { open + 1 } else { open };
            items.push(Item::Keep(css[at..end].to_owned()));
            at = end;
            continue;
        }
        let prelude = &css[at..open];
        if prelude.starts_with("@media") {
            let (inner, next) = parse_items(css, open + 1, number);
            items.push(Item::Media {
                prelude: prelude.to_owned(),
                items: inner,
            });
            at = next;
            continue;
        }
        let close = block_end(css, open);
        let text = &css[at..close];
        if prelude.starts_with('@') {
            items.push(Item::Keep(text.to_owned()));
        } else {
            items.push(Item::Rule {
                text: text.to_owned(),
                needs: split_selectors(prelude)
                    .into_iter()
                    .map(|selector| {
                        needs(selector).map(|tokens| tokens.into_iter().map(&mut *number).collect())
                    })
                    .collect(),
            });
        }
        at = close;
    }
    (items, at)
}

/// The first of `stops` at or after `from`, outside quoted strings.
fn find_outside_strings(css: &str, from: usize, stops: &[u8]) -> Option<usize> {
    let bytes = css.as_bytes();
    let mut quote = None;
    let mut i = from;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(_) if b == b'\\' => i += 1,
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None if stops.contains(&b) => return Some(i),
            None => {}
        }
        i += 1;
    }
    None
}

/// Just after the `}` that closes the block opened at `open`.
fn block_end(css: &str, open: usize) -> usize {
    let mut depth = 0usize;
    let mut at = open;
    while let Some(i) = find_outside_strings(css, at, b"{}") {
        if css.as_bytes()[i] == b'{' {
            depth += 1;
        } else {
            depth -= 1;
            if depth == 0 {
                return i + 1;
            }
        }
        at = i + 1;
    }
    css.len()
}

/// A selector list split at its top-level commas.
fn split_selectors(prelude: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in prelude.char_indices() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&prelude[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&prelude[start..]);
    parts
}

/// The classes, ids and element names a selector needs; `None` when it
/// holds something whose effect we do not follow (`:not(`, escapes, ...).
fn needs(selector: &str) -> Option<Vec<Token>> {
    if selector.contains(['\\', '"', '\'']) {
        return None;
    }
    let mut tokens = Vec::new();
    let chars: Vec<char> = selector.chars().collect();
    let mut i = 0;
    // Whether the next name starts a compound selector (a type selector).
    let mut at_compound_start = true;
    let name_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let read_name = |from: usize| -> (String, usize) {
        let mut end = from;
        while end < chars.len() && name_char(chars[end]) {
            end += 1;
        }
        (chars[from..end].iter().collect(), end)
    };
    while i < chars.len() {
        let c = chars[i];
        match c {
            '.' | '#' => {
                let (name, end) = read_name(i + 1);
                if name.is_empty() {
                    return None;
                }
                tokens.push(if c == '.' {
                    Token::Class(name)
                } else {
                    Token::Id(name)
                });
                i = end;
                at_compound_start = false;
            }
            ':' => {
                // Pseudo-classes and elements only narrow a match, except
                // the functional ones that can widen it.
                let mut j = i + 1;
                if chars.get(j) == Some(&':') {
                    j += 1;
                }
                let (name, end) = read_name(j);
                if chars.get(end) == Some(&'(') {
                    if matches!(name.as_str(), "not" | "is" | "where" | "has" | "matches") {
                        return None;
                    }
                    let mut depth = 0;
                    let mut k = end;
                    while k < chars.len() {
                        match chars[k] {
                            '(' => depth += 1,
                            ')' => {
                                depth -= 1;
                                if depth == 0 {
                                    break;
                                }
                            }
                            _ => {}
                        }
                        k += 1;
                    }
                    i = k + 1;
                } else {
                    i = end;
                }
                at_compound_start = false;
            }
            '[' => {
                // An attribute condition only narrows a match.
                while i < chars.len() && chars[i] != ']' {
                    i += 1;
                }
                i += 1;
                at_compound_start = false;
            }
            ' ' | '>' | '+' | '~' => {
                i += 1;
                at_compound_start = true;
            }
            '*' => {
                i += 1;
                at_compound_start = false;
            }
            c if at_compound_start && c.is_ascii_alphabetic() => {
                let (name, end) = read_name(i);
                tokens.push(Token::Tag(name.to_ascii_lowercase()));
                i = end;
                at_compound_start = false;
            }
            _ => return None,
        }
    }
    Some(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSS: &str = "body{margin:0}.a{color:red}.b .c{color:blue}h2.d,#e{x:1}p:hover .f{y:2}:root{--k:1}*{box-sizing:border-box}a:not(.g){z:3}[hidden]{display:none}@media (max-width:40rem){.a{w:1}.zz{w:2}}@media print{.zz{w:3}@page{size:A4}}@font-face{font-family:x}.h::before{content:\"{}\"}";

    #[test]
    fn keeps_what_may_match_and_drops_what_cannot() {
        let sheet = Stylesheet::parse(CSS);
        let page = r#"<html><body><p class="a f">x</p><h2 class="d">y</h2></body></html>"#;
        assert_eq!(
            &*sheet.for_page(page),
            "body{margin:0}.a{color:red}h2.d,#e{x:1}p:hover .f{y:2}:root{--k:1}*{box-sizing:border-box}a:not(.g){z:3}[hidden]{display:none}@media (max-width:40rem){.a{w:1}}@media print{@page{size:A4}}@font-face{font-family:x}"
        );
    }

    #[test]
    fn a_page_with_everything_keeps_the_whole_sheet() {
        let sheet = Stylesheet::parse(CSS);
        let page = r#"<body><div class="a b c zz h" id="e"><p class="f"><a>g</a></p></div></body>"#;
        assert_eq!(&*sheet.for_page(page), CSS);
    }

    #[test]
    fn each_set_of_tokens_gets_its_own_cut_however_often_asked() {
        let sheet = Stylesheet::parse(CSS);
        let narrow = r#"<P class="a">x</P>"#;
        let wide = r#"<p class="a f" id="e">x</p>"#;
        for _ in 0..3 {
            assert_eq!(
                &*sheet.for_page(narrow),
                ".a{color:red}:root{--k:1}*{box-sizing:border-box}a:not(.g){z:3}[hidden]{display:none}@media (max-width:40rem){.a{w:1}}@media print{@page{size:A4}}@font-face{font-family:x}"
            );
            assert_eq!(
                &*sheet.for_page(wide),
                ".a{color:red}h2.d,#e{x:1}p:hover .f{y:2}:root{--k:1}*{box-sizing:border-box}a:not(.g){z:3}[hidden]{display:none}@media (max-width:40rem){.a{w:1}}@media print{@page{size:A4}}@font-face{font-family:x}"
            );
        }
    }

    #[test]
    fn unparsable_text_is_kept() {
        for css in ["", "garbage", ".a{x:1", "@charset \"utf-8\";.a{b:1}", "}}{"] {
            let sheet = Stylesheet::parse(css);
            let kept = sheet.for_page(r#"<p class="a">"#);
            assert!(kept.len() <= css.len() + 2, "{css:?} -> {kept:?}");
        }
        let sheet = Stylesheet::parse("@charset \"utf-8\";.a{b:1}.q{c:2}");
        assert_eq!(
            &*sheet.for_page(r#"<p class="a">"#),
            "@charset \"utf-8\";.a{b:1}"
        );
    }

    #[test]
    fn the_built_in_stylesheet_round_trips_for_a_page_that_has_everything() {
        let css = crate::render::minify_css(crate::render::BUILT_IN_STYLE);
        let sheet = Stylesheet::parse(&css);
        // Reassembled from the parsed items, with nothing pruned.
        let mut all = String::new();
        fn everything(items: &[Item], out: &mut String) {
            for item in items {
                match item {
                    Item::Rule { text, .. } | Item::Keep(text) => out.push_str(text),
                    Item::Media { prelude, items } => {
                        out.push_str(prelude);
                        out.push('{');
                        everything(items, out);
                        out.push('}');
                    }
                }
            }
        }
        everything(&sheet.items, &mut all);
        assert_eq!(all, css);
    }
}
