//! The Markdown notes below the front matter are printed on the client's
//! report as they are. A field written there (below the closing `---` by
//! mistake, or a whole front matter pasted twice) reaches the client as
//! text, internal notes included: the check names such lines.

use crate::diagnostics::Diagnostic;
use crate::rules;
use crate::yaml::Pos;

/// Fields that hold what the client must not read (docs/format.md,
/// "Audience"): written as a line of the notes, they would.
const INTERNAL_FIELDS: [&str; 4] = ["internal_notes", "qualification", "review", "value"];

/// Finds field lines in `body`, the notes of `file`, whose first line is
/// line `first_line` of the file.
pub fn fields_in_notes(body: &str, first_line: u32, file: &str, out: &mut Vec<Diagnostic>) {
    let mut fence: Option<&str> = None;
    let mut lines = body.lines().enumerate();
    while let Some((index, line)) = lines.next() {
        let number = first_line.saturating_add(u32::try_from(index).unwrap_or(u32::MAX));
        // A code block may show YAML on purpose.
        let trimmed = line.trim_start();
        if let Some(open) = fence {
            if trimmed.starts_with(open) {
                fence = None;
            }
            continue;
        }
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fence = Some(&trimmed[..3]);
            continue;
        }
        if line.trim_end() == "---" {
            // A pasted front matter has at least its three required fields
            // (title, status, owner) in a row; a line or two of `name: text`
            // between rules is Markdown (a heading, in fact), and three
            // without a title most likely prose.
            let fields: Vec<&str> = lines
                .clone()
                .map_while(|(_, l)| field_name(l).filter(|name| is_engagement_field(name)))
                .collect();
            if fields.len() >= 3 && fields.contains(&"title") {
                out.push(
                    Diagnostic::new(
                        rules::FIELD_IN_NOTES,
                        file,
                        Pos::new(number, 1, 3),
                        "a second front matter starts here, in the Markdown notes: the client's report would show it as text",
                    )
                    .help("remove this copy, keeping the fields you need in the front matter at the top of the file"),
                );
                // One finding for the copy, not one per field in it.
                return;
            }
            continue;
        }
        if let Some(name) = field_name(line).filter(|name| INTERNAL_FIELDS.contains(name)) {
            out.push(
                Diagnostic::new(
                    rules::FIELD_IN_NOTES,
                    file,
                    Pos::new(number, 1, u32::try_from(name.len() + 1).unwrap_or(1)),
                    format!("`{name}:` is written in the Markdown notes, which the client's report shows as text"),
                )
                .help(format!(
                    "move it above the closing `---`, into the front matter, where `{name}` is kept from the client"
                )),
            );
        }
    }
}

/// The name of a `name:` line that starts at the line's first column.
/// Reads no further than the name: most lines are prose, and every line of
/// every engagement's notes passes here.
fn field_name(line: &str) -> Option<&str> {
    let length = line
        .bytes()
        .take_while(|b| b.is_ascii_lowercase() || *b == b'_')
        .count();
    let rest = line[length..].strip_prefix(':')?;
    (length > 0 && (rest.is_empty() || rest.starts_with(' '))).then_some(&line[..length])
}

fn is_engagement_field(name: &str) -> bool {
    crate::schema::schema(crate::schema::RecordKind::Engagement)
        .get("properties")
        .and_then(|properties| properties.get(name))
        .is_some()
}

#[cfg(test)]
mod tests {
    use super::fields_in_notes;

    fn found(body: &str) -> Vec<(u32, String)> {
        let mut out = Vec::new();
        fields_in_notes(body, 20, "e.md", &mut out);
        out.iter()
            .map(|d| (d.pos.line, d.message.clone()))
            .collect()
    }

    #[test]
    fn an_internal_field_below_the_front_matter_is_found() {
        let body = "## Plan\n\nWe start Monday.\ninternal_notes: The chair is pushing this.\n";
        let found = found(body);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, 23);
        assert!(
            found[0]
                .1
                .starts_with("`internal_notes:` is written in the Markdown notes")
        );
    }

    #[test]
    fn a_front_matter_pasted_twice_is_one_finding_at_its_fence() {
        let body = "Notes.\n---\ntitle: Second store\nstatus: prospect\ninternal_notes: x\n---\nMore notes.\n";
        assert_eq!(found(body), [(21, "a second front matter starts here, in the Markdown notes: the client's report would show it as text".to_owned())]);
    }

    #[test]
    fn prose_rules_and_code_blocks_are_left_alone() {
        // A thematic break before prose, a capitalised label, a field name
        // inside a sentence, YAML in a code block, one `title:` between
        // rules (a setext heading to Markdown).
        let body = "Intro\n\n---\n\nNext steps.\nReview: on Monday.\nOur value: speed.\n```yaml\nreview:\n  decision: next\n```\n---\ntitle: not front matter\n---\nstatus: green\nowner: Dana, until Priya is back\nstart: next week\n";
        assert!(found(body).is_empty(), "{:?}", found(body));
    }
}
