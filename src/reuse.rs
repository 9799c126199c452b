//! Which clients' pages a rebuild can take from the previous output
//! without rendering them again.
//!
//! A client's pages are a function of its files' text, the repository's
//! configuration, the templates, the as-of date, the audience, the commit
//! and the program itself. A build records a fingerprint of those inputs
//! for every client, and a fingerprint of every page it wrote, in a manifest
//! inside OUT. The next build over that OUT links a client's pages instead
//! of rendering them when the client's fingerprint is unchanged and every
//! page still holds the bytes recorded for it (a page edited by hand, or
//! missing, is rendered again). At 10,000 engagements a rebuild took 27.3 s
//! of CPU rendering every page and 11.1 s linking them; records mostly do
//! not change between two builds.
//!
//! A client whose files are byte for byte those of the last build is not
//! even read as records: the manifest also keeps what checking it found
//! and what the pages across clients need of it (portfolio rows, its link,
//! its part of engagements.json), so the rebuild hashes the files, links
//! the pages and takes the rest from the manifest. Parsing was 2.1 s of a
//! 3.5 s rebuild of 10,000 unchanged engagements.
//!
//! The fingerprints are 128-bit (two independently seeded foldhash passes):
//! a guard against accidental change, not against an adversary, who would
//! need write access to the records or OUT anyway.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::diagnostics::{Diagnostic, Severity};
use crate::view::{ClientLink, PortfolioRow};

/// The manifest's name inside OUT.
pub const MANIFEST: &str = ".commonthread-pages";
/// The manifest's first line; a manifest of another shape is ignored.
const HEADER: &str = "commonthread pages 2";

/// A 128-bit fingerprint under construction.
pub struct Fingerprint {
    halves: [foldhash::quality::FoldHasher<'static>; 2],
}

impl Default for Fingerprint {
    fn default() -> Self {
        Self::new()
    }
}

impl Fingerprint {
    pub fn new() -> Fingerprint {
        Fingerprint {
            halves: [0x243f_6a88_85a3_08d3, 0x1319_8a2e_0370_7344]
                .map(|seed| foldhash::quality::FixedState::with_seed(seed).build_hasher()),
        }
    }

    /// Adds a piece, length first, so that ("ab", "c") and ("a", "bc") differ.
    pub fn bytes(mut self, bytes: &[u8]) -> Fingerprint {
        for half in &mut self.halves {
            half.write_usize(bytes.len());
            half.write(bytes);
        }
        self
    }

    pub fn text(self, text: &str) -> Fingerprint {
        self.bytes(text.as_bytes())
    }

    pub fn number(self, value: u128) -> Fingerprint {
        self.bytes(&value.to_le_bytes())
    }

    pub fn finish(&self) -> u128 {
        (u128::from(self.halves[0].finish()) << 64) | u128::from(self.halves[1].finish())
    }
}

/// The fingerprint of one text (a record file, a page).
pub fn of(bytes: &[u8]) -> u128 {
    Fingerprint::new().bytes(bytes).finish()
}

/// The running program: its size and modification time, so that a new
/// build of commonthread (same version number or not) renders afresh.
pub fn program_identity() -> Option<u128> {
    let exe = std::env::current_exe().ok()?;
    let meta = std::fs::metadata(exe).ok()?;
    let modified = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some(
        Fingerprint::new()
            .text(env!("CARGO_PKG_VERSION"))
            .number(u128::from(meta.len()))
            .number(modified.as_nanos())
            .finish(),
    )
}

/// What one client's pages were made from, and the pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientPages {
    pub inputs: u128,
    /// Each page's path under OUT and the fingerprint of its bytes.
    pub pages: Vec<(String, u128)>,
}

/// What the last build found in one client, kept so that a rebuild need
/// not read its records when their bytes did not change.
#[derive(Debug, Serialize, Deserialize)]
pub struct Checked {
    pub diagnostics: Vec<CheckedDiagnostic>,
    /// The portfolio rows, each with its sort key (not serialized with it).
    pub rows: Vec<(PortfolioRow, (u8, String, String))>,
    pub link: Option<ClientLink>,
}

impl Checked {
    /// The line for the manifest.
    pub fn line(
        diagnostics: &[Diagnostic],
        rows: &[PortfolioRow],
        link: Option<&ClientLink>,
    ) -> Option<String> {
        let checked = Checked {
            diagnostics: diagnostics.iter().map(CheckedDiagnostic::from).collect(),
            rows: rows.iter().map(|r| (r.clone(), r.rank.clone())).collect(),
            link: link.cloned(),
        };
        // JSON escapes every line break, so the line stays one line.
        serde_json::to_string(&checked).ok()
    }

    /// The line read back; None when it cannot be (then the client is read).
    pub fn parse(line: &[u8]) -> Option<(Vec<Diagnostic>, Checked)> {
        let mut checked: Checked = serde_json::from_slice(line).ok()?;
        let diagnostics = std::mem::take(&mut checked.diagnostics)
            .into_iter()
            .map(CheckedDiagnostic::into_diagnostic)
            .collect::<Option<Vec<_>>>()?;
        for (row, rank) in &mut checked.rows {
            row.rank = std::mem::take(rank);
        }
        Some((diagnostics, checked))
    }
}

/// A diagnostic as the manifest keeps it: its rule by name.
#[derive(Debug, Serialize, Deserialize)]
pub struct CheckedDiagnostic {
    rule: String,
    severity: Severity,
    file: String,
    at: [u32; 3],
    path: Option<String>,
    message: String,
    help: String,
    source_line: Option<String>,
}

impl From<&Diagnostic> for CheckedDiagnostic {
    fn from(d: &Diagnostic) -> CheckedDiagnostic {
        CheckedDiagnostic {
            rule: d.rule.name.to_owned(),
            severity: d.severity,
            file: d.file.clone(),
            at: [d.pos.line, d.pos.column, d.pos.len],
            path: d.path.clone(),
            message: d.message.clone(),
            help: d.help.clone(),
            source_line: d.source_line.clone(),
        }
    }
}

impl CheckedDiagnostic {
    /// None for a rule this program does not know.
    fn into_diagnostic(self) -> Option<Diagnostic> {
        let [line, column, len] = self.at;
        Some(Diagnostic {
            rule: crate::rules::find(&self.rule)?,
            severity: self.severity,
            file: self.file,
            pos: crate::yaml::Pos::new(line, column, len),
            path: self.path,
            message: self.message,
            help: self.help,
            source_line: self.source_line,
        })
    }
}

/// Where one client's element of engagements.json lies in that file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonPart {
    pub offset: u64,
    pub len: u64,
    /// Of the element's bytes, so that an edited file is not trusted.
    pub fingerprint: u128,
}

/// One client's entry in a previous build's manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub pages: ClientPages,
    /// Where its `checked` line's JSON lies in the manifest, and the JSON's
    /// fingerprint (read only for a client that is reused: at 100,000
    /// engagements the lines are tens of megabytes).
    checked: Option<(u64, usize, u128)>,
    json: Option<JsonPart>,
}

/// What the next manifest records of one client.
pub struct Record<'a> {
    pub slug: &'a str,
    pub pages: &'a ClientPages,
    /// `Checked::line`, or empty when not kept.
    pub checked: Vec<u8>,
    pub json: Option<JsonPart>,
}

/// The manifest of a previous build, by client slug.
#[derive(Debug, Default)]
pub struct Manifest {
    pub inputs: u128,
    pub clients: HashMap<String, Entry>,
    path: std::path::PathBuf,
}

impl Manifest {
    /// The manifest in `out`, when it was written for the same build inputs
    /// (`inputs`: everything but the clients' own files). Anything else,
    /// a missing or damaged manifest included, means "render everything".
    pub fn read(out: &Path, inputs: u128) -> Option<Manifest> {
        let path = out.join(MANIFEST);
        let file = std::fs::File::open(&path).ok()?;
        let mut manifest = Manifest::parse(std::io::BufReader::new(file))?;
        manifest.path = path;
        (manifest.inputs == inputs).then_some(manifest)
    }

    /// Reads the lines one at a time, keeping where each `checked` line's
    /// JSON starts rather than the JSON.
    fn parse(mut reader: impl std::io::BufRead) -> Option<Manifest> {
        let mut line = String::new();
        let mut offset = 0u64;
        // The next line, without its line break, and where it starts:
        // Some(None) at the end, None for a line cut short or unreadable.
        let mut next = |line: &mut String| -> Option<Option<u64>> {
            line.clear();
            let read = reader.read_line(line).ok()?;
            if read == 0 {
                return Some(None);
            }
            line.strip_suffix('\n')?;
            line.pop();
            let start = offset;
            offset += read as u64;
            Some(Some(start))
        };
        next(&mut line)??;
        if line != HEADER {
            return None;
        }
        next(&mut line)??;
        let inputs = hex(line.strip_prefix("inputs ")?)?;
        let mut clients = HashMap::new();
        let mut current: Option<(String, Entry)> = None;
        while let Some(start) = next(&mut line)? {
            let (kind, rest) = line.split_once(' ')?;
            match kind {
                "client" => {
                    let (slug, fingerprint) = rest.rsplit_once(' ')?;
                    if let Some((slug, entry)) = current.take() {
                        clients.insert(slug, entry);
                    }
                    current = Some((
                        slug.to_owned(),
                        Entry {
                            pages: ClientPages {
                                inputs: hex(fingerprint)?,
                                pages: Vec::new(),
                            },
                            checked: None,
                            json: None,
                        },
                    ));
                }
                "checked" => {
                    let (fingerprint, json) = rest.split_once(' ')?;
                    let at = start + (line.len() - json.len()) as u64;
                    current.as_mut()?.1.checked = Some((at, json.len(), hex(fingerprint)?));
                }
                "json" => {
                    let mut fields = rest.split(' ');
                    let part = JsonPart {
                        offset: fields.next()?.parse().ok()?,
                        len: fields.next()?.parse().ok()?,
                        fingerprint: hex(fields.next()?)?,
                    };
                    if fields.next().is_some() {
                        return None;
                    }
                    current.as_mut()?.1.json = Some(part);
                }
                "page" => {
                    let (path, fingerprint) = rest.rsplit_once(' ')?;
                    current
                        .as_mut()?
                        .1
                        .pages
                        .pages
                        .push((path.to_owned(), hex(fingerprint)?));
                }
                _ => return None,
            }
        }
        if let Some((slug, entry)) = current {
            clients.insert(slug, entry);
        }
        Some(Manifest {
            inputs,
            clients,
            path: std::path::PathBuf::new(),
        })
    }

    /// Writes the manifest, clients in the order given.
    pub fn write<'a>(
        out: &mut dyn std::io::Write,
        inputs: u128,
        clients: impl Iterator<Item = Result<Record<'a>, String>>,
    ) -> Result<(), String> {
        let fail = |e: std::io::Error| format!("cannot write {MANIFEST}: {e}");
        write!(out, "{HEADER}\ninputs {inputs:032x}\n").map_err(fail)?;
        // One line per entry: a name that would break a line is not kept
        // (its client is simply rendered again next time).
        let one_line = |name: &[u8]| !name.iter().any(|c| c.is_ascii_control());
        for client in clients {
            let Record {
                slug,
                pages,
                checked,
                json,
            } = client?;
            if !one_line(slug.as_bytes())
                || !pages
                    .pages
                    .iter()
                    .all(|(path, _)| one_line(path.as_bytes()))
            {
                continue;
            }
            writeln!(out, "client {slug} {:032x}", pages.inputs).map_err(fail)?;
            if !checked.is_empty() && one_line(&checked) {
                write!(out, "checked {:032x} ", of(&checked)).map_err(fail)?;
                out.write_all(&checked).map_err(fail)?;
                out.write_all(b"\n").map_err(fail)?;
            }
            if let Some(part) = json {
                writeln!(
                    out,
                    "json {} {} {:032x}",
                    part.offset, part.len, part.fingerprint
                )
                .map_err(fail)?;
            }
            for (path, fingerprint) in &pages.pages {
                writeln!(out, "page {path} {fingerprint:032x}").map_err(fail)?;
            }
        }
        Ok(())
    }

    /// The client's pages, when its inputs are the recorded ones and every
    /// page in `previous` (the old OUT) still holds the recorded bytes.
    pub fn unchanged(&self, slug: &str, inputs: u128, previous: &Path) -> Option<&ClientPages> {
        let client = &self.clients.get(slug)?.pages;
        if client.inputs != inputs || client.pages.is_empty() {
            return None;
        }
        let intact = client.pages.iter().all(|(path, fingerprint)| {
            let file = previous.join(path);
            std::fs::symlink_metadata(&file).is_ok_and(|m| m.is_file())
                && std::fs::read(&file).is_ok_and(|bytes| of(&bytes) == *fingerprint)
        });
        intact.then_some(client)
    }

    /// The client's `checked` line, as written (None when it was changed
    /// since).
    pub fn checked(&self, slug: &str) -> Option<Vec<u8>> {
        let (offset, len, fingerprint) = self.clients.get(slug)?.checked?;
        let bytes = read_at(&self.path, offset, len as u64)?;
        (of(&bytes) == fingerprint).then_some(bytes)
    }

    /// The client's element of the previous engagements.json, when that
    /// file still holds it.
    pub fn json_part(&self, slug: &str, previous: &Path) -> Option<Vec<u8>> {
        let part = self.clients.get(slug)?.json?;
        let bytes = read_at(&previous.join("engagements.json"), part.offset, part.len)?;
        (of(&bytes) == part.fingerprint).then_some(bytes)
    }
}

/// `len` bytes of `file` from `offset`.
fn read_at(file: &Path, offset: u64, len: u64) -> Option<Vec<u8>> {
    use std::io::{Read, Seek};
    let mut file = std::fs::File::open(file).ok()?;
    file.seek(std::io::SeekFrom::Start(offset)).ok()?;
    let mut bytes = vec![0; usize::try_from(len).ok()?];
    file.read_exact(&mut bytes).ok()?;
    Some(bytes)
}

/// A sink that passes pages on and keeps each one's path and fingerprint,
/// for the manifest.
pub struct Recording<'a> {
    inner: &'a dyn crate::output::Sink,
    pages: std::sync::Mutex<Vec<(String, u128)>>,
}

impl<'a> Recording<'a> {
    pub fn new(inner: &'a dyn crate::output::Sink) -> Recording<'a> {
        Recording {
            inner,
            pages: std::sync::Mutex::new(Vec::new()),
        }
    }

    pub fn into_pages(self) -> Vec<(String, u128)> {
        self.pages.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}

impl crate::output::Sink for Recording<'_> {
    fn write(&self, path: &str, bytes: &[u8]) -> Result<(), String> {
        self.inner.write(path, bytes)?;
        let fingerprint = of(bytes);
        self.pages
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((path.to_owned(), fingerprint));
        Ok(())
    }
}

fn hex(text: &str) -> Option<u128> {
    (text.len() == 32)
        .then(|| u128::from_str_radix(text, 16).ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_tell_pieces_apart() {
        let ab_c = Fingerprint::new().text("ab").text("c").finish();
        let a_bc = Fingerprint::new().text("a").text("bc").finish();
        assert_ne!(ab_c, a_bc);
        assert_eq!(of(b"page"), of(b"page"));
        assert_ne!(of(b"page"), of(b"pagf"));
        assert_ne!(of(b""), of(b"\0"));
    }

    fn written(clients: &[(&str, &ClientPages, &str, Option<JsonPart>)]) -> String {
        let mut bytes = Vec::new();
        Manifest::write(
            &mut bytes,
            42,
            clients.iter().map(|&(slug, pages, checked, json)| {
                Ok(Record {
                    slug,
                    pages,
                    checked: checked.as_bytes().to_vec(),
                    json,
                })
            }),
        )
        .unwrap();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn a_manifest_reads_back_as_written() {
        let a = ClientPages {
            inputs: 7,
            pages: vec![
                ("acme/index.html".into(), 1),
                ("acme/x/scorecard.html".into(), u128::MAX),
            ],
        };
        let b = ClientPages {
            inputs: u128::MAX - 3,
            pages: vec![("beta co/index.html".into(), 0)],
        };
        let part = JsonPart {
            offset: 120,
            len: 4000,
            fingerprint: 99,
        };
        let dir = tempfile::tempdir().unwrap();
        let text = written(&[
            ("acme", &a, r#"{"rows":[]}"#, Some(part)),
            ("beta co", &b, "", None),
        ]);
        std::fs::write(dir.path().join(MANIFEST), &text).unwrap();
        let read = Manifest::read(dir.path(), 42).unwrap();
        assert_eq!(read.inputs, 42);
        assert_eq!(read.clients["acme"].pages, a);
        assert_eq!(read.clients["beta co"].pages, b);
        assert_eq!(read.clients["acme"].json, Some(part));
        assert_eq!(read.clients["beta co"].json, None);
        // The `checked` line is read from the file when asked for, unless
        // it was changed since.
        assert_eq!(read.checked("acme").unwrap(), br#"{"rows":[]}"#);
        assert_eq!(read.checked("beta co"), None);
        std::fs::write(
            dir.path().join(MANIFEST),
            text.replace(r#"{"rows":[]}"#, r#"{"rows":{}}"#),
        )
        .unwrap();
        assert_eq!(
            Manifest::read(dir.path(), 42).unwrap().checked("acme"),
            None
        );
        // Written for other inputs: not read.
        assert!(Manifest::read(dir.path(), 43).is_none());
    }

    #[test]
    fn a_damaged_manifest_is_ignored() {
        let pages = ClientPages {
            inputs: 2,
            pages: vec![("acme/index.html".into(), 3)],
        };
        let good = written(&[("acme", &pages, "{}", None)]);
        let parse = |text: &str| Manifest::parse(std::io::Cursor::new(text.as_bytes()));
        assert!(parse(&good).is_some());
        for damaged in [
            good.replace("commonthread pages 2", "commonthread pages 1"),
            good.replace("client acme", "klient acme"),
            good[..good.len() - 5].to_owned(),
            good[..good.len() - 1].to_owned(),
            good.replace("inputs ", "inputs x"),
            format!("{good}json 1 2\n"),
            good.replace("checked ", "checked x"),
            String::new(),
        ] {
            assert!(parse(&damaged).is_none(), "{damaged}");
        }
    }

    #[test]
    fn a_checked_line_reads_back_as_the_diagnostics_and_rows() {
        let rule = crate::rules::find("milestone-overdue").unwrap();
        let diagnostic =
            Diagnostic::new(rule, "acme/x.md", crate::yaml::Pos::new(3, 7, 10), "late")
                .path("milestones[0].due");
        let line = Checked::line(std::slice::from_ref(&diagnostic), &[], None).unwrap();
        assert!(!line.contains('\n'));
        let (diagnostics, checked) = Checked::parse(line.as_bytes()).unwrap();
        assert_eq!(diagnostics, vec![diagnostic]);
        assert!(checked.rows.is_empty());
        // A rule this program does not know: the client is read instead.
        let unknown = line.replace("milestone-overdue", "no-such-rule");
        assert!(Checked::parse(unknown.as_bytes()).is_none());
    }

    #[test]
    fn only_intact_pages_are_taken() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("acme")).unwrap();
        std::fs::write(dir.path().join("acme/index.html"), "the page").unwrap();
        let pages = ClientPages {
            inputs: 9,
            pages: vec![("acme/index.html".into(), of(b"the page"))],
        };
        let manifest = Manifest {
            inputs: 1,
            clients: HashMap::from([(
                "acme".to_owned(),
                Entry {
                    pages,
                    checked: None,
                    json: None,
                },
            )]),
            path: std::path::PathBuf::new(),
        };
        assert!(manifest.unchanged("acme", 9, dir.path()).is_some());
        // Other inputs, or another client: rendered afresh.
        assert!(manifest.unchanged("acme", 8, dir.path()).is_none());
        assert!(manifest.unchanged("beta", 9, dir.path()).is_none());
        // A page edited by hand, or removed: rendered afresh.
        std::fs::write(dir.path().join("acme/index.html"), "edited").unwrap();
        assert!(manifest.unchanged("acme", 9, dir.path()).is_none());
        std::fs::remove_file(dir.path().join("acme/index.html")).unwrap();
        assert!(manifest.unchanged("acme", 9, dir.path()).is_none());
    }
}
