//! The records' git history, read with gix: the commit the records are at
//! (provenance), each record as it was at a revision (`--since REV`), and
//! the moves of a milestone's due date between the two.
//!
//! This is part of the load step: it reads old versions of files and hands
//! them on as typed records; the rules that compare them live in
//! `rules/history.rs`, the "what changed" lists in `figures.rs`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use gix::ObjectId;

use crate::discover::{CLIENT_FILE, CONFIG_FILE, Inventory};
use crate::model::{Date, Engagement};

/// The longest first-parent chain walked from HEAD back to REV.
const MAX_CHAIN: usize = 100_000;

/// The git repository the records folder is in.
pub struct Git {
    repo: gix::ThreadSafeRepository,
    /// The records folder relative to the work tree, `/`-separated, empty
    /// at the top, else ending in `/`.
    prefix: String,
}

/// Which commit the pages were made from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Provenance {
    pub commit: String,
    /// A record differs from that commit (changed, added or deleted).
    pub uncommitted: bool,
    /// By client (index into `Inventory::clients`): one of its records, or
    /// the configuration, differs from that commit. A client's pages say
    /// "not yet committed" only for their own records, so that editing one
    /// client does not change every other client's pages.
    pub clients: Vec<bool>,
}

impl Provenance {
    pub fn short(&self) -> &str {
        &self.commit[..self.commit.len().min(12)]
    }

    /// Whether the client's records (or the configuration) differ from the
    /// commit.
    pub fn uncommitted_for(&self, client: usize) -> bool {
        self.clients
            .get(client)
            .copied()
            .unwrap_or(self.uncommitted)
    }
}

/// Finds the git work tree that holds `dir`; `None` outside one (or in a
/// bare repository), which is not an error: everything but `--since` works.
pub fn open(dir: &Path) -> Option<Git> {
    // As git does: GIT_DIR and GIT_CEILING_DIRECTORIES are honoured.
    let options = gix::discover::upwards::Options {
        match_ceiling_dir_or_error: false,
        ..Default::default()
    };
    // An absolute path, for the ceiling directories to compare with.
    let dir = std::fs::canonicalize(dir).ok()?;
    let repo = gix::ThreadSafeRepository::discover_with_environment_overrides_opts(
        &dir,
        options,
        Default::default(),
    )
    .ok()?
    .to_thread_local();
    let workdir = std::fs::canonicalize(repo.workdir()?).ok()?;
    let relative = dir.strip_prefix(&workdir).ok()?;
    let mut prefix = String::new();
    for part in relative.components() {
        prefix.push_str(part.as_os_str().to_str()?);
        prefix.push('/');
    }
    Some(Git {
        repo: repo.into_sync(),
        prefix,
    })
}

/// `--since` outside a git repository.
pub fn not_a_repository(dir: &Path) -> String {
    format!(
        "--since compares the records with their git history, but `{}` is not inside a git repository (run `git init` and commit the records, or leave out --since)",
        dir.display()
    )
}

impl Git {
    /// HEAD's commit and whether any record differs from it; `None` before
    /// the first commit.
    pub fn provenance(&self, root: &Path, inventory: &Inventory) -> Option<Provenance> {
        let repo = self.repo.to_thread_local();
        let head = repo.head_commit().ok()?;
        let tree = head.tree().ok()?;
        let committed = list_files(&repo, tree.id, &self.prefix).ok()?;
        // Each record file with the client it belongs to (None: the
        // configuration, or an engagement outside any client folder).
        let mut ours: Vec<(String, Option<usize>)> = inventory
            .engagements
            .iter()
            .map(|e| (e.file.clone(), e.client))
            .chain(
                inventory
                    .clients
                    .iter()
                    .enumerate()
                    .map(|(index, c)| (c.client_file(), Some(index))),
            )
            .collect();
        if inventory.has_config {
            ours.push((CONFIG_FILE.to_owned(), None));
        }
        use rayon::prelude::*;
        let changed: Vec<bool> = ours
            .par_iter()
            .map(|(file, _)| {
                let Some(id) = committed.get(file) else {
                    return true;
                };
                match std::fs::read(root.join(file)) {
                    Ok(bytes) => !same_blob(&bytes, *id),
                    Err(_) => true,
                }
            })
            .collect();
        // Records deleted from the work tree but still in the commit.
        let deleted: Vec<&String> = committed
            .keys()
            .filter(|file| {
                is_record_path(file) && std::fs::symlink_metadata(root.join(file)).is_err()
            })
            .collect();
        let mut clients = vec![false; inventory.clients.len()];
        let mut everyone = false;
        for ((file, client), changed) in ours.iter().zip(&changed) {
            match (changed, client) {
                (false, _) => {}
                (true, Some(index)) => clients[*index] = true,
                // An engagement outside every client appears on no client's page.
                (true, None) => everyone |= file == CONFIG_FILE,
            }
        }
        // A deleted record belongs to the nearest client folder above it.
        let folders: HashMap<&str, usize> = inventory
            .clients
            .iter()
            .enumerate()
            .map(|(index, c)| (c.dir.as_str(), index))
            .collect();
        let owner = |file: &str| -> Option<usize> {
            let mut at = file;
            loop {
                let folder = at.rsplit_once('/').map_or("", |(folder, _)| folder);
                if let Some(&index) = folders.get(folder) {
                    return Some(index);
                }
                if folder.is_empty() {
                    return None;
                }
                at = folder;
            }
        };
        for file in &deleted {
            everyone |= file.as_str() == CONFIG_FILE;
            if let Some(index) = owner(file) {
                clients[index] = true;
            }
        }
        if everyone {
            clients.iter_mut().for_each(|c| *c = true);
        }
        Some(Provenance {
            commit: head.id.to_string(),
            uncommitted: changed.iter().any(|&c| c) || !deleted.is_empty(),
            clients,
        })
    }

    /// The records as they were at `rev`. Errors are whole sentences that
    /// say what to do (a shallow clone, an unknown revision).
    pub fn since(&self, rev: &str) -> Result<Since, String> {
        self.between(rev, None)
    }

    /// As `since`, but comparing with commit `end` instead of HEAD (the
    /// audit looks at one quarter of the history).
    pub fn between(&self, rev: &str, end: Option<ObjectId>) -> Result<Since, String> {
        let repo = self.repo.to_thread_local();
        let shallow = repo.is_shallow().unwrap_or(false);
        let commit = repo
            .rev_parse_single(rev)
            .ok()
            .and_then(|id| id.object().ok()?.peel_to_commit().ok());
        let Some(commit) = commit else {
            // An unborn HEAD: `git init` and nothing committed yet.
            let no_commits = repo.head_id().is_err();
            return Err(if no_commits {
                format!(
                    "`{rev}` names no commit: the records' git repository has no commits yet. Commit the records first (`git add -A && git commit`), then compare with a later commit"
                )
            } else if shallow {
                // Beyond a shallow clone's edge, or not fetched, or a typo:
                // git cannot tell which, so the message names both.
                format!(
                    "`{rev}` is not in this clone: the clone is shallow, so it may lie beyond the history fetched. Fetch the history first (`git fetch --unshallow --tags`; in GitHub Actions, set `fetch-depth: 0` on actions/checkout); if it is there already, check the name (`git log --oneline`)"
                )
            } else {
                format!(
                    "`{rev}` is not a commit, tag or branch of the records' git repository (try `git log --oneline` to pick one)"
                )
            });
        };
        let tree = commit
            .tree()
            .map_err(|e| format!("cannot read `{rev}`: {e}"))?;
        let files = list_files(&repo, tree.id, &self.prefix)
            .map_err(|e| format!("cannot read the records at `{rev}`: {e}"))?;
        let mut by_identity: HashMap<(String, String), Vec<String>> = HashMap::new();
        for path in files.keys() {
            if let Some(key) = identity(path, &files) {
                by_identity.entry(key).or_default().push(path.clone());
            }
        }
        let end = match end {
            Some(end) => Some(end),
            None => repo.head_id().ok().map(|id| id.detach()),
        };
        let chain = end.map_or_else(Vec::new, |end| first_parent_chain(&repo, end, commit.id));
        Ok(Since {
            rev: rev.to_owned(),
            end,
            commit: commit.id,
            date: commit_date(&commit),
            files,
            by_identity,
            chain,
            renames: OnceLock::new(),
            changes_along_chain: OnceLock::new(),
            work_tree: None,
            repo: self.repo.clone(),
            prefix: self.prefix.clone(),
        })
    }
}

impl Git {
    /// Whether this is a shallow clone (its history cut short).
    pub fn is_shallow(&self) -> bool {
        self.repo.to_thread_local().is_shallow().unwrap_or(false)
    }

    /// The newest commit of HEAD's first-parent history made before `day`
    /// (by its committer's date), for the audit's start of a quarter.
    pub fn last_commit_before(&self, day: Date) -> Option<(ObjectId, Date)> {
        let repo = self.repo.to_thread_local();
        let mut commit = repo.head_commit().ok()?;
        for _ in 0..MAX_CHAIN {
            let date = commit_date(&commit);
            if date < day {
                return Some((commit.id, date));
            }
            let parent = commit.parent_ids().next()?;
            commit = parent.object().ok()?.try_into_commit().ok()?;
        }
        None
    }
}

impl Since {
    /// The history rules between REV and the end commit, file by file, as
    /// positions in the end commit's version of each file (the audit's
    /// account of one quarter; `check --since` looks at the work tree).
    pub fn findings(&self, as_of: Date) -> Vec<crate::diagnostics::Diagnostic> {
        let mut out = Vec::new();
        let Some(end) = self.end else {
            return out;
        };
        let repo = self.repo.to_thread_local();
        let Ok(tree) = repo.find_commit(end).and_then(|c| c.tree()) else {
            return out;
        };
        let Ok(files) = list_files(&repo, tree.id, &self.prefix) else {
            return out;
        };
        let mut paths: Vec<&String> = files.keys().collect();
        paths.sort();
        for path in paths {
            let Some((client, slug)) = identity(path, &files) else {
                continue;
            };
            let Some(old) = self.old_path(path, &client, &slug) else {
                continue;
            };
            let (id, old_id) = (files[path], self.files[&old]);
            if id == old_id {
                continue;
            }
            let (Some(now), Some(then)) = (
                repo.find_blob(id)
                    .ok()
                    .and_then(|b| String::from_utf8(b.data.clone()).ok()),
                self.read_engagement(&old, old_id),
            ) else {
                continue;
            };
            let source = crate::load::Source {
                file: path.clone(),
                text: now,
            };
            let mut ignored = Vec::new();
            let Some(loaded) = crate::load::engagement_from_source(source, &mut ignored) else {
                continue;
            };
            let (Some(record), Some(node)) = (&loaded.record, &loaded.tree) else {
                continue;
            };
            let past = PastVersion {
                file: old,
                record: Some(then),
            };
            let moves = self.due_moves(&past, path, record, as_of);
            let context = crate::rules::engagement::Context {
                file: path,
                tree: node,
                as_of,
                settings: Default::default(),
            };
            let compared = crate::rules::history::Compared {
                rev: &self.rev,
                moves: &moves,
            };
            let first = out.len();
            if let Some(then) = &past.record {
                crate::rules::history::check(record, then, &compared, &context, &mut out);
            }
            crate::diagnostics::Diagnostic::attach_sources(&mut out[first..], &loaded.source.text);
        }
        out
    }
}

/// By path: (step of the chain, the new blob or None when deleted).
/// Each path's versions along the chain, and the paths by the client
/// folder and file name they were at (a record moved within its client
/// keeps both).
#[derive(Default)]
struct ChainIndex {
    versions: HashMap<String, Vec<(usize, Option<ObjectId>)>>,
    by_place: HashMap<(String, String), Vec<String>>,
}

/// A record's client folder (the first folder of its path) and its file
/// name: the same for a record moved into a subfolder of its client.
fn place(path: &str) -> (String, String) {
    let client = path.split('/').next().unwrap_or_default();
    let name = path.rsplit('/').next().unwrap_or_default();
    (client.to_owned(), name.to_owned())
}

/// One commit of the first-parent chain from REV (exclusive) to HEAD.
#[derive(Clone, Debug)]
struct Step {
    tree: ObjectId,
    date: Date,
}

/// The records at REV, and the commits since.
pub struct Since {
    /// The revision as the user wrote it.
    pub rev: String,
    /// What REV is compared with: HEAD's commit (the work tree's records
    /// beyond it are the last step), or a commit of the audit's choosing.
    pub end: Option<ObjectId>,
    pub commit: ObjectId,
    /// The day REV was committed.
    pub date: Date,
    /// Every file under the records folder at REV, relative to it.
    files: HashMap<String, ObjectId>,
    /// Engagement files at REV by (client slug, engagement slug).
    by_identity: HashMap<(String, String), Vec<String>>,
    /// Oldest first; empty when REV is not an ancestor of HEAD.
    chain: Vec<Step>,
    /// git's rename detection between REV and HEAD: new path → old path.
    renames: OnceLock<HashMap<String, String>>,
    /// Each file's versions along the chain (see `index_chain`).
    changes_along_chain: OnceLock<ChainIndex>,
    /// The engagements now, when comparing with the work tree.
    work_tree: Option<WorkTree>,
    repo: gix::ThreadSafeRepository,
    prefix: String,
}

#[derive(Default)]
struct WorkTree {
    paths: std::collections::HashSet<String>,
    identities: std::collections::HashSet<(String, String)>,
}

/// An engagement as it was at REV.
pub struct PastVersion {
    /// Where the file was at REV (it may have been renamed since).
    pub file: String,
    /// `None` when the file at REV could not be read as an engagement.
    pub record: Option<Engagement>,
}

/// A change of a milestone's due date in the history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueMove {
    pub from: Date,
    pub to: Date,
    /// The day of the commit that made it; the as-of date for a change not
    /// committed yet.
    pub on: Date,
}

/// Where a file's history is to be looked for.
pub enum Lookup {
    /// Another text than at REV.
    Changed(Box<PastVersion>),
    Unchanged,
    /// No such engagement at REV.
    New,
}

impl std::fmt::Debug for Since {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Since")
            .field("rev", &self.rev)
            .field("commit", &self.commit)
            .field("files", &self.files.len())
            .field("chain", &self.chain.len())
            .finish()
    }
}

impl Since {
    /// Short commit id for messages and pages.
    pub fn short(&self) -> String {
        let id = self.commit.to_string();
        id[..12.min(id.len())].to_owned()
    }

    /// The version at REV of the engagement `client`/`slug` now at `file`
    /// with `text`: the same path, else the same client and slug anywhere
    /// in the client's folder, else git's rename detection.
    pub fn lookup(&self, file: &str, client: &str, slug: &str, text: &str) -> Lookup {
        let Some(old) = self
            .old_path(file, client, slug)
            .or_else(|| self.renamed_in_work_tree(client, text))
        else {
            return Lookup::New;
        };
        let id = self.files[&old];
        if same_blob(text.as_bytes(), id) {
            return Lookup::Unchanged;
        }
        let record = self.read_engagement(&old, id);
        Lookup::Changed(Box::new(PastVersion { file: old, record }))
    }

    fn old_path(&self, file: &str, client: &str, slug: &str) -> Option<String> {
        if self.files.contains_key(file) {
            return Some(file.to_owned());
        }
        if let Some(paths) = self.by_identity.get(&(client.to_owned(), slug.to_owned()))
            && paths.len() == 1
        {
            return Some(paths[0].clone());
        }
        let renamed = self.renames.get_or_init(|| self.detect_renames());
        renamed
            .get(file)
            .filter(|old| self.files.contains_key(*old))
            .cloned()
    }

    /// What the records folder holds now, for renames not committed yet.
    pub fn with_work_tree(mut self, inventory: &Inventory) -> Since {
        let mut now = WorkTree::default();
        for e in &inventory.engagements {
            now.paths.insert(e.file.clone());
            if let Some(client) = e.client {
                now.identities
                    .insert((inventory.clients[client].slug.clone(), e.slug.clone()));
            }
        }
        self.work_tree = Some(now);
        self
    }

    /// git's rename detection for a rename not committed yet: among the
    /// engagements at REV that are gone from the work tree (by path and by
    /// slug), the one whose text shares the most lines with `text`, when
    /// at least half of them. The client's own come first; then any
    /// client's, for a record moved to another client or a client folder
    /// renamed (which git would follow once committed).
    fn renamed_in_work_tree(&self, client: &str, text: &str) -> Option<String> {
        let now = self.work_tree.as_ref()?;
        let mut gone: Vec<(bool, &String)> = self
            .by_identity
            .iter()
            .filter(|(key, _)| !now.identities.contains(key))
            .flat_map(|((c, _), paths)| paths.iter().map(move |path| (c == client, path)))
            .filter(|(_, path)| !now.paths.contains(*path))
            .collect();
        gone.sort();
        let repo = self.repo.to_thread_local();
        let mut best: Option<(bool, f64, &String)> = None;
        for (own_client, path) in gone {
            if best.is_some_and(|(own, ..)| own && !own_client) {
                continue;
            }
            let Ok(blob) = repo.find_blob(self.files[path]) else {
                continue;
            };
            let Ok(old) = std::str::from_utf8(&blob.data) else {
                continue;
            };
            let score = similarity(old, text);
            let better = match best {
                None => true,
                Some((own, b, _)) => (own_client, score) > (own, b),
            };
            if score >= 0.5 && better {
                best = Some((own_client, score, path));
            }
        }
        best.map(|(.., path)| path.clone())
    }

    fn detect_renames(&self) -> HashMap<String, String> {
        let repo = self.repo.to_thread_local();
        let mut found = HashMap::new();
        let Some(end) = self.end else {
            return found;
        };
        let (Ok(old), Ok(head)) = (
            repo.find_commit(self.commit).and_then(|c| c.tree()),
            repo.find_commit(end).and_then(|c| c.tree()),
        ) else {
            return found;
        };
        let options = gix::diff::Options::default().with_rewrites(Some(Default::default()));
        let Ok(changes) = repo.diff_tree_to_tree(&old, &head, options) else {
            return found;
        };
        for change in changes {
            if let gix::object::tree::diff::ChangeDetached::Rewrite {
                source_location,
                location,
                copy: false,
                ..
            } = change
            {
                let (Ok(from), Ok(to)) = (
                    std::str::from_utf8(&source_location),
                    std::str::from_utf8(&location),
                ) else {
                    continue;
                };
                if let (Some(from), Some(to)) = (
                    from.strip_prefix(self.prefix.as_str()),
                    to.strip_prefix(self.prefix.as_str()),
                ) {
                    found.insert(to.to_owned(), from.to_owned());
                }
            }
        }
        found
    }

    fn read_engagement(&self, path: &str, id: ObjectId) -> Option<Engagement> {
        let repo = self.repo.to_thread_local();
        let blob = repo.find_blob(id).ok()?;
        parse_engagement(path, &blob.data)
    }

    /// Every change of each milestone's due date from REV to `current`,
    /// oldest first, for the milestones whose due date differs. `past` is
    /// the file's path at REV; `file` its path now.
    pub fn due_moves(
        &self,
        past: &PastVersion,
        file: &str,
        current: &Engagement,
        as_of: Date,
    ) -> HashMap<String, Vec<DueMove>> {
        let mut moves: HashMap<String, Vec<DueMove>> = HashMap::new();
        let Some(before) = &past.record else {
            return moves;
        };
        let mut due = due_dates(before);
        let moved: Vec<&str> = current
            .milestones
            .iter()
            .filter(|m| due.get(m.id.as_str()).is_some_and(|d| *d != m.due))
            .map(|m| m.id.as_str())
            .collect();
        if moved.is_empty() {
            return moves;
        }
        let repo = self.repo.to_thread_local();
        let index = self.changes_along_chain.get_or_init(|| self.index_chain());
        // The versions this file took along the chain, at its path now or
        // at REV (a rename shows as one path gone and the other added), or
        // at any path within its client under either name (moved into a
        // subfolder in a commit, then again in the work tree).
        let mut paths: Vec<&str> = [file, past.file.as_str()]
            .into_iter()
            .flat_map(|path| {
                index
                    .by_place
                    .get(&place(path))
                    .into_iter()
                    .flatten()
                    .map(String::as_str)
                    .chain([path])
            })
            .collect();
        paths.sort_unstable();
        paths.dedup();
        let mut versions: Vec<(usize, ObjectId)> = paths
            .into_iter()
            .filter_map(|path| index.versions.get(path))
            .flatten()
            .filter_map(|&(step, id)| Some((step, id?)))
            .collect();
        versions.sort_by_key(|&(step, _)| step);
        versions.dedup();
        let mut last_blob = self.files.get(&past.file).copied();
        for (step, id) in versions {
            let step = &self.chain[step];
            if Some(id) == last_blob {
                continue;
            }
            last_blob = Some(id);
            let Some(version) = repo
                .find_blob(id)
                .ok()
                .and_then(|b| parse_engagement(file, &b.data))
            else {
                continue;
            };
            record_moves(&mut due, &version, &moved, step.date, &mut moves);
        }
        // What the work tree holds beyond the last commit.
        record_moves(&mut due, current, &moved, as_of, &mut moves);
        moves
    }
}

impl Since {
    /// Every file change along the chain, by path (relative to the records
    /// folder): (step, the new blob or None when deleted). One tree diff a
    /// commit, so looking up a file's versions costs nothing per commit.
    fn index_chain(&self) -> ChainIndex {
        use gix::object::tree::diff::ChangeDetached;
        let mut index = ChainIndex::default();
        let repo = self.repo.to_thread_local();
        let Ok(mut previous) = repo.find_commit(self.commit).and_then(|c| c.tree()) else {
            return index;
        };
        for (i, step) in self.chain.iter().enumerate() {
            let Ok(tree) = repo.find_tree(step.tree) else {
                continue;
            };
            let Ok(changes) =
                repo.diff_tree_to_tree(&previous, &tree, gix::diff::Options::default())
            else {
                previous = tree;
                continue;
            };
            for change in changes {
                let (location, id, mode) = match change {
                    ChangeDetached::Addition {
                        location,
                        id,
                        entry_mode,
                        ..
                    }
                    | ChangeDetached::Modification {
                        location,
                        id,
                        entry_mode,
                        ..
                    } => (location, Some(id), entry_mode),
                    ChangeDetached::Deletion {
                        location,
                        entry_mode,
                        ..
                    } => (location, None, entry_mode),
                    ChangeDetached::Rewrite { .. } => continue,
                };
                if !mode.is_blob() {
                    continue;
                }
                let Ok(path) = std::str::from_utf8(&location) else {
                    continue;
                };
                if let Some(path) = path.strip_prefix(self.prefix.as_str()) {
                    let versions = index.versions.entry(path.to_owned()).or_default();
                    if versions.is_empty() {
                        index
                            .by_place
                            .entry(place(path))
                            .or_default()
                            .push(path.to_owned());
                    }
                    versions.push((i, id));
                }
            }
            previous = tree;
        }
        index
    }
}

fn due_dates(record: &Engagement) -> HashMap<String, Date> {
    record
        .milestones
        .iter()
        .map(|m| (m.id.as_str().to_owned(), m.due))
        .collect()
}

fn record_moves(
    due: &mut HashMap<String, Date>,
    version: &Engagement,
    watched: &[&str],
    on: Date,
    moves: &mut HashMap<String, Vec<DueMove>>,
) {
    for milestone in &version.milestones {
        let id = milestone.id.as_str();
        if !watched.contains(&id) {
            continue;
        }
        if let Some(previous) = due.get_mut(id)
            && *previous != milestone.due
        {
            moves.entry(id.to_owned()).or_default().push(DueMove {
                from: *previous,
                to: milestone.due,
                on,
            });
            *previous = milestone.due;
        }
    }
}

/// An engagement file's front matter as a typed record, quietly: an old
/// version that does not parse is simply not compared.
fn parse_engagement(path: &str, bytes: &[u8]) -> Option<Engagement> {
    let text = std::str::from_utf8(bytes).ok()?.to_owned();
    let source = crate::load::Source {
        file: path.to_owned(),
        text,
    };
    let mut ignored = Vec::new();
    crate::load::engagement_from_source(source, &mut ignored)?.record
}

/// Whether a file's bytes are what git stored as `id`, allowing for the
/// CRLF a checkout with `core.autocrlf` writes for LF in the repository.
fn same_blob(bytes: &[u8], id: ObjectId) -> bool {
    if blob_id(bytes) == Some(id) {
        return true;
    }
    if !bytes.windows(2).any(|w| w == b"\r\n") {
        return false;
    }
    let mut lf = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
            i += 1;
            continue;
        }
        lf.push(bytes[i]);
        i += 1;
    }
    blob_id(&lf) == Some(id)
}

/// The share of lines two texts have in common (0 to 1), as a rename
/// detector's similarity: matched lines over the longer text's lines.
fn similarity(a: &str, b: &str) -> f64 {
    let mut counts: HashMap<&str, i64> = HashMap::new();
    for line in a.lines() {
        *counts.entry(line.trim_end()).or_default() += 1;
    }
    let mut common = 0usize;
    for line in b.lines() {
        if let Some(n) = counts.get_mut(line.trim_end())
            && *n > 0
        {
            *n -= 1;
            common += 1;
        }
    }
    let longest = a.lines().count().max(b.lines().count()).max(1);
    common as f64 / longest as f64
}

/// The git blob id of some bytes, as `git hash-object` computes it.
fn blob_id(bytes: &[u8]) -> Option<ObjectId> {
    gix::objs::compute_hash(gix::hash::Kind::Sha1, gix::object::Kind::Blob, bytes).ok()
}

/// Every blob under `prefix` in a tree, by path relative to the prefix.
fn list_files(
    repo: &gix::Repository,
    root: ObjectId,
    prefix: &str,
) -> Result<HashMap<String, ObjectId>, String> {
    let mut tree = repo.find_tree(root).map_err(|e| e.to_string())?;
    if !prefix.is_empty() {
        let entry = tree
            .peel_to_entry_by_path(prefix.trim_end_matches('/'))
            .map_err(|e| e.to_string())?;
        match entry {
            Some(entry) if entry.mode().is_tree() => {
                tree = repo
                    .find_tree(entry.object_id())
                    .map_err(|e| e.to_string())?;
            }
            // The records folder did not exist then.
            _ => return Ok(HashMap::new()),
        }
    }
    let mut files = HashMap::new();
    let mut pending: Vec<(String, ObjectId)> = vec![(String::new(), tree.id)];
    while let Some((folder, id)) = pending.pop() {
        let tree = repo.find_tree(id).map_err(|e| e.to_string())?;
        for entry in tree.iter() {
            let entry = entry.map_err(|e| e.to_string())?;
            let Ok(name) = std::str::from_utf8(entry.filename()) else {
                continue;
            };
            if name.starts_with('.') {
                continue;
            }
            let path = format!("{folder}{name}");
            if entry.mode().is_tree() {
                pending.push((format!("{path}/"), entry.object_id()));
            } else if entry.mode().is_blob() {
                files.insert(path, entry.object_id());
            }
        }
    }
    Ok(files)
}

/// A file `discover` would read as a record.
fn is_record_path(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name == CLIENT_FILE
        || path == CONFIG_FILE
        || (name.ends_with(".md") && path.contains('/') && name != "README.md")
}

/// (client slug, engagement slug) of an engagement file at REV: the
/// nearest folder above it that holds a client.yaml, and the file's stem.
fn identity(path: &str, files: &HashMap<String, ObjectId>) -> Option<(String, String)> {
    let (folder, name) = path.rsplit_once('/')?;
    let slug = name.strip_suffix(".md")?;
    let mut at = folder;
    loop {
        if files.contains_key(&format!("{at}/{CLIENT_FILE}")) {
            let client = at.rsplit('/').next().unwrap_or(at);
            return Some((client.to_owned(), slug.to_owned()));
        }
        at = at.rsplit_once('/')?.0;
    }
}

/// `end`'s first-parent chain back to (not including) `rev`, oldest first;
/// empty when `rev` is not on it.
fn first_parent_chain(repo: &gix::Repository, end: ObjectId, rev: ObjectId) -> Vec<Step> {
    let mut chain = Vec::new();
    let Ok(mut commit) = repo.find_commit(end) else {
        return chain;
    };
    while commit.id != rev && chain.len() < MAX_CHAIN {
        let Ok(tree) = commit.tree_id() else {
            return Vec::new();
        };
        chain.push(Step {
            tree: tree.detach(),
            date: commit_date(&commit),
        });
        let parent = commit.parent_ids().next();
        match parent.and_then(|id| id.object().ok()?.try_into_commit().ok()) {
            Some(next) => commit = next,
            // The root, or the edge of a shallow clone.
            None => return Vec::new(),
        }
    }
    chain.reverse();
    chain
}

/// The day of a commit in its committer's own time zone.
fn commit_date(commit: &gix::Commit<'_>) -> Date {
    let time = commit.time().unwrap_or_default();
    let day = jiff::Timestamp::from_second(time.seconds)
        .ok()
        .zip(jiff::tz::Offset::from_seconds(time.offset).ok())
        .map(|(at, offset)| at.to_zoned(jiff::tz::TimeZone::fixed(offset)).date())
        .unwrap_or(jiff::civil::date(1970, 1, 1));
    Date(day)
}
