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
//! The commit every footer names is the exception: with the built-in
//! templates a client's fingerprint says only whether its records are
//! committed, and its pages note where the commit is (`Stamp`), so a build
//! at a new commit copies them with the new commit in place instead of
//! rendering every page again.
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
const HEADER: &str = "commonthread pages 4";

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
    pub pages: Vec<Page>,
}

/// One page as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// Under OUT, `/`-separated.
    pub path: String,
    /// How many bytes it has.
    pub len: u64,
    /// Of the page's bytes.
    pub fingerprint: u128,
    /// Where the page holds the commit (`Stamp`), when it holds it once.
    pub stamp_at: Option<usize>,
}

/// The commit client pages are made from, and the placeholder of the same
/// length they are rendered with. `Recording` puts the commit in the
/// placeholder's place and notes where; a build at another commit changes
/// those bytes instead of rendering the page again (every page's footer
/// names the commit, so without this the first build after each commit
/// rendered every page).
#[derive(Debug, Clone)]
pub struct Stamp {
    placeholder: String,
    commit: String,
}

impl Stamp {
    /// A random placeholder of hexadecimal digits, like the commit's: the
    /// templates' escaping leaves it as it is, and no record holds it.
    pub fn new(commit: &str) -> Stamp {
        let state = std::hash::RandomState::new();
        let mut salt = 0u64;
        let placeholder = loop {
            let digits: String = (0..commit.len())
                .map(|i| {
                    let nibble = (state.hash_one((salt, i)) & 0xf) as u32;
                    char::from_digit(nibble, 16).unwrap_or('0')
                })
                .collect();
            // Never the commit itself (a 16^-12 chance): its bytes would
            // be taken for the placeholder's.
            if digits != commit || commit.is_empty() {
                break digits;
            }
            salt += 1;
        };
        Stamp {
            placeholder,
            commit: commit.to_owned(),
        }
    }

    pub fn placeholder(&self) -> &str {
        &self.placeholder
    }

    pub fn commit(&self) -> &str {
        &self.commit
    }

    /// The page with the commit in the placeholder's place, and where it
    /// is when the page holds it once.
    fn apply<'b>(&self, page: &'b [u8]) -> (std::borrow::Cow<'b, [u8]>, Option<usize>) {
        let finder = memchr::memmem::Finder::new(self.placeholder.as_bytes());
        let found: Vec<usize> = finder.find_iter(page).collect();
        if found.is_empty() {
            return (std::borrow::Cow::Borrowed(page), None);
        }
        let mut stamped = page.to_vec();
        for &at in &found {
            stamped[at..at + self.commit.len()].copy_from_slice(self.commit.as_bytes());
        }
        let at = (found.len() == 1).then_some(found[0]);
        (std::borrow::Cow::Owned(stamped), at)
    }

    /// A page stamped with another commit (`old`, at `at`) restamped with
    /// this one; None when the page does not hold `old` there.
    pub fn restamp(&self, mut page: Vec<u8>, at: usize, old: &str) -> Option<Vec<u8>> {
        let end = at.checked_add(old.len())?;
        if old.len() != self.commit.len() || page.get(at..end)? != old.as_bytes() {
            return None;
        }
        page[at..end].copy_from_slice(self.commit.as_bytes());
        Some(page)
    }
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
    /// The commit its stamped pages hold (`Stamp`).
    pub stamp: Option<String>,
    pub clients: HashMap<String, Entry>,
    path: std::path::PathBuf,
    /// When the manifest file last changed (see `Manifest::intact`).
    changed: Option<Changed>,
}

impl Manifest {
    /// The manifest in `out`, when it was written for the same build inputs
    /// (`inputs`: everything but the clients' own files). Anything else,
    /// a missing or damaged manifest included, means "render everything".
    pub fn read(out: &Path, inputs: u128) -> Option<Manifest> {
        let path = out.join(MANIFEST);
        let file = std::fs::File::open(&path).ok()?;
        let changed = file.metadata().ok().as_ref().and_then(changed_at);
        let mut manifest = Manifest::parse(std::io::BufReader::new(file))?;
        manifest.path = path;
        manifest.changed = changed;
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
        let mut stamp = None;
        let mut clients = HashMap::new();
        let mut current: Option<(String, Entry)> = None;
        while let Some(start) = next(&mut line)? {
            let (kind, rest) = line.split_once(' ')?;
            match kind {
                "stamp" if current.is_none() && stamp.is_none() => {
                    stamp = Some(rest.to_owned());
                }
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
                    let (rest, stamp_at) = rest.rsplit_once(' ')?;
                    let (rest, fingerprint) = rest.rsplit_once(' ')?;
                    let (path, len) = rest.rsplit_once(' ')?;
                    let stamp_at = match stamp_at {
                        "-" => None,
                        at => Some(at.parse().ok()?),
                    };
                    current.as_mut()?.1.pages.pages.push(Page {
                        path: path.to_owned(),
                        len: len.parse().ok()?,
                        fingerprint: hex(fingerprint)?,
                        stamp_at,
                    });
                }
                _ => return None,
            }
        }
        if let Some((slug, entry)) = current {
            clients.insert(slug, entry);
        }
        Some(Manifest {
            inputs,
            stamp,
            clients,
            path: std::path::PathBuf::new(),
            changed: None,
        })
    }

    /// Writes the manifest, clients in the order given; `stamp` is the
    /// commit stamped pages hold.
    pub fn write<'a>(
        out: &mut dyn std::io::Write,
        inputs: u128,
        stamp: Option<&str>,
        clients: impl Iterator<Item = Result<Record<'a>, String>>,
    ) -> Result<(), String> {
        let fail = |e: std::io::Error| format!("cannot write {MANIFEST}: {e}");
        write!(out, "{HEADER}\ninputs {inputs:032x}\n").map_err(fail)?;
        // One line per entry: a name that would break a line is not kept
        // (its client is simply rendered again next time).
        let one_line = |name: &[u8]| !name.iter().any(|c| c.is_ascii_control());
        if let Some(stamp) = stamp
            && one_line(stamp.as_bytes())
        {
            writeln!(out, "stamp {stamp}").map_err(fail)?;
        }
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
                    .all(|page| one_line(page.path.as_bytes()))
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
            for page in &pages.pages {
                let Page {
                    path,
                    len,
                    fingerprint,
                    stamp_at,
                } = page;
                match stamp_at {
                    Some(at) => writeln!(out, "page {path} {len} {fingerprint:032x} {at}"),
                    None => writeln!(out, "page {path} {len} {fingerprint:032x} -"),
                }
                .map_err(fail)?;
            }
        }
        Ok(())
    }

    /// The client's pages as recorded, when its inputs are the recorded
    /// ones (whether the pages are still intact is for `Page::read_intact`).
    pub fn recorded(&self, slug: &str, inputs: u128) -> Option<&ClientPages> {
        let client = &self.clients.get(slug)?.pages;
        (client.inputs == inputs && !client.pages.is_empty()).then_some(client)
    }

    /// Whether `page` in `previous` (the old OUT) still holds the recorded
    /// bytes. A regular file of the recorded length whose inode has not
    /// changed since the manifest was written is taken as it is (any write,
    /// rename or `touch` sets the change time to the present, and no
    /// program can set it back); anything else is read and compared. At
    /// 100,000 engagements, reading every page back took most of a rebuild.
    pub fn intact(&self, page: &Page, previous: &Path) -> bool {
        let unchanged = std::fs::symlink_metadata(previous.join(&page.path)).is_ok_and(|meta| {
            meta.is_file()
                && meta.len() == page.len
                && self
                    .changed
                    .zip(changed_at(&meta))
                    .is_some_and(|(manifest, page)| page < manifest)
        });
        unchanged || page.read_intact(previous).is_some()
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

impl Page {
    /// The page in `previous` (the old OUT), when it still holds the
    /// recorded bytes (a page edited by hand, or removed, is not).
    pub fn read_intact(&self, previous: &Path) -> Option<Vec<u8>> {
        let file = previous.join(&self.path);
        if !std::fs::symlink_metadata(&file).is_ok_and(|m| m.is_file() && m.len() == self.len) {
            return None;
        }
        let bytes = std::fs::read(&file).ok()?;
        (of(&bytes) == self.fingerprint).then_some(bytes)
    }
}

/// When a file's inode last changed (its content, name or links), to the
/// nanosecond; None where the system does not say.
type Changed = (i64, i64);

#[cfg(unix)]
fn changed_at(meta: &std::fs::Metadata) -> Option<Changed> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.ctime(), meta.ctime_nsec()))
}

#[cfg(not(unix))]
fn changed_at(_: &std::fs::Metadata) -> Option<Changed> {
    None
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
/// for the manifest; with a `Stamp`, it puts the commit in each page first.
pub struct Recording<'a> {
    inner: &'a dyn crate::output::Sink,
    stamp: Option<&'a Stamp>,
    pages: std::sync::Mutex<Vec<Page>>,
}

impl<'a> Recording<'a> {
    pub fn new(inner: &'a dyn crate::output::Sink, stamp: Option<&'a Stamp>) -> Recording<'a> {
        Recording {
            inner,
            stamp,
            pages: std::sync::Mutex::new(Vec::new()),
        }
    }

    pub fn into_pages(self) -> Vec<Page> {
        self.pages.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}

impl crate::output::Sink for Recording<'_> {
    fn write(&self, path: &str, bytes: &[u8]) -> Result<(), String> {
        let (bytes, stamp_at) = match self.stamp {
            Some(stamp) => stamp.apply(bytes),
            None => (std::borrow::Cow::Borrowed(bytes), None),
        };
        self.inner.write(path, &bytes)?;
        let fingerprint = of(&bytes);
        self.pages
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Page {
                path: path.to_owned(),
                len: bytes.len() as u64,
                fingerprint,
                stamp_at,
            });
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
            Some("0123456789ab"),
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

    fn page(path: &str, len: u64, fingerprint: u128, stamp_at: Option<usize>) -> Page {
        Page {
            path: path.to_owned(),
            len,
            fingerprint,
            stamp_at,
        }
    }

    #[test]
    fn a_manifest_reads_back_as_written() {
        let a = ClientPages {
            inputs: 7,
            pages: vec![
                page("acme/index.html", 9000, 1, Some(4000)),
                page("acme/x y/scorecard.html", 0, u128::MAX, None),
            ],
        };
        let b = ClientPages {
            inputs: u128::MAX - 3,
            pages: vec![page("beta co/index.html", 12, 0, Some(0))],
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
        assert_eq!(read.stamp.as_deref(), Some("0123456789ab"));
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
            pages: vec![page("acme/index.html", 5, 3, None)],
        };
        let good = written(&[("acme", &pages, "{}", None)]);
        let parse = |text: &str| Manifest::parse(std::io::Cursor::new(text.as_bytes()));
        assert!(parse(&good).is_some());
        for damaged in [
            good.replace("commonthread pages 4", "commonthread pages 3"),
            good.replace(" -\n", "\n"),
            good.replace(" -\n", " x\n"),
            good.replacen("stamp ", "stamp x\nstamp ", 1),
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
            pages: vec![page("acme/index.html", 8, of(b"the page"), None)],
        };
        let manifest = Manifest {
            inputs: 1,
            stamp: None,
            clients: HashMap::from([(
                "acme".to_owned(),
                Entry {
                    pages,
                    checked: None,
                    json: None,
                },
            )]),
            path: std::path::PathBuf::new(),
            changed: None,
        };
        let recorded = manifest.recorded("acme", 9).unwrap();
        assert_eq!(
            recorded.pages[0].read_intact(dir.path()).unwrap(),
            b"the page"
        );
        // Other inputs, or another client: rendered afresh.
        assert!(manifest.recorded("acme", 8).is_none());
        assert!(manifest.recorded("beta", 9).is_none());
        assert!(manifest.intact(&recorded.pages[0], dir.path()));
        // A page edited by hand, or removed: rendered afresh.
        std::fs::write(dir.path().join("acme/index.html"), "edited").unwrap();
        assert!(recorded.pages[0].read_intact(dir.path()).is_none());
        assert!(!manifest.intact(&recorded.pages[0], dir.path()));
        std::fs::remove_file(dir.path().join("acme/index.html")).unwrap();
        assert!(recorded.pages[0].read_intact(dir.path()).is_none());
    }

    /// A page is read back only when its inode changed since the manifest
    /// was written, or its length is not the recorded one.
    #[cfg(unix)]
    #[test]
    fn a_page_untouched_since_the_manifest_is_not_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("index.html");
        std::fs::write(&file, "the page").unwrap();
        let recorded = page("index.html", 8, of(b"the page"), None);
        let page_changed = changed_at(&std::fs::metadata(&file).unwrap()).unwrap();
        let manifest = |changed| Manifest {
            changed,
            ..Manifest::default()
        };
        let later = Some((page_changed.0 + 1, 0));
        // Another page of the same length: not read, so not noticed...
        std::fs::write(&file, "the pagE").unwrap();
        let page_changed = changed_at(&std::fs::metadata(&file).unwrap()).unwrap();
        let after_it = Some((page_changed.0 + 1, page_changed.1));
        assert!(manifest(after_it).intact(&recorded, dir.path()));
        // ...which is why it is read whenever the page changed at or after
        // the manifest, or nothing says when either changed.
        for changed in [Some(page_changed), Some((page_changed.0 - 1, 0)), None] {
            assert!(
                !manifest(changed).intact(&recorded, dir.path()),
                "{changed:?}"
            );
        }
        std::fs::write(&file, "the page").unwrap();
        assert!(manifest(None).intact(&recorded, dir.path()));
        // Another length is never taken.
        std::fs::write(&file, "the page!").unwrap();
        assert!(!manifest(later.map(|(s, n)| (s + 1_000_000, n))).intact(&recorded, dir.path()));
    }

    /// A sink that keeps what it is given.
    #[derive(Default)]
    struct Kept(std::sync::Mutex<Vec<(String, Vec<u8>)>>);

    impl crate::output::Sink for Kept {
        fn write(&self, path: &str, bytes: &[u8]) -> Result<(), String> {
            self.0
                .lock()
                .unwrap()
                .push((path.to_owned(), bytes.to_vec()));
            Ok(())
        }
    }

    proptest::proptest! {
        /// Restamping a page stamped at one commit gives, byte for byte,
        /// the page stamped at the other: what rendering it again would.
        #[test]
        fn restamping_equals_stamping_afresh(
            before in proptest::collection::vec(proptest::num::u8::ANY, 0..200),
            after in proptest::collection::vec(proptest::num::u8::ANY, 0..200),
            old in "[0-9a-f]{12}",
            new in "[0-9a-f]{12}",
        ) {
            let stamp = |commit: &str| {
                let stamp = Stamp::new(commit);
                let mut page = before.clone();
                page.extend_from_slice(stamp.placeholder().as_bytes());
                page.extend_from_slice(&after);
                let kept = Kept::default();
                let recording = Recording::new(&kept, Some(&stamp));
                crate::output::Sink::write(&recording, "p.html", &page).unwrap();
                let at = recording.into_pages()[0].stamp_at;
                (kept.0.into_inner().unwrap().remove(0).1, at)
            };
            let (at_old, where_old) = stamp(&old);
            let (at_new, where_new) = stamp(&new);
            // Random bytes around the placeholder cannot hold it again.
            proptest::prop_assert_eq!(where_old, Some(before.len()));
            proptest::prop_assert_eq!(where_new, Some(before.len()));
            let restamped = Stamp::new(&new).restamp(at_old, before.len(), &old);
            proptest::prop_assert_eq!(restamped, Some(at_new));
        }
    }

    #[test]
    fn a_stamped_page_names_the_commit_and_can_name_another() {
        let stamp = Stamp::new("0123456789ab");
        let placeholder = stamp.placeholder().to_owned();
        assert_eq!(placeholder.len(), 12);
        assert_ne!(placeholder, "0123456789ab");
        assert!(placeholder.bytes().all(|b| b.is_ascii_hexdigit()));
        // Any length, the full id included; never the commit itself.
        let full = "4f0c2b9e1d7a38c65b0e9f12a7d3c4b5e6f70812";
        assert_eq!(Stamp::new(full).placeholder().len(), 40);
        assert_ne!(Stamp::new(full).placeholder(), full);
        assert_eq!(Stamp::new("").placeholder(), "");
        let kept = Kept::default();
        let recording = Recording::new(&kept, Some(&stamp));
        let page = format!("<p>at commit <code>{placeholder}</code>.</p>");
        crate::output::Sink::write(&recording, "a/index.html", page.as_bytes()).unwrap();
        // Not in the page: nothing to restamp.
        crate::output::Sink::write(&recording, "b/index.html", b"no commit").unwrap();
        // Twice: stamped, but where is not kept (the page is rendered again).
        let twice = format!("{placeholder} {placeholder}");
        crate::output::Sink::write(&recording, "c/index.html", twice.as_bytes()).unwrap();
        let pages = recording.into_pages();
        let written = kept.0.into_inner().unwrap();
        let first = b"<p>at commit <code>0123456789ab</code>.</p>".to_vec();
        assert_eq!(written[0].1, first);
        assert_eq!(written[1].1, b"no commit");
        assert_eq!(written[2].1, b"0123456789ab 0123456789ab");
        assert_eq!(pages[0].stamp_at, Some(19));
        assert_eq!(pages[0].fingerprint, of(&first));
        assert_eq!(pages[1].stamp_at, None);
        assert_eq!(pages[2].stamp_at, None);
        // At another commit, the same page with that commit in its place;
        // only where the old commit is.
        let next = Stamp::new("fedcba987654");
        assert_eq!(
            next.restamp(first.clone(), 19, "0123456789ab").unwrap(),
            b"<p>at commit <code>fedcba987654</code>.</p>"
        );
        assert!(next.restamp(first.clone(), 18, "0123456789ab").is_none());
        assert!(next.restamp(first.clone(), 19, "0123456789ac").is_none());
        assert!(next.restamp(first.clone(), 40, "0123456789ab").is_none());
        assert!(next.restamp(first, usize::MAX, "0123456789ab").is_none());
    }
}
