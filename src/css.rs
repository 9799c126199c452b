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

mod tags;

use tags::Found;

/// Names a page has shown already, remembered by a cheap hash of their
/// bytes: a page repeats a few dozen tag names and class lists thousands of
/// times, and marking one again changes nothing.
struct Seen<'h>([&'h [u8]; 64]);

impl Default for Seen<'_> {
    fn default() -> Self {
        // An empty name is taken as seen: it marks nothing.
        Seen([&[]; 64])
    }
}

impl<'h> Seen<'h> {
    /// Whether `name` was seen (and remembered) before; remembers it.
    fn again(&mut self, name: &'h [u8]) -> bool {
        let (first, last) = match name {
            [] => return true,
            [first, .., last] => (*first, *last),
            [only] => (*only, *only),
        };
        let hash = name.len() ^ (usize::from(first) << 1) ^ (usize::from(last) << 3);
        let slot = &mut self.0[hash % 64];
        if *slot == name {
            return true;
        }
        *slot = name;
        false
    }
}

/// A fast hash for the short names looked up thousands of times a page,
/// by their bytes as the page holds them.
type Names = HashMap<Box<[u8]>, usize, foldhash::fast::FixedState>;

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
        *names
            .entry(name.into_bytes().into_boxed_slice())
            .or_insert(next)
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

    /// The bit set of the sheet's tokens a browser may find in a page: the
    /// name of every element, and every name in a `class` or `id`.
    fn tokens_of(&self, html: &str) -> Vec<u64> {
        let mut present = vec![0u64; self.token_count().div_ceil(64)];
        let mut mark = |number: usize| present[number / 64] |= 1 << (number % 64);
        let bytes = html.as_bytes();
        // Quirks mode matches classes and ids in any case, and a character
        // reference may spell any name: then every class or id may be there.
        let (mut every_class, mut every_id) = if tags::standards_mode(bytes) {
            (false, false)
        } else {
            (true, true)
        };
        let (mut seen_tags, mut seen_classes) = (Seen::default(), Seen::default());
        tags::read(bytes, &mut |found| match found {
            Found::Tag(name) => {
                if seen_tags.again(name) {
                    return;
                }
                let number = if name.iter().any(u8::is_ascii_uppercase) {
                    self.tags.get(&*name.to_ascii_lowercase())
                } else {
                    self.tags.get(name)
                };
                if let Some(&number) = number {
                    mark(number);
                }
            }
            Found::Class(value) | Found::Id(value) => {
                let (names, every) = if matches!(found, Found::Class(_)) {
                    (&self.classes, &mut every_class)
                } else {
                    (&self.ids, &mut every_id)
                };
                if *every || (matches!(found, Found::Class(_)) && seen_classes.again(value)) {
                    return;
                }
                if value.contains(&b'&') {
                    *every = true;
                    return;
                }
                for word in value.split(u8::is_ascii_whitespace) {
                    if let Some(&number) = names.get(word) {
                        mark(number);
                    }
                }
            }
        });
        for (names, every) in [(&self.classes, every_class), (&self.ids, every_id)] {
            if every {
                names.values().for_each(|&number| mark(number));
            }
        }
        present
    }
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
        let page =
            r#"<!DOCTYPE html><html><body><p class="a f">x</p><h2 class="d">y</h2></body></html>"#;
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
        let narrow = r#"<!doctype html><P class="a">x</P>"#;
        let wide = r#"<!doctype html><p class="a f" id="e">x</p>"#;
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
    fn classes_count_however_a_template_quotes_or_spaces_them() {
        let sheet = Stylesheet::parse(".a{x:1}.b{x:2}.c{x:3}#d{x:4}.e{x:5}");
        let page = "<!DOCTYPE html><p\tclass='a'><i\nCLASS = b\n></i><b class=c id=d>";
        assert_eq!(&*sheet.for_page(page), ".a{x:1}.b{x:2}.c{x:3}#d{x:4}");
        // Quoted, a `>` does not end the tag; in a comment or a script,
        // a class is no class.
        let page = r#"<!DOCTYPE html><p title=">" class="e"><!-- <i class="a"> --><script>x = '<i class="b">'</script>"#;
        assert_eq!(&*sheet.for_page(page), ".e{x:5}");
    }

    #[test]
    fn without_a_standards_doctype_or_with_a_character_reference_every_class_may_match() {
        let css = ".a{x:1}.b{x:2}#c{x:3}";
        let sheet = Stylesheet::parse(css);
        // Quirks mode matches `.a` to `class="A"`.
        assert_eq!(&*sheet.for_page(r#"<p class="A">"#), css);
        assert_eq!(&*sheet.for_page(r#"<!DOCTYPE html><p class="A">"#), "");
        // `&#97;` is `a`.
        assert_eq!(
            &*sheet.for_page(r#"<!DOCTYPE html><p class="&#97;">"#),
            ".a{x:1}.b{x:2}"
        );
        assert_eq!(
            &*sheet.for_page(r#"<!DOCTYPE html><p id="&#99;">"#),
            "#c{x:3}"
        );
    }

    #[test]
    fn unparsable_text_is_kept() {
        for css in ["", "garbage", ".a{x:1", "@charset \"utf-8\";.a{b:1}", "}}{"] {
            let sheet = Stylesheet::parse(css);
            let kept = sheet.for_page(r#"<!DOCTYPE html><p class="a">"#);
            assert!(kept.len() <= css.len() + 2, "{css:?} -> {kept:?}");
        }
        let sheet = Stylesheet::parse("@charset \"utf-8\";.a{b:1}.q{c:2}");
        assert_eq!(
            &*sheet.for_page(r#"<!DOCTYPE html><p class="a">"#),
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
