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
//! The fingerprints are 128-bit (two independently seeded foldhash passes):
//! a guard against accidental change, not against an adversary, who would
//! need write access to the records or OUT anyway.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::path::Path;

/// The manifest's name inside OUT.
pub const MANIFEST: &str = ".commonthread-pages";
/// The manifest's first line; a manifest of another shape is ignored.
const HEADER: &str = "commonthread pages 1";

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

/// The manifest of a previous build, by client slug.
#[derive(Debug, Default)]
pub struct Manifest {
    pub inputs: u128,
    pub clients: HashMap<String, ClientPages>,
}

impl Manifest {
    /// The manifest in `out`, when it was written for the same build inputs
    /// (`inputs`: everything but the clients' own files). Anything else,
    /// a missing or damaged manifest included, means "render everything".
    pub fn read(out: &Path, inputs: u128) -> Option<Manifest> {
        let text = std::fs::read_to_string(out.join(MANIFEST)).ok()?;
        let manifest = Manifest::parse(&text)?;
        (manifest.inputs == inputs).then_some(manifest)
    }

    fn parse(text: &str) -> Option<Manifest> {
        let mut lines = text.lines();
        if lines.next()? != HEADER {
            return None;
        }
        let inputs = hex(lines.next()?.strip_prefix("inputs ")?)?;
        let mut clients = HashMap::new();
        let mut current: Option<(String, ClientPages)> = None;
        for line in lines {
            let (kind, rest) = line.split_once(' ')?;
            match kind {
                "client" => {
                    let (slug, fingerprint) = rest.rsplit_once(' ')?;
                    if let Some((slug, pages)) = current.take() {
                        clients.insert(slug, pages);
                    }
                    current = Some((
                        slug.to_owned(),
                        ClientPages {
                            inputs: hex(fingerprint)?,
                            pages: Vec::new(),
                        },
                    ));
                }
                "page" => {
                    let (path, fingerprint) = rest.rsplit_once(' ')?;
                    current
                        .as_mut()?
                        .1
                        .pages
                        .push((path.to_owned(), hex(fingerprint)?));
                }
                _ => return None,
            }
        }
        if let Some((slug, pages)) = current {
            clients.insert(slug, pages);
        }
        Some(Manifest { inputs, clients })
    }

    /// The manifest's text, clients in the order given.
    pub fn render<'a>(
        inputs: u128,
        clients: impl Iterator<Item = (&'a str, &'a ClientPages)>,
    ) -> String {
        use std::fmt::Write;
        let mut text = format!("{HEADER}\ninputs {inputs:032x}\n");
        // One line per entry: a name that would break a line is not kept
        // (its client is simply rendered again next time).
        let one_line = |name: &str| !name.contains(|c: char| c.is_control());
        for (slug, client) in clients {
            if !one_line(slug) || !client.pages.iter().all(|(path, _)| one_line(path)) {
                continue;
            }
            let _ = writeln!(text, "client {slug} {:032x}", client.inputs);
            for (path, fingerprint) in &client.pages {
                let _ = writeln!(text, "page {path} {fingerprint:032x}");
            }
        }
        text
    }

    /// The client's pages, when its inputs are the recorded ones and every
    /// page in `previous` (the old OUT) still holds the recorded bytes.
    pub fn unchanged(&self, slug: &str, inputs: u128, previous: &Path) -> Option<&ClientPages> {
        let client = self.clients.get(slug)?;
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
        let text = Manifest::render(42, [("acme", &a), ("beta co", &b)].into_iter());
        let read = Manifest::parse(&text).unwrap();
        assert_eq!(read.inputs, 42);
        assert_eq!(read.clients["acme"], a);
        assert_eq!(read.clients["beta co"], b);
    }

    #[test]
    fn a_damaged_manifest_is_ignored() {
        let good = Manifest::render(
            1,
            [(
                "acme",
                &ClientPages {
                    inputs: 2,
                    pages: vec![("acme/index.html".into(), 3)],
                },
            )]
            .into_iter(),
        );
        assert!(Manifest::parse(&good).is_some());
        for damaged in [
            good.replace("commonthread pages 1", "commonthread pages 2"),
            good.replace("client acme", "klient acme"),
            good[..good.len() - 5].to_owned(),
            good.replace("inputs ", "inputs x"),
            String::new(),
        ] {
            assert!(Manifest::parse(&damaged).is_none(), "{damaged}");
        }
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
            clients: HashMap::from([("acme".to_owned(), pages)]),
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
