//! Splits an engagement file into its YAML front matter and Markdown body.

/// The two parts of an engagement file. `yaml_line` is the file line on
/// which the YAML starts (2, after the opening `---`).
#[derive(Debug, PartialEq, Eq)]
pub struct Split<'a> {
    pub yaml: &'a str,
    pub yaml_line: u32,
    pub body: &'a str,
}

#[derive(Debug, PartialEq, Eq)]
pub enum SplitError {
    /// The file does not start with a `---` line; `near` when its first
    /// line is almost one (`--- # notes`, `----`).
    NoOpening { near: bool },
    /// The opening `---` is never closed; the line count says how far we
    /// looked, and `near` is the first line that almost closes it (`...`,
    /// `--- # end`), if any.
    Unclosed { lines: u32, near: Option<u32> },
}

/// Splits `text`, which has already lost its byte-order mark. A `---` line
/// is the only thing that closes the block, so a `---` rule in the Markdown
/// body is body text.
pub fn split(text: &str) -> Result<Split<'_>, SplitError> {
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().ok_or(SplitError::NoOpening { near: false })?;
    if !is_fence(first) {
        return Err(SplitError::NoOpening {
            near: is_near_fence(first),
        });
    }
    let yaml_start = first.len();
    let mut offset = yaml_start;
    let mut count = 1u32;
    let mut near = None;
    for line in lines {
        count += 1;
        if near.is_none() && is_near_fence(line) {
            near = Some(count);
        }
        if is_fence(line) {
            return Ok(Split {
                yaml: &text[yaml_start..offset],
                yaml_line: 2,
                body: &text[offset + line.len()..],
            });
        }
        offset += line.len();
    }
    Err(SplitError::Unclosed { lines: count, near })
}

/// A line meant as a fence: `...` (YAML's end of document), `--- # note`,
/// or more than three dashes.
fn is_near_fence(line: &str) -> bool {
    let line = line.trim_end_matches(['\n', '\r', ' ', '\t']);
    line == "..."
        || line.strip_prefix("---").is_some_and(|rest| {
            !rest.is_empty()
                && (rest.trim_start().starts_with('#') || rest.bytes().all(|b| b == b'-'))
        })
}

fn is_fence(line: &str) -> bool {
    line.trim_end_matches(['\n', '\r'])
        .trim_end_matches([' ', '\t'])
        == "---"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_yaml_from_body() {
        let s = split("---\ntitle: T\n---\n# Notes\n\n---\nmore\n").unwrap();
        assert_eq!(s.yaml, "title: T\n");
        assert_eq!(s.yaml_line, 2);
        assert_eq!(s.body, "# Notes\n\n---\nmore\n");
    }

    #[test]
    fn accepts_crlf_and_trailing_spaces() {
        let s = split("--- \r\ntitle: T\r\n---\r\nbody").unwrap();
        assert_eq!(s.yaml, "title: T\r\n");
        assert_eq!(s.body, "body");
    }

    #[test]
    fn empty_front_matter_and_no_body() {
        let s = split("---\n---").unwrap();
        assert_eq!(s.yaml, "");
        assert_eq!(s.body, "");
    }

    #[test]
    fn missing_or_unclosed() {
        assert_eq!(split(""), Err(SplitError::NoOpening { near: false }));
        assert_eq!(
            split("title: T\n"),
            Err(SplitError::NoOpening { near: false })
        );
        assert_eq!(split("----\n"), Err(SplitError::NoOpening { near: true }));
        assert_eq!(
            split("--- # notes\n"),
            Err(SplitError::NoOpening { near: true })
        );
        assert_eq!(
            split("---\ntitle: T\n"),
            Err(SplitError::Unclosed {
                lines: 2,
                near: None
            })
        );
        assert_eq!(
            split("---\ntitle: T\n...\nbody\n--- # end\n"),
            Err(SplitError::Unclosed {
                lines: 5,
                near: Some(3)
            })
        );
    }
}
