//! Writing the output folder: assembled beside OUT, swapped in only when
//! complete, and only over a folder that commonthread wrote before (or an
//! empty or absent one). A failed build leaves the previous OUT as it was.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

/// The file that marks a folder as commonthread's output. A folder holding
/// it is never read as records, and only such a folder is ever replaced.
pub const MARKER: &str = ".commonthread-output";
const MARKER_TEXT: &str = "This folder is written by commonthread and replaced on every build.\n";

/// One file to write, relative to OUT with `/` separators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// Whether `out` may be replaced, checked before any work is done.
pub fn check_target(out: &Path, records: &Path) -> Result<(), String> {
    let shown = out.display();
    if out.as_os_str().is_empty() {
        return Err("the output folder is empty; give `--out` a folder".into());
    }
    let records_abs = records.canonicalize().map_err(|e| {
        format!(
            "cannot read the records folder `{}`: {e}",
            records.display()
        )
    })?;
    let out_abs = absolute(out)?;
    if records_abs.starts_with(&out_abs) {
        return Err(format!(
            "refusing to write to `{shown}`: it holds the records folder, and the build replaces the whole output folder"
        ));
    }
    // Swapped away from under the shell that ran the build, which would be
    // left in a removed folder.
    if let Ok(here) = std::env::current_dir()
        && let Ok(out_real) = out_abs.canonicalize()
        && here.starts_with(&out_real)
    {
        return Err(format!(
            "refusing to write to `{shown}`: it is the folder you are in (or holds it), and the build replaces it whole; run from another folder or give `--out` another folder, such as `public`"
        ));
    }
    // What is replaced is `out_abs`: `link/new/..` names `link` itself,
    // though the system cannot resolve that path while `new` is absent.
    let given = std::fs::symlink_metadata(out);
    let out = out_abs.as_path();
    let found = match given {
        Ok(meta) if meta.file_type().is_symlink() => Ok(meta),
        _ => std::fs::symlink_metadata(out),
    };
    match found {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("cannot inspect the output folder `{shown}`: {e}")),
        Ok(meta) if meta.file_type().is_symlink() => Err(format!(
            "refusing to write to `{shown}`: it is a symbolic link; point `--out` at a real folder"
        )),
        Ok(meta) if !meta.is_dir() => Err(format!(
            "refusing to write to `{shown}`: it is a file, not a folder"
        )),
        Ok(_) => {
            if is_ours(out) {
                if let Some(record) = record_inside(out) {
                    return Err(format!(
                        "refusing to replace `{shown}`: it has a `{MARKER}` file but holds `{record}`, a record commonthread did not write; remove the marker from that folder and choose another `--out`"
                    ));
                }
                let foreign = not_written_by_us(out);
                if !foreign.is_empty() {
                    return Err(format!(
                        "refusing to replace `{shown}`: it holds {}, which commonthread did not write, and every build replaces the folder whole; move {} out of it first (or add {} after the build)",
                        foreign
                            .iter()
                            .map(|name| format!("`{name}`"))
                            .collect::<Vec<_>>()
                            .join(", "),
                        if foreign.len() == 1 { "it" } else { "them" },
                        if foreign.len() == 1 { "it" } else { "them" },
                    ));
                }
                return Ok(());
            }
            let mut entries = std::fs::read_dir(out)
                .map_err(|e| format!("cannot read the output folder `{shown}`: {e}"))?;
            if entries.next().is_none() {
                Ok(())
            } else {
                let why = if std::fs::symlink_metadata(out.join(MARKER)).is_ok() {
                    format!("its `{MARKER}` file is not the one commonthread writes")
                } else {
                    format!("no `{MARKER}` file")
                };
                Err(format!(
                    "refusing to replace `{shown}`: it is not empty and was not written by commonthread ({why}); choose another `--out`, or empty it yourself"
                ))
            }
        }
    }
}

/// Whether `dir` is an output folder commonthread wrote (it has our marker).
pub fn is_ours(dir: &Path) -> bool {
    let marker = dir.join(MARKER);
    std::fs::symlink_metadata(&marker)
        .is_ok_and(|m| m.is_file() && m.len() == MARKER_TEXT.len() as u64)
        && std::fs::read_to_string(&marker).is_ok_and(|text| text == MARKER_TEXT)
}

/// The first record (`client.yaml`, `commonthread.yaml`, an engagement
/// `*.md`) under `dir`, relative to it: a build never writes one, so a
/// marker beside records was copied there and does not make them ours.
fn record_inside(dir: &Path) -> Option<String> {
    walkdir::WalkDir::new(dir)
        .follow_links(false)
        .follow_root_links(false)
        .sort_by_file_name()
        .into_iter()
        .flatten()
        .find(|entry| {
            let name = entry.file_name().to_string_lossy();
            !entry.file_type().is_dir()
                && (name == "client.yaml"
                    || name == "commonthread.yaml"
                    || (name.len() > 3 && name.ends_with(".md") && name != "README.md"))
        })
        .map(|entry| {
            let relative = entry.path().strip_prefix(dir).unwrap_or(entry.path());
            relative.to_string_lossy().replace('\\', "/")
        })
}

/// The absolute form of a path that may not exist yet.
fn absolute(path: &Path) -> Result<PathBuf, String> {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|e| format!("cannot read the current folder: {e}"))?
            .join(path)
    };
    // Resolve what exists (symlinks in the parents), keep the rest as is.
    let mut existing = joined.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = existing.canonicalize() {
            let mut result = real;
            for part in rest.iter().rev() {
                result.push(part);
            }
            return Ok(normalize(&result));
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => return Ok(normalize(&joined)),
        }
    }
}

/// Removes `.` and `..` without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Where pages go: the staging folder of a build, or OUT itself for
/// `serve`'s partial rebuilds.
pub trait Sink: Sync {
    fn write(&self, path: &str, bytes: &[u8]) -> Result<(), String>;
}

/// Takes pages and keeps none: for rendering only to see that it works.
pub struct Discard;

impl Sink for Discard {
    fn write(&self, _: &str, _: &[u8]) -> Result<(), String> {
        Ok(())
    }
}

/// Writes into an existing output folder, each file replaced in one step.
pub struct InPlace(pub PathBuf);

impl Sink for InPlace {
    fn write(&self, path: &str, bytes: &[u8]) -> Result<(), String> {
        let target = self.0.join(path);
        let dir = target.parent().unwrap_or(&self.0);
        // A symbolic link inside OUT could point anywhere: never write through one.
        let mut inside = self.0.clone();
        for part in Path::new(path)
            .parent()
            .into_iter()
            .flat_map(Path::components)
        {
            inside.push(part);
            if std::fs::symlink_metadata(&inside).is_ok_and(|m| m.file_type().is_symlink()) {
                return Err(format!(
                    "refusing to write `{path}`: `{}` is a symbolic link",
                    inside.display()
                ));
            }
        }
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temporary = dir.join(format!(".{name}.commonthread-new-{}", std::process::id()));
        std::fs::write(&temporary, bytes).map_err(|e| format!("cannot write `{path}`: {e}"))?;
        std::fs::rename(&temporary, &target).map_err(|e| {
            let _ = std::fs::remove_file(&temporary);
            format!("cannot write `{path}`: {e}")
        })
    }
}

/// A folder beside OUT where the next output is assembled. Workers write
/// into it as they go; `commit` swaps it in; dropping it uncommitted (a
/// failed build) removes it and leaves OUT as it was.
///
/// Over an OUT of ours, nothing is assembled until a file comes out
/// different from the one already there: until then each path is only
/// noted. A rebuild where nothing changed thus makes no folder and swaps
/// nothing (at 10,000 engagements, 12,500 folders made and 12,500 removed
/// on every such rebuild, and on ext4 without a journal each new one steps
/// over the inodes just freed).
pub struct Staging {
    dir: PathBuf,
    out: PathBuf,
    previous: PathBuf,
    committed: bool,
    /// The OUT being replaced, when it is ours: a page that comes out the
    /// same as its file there is linked, not written again.
    reuse: Option<PathBuf>,
    /// `Some`: every file so far is byte for byte the one in `reuse`, and
    /// these are their paths; `None`: the new output is being assembled in
    /// `dir`.
    unchanged: std::sync::Mutex<Option<Vec<String>>>,
    /// Files of the tool's own (`adopt_own`) that differ from OUT's: moved
    /// into OUT one by one when nothing else differs.
    replaced_alone: std::sync::Mutex<Vec<String>>,
    /// Held while this build writes beside OUT: another build into the
    /// same place waits (see `lock_beside`). Released when dropped.
    _lock: Option<std::fs::File>,
    /// Folders of ours beside OUT that could not be removed (a read-only
    /// folder inside, say): the user is told, as they hold a whole output.
    left_behind: Vec<PathBuf>,
}

/// What `Staging::commit` did.
#[derive(Debug)]
pub struct Committed {
    /// Whether OUT was replaced (false: it was left, but for `adopt_own`
    /// files).
    pub replaced: bool,
    /// Previous outputs of ours, moved aside beside OUT, that could not be
    /// removed.
    pub left_behind: Vec<PathBuf>,
}

/// What sits at the top of an OUT of ours that no build writes there: a
/// `CNAME`, a `.git` of a pages branch, a note. A build would remove it
/// with the rest, so it is named instead (at most five, in name order).
/// Builds write `index.html`, `engagements.json`, `audit/`, a folder per
/// client (named by its slug) and their own dot files, nothing else.
fn not_written_by_us(out: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(out) else {
        return Vec::new();
    };
    let mut foreign: Vec<String> = entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            let ours = match name.as_str() {
                MARKER | crate::reuse::MANIFEST | "index.html" | "engagements.json" => !is_dir,
                _ => is_dir && crate::rules::repository::is_slug(&name),
            };
            (!ours).then_some(name)
        })
        .collect();
    foreign.sort_unstable();
    foreign.truncate(5);
    foreign
}

/// Takes the lock on OUT's parent folder that builds writing there hold
/// (an advisory `flock`, released when the process ends, however it ends):
/// two builds into one OUT, say from two terminals or an editor's build on
/// save and `serve`, would otherwise remove each other's folder being
/// assembled. Says so when it has to wait. None where folders cannot be
/// locked: the build goes on as before.
fn lock_beside(parent: &Path, shown: &str) -> Option<std::fs::File> {
    use rustix::fs::{FlockOperation, flock};
    let folder = std::fs::File::open(parent).ok()?;
    match flock(&folder, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Some(folder),
        Err(rustix::io::Errno::WOULDBLOCK) => {
            eprintln!("waiting for another commonthread build writing beside `{shown}` to finish");
            flock(&folder, FlockOperation::LockExclusive)
                .ok()
                .map(|()| folder)
        }
        Err(_) => None,
    }
}

/// The same lock, for `serve`, which writes into OUT in place: held while
/// it rewrites pages, so that a `build` into the same OUT does not swap the
/// folder away under it.
pub fn lock_out(out: &Path) -> Option<std::fs::File> {
    let out = std::path::absolute(out).ok()?;
    lock_beside(out.parent()?, &out.display().to_string())
}

/// The builds under way, each as its assembling folder, the folder the
/// previous output moves to, and OUT: for `interrupted` to clear.
static ASSEMBLING: std::sync::Mutex<Vec<[PathBuf; 3]>> = std::sync::Mutex::new(Vec::new());
/// Set once the process is told to stop: no file is written after it.
static STOPPING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// For a Ctrl-C or SIGTERM: stops the writing and removes the folders being
/// assembled beside OUT (OUT itself is untouched until a build commits,
/// and after the swap the folder holds the previous output, which was to
/// go). The caller exits.
pub fn interrupted() {
    STOPPING.store(true, std::sync::atomic::Ordering::SeqCst);
    let builds = ASSEMBLING.lock().unwrap_or_else(|p| p.into_inner()).clone();
    for [dir, previous, out] in &builds {
        // Between the two renames of a swap without RENAME_EXCHANGE, OUT is
        // away at `previous`: leave both for the next build to sort out.
        if !out.exists() && previous.exists() {
            continue;
        }
        // Twice: a worker may have been creating a folder during the first.
        for _ in 0..2 {
            remove_tree(dir);
            remove_tree(previous);
        }
    }
}

impl Staging {
    pub fn create(out: &Path) -> Result<Staging, String> {
        let shown = out.display();
        let out_abs = absolute(out)?;
        let parent = out_abs
            .parent()
            .ok_or_else(|| format!("refusing to write to `{shown}`"))?;
        let name = out_abs
            .file_name()
            .ok_or_else(|| format!("refusing to write to `{shown}`"))?
            .to_string_lossy()
            .into_owned();
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create `{}`: {e}", parent.display()))?;
        // Before anything beside OUT is removed or made.
        let lock = lock_beside(parent, &shown.to_string());
        let dir = parent.join(format!(".{name}.commonthread-new-{}", std::process::id()));
        let previous = parent.join(format!(".{name}.commonthread-old-{}", std::process::id()));
        let left_behind = remove_leftovers(parent, &name);
        {
            let mut assembling = ASSEMBLING.lock().unwrap_or_else(|p| p.into_inner());
            assembling.push([dir.clone(), previous.clone(), out_abs.clone()]);
        }
        std::fs::create_dir(&dir).map_err(|e| {
            if e.kind() == std::io::ErrorKind::InvalidFilename {
                // The user's name fits; ours, made from it, does not.
                format!(
                    "the output folder's name is too long: the new reports are assembled beside it in `.{name}.commonthread-new-{}`, which the file system refuses; give `--out` a shorter name",
                    std::process::id()
                )
            } else {
                format!("cannot create `{}`: {e}", dir.display())
            }
        })?;
        let reuse = (is_ours(&out_abs)
            && !std::fs::symlink_metadata(&out_abs).is_ok_and(|m| m.file_type().is_symlink()))
        .then(|| out_abs.clone());
        let unchanged = std::sync::Mutex::new(reuse.is_some().then(Vec::new));
        let staging = Staging {
            dir,
            out: out_abs,
            previous,
            committed: false,
            reuse,
            unchanged,
            replaced_alone: std::sync::Mutex::new(Vec::new()),
            _lock: lock,
            left_behind,
        };
        // Marked from the start: what a killed build leaves is known as ours.
        std::fs::write(staging.dir.join(MARKER), MARKER_TEXT)
            .map_err(|e| format!("cannot write the output marker: {e}"))?;
        Ok(staging)
    }

    /// The output being replaced, when it is ours to take pages from.
    pub fn previous_output(&self) -> Option<&Path> {
        self.reuse.as_deref()
    }

    /// Takes a page of the previous output into the new one unchanged.
    pub fn link_previous(&self, path: &str) -> Result<(), String> {
        if self.reuse.is_none() {
            return Err(format!(
                "cannot reuse `{path}`: there is no previous output"
            ));
        }
        self.keep(path, None)
            .map_err(|e| format!("cannot reuse `{path}`: {e}"))
    }

    /// Takes back a page given to the new output since it began; the
    /// previous output's file is never touched.
    pub fn forget(&self, path: &str) {
        match self.unchanged().as_mut() {
            Some(paths) => {
                if let Some(at) = paths.iter().rposition(|p| p == path) {
                    paths.swap_remove(at);
                }
            }
            None => {
                let _ = std::fs::remove_file(self.dir.join(path));
            }
        }
    }

    /// Where this build keeps a file of its own while it runs (spilled
    /// parts, or a file streamed there and then `adopt`ed).
    pub fn scratch(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Makes the file streamed to `scratch(path)` part of the new output.
    pub fn adopt(&self, path: &str) -> Result<(), String> {
        if self.same_as_previous(path)? {
            return Ok(());
        }
        self.assemble()
    }

    /// Like `adopt`, for a file of the tool's own that no page or reader
    /// depends on (the reuse manifest): when it alone differs, it is
    /// replaced in OUT by itself rather than OUT assembled anew.
    pub fn adopt_own(&self, path: &str) -> Result<(), String> {
        if !self.same_as_previous(path)? {
            self.replaced_alone
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(path.to_owned());
        }
        Ok(())
    }

    /// Whether the file streamed to `scratch(path)` is the previous
    /// output's, while nothing differs: then it is removed and kept.
    fn same_as_previous(&self, path: &str) -> Result<bool, String> {
        let streamed = self.dir.join(path);
        if let Some(old) = &self.reuse
            && self.unchanged().is_some()
            && same_files(&streamed, &old.join(path))
        {
            std::fs::remove_file(&streamed).map_err(|e| format!("cannot write `{path}`: {e}"))?;
            self.keep(path, None)
                .map_err(|e| format!("cannot write `{path}`: {e}"))?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Marks the folder as ours and swaps it in for OUT; when nothing
    /// differs from OUT, leaves OUT as it is.
    pub fn commit(mut self) -> Result<Committed, String> {
        let kept = self.unchanged().take();
        let alone = std::mem::take(
            &mut *self
                .replaced_alone
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
        );
        if let Some(paths) = kept {
            if let Some(old) = &self.reuse
                && holds_exactly(old, &paths, &alone)
            {
                for path in &alone {
                    std::fs::rename(self.dir.join(path), old.join(path))
                        .map_err(|e| format!("cannot write `{path}`: {e}"))?;
                }
                self.committed = true;
                remove_tree(&self.dir);
                return Ok(Committed {
                    replaced: false,
                    left_behind: std::mem::take(&mut self.left_behind),
                });
            }
            // OUT holds more than this build writes: assembled after all.
            *self.unchanged() = Some(paths);
            self.assemble()?;
        }
        std::fs::write(self.dir.join(MARKER), MARKER_TEXT)
            .map_err(|e| format!("cannot write the output marker: {e}"))?;
        let stuck = swap(&self.out, &self.dir, &self.previous)?;
        self.committed = true;
        let mut left_behind = std::mem::take(&mut self.left_behind);
        left_behind.extend(stuck);
        Ok(Committed {
            replaced: true,
            left_behind,
        })
    }

    fn unchanged(&self) -> std::sync::MutexGuard<'_, Option<Vec<String>>> {
        self.unchanged.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts assembling the new output in `dir`, if not yet begun: every
    /// file kept so far is linked from the previous output. The lock is
    /// held only to take the list: other workers go on meanwhile, linking
    /// or writing their own files into `dir` (which is why no file there
    /// is ever written through, see `link_or_write` and `write_anew`).
    fn assemble(&self) -> Result<(), String> {
        let kept = self.unchanged().take();
        let (Some(paths), Some(old)) = (kept, &self.reuse) else {
            return Ok(());
        };
        paths.par_iter().try_for_each(|path| {
            link_or_write(&old.join(path), &self.dir.join(path), None)
                .map_err(|e| format!("cannot reuse `{path}`: {e}"))
        })
    }

    /// Keeps the previous output's file at `path`: noted while nothing
    /// differs, linked once assembling (written from `bytes`, when given,
    /// if it cannot be linked).
    fn keep(&self, path: &str, bytes: Option<&[u8]>) -> std::io::Result<()> {
        {
            let mut unchanged = self.unchanged();
            if let Some(paths) = unchanged.as_mut() {
                paths.push(path.to_owned());
                return Ok(());
            }
        }
        let Some(old) = &self.reuse else {
            return Err(std::io::Error::other("there is no previous output"));
        };
        link_or_write(&old.join(path), &self.dir.join(path), bytes)
    }
}

/// Links `old` at `target` (written from `bytes`, when given, if it cannot
/// be linked), in place of whatever `target` was.
fn link_or_write(old: &Path, target: &Path, bytes: Option<&[u8]>) -> std::io::Result<()> {
    in_folder(target, |target| {
        let linked = match std::fs::hard_link(old, target) {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                std::fs::remove_file(target)?;
                std::fs::hard_link(old, target)
            }
            linked => linked,
        };
        match (linked, bytes) {
            (Err(e), Some(bytes)) if e.kind() != std::io::ErrorKind::NotFound => {
                write_anew(target, bytes)
            }
            (done, _) => done,
        }
    })
}

/// Writes a new file at `target`, in place of whatever was there: never
/// into it, as it may be a link to the previous output's file.
fn write_anew(target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let create = || {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(target)
    };
    let mut file = match create() {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            std::fs::remove_file(target)?;
            create()?
        }
        file => file?,
    };
    file.write_all(bytes)
}

impl Staging {
    /// Writes a file known to differ from the previous output's.
    pub fn write_new(&self, path: &str, bytes: &[u8]) -> Result<(), String> {
        self.write_file(path, bytes, false)
    }

    /// Writes one file (a `/`-separated path under OUT), keeping the
    /// previous output's instead when `compare` and it holds the same bytes.
    fn write_file(&self, path: &str, bytes: &[u8], compare: bool) -> Result<(), String> {
        if STOPPING.load(std::sync::atomic::Ordering::Relaxed) {
            return Err("stopped".into());
        }
        let written = if compare
            && let Some(old) = &self.reuse
            && same_file_there(&old.join(path), bytes)
        {
            self.keep(path, Some(bytes))
        } else {
            self.assemble()?;
            in_folder(&self.dir.join(path), |target| write_anew(target, bytes))
        };
        written.map_err(|e| format!("cannot write `{path}`: {e}"))
    }
}

/// Runs `make` for a file, making its folder first when it is missing.
/// The folder is made on the first file that needs it, not checked before
/// every file: two system calls fewer for most pages.
fn in_folder(target: &Path, make: impl Fn(&Path) -> std::io::Result<()>) -> std::io::Result<()> {
    match make(target) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)?;
            }
            make(target)
        }
        done => done,
    }
}

impl Sink for Staging {
    /// Writes one file (a `/`-separated path under OUT). Safe from many threads.
    fn write(&self, path: &str, bytes: &[u8]) -> Result<(), String> {
        self.write_file(path, bytes, true)
    }
}

/// Whether `dir` holds exactly the files at `paths` (and the marker, and
/// perhaps those at `optional`), and no folder but theirs: then, but for
/// `optional`, it is already the output a build made.
fn holds_exactly(dir: &Path, paths: &[String], optional: &[String]) -> bool {
    use std::collections::HashSet;
    let files: HashSet<&str> = paths.iter().map(String::as_str).collect();
    let optional: HashSet<&str> = optional.iter().map(String::as_str).collect();
    let folders: HashSet<&str> = files
        .iter()
        .chain(&optional)
        .flat_map(|path| path.match_indices('/').map(|(at, _)| &path[..at]))
        .collect();
    let mut found = 0;
    for entry in walkdir::WalkDir::new(dir).follow_links(false).min_depth(1) {
        let Ok(entry) = entry else {
            return false;
        };
        let Some(relative) = entry
            .path()
            .strip_prefix(dir)
            .ok()
            .and_then(Path::to_str)
            .map(|p| p.replace(std::path::MAIN_SEPARATOR, "/"))
        else {
            return false;
        };
        let kind = entry.file_type();
        let expected = if kind.is_dir() {
            folders.contains(relative.as_str())
        } else if !kind.is_file() {
            false
        } else if files.contains(relative.as_str()) {
            found += 1;
            true
        } else {
            relative == MARKER || optional.contains(relative.as_str())
        };
        if !expected {
            return false;
        }
    }
    found == files.len()
}

/// Whether `path` is a regular file holding exactly `bytes`. A rebuild
/// links such files into the new output instead of writing them: most
/// pages do not change from one build to the next, and a link costs the
/// file system no new inode, no data and, once the old OUT is removed, no
/// freed inode either (ext4 spends much of a rebuild's time stepping over
/// recently freed inodes when it creates files).
fn same_file_there(path: &Path, bytes: &[u8]) -> bool {
    use std::io::Read;
    let Some((mut file, len)) = open_regular(path) else {
        return false;
    };
    if len != bytes.len() as u64 {
        return false;
    }
    // A piece at a time: the portfolio of 100,000 engagements is 108 MB,
    // and reading it whole beside the new one was a build's peak memory.
    let mut there = vec![0; bytes.len().min(1 << 16)];
    for expected in bytes.chunks(there.len().max(1)) {
        let there = &mut there[..expected.len()];
        if file.read_exact(there).is_err() || there != expected {
            return false;
        }
    }
    // Nothing more: the file did not grow since its length was read.
    file.read(&mut [0]).is_ok_and(|n| n == 0)
}

/// Whether two regular files hold the same bytes, read a piece at a time.
fn same_files(a: &Path, b: &Path) -> bool {
    use std::io::Read;
    let (Some((mut file_a, len_a)), Some((mut file_b, len_b))) = (open_regular(a), open_regular(b))
    else {
        return false;
    };
    if len_a != len_b {
        return false;
    }
    let (mut left, mut right) = (vec![0; 1 << 16], vec![0; 1 << 16]);
    loop {
        match file_a.read(&mut left) {
            Ok(0) => return file_b.read(&mut right[..1]).is_ok_and(|n| n == 0),
            Ok(n) => {
                if file_b.read_exact(&mut right[..n]).is_err() || left[..n] != right[..n] {
                    return false;
                }
            }
            Err(_) => return false,
        }
    }
}

/// `path` opened with its length, when it is a regular file (not a link).
fn open_regular(path: &Path) -> Option<(std::fs::File, u64)> {
    let meta = std::fs::symlink_metadata(path)
        .ok()
        .filter(|m| m.is_file())?;
    Some((std::fs::File::open(path).ok()?, meta.len()))
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            remove_tree(&self.dir);
        }
        ASSEMBLING
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|[dir, ..]| *dir != self.dir);
    }
}

/// What a killed build left beside `out`, for `serve`, which writes in place
/// and so never assembles (and clears) a staging folder itself.
/// Returns those of ours that could not be removed.
pub fn remove_leftovers_beside(out: &Path) -> Vec<PathBuf> {
    if let Ok(out) = std::path::absolute(out)
        && let (Some(parent), Some(name)) = (out.parent(), out.file_name())
    {
        return remove_leftovers(parent, &name.to_string_lossy());
    }
    Vec::new()
}

/// Folders a build that was killed left beside OUT (`.public.commonthread-new-123`,
/// `-old-123`): named by us, for us, and marked as ours. Returns those
/// of ours that could not be removed.
fn remove_leftovers(parent: &Path, name: &str) -> Vec<PathBuf> {
    let mut stuck = Vec::new();
    let Ok(entries) = std::fs::read_dir(parent) else {
        return stuck;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let file_name = file_name.to_string_lossy();
        let ours = [".commonthread-new-", ".commonthread-old-"]
            .iter()
            .any(|kind| {
                file_name
                    .strip_prefix(&format!(".{name}{kind}"))
                    .is_some_and(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
            });
        if !ours || !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        // Only what carries the marker (or nothing at all): a folder that
        // merely has the name, a user's, is left alone.
        if is_ours(&entry.path()) && record_inside(&entry.path()).is_none() {
            if !remove_tree(&entry.path()) {
                stuck.push(entry.path());
            }
        } else {
            // A build killed while it wrote the marker, its first file,
            // leaves the folder holding a part of it and nothing else.
            if holds_only_a_marker(&entry.path()) {
                let _ = std::fs::remove_file(entry.path().join(MARKER));
            }
            let _ = std::fs::remove_dir(entry.path());
        }
    }
    stuck
}

/// Whether `dir` holds one regular file, named as the marker, of at most
/// the marker's length: a marker cut short.
fn holds_only_a_marker(dir: &Path) -> bool {
    let Ok(mut entries) = std::fs::read_dir(dir) else {
        return false;
    };
    let only = entries.next().and_then(Result::ok);
    entries.next().is_none()
        && only.is_some_and(|entry| {
            entry.file_name() == MARKER
                && entry
                    .metadata()
                    .is_ok_and(|m| m.is_file() && m.len() <= MARKER_TEXT.len() as u64)
        })
}

/// Writes `files` into a folder beside `out`, then swaps it in.
pub fn write_atomically(out: &Path, files: &[OutputFile]) -> Result<(), String> {
    let staging = Staging::create(out)?;
    for file in files {
        staging.write(&file.path, &file.bytes)?;
    }
    staging.commit().map(|_| ())
}

/// Moves the finished folder into place. The old OUT is moved aside first
/// and removed only once the new one stands; returns where it stays when
/// it cannot be removed.
fn swap(out: &Path, staging: &Path, previous: &Path) -> Result<Option<PathBuf>, String> {
    if std::fs::symlink_metadata(out).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(format!(
            "refusing to write to `{}`: it is a symbolic link; point `--out` at a real folder",
            out.display()
        ));
    }
    let existed = out.exists();
    if existed {
        // Checked again here: the folder may have changed since the build began.
        let empty = std::fs::read_dir(out)
            .map(|mut e| e.next().is_none())
            .unwrap_or(false);
        let ours = is_ours(out) && record_inside(out).is_none();
        if !ours && !empty {
            return Err(format!(
                "refusing to replace `{}`: it was not written by commonthread",
                out.display()
            ));
        }
        if exchange(staging, out) {
            // `staging` now holds the previous output.
            return Ok((!remove_tree(staging)).then(|| staging.to_path_buf()));
        }
        std::fs::rename(out, previous)
            .map_err(|e| format!("cannot move the previous output aside: {e}"))?;
    }
    if let Err(e) = std::fs::rename(staging, out) {
        if existed {
            let _ = std::fs::rename(previous, out);
        }
        return Err(format!("cannot move the new output into place: {e}"));
    }
    Ok((existed && !remove_tree(previous)).then(|| previous.to_path_buf()))
}

/// Removes a previous output folder, its top-level entries spread over a
/// few threads. Unlinking tens of thousands of files waits on the file
/// system more than on the CPU: at 10,000 engagements (22,501 pages) one
/// thread took 2.2 s here and four took 1.0 s, on two cores. Best effort:
/// what cannot be removed is left, as `remove_dir_all` would.
/// The marker goes last, so that a removal cut short (a build killed
/// meanwhile) leaves a folder the next build still knows as its own and
/// clears (`remove_leftovers`).
fn remove_tree(dir: &Path) -> bool {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let threads = (rayon::current_num_threads() * 2).clamp(1, 8);
    let entries: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .filter(|e| e.file_name() != MARKER)
            .map(|e| e.path())
            .collect(),
        Err(_) => {
            let _ = std::fs::remove_dir_all(dir);
            return std::fs::symlink_metadata(dir).is_err();
        }
    };
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads.min(entries.len()) {
            scope.spawn(|| {
                while let Some(path) = entries.get(next.fetch_add(1, Ordering::Relaxed)) {
                    // Not followed: a link is removed, never what it points at.
                    match std::fs::symlink_metadata(path) {
                        Ok(meta) if meta.is_dir() => {
                            let _ = std::fs::remove_dir_all(path);
                        }
                        _ => {
                            let _ = std::fs::remove_file(path);
                        }
                    }
                }
            });
        }
    });
    // The marker stays with whatever could not be removed, so the next
    // build still knows the folder as its own.
    let others_left = std::fs::read_dir(dir)
        .is_ok_and(|mut entries| entries.any(|e| e.is_ok_and(|e| e.file_name() != MARKER)));
    if !others_left {
        let _ = std::fs::remove_dir_all(dir);
    }
    std::fs::symlink_metadata(dir).is_err()
}

/// Pieces written from many threads in any order and read back by key in
/// another: one file, not a file per piece. (engagements.json's client parts
/// wait here; at 100,000 engagements a file each meant 25,000 files created
/// in one folder, read back and removed, 4.5 s of a build.)
pub struct Spill {
    path: PathBuf,
    state: std::sync::Mutex<SpillState>,
}

struct SpillState {
    file: std::fs::File,
    end: u64,
    pieces: std::collections::HashMap<usize, (u64, usize)>,
}

impl Spill {
    pub fn create(path: PathBuf) -> Result<Spill, String> {
        let file = std::fs::File::create(&path)
            .map_err(|e| format!("cannot create `{}`: {e}", path.display()))?;
        Ok(Spill {
            path,
            state: std::sync::Mutex::new(SpillState {
                file,
                end: 0,
                pieces: std::collections::HashMap::new(),
            }),
        })
    }

    pub fn put(&self, key: usize, bytes: &[u8]) -> Result<(), String> {
        use std::io::Write;
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state
            .file
            .write_all(bytes)
            .map_err(|e| format!("cannot write `{}`: {e}", self.path.display()))?;
        let at = state.end;
        state.pieces.insert(key, (at, bytes.len()));
        state.end += bytes.len() as u64;
        Ok(())
    }

    /// Removes the file unread.
    pub fn discard(self) -> Result<(), String> {
        let state = self.state.into_inner().unwrap_or_else(|e| e.into_inner());
        drop(state.file);
        std::fs::remove_file(&self.path).map_err(|e| format!("cannot tidy the staging folder: {e}"))
    }

    /// Done writing: the pieces can be read back.
    pub fn into_reader(self) -> Result<SpillReader, String> {
        let state = self.state.into_inner().unwrap_or_else(|e| e.into_inner());
        drop(state.file);
        let file = std::fs::File::open(&self.path)
            .map_err(|e| format!("cannot read `{}`: {e}", self.path.display()))?;
        Ok(SpillReader {
            path: self.path,
            file,
            pieces: state.pieces,
        })
    }
}

pub struct SpillReader {
    path: PathBuf,
    file: std::fs::File,
    pieces: std::collections::HashMap<usize, (u64, usize)>,
}

impl SpillReader {
    /// The piece put under `key` (empty for a key never put).
    pub fn get(&mut self, key: usize) -> Result<Vec<u8>, String> {
        use std::io::{Read, Seek, SeekFrom};
        let mut piece = Vec::new();
        if let Some(&(at, len)) = self.pieces.get(&key) {
            let fail = |e: std::io::Error| format!("cannot read `{}`: {e}", self.path.display());
            piece.resize(len, 0);
            self.file.seek(SeekFrom::Start(at)).map_err(fail)?;
            self.file.read_exact(&mut piece).map_err(fail)?;
        }
        Ok(piece)
    }

    /// Removes the file.
    pub fn finish(self) -> Result<(), String> {
        drop(self.file);
        std::fs::remove_file(&self.path).map_err(|e| format!("cannot tidy the staging folder: {e}"))
    }
}

/// Marks an existing output folder as ours (serve writes into it in place).
pub fn mark_as_ours(dir: &Path) -> Result<(), String> {
    if is_ours(dir) {
        return Ok(());
    }
    std::fs::write(dir.join(MARKER), MARKER_TEXT)
        .map_err(|e| format!("cannot write the output marker: {e}"))
}

/// Adds `files` to an output folder, replacing only those files: used by
/// `audit`, whose pages live beside the build's. An absent or empty OUT is
/// created whole; a foreign one was refused by `check_target`.
pub fn add_files(out: &Path, files: &[OutputFile]) -> Result<(), String> {
    if !is_ours(out) {
        return write_atomically(out, files);
    }
    let sink = InPlace(out.to_path_buf());
    files
        .iter()
        .try_for_each(|file| sink.write(&file.path, &file.bytes))
}

/// Files under `folder` of a previous output of ours, to carry into the
/// next build (the quarterly audits are not rebuilt by `build`).
pub fn carry_over(out: &Path, folder: &str) -> Vec<OutputFile> {
    if !is_ours(out) {
        return Vec::new();
    }
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(out.join(folder))
        .follow_links(false)
        .follow_root_links(false)
        .sort_by_file_name()
    {
        let Ok(entry) = entry else { continue };
        if !entry.file_type().is_file() || entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let Ok(bytes) = std::fs::read(entry.path()) else {
            continue;
        };
        let Ok(relative) = entry.path().strip_prefix(out) else {
            continue;
        };
        let path: Vec<String> = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        files.push(OutputFile {
            path: path.join("/"),
            bytes,
        });
    }
    files
}

/// Swaps two folders in one atomic step, where the system can: an
/// interrupted build then never leaves OUT missing or half written.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> bool {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).is_ok()
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> OutputFile {
        OutputFile {
            path: path.into(),
            bytes: text.as_bytes().to_vec(),
        }
    }

    #[test]
    fn a_leftover_holding_a_marker_cut_short_is_removed() {
        let parent = tempfile::tempdir().unwrap();
        let cut = parent.path().join(".public.commonthread-new-123");
        std::fs::create_dir(&cut).unwrap();
        std::fs::write(cut.join(MARKER), &MARKER_TEXT[..10]).unwrap();
        // A folder of the same name holding something else is the user's.
        let theirs = parent.path().join(".public.commonthread-old-456");
        std::fs::create_dir(&theirs).unwrap();
        std::fs::write(theirs.join("notes.txt"), "mine").unwrap();
        remove_leftovers(parent.path(), "public");
        assert!(!cut.exists());
        assert!(theirs.join("notes.txt").exists());
    }

    #[test]
    fn a_file_is_the_same_only_byte_for_byte() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("page.html");
        // Larger than one piece of the comparison, and not a multiple of it.
        let page: Vec<u8> = (0..200_003u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&file, &page).unwrap();
        assert!(same_file_there(&file, &page));
        for at in [0, 65_535, 65_536, 200_002] {
            let mut other = page.clone();
            other[at] ^= 1;
            assert!(!same_file_there(&file, &other), "a change at {at}");
        }
        assert!(!same_file_there(&file, &page[..200_002]));
        std::fs::write(&file, b"").unwrap();
        assert!(same_file_there(&file, b""));
        assert!(!same_file_there(&dir.path().join("absent.html"), b""));
        assert!(!same_file_there(dir.path(), b""));
    }

    #[test]
    fn spilled_pieces_come_back_in_the_order_asked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("parts");
        let spill = Spill::create(path.clone()).unwrap();
        std::thread::scope(|scope| {
            for key in 0..40 {
                let spill = &spill;
                scope.spawn(move || spill.put(key, format!("piece {key};").as_bytes()).unwrap());
            }
        });
        let mut reader = spill.into_reader().unwrap();
        let read: Vec<String> = [39, 0, 7, 99, 7]
            .into_iter()
            .map(|key| String::from_utf8(reader.get(key).unwrap()).unwrap())
            .collect();
        assert_eq!(read, ["piece 39;", "piece 0;", "piece 7;", "", "piece 7;"]);
        reader.finish().unwrap();
        assert!(!path.exists(), "the spill file is removed");
    }

    #[cfg(unix)]
    #[test]
    fn removing_a_tree_takes_everything_in_it_and_nothing_it_links_to() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("keep.txt");
        std::fs::write(&outside, "the user's").unwrap();
        let tree = dir.path().join("old");
        for client in 0..20 {
            let folder = tree.join(format!("client-{client}/engagement"));
            std::fs::create_dir_all(&folder).unwrap();
            std::fs::write(folder.join("scorecard.html"), "page").unwrap();
        }
        std::fs::write(tree.join("index.html"), "page").unwrap();
        std::os::unix::fs::symlink(&outside, tree.join("link")).unwrap();
        std::os::unix::fs::symlink(dir.path(), tree.join("client-0/up")).unwrap();
        remove_tree(&tree);
        assert!(!tree.exists());
        assert_eq!(std::fs::read_to_string(&outside).unwrap(), "the user's");
    }

    #[test]
    fn writes_then_replaces_its_own_output() {
        let dir = tempfile::tempdir().unwrap();
        let records = dir.path().join("records");
        std::fs::create_dir(&records).unwrap();
        let out = dir.path().join("public");
        check_target(&out, &records).unwrap();
        write_atomically(&out, &[file("index.html", "one"), file("a/b.html", "two")]).unwrap();
        assert_eq!(
            std::fs::read_to_string(out.join("a/b.html")).unwrap(),
            "two"
        );
        check_target(&out, &records).unwrap();
        write_atomically(&out, &[file("index.html", "three")]).unwrap();
        assert_eq!(
            std::fs::read_to_string(out.join("index.html")).unwrap(),
            "three"
        );
        assert!(!out.join("a").exists());
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers.len(), 2, "{leftovers:?}");
    }

    /// A build whose every file is already in OUT, byte for byte, leaves
    /// OUT as it is: same folder, same files, nothing beside it.
    #[cfg(unix)]
    #[test]
    fn a_rebuild_that_changes_nothing_touches_nothing() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let files = [file("index.html", "one"), file("a/b/c.html", "two")];
        write_atomically(&out, &files).unwrap();
        let inode = |path: &Path| std::fs::metadata(path).unwrap().ino();
        let before = [
            inode(&out),
            inode(&out.join("a/b")),
            inode(&out.join("a/b/c.html")),
        ];
        write_atomically(&out, &files).unwrap();
        let after = [
            inode(&out),
            inode(&out.join("a/b")),
            inode(&out.join("a/b/c.html")),
        ];
        assert_eq!(before, after);
        let beside: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(beside.len(), 1, "{beside:?}");
        // One file different, and the rest is assembled around it.
        let index = inode(&out.join("index.html"));
        write_atomically(
            &out,
            &[file("index.html", "one"), file("a/b/c.html", "three")],
        )
        .unwrap();
        assert_ne!(inode(&out), before[0]);
        assert_eq!(
            inode(&out.join("index.html")),
            index,
            "linked, not written again"
        );
        assert_eq!(
            std::fs::read_to_string(out.join("index.html")).unwrap(),
            "one"
        );
        assert_eq!(
            std::fs::read_to_string(out.join("a/b/c.html")).unwrap(),
            "three"
        );
    }

    /// What OUT holds beyond this build's files (a client since removed, a
    /// file or folder someone put there) goes, even when every file this
    /// build writes is already there.
    #[test]
    fn what_the_build_no_longer_writes_goes_even_when_nothing_else_changed() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        write_atomically(
            &out,
            &[file("index.html", "one"), file("gone/x.html", "two")],
        )
        .unwrap();
        write_atomically(&out, &[file("index.html", "one")]).unwrap();
        assert!(!out.join("gone").exists());
        std::fs::create_dir(out.join("empty")).unwrap();
        write_atomically(&out, &[file("index.html", "one")]).unwrap();
        assert!(!out.join("empty").exists());
        std::fs::write(out.join("notes.txt"), "mine").unwrap();
        write_atomically(&out, &[file("index.html", "one")]).unwrap();
        assert!(!out.join("notes.txt").exists());
        assert!(out.join(MARKER).is_file());
        assert_eq!(
            std::fs::read_to_string(out.join("index.html")).unwrap(),
            "one"
        );
    }

    /// A page kept from the previous output and then taken back (its client
    /// rendered after all) is written as a new file: never through a link
    /// into the previous output, before or after assembling began.
    #[test]
    fn a_page_taken_back_is_written_anew_not_through_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        write_atomically(
            &out,
            &[
                file("a.html", "old a"),
                file("b.html", "old b"),
                file("c.html", "old c"),
            ],
        )
        .unwrap();
        // Elsewhere, the previous output's files, as a reader might hold them.
        let held = dir.path().join("held");
        std::fs::create_dir(&held).unwrap();
        for name in ["a.html", "b.html", "c.html"] {
            std::fs::hard_link(out.join(name), held.join(name)).unwrap();
        }
        let staging = Staging::create(&out).unwrap();
        staging.link_previous("a.html").unwrap();
        staging.forget("a.html");
        staging.write_new("a.html", b"new a").unwrap();
        staging.link_previous("b.html").unwrap();
        staging.forget("b.html");
        staging.write_new("b.html", b"new b").unwrap();
        // Even a page linked and then written without being taken back.
        staging.link_previous("c.html").unwrap();
        staging.write_new("c.html", b"new c").unwrap();
        staging.commit().unwrap();
        assert_eq!(
            std::fs::read_to_string(out.join("c.html")).unwrap(),
            "new c"
        );
        assert_eq!(
            std::fs::read_to_string(held.join("c.html")).unwrap(),
            "old c"
        );
        assert_eq!(
            std::fs::read_to_string(out.join("a.html")).unwrap(),
            "new a"
        );
        assert_eq!(
            std::fs::read_to_string(out.join("b.html")).unwrap(),
            "new b"
        );
        assert_eq!(
            std::fs::read_to_string(held.join("a.html")).unwrap(),
            "old a"
        );
        assert_eq!(
            std::fs::read_to_string(held.join("b.html")).unwrap(),
            "old b"
        );
    }

    /// A file streamed into the staging folder and adopted: kept from OUT
    /// when the same, taken as it is when not.
    #[cfg(unix)]
    #[test]
    fn an_adopted_file_is_compared_with_the_one_in_the_output() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        write_atomically(&out, &[file("data.json", "{}")]).unwrap();
        let folder = std::fs::metadata(&out).unwrap().ino();
        for (text, same) in [("{}", true), ("{\"a\":1}", false)] {
            let staging = Staging::create(&out).unwrap();
            std::fs::write(staging.scratch("data.json"), text).unwrap();
            staging.adopt("data.json").unwrap();
            staging.commit().unwrap();
            assert_eq!(
                std::fs::read_to_string(out.join("data.json")).unwrap(),
                text
            );
            assert_eq!(
                std::fs::metadata(&out).unwrap().ino() == folder,
                same,
                "{text}"
            );
        }
    }

    /// The tool's own file, differing alone, is replaced in OUT by itself;
    /// with a page differing too, OUT is assembled anew with both.
    #[cfg(unix)]
    #[test]
    fn a_file_of_our_own_differing_alone_is_replaced_in_place() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        write_atomically(&out, &[file("a/page.html", "page")]).unwrap();
        let folder = std::fs::metadata(&out).unwrap().ino();
        let build = |own: &str, page: &str| {
            let staging = Staging::create(&out).unwrap();
            staging.write("a/page.html", page.as_bytes()).unwrap();
            std::fs::write(staging.scratch(".own"), own).unwrap();
            staging.adopt_own(".own").unwrap();
            staging.commit().unwrap();
            assert_eq!(std::fs::read_to_string(out.join(".own")).unwrap(), own);
            assert_eq!(
                std::fs::read_to_string(out.join("a/page.html")).unwrap(),
                page
            );
            std::fs::metadata(&out).unwrap().ino() == folder
        };
        assert!(build("first", "page"), "absent from OUT: added in place");
        assert!(build("second", "page"), "changed: replaced in place");
        assert!(build("second", "page"), "the same: kept");
        assert!(!build("third", "new page"), "with a page: assembled anew");
        let beside: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(beside.len(), 1, "{beside:?}");
    }

    #[test]
    fn refuses_foreign_folders_files_and_the_records_themselves() {
        let dir = tempfile::tempdir().unwrap();
        let records = dir.path().join("records");
        std::fs::create_dir(&records).unwrap();
        let foreign = dir.path().join("mine");
        std::fs::create_dir(&foreign).unwrap();
        std::fs::write(foreign.join("thesis.docx"), "precious").unwrap();
        assert!(
            check_target(&foreign, &records)
                .unwrap_err()
                .contains("not empty")
        );
        assert!(
            check_target(&foreign.join("thesis.docx"), &records)
                .unwrap_err()
                .contains("is a file")
        );
        assert!(
            check_target(&records, &records)
                .unwrap_err()
                .contains("holds the records")
        );
        assert!(
            check_target(dir.path(), &records)
                .unwrap_err()
                .contains("holds the records")
        );
        assert!(check_target(Path::new("/"), &records).is_err());
        // Inside the records folder is fine: it is skipped when reading.
        check_target(&records.join("public"), &records).unwrap();
        // A marker with other content is not ours.
        std::fs::write(foreign.join(MARKER), "spoofed").unwrap();
        assert!(check_target(&foreign, &records).is_err());
        assert_eq!(
            std::fs::read_to_string(foreign.join("thesis.docx")).unwrap(),
            "precious"
        );
    }
}
