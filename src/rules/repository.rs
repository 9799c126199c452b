//! The rules that look across files: slugs, duplicate engagements, files
//! outside any client, and the rule levels in commonthread.yaml.

use std::collections::HashMap;

use crate::diagnostics::Diagnostic;
use crate::discover::Inventory;
use crate::model::{Config, Level};
use crate::rules::{self, RuleKind};
use crate::yaml::{Node, Pos, Step};

/// Slugs become output paths: `^[a-z0-9][a-z0-9-]*$`.
pub fn is_slug(text: &str) -> bool {
    let mut bytes = text.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The slug names the audit pages use.
pub const RESERVED_SLUGS: &[&str] = &["audit"];

fn slug_problem(slug: &str) -> Option<String> {
    if RESERVED_SLUGS.contains(&slug) {
        Some(format!("`{slug}` is reserved for the audit pages"))
    } else if !is_slug(slug) {
        Some(format!("`{slug}` is not a slug"))
    } else {
        None
    }
}

/// A slug suggestion: lowercase, dashes for anything else.
fn slugify(text: &str) -> String {
    let mut slug = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if let Some(plain) = latin_letters(c) {
            slug.push_str(plain);
        } else if ('\u{300}'..='\u{36f}').contains(&c) {
            // A combining accent (`e` + U+0301): the letter before it stays.
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-').to_owned();
    if slug.is_empty() || RESERVED_SLUGS.contains(&slug.as_str()) {
        format!("{slug}-1").trim_start_matches('-').to_owned()
    } else {
        slug
    }
}

/// The plain letters of an accented Latin one, as people write a name
/// without its accents (`café` → `cafe`, `straße` → `strasse`), so that a
/// suggested slug keeps the word.
fn latin_letters(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'č' => "c",
        'ď' | 'đ' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
        'ğ' => "g",
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' => "i",
        'ł' | 'ľ' | 'ĺ' => "l",
        'ñ' | 'ń' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
        'œ' => "oe",
        'ř' | 'ŕ' => "r",
        'ś' | 'š' | 'ş' | 'ș' => "s",
        'ß' => "ss",
        'ť' | 'ţ' | 'ț' => "t",
        'þ' => "th",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'ų' => "u",
        'ý' | 'ÿ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        _ => return None,
    })
}

/// invalid-slug, duplicate-id (engagements and clients) and no-client.
pub fn check(inventory: &Inventory, out: &mut Vec<Diagnostic>) {
    let mut client_slugs: HashMap<&str, &str> = HashMap::new();
    for client in &inventory.clients {
        let file = client.client_file();
        if let Some(problem) = slug_problem(&client.slug) {
            out.push(
                Diagnostic::new(
                    rules::INVALID_SLUG,
                    &file,
                    Pos::file_start(),
                    format!("client folder {problem}"),
                )
                .help(format!(
                    "rename the folder to lowercase letters, digits and dashes, such as `{}`",
                    slugify(&client.slug)
                )),
            );
        }
        if let Some(first) = client_slugs.insert(&client.slug, &client.dir) {
            out.push(
                Diagnostic::new(
                    rules::DUPLICATE_ID,
                    &file,
                    Pos::file_start(),
                    format!("client `{}` already has a folder at `{first}`", client.slug),
                )
                .help("client folders need distinct names: their reports share one output folder"),
            );
            client_slugs.insert(&client.slug, first);
        }
    }
    let mut engagement_slugs: HashMap<(usize, &str), &str> = HashMap::new();
    for engagement in &inventory.engagements {
        let file = engagement.file.as_str();
        let Some(client) = engagement.client else {
            let help = match (
                inventory.unread_client_file_above(file),
                inventory.near_client_file_above(file),
            ) {
                (Some(unread), _) => format!(
                    "`{}` is {}, which is not read as a client file: put the file itself there",
                    unread.file, unread.what
                ),
                (None, Some(near)) => format!(
                    "`{near}` is not read as a client file: rename it `client.yaml`"
                ),
                (None, None) if inventory.inside_records && !file.contains('/') => {
                    "the folder checked is a client folder of the records folder above it: run `commonthread check` there, or give it as the folder (`commonthread check ..`)".to_owned()
                }
                (None, None) if inventory.root_client_file && !file.contains('/') => {
                    "the records folder itself is no client folder, even with a `client.yaml`: make a folder named for the client (its slug), and move `client.yaml` and the engagements into it".to_owned()
                }
                (None, None) if crate::discover::is_readme_near_miss(file) => {
                    crate::discover::README_NEAR_MISS_HELP.to_owned()
                }
                (None, None) => "move it into a client folder (one that holds `client.yaml`), or add a `client.yaml` beside it".to_owned(),
            };
            out.push(
                Diagnostic::new(
                    rules::NO_CLIENT,
                    file,
                    Pos::file_start(),
                    format!("`{file}` is under no client folder"),
                )
                .help(help),
            );
            continue;
        };
        if let Some(problem) = slug_problem(&engagement.slug) {
            out.push(
                Diagnostic::new(
                    rules::INVALID_SLUG,
                    file,
                    Pos::file_start(),
                    format!("engagement file name {problem}"),
                )
                .help(format!(
                    "rename the file to lowercase letters, digits and dashes, such as `{}.md`",
                    slugify(&engagement.slug)
                )),
            );
        }
        if let Some(first) = engagement_slugs.insert((client, &engagement.slug), file) {
            out.push(
                Diagnostic::new(rules::DUPLICATE_ID, file, Pos::file_start(), format!("engagement `{}` already exists at `{first}`", engagement.slug))
                    .help("engagement file names must be unique within their client, whatever folder they are in"),
            );
            engagement_slugs.insert((client, &engagement.slug), first);
        }
    }
}

/// Rule levels in commonthread.yaml: only warning rules can be set.
pub fn check_config(config: &Config, tree: &Node, file: &str, out: &mut Vec<Diagnostic>) {
    for name in config.rules.keys() {
        let steps = [Step::Key("rules"), Step::Key(name.as_str())];
        let key_pos = tree
            .get("rules")
            .and_then(|rules| rules.value.get(name))
            .map_or_else(|| tree.locate(&steps), |entry| entry.key_pos);
        let (message, help) = match rules::find(name) {
            Some(rule) if rule.kind == RuleKind::Error => (
                format!("`{name}` is an error rule; its level cannot be changed"),
                "only warning rules can be set to error, warning or off; fix the records instead"
                    .to_owned(),
            ),
            Some(_) => continue,
            None => (
                format!("there is no rule `{name}`"),
                match rules::closest(name) {
                    Some(near) => {
                        format!("did you mean `{near}`? `commonthread explain` lists every rule")
                    }
                    None => "see FORMAT.md for the warning rules".to_owned(),
                },
            ),
        };
        out.push(
            Diagnostic::new(rules::INVALID_VALUE, file, key_pos, message)
                .path(crate::yaml::format_path(&steps))
                .help(help),
        );
    }
}

/// Applies the configured levels: warnings raised to errors, or dropped.
pub fn apply_levels(config: &Config, diagnostics: &mut Vec<Diagnostic>) {
    if config.rules.is_empty() {
        return;
    }
    diagnostics.retain_mut(|d| {
        if d.rule.kind != RuleKind::Warning {
            return true;
        }
        match config.rules.get(d.rule.name) {
            Some(Level::Off) => false,
            Some(Level::Error) => {
                d.severity = crate::diagnostics::Severity::Error;
                true
            }
            Some(Level::Warning) | None => true,
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        for good in ["acme", "2026-sales-cycle", "a", "0-x", "a--b", "x-"] {
            assert!(is_slug(good), "{good}");
        }
        for bad in ["", "-a", "Acme", "acme_logistics", "café", "a b", "a.b"] {
            assert!(!is_slug(bad), "{bad}");
        }
    }

    #[test]
    fn slug_suggestions() {
        assert_eq!(slugify("Acme Logistics"), "acme-logistics");
        assert_eq!(slugify("2026_Sales Cycle!"), "2026-sales-cycle");
        assert_eq!(slugify("audit"), "audit-1");
        // Accents go, the letters stay.
        assert_eq!(slugify("Café Crème"), "cafe-creme");
        assert_eq!(slugify("Über_Review 2026"), "uber-review-2026");
        assert_eq!(slugify("ÉTÉ"), "ete");
        assert_eq!(slugify("Straße"), "strasse");
        assert_eq!(slugify("e\u{301}te\u{301}"), "ete");
    }
}
