//! Load and validate a records folder: discover → read → check shape →
//! apply the rules. `check` stops here; `build` and `audit` go on with the
//! records.
//!
//! A client is the unit of work: `open` reads what spans the repository
//! (the walk, the settings, slugs and duplicates), then each client is
//! loaded with its engagements, used, and dropped. Memory holds one
//! client's records per worker, never the whole repository.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::diagnostics::{Diagnostic, Summary};
use crate::discover::{self, Inventory};
use crate::history::{DueMove, Lookup, Provenance, Since};
use crate::load;
use crate::model::{Client, Config, Date, Engagement};
use crate::rules::{self, engagement::Settings};
use crate::schema::RecordKind;

/// What a run looks at.
#[derive(Clone, Debug)]
pub struct Options {
    pub root: PathBuf,
    pub as_of: Date,
    /// Only these client slugs (all when empty).
    pub clients: Vec<String>,
    /// Folders never read (the output folder).
    pub skip: Vec<PathBuf>,
    /// `--since REV`: compare every engagement with its version at REV.
    pub since: Option<String>,
    /// Find the records' commit for the pages' footers.
    pub provenance: bool,
}

/// A client whose `client.yaml` could be read.
#[derive(Debug)]
pub struct ClientRecord {
    pub slug: String,
    pub record: Client,
    /// The fingerprint of client.yaml's text (see `reuse`).
    pub source_hash: u128,
}

/// An engagement whose front matter passed the structural check.
#[derive(Debug)]
pub struct EngagementRecord {
    pub slug: String,
    pub file: String,
    /// The client's index in the inventory.
    pub client: usize,
    pub record: Engagement,
    pub body: String,
    /// The fingerprint of the file's text (see `reuse`).
    pub source_hash: u128,
    /// The front matter's tree, for the positions behind "file order".
    pub tree: crate::yaml::Node,
    /// With `--since`: what the engagement was at REV.
    pub history: Option<EngagementHistory>,
}

/// An engagement compared with its version at `--since REV`.
#[derive(Debug)]
pub struct EngagementHistory {
    pub then: Then,
    /// Each moved milestone's due-date changes since REV, oldest first.
    pub moves: HashMap<String, Vec<DueMove>>,
}

/// What the engagement was at REV.
#[derive(Debug)]
pub enum Then {
    /// The same text as now.
    Same,
    /// Another version (boxed: most engagements are `Same`).
    Was(Box<Engagement>),
    /// There was no such engagement.
    New,
    /// The file at REV could not be read as an engagement.
    Unreadable,
}

/// What spans the whole repository, read before any client is loaded.
#[derive(Debug)]
pub struct Repository {
    pub root: PathBuf,
    pub as_of: Date,
    pub config: Config,
    /// The fingerprint of commonthread.yaml's text (0 without one).
    pub config_hash: u128,
    pub settings: Settings,
    pub inventory: Inventory,
    /// Engagement indices (into `inventory.engagements`) by client index.
    pub members: Vec<Vec<usize>>,
    /// Engagements under no client folder.
    pub orphans: Vec<usize>,
    /// Problems found before any record is read: the walk, the settings,
    /// slugs, duplicates, files under no client.
    pub diagnostics: Vec<Diagnostic>,
    /// With `--since REV`: the records at REV.
    pub since: Option<Since>,
    /// The records' commit, when asked for and in a git work tree.
    pub provenance: Option<Provenance>,
    /// `--client`: the only clients read, in slug order (empty: all).
    pub only_clients: Vec<String>,
}

/// One client and its engagements, loaded and checked.
#[derive(Debug)]
pub struct ClientUnit {
    pub index: usize,
    /// `None` when client.yaml could not be read.
    pub client: Option<ClientRecord>,
    /// The engagements whose front matter has the right shape, in path order.
    pub engagements: Vec<EngagementRecord>,
    pub diagnostics: Vec<Diagnostic>,
}

impl ClientUnit {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == crate::diagnostics::Severity::Error)
    }
}

/// Why a run could not start.
#[derive(Debug)]
pub enum Fatal {
    NotAFolder(PathBuf),
    Unreadable(PathBuf, String),
    UnknownClient {
        slug: String,
        known: Vec<String>,
    },
    /// `--since` could not be honoured (no repository, unknown revision,
    /// shallow clone); the text says what to do.
    History(String),
}

impl std::fmt::Display for Fatal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fatal::NotAFolder(path) if path.is_file() => write!(
                f,
                "`{}` is a file, not a folder: give the records folder (the one that holds the client folders), or `.` for the current folder",
                path.display()
            ),
            Fatal::NotAFolder(path) => write!(
                f,
                "cannot read the records folder `{}`: it does not exist or is not a folder",
                path.display()
            ),
            Fatal::Unreadable(path, reason) => write!(
                f,
                "cannot read the records folder `{}`: {reason}",
                path.display()
            ),
            Fatal::History(message) => f.write_str(message),
            Fatal::UnknownClient { slug, known } => {
                write!(f, "there is no client `{slug}` in the records")?;
                match crate::suggest::closest(slug, known.iter().map(String::as_str)) {
                    Some(near) => write!(f, "; did you mean `{near}`?"),
                    None if known.is_empty() => write!(f, " (no client folder was found)"),
                    None => write!(f, "; the clients are: {}", known.join(", ")),
                }
            }
        }
    }
}

/// Reads what spans the repository; clients are loaded on demand.
pub fn open(options: &Options) -> Result<Repository, Fatal> {
    let root = options.root.as_path();
    if !root.is_dir() {
        return Err(Fatal::NotAFolder(options.root.clone()));
    }
    if let Err(error) = std::fs::read_dir(root) {
        return Err(Fatal::Unreadable(options.root.clone(), error.to_string()));
    }
    let mut inventory = discover::discover(root, &options.skip);
    restrict_to_clients(&mut inventory, &options.clients)?;
    let mut diagnostics = std::mem::take(&mut inventory.problems);
    let (config, config_hash) = read_config(root, inventory.has_config, &mut diagnostics);
    let settings = Settings {
        cadence_days: config.cadence_days.unwrap_or(14),
        due_soon_days: config.due_soon_days.unwrap_or(14),
    };
    rules::repository::check(&inventory, &mut diagnostics);
    rules::repository::apply_levels(&config, &mut diagnostics);
    let git = if options.since.is_some() || options.provenance {
        crate::history::open(root)
    } else {
        None
    };
    let since = match (&options.since, &git) {
        (None, _) => None,
        (Some(_), None) => return Err(Fatal::History(crate::history::not_a_repository(root))),
        (Some(rev), Some(git)) => Some(
            git.since(rev)
                .map_err(Fatal::History)?
                .with_work_tree(&inventory),
        ),
    };
    let provenance = match (&git, options.provenance) {
        (Some(git), true) => git.provenance(root, &inventory),
        _ => None,
    };
    let mut members = vec![Vec::new(); inventory.clients.len()];
    let mut orphans = Vec::new();
    for (i, engagement) in inventory.engagements.iter().enumerate() {
        match engagement.client {
            Some(client) => members[client].push(i),
            None => orphans.push(i),
        }
    }
    Ok(Repository {
        root: options.root.clone(),
        as_of: options.as_of,
        config,
        config_hash,
        settings,
        inventory,
        members,
        orphans,
        diagnostics,
        since,
        provenance,
        only_clients: {
            let mut only: Vec<String> = options.clients.clone();
            only.sort();
            only.dedup();
            only
        },
    })
}

impl Repository {
    /// Loads and checks one client and its engagements.
    pub fn load_client(&self, index: usize) -> ClientUnit {
        let root = self.root.as_path();
        let dir = &self.inventory.clients[index];
        let mut diagnostics = Vec::new();
        let client = load::yaml_file::<Client>(
            root,
            &dir.client_file(),
            RecordKind::Client,
            &mut diagnostics,
        )
        .and_then(|loaded| {
            let source_hash = crate::reuse::of(loaded.source.text.as_bytes());
            loaded.record.map(|record| ClientRecord {
                slug: dir.slug.clone(),
                record,
                source_hash,
            })
        });
        let loaded: Vec<(Option<EngagementRecord>, Vec<Diagnostic>)> = self.members[index]
            .par_iter()
            .map(|&i| {
                let mut found = Vec::new();
                let record = load_engagement(
                    root,
                    &self.inventory.engagements[i],
                    self.as_of,
                    self.settings,
                    self.since.as_ref().map(|since| (since, dir.slug.as_str())),
                    &mut found,
                );
                (record, found)
            })
            .collect();
        let mut engagements = Vec::with_capacity(loaded.len());
        for (record, found) in loaded {
            engagements.extend(record);
            diagnostics.extend(found);
        }
        rules::repository::apply_levels(&self.config, &mut diagnostics);
        ClientUnit {
            index,
            client,
            engagements,
            diagnostics,
        }
    }

    /// Reads the files under no client, for their diagnostics.
    pub fn check_orphans(&self) -> Vec<Diagnostic> {
        let mut diagnostics: Vec<Diagnostic> = self
            .orphans
            .par_iter()
            .flat_map_iter(|&i| {
                let mut found = Vec::new();
                let _ =
                    load::engagement(&self.root, &self.inventory.engagements[i].file, &mut found);
                found
            })
            .collect();
        rules::repository::apply_levels(&self.config, &mut diagnostics);
        diagnostics
    }

    /// The counts for the summary, with the diagnostics' own.
    pub fn summary(&self, diagnostics: &[Diagnostic]) -> Summary {
        let mut summary = Summary {
            files: self.inventory.clients.len() + self.inventory.engagements.len(),
            clients: self.inventory.clients.len(),
            engagements: self.inventory.engagements.len(),
            ..Summary::default()
        };
        summary.count(diagnostics);
        summary
    }
}

/// Every diagnostic in output order.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
}

/// `check`: every client loaded, checked and dropped; only the diagnostics stay.
/// `on_client` is called as each client is done (for a progress bar).
pub fn check_all(repo: &Repository, on_client: &(dyn Fn() + Sync)) -> Vec<Diagnostic> {
    let mut diagnostics: Vec<Diagnostic> = (0..repo.inventory.clients.len())
        .into_par_iter()
        .flat_map_iter(|index| {
            let found = repo.load_client(index).diagnostics;
            on_client();
            found
        })
        .collect();
    diagnostics.extend(repo.check_orphans());
    diagnostics.extend(repo.diagnostics.iter().cloned());
    sort(&mut diagnostics);
    diagnostics
}

fn restrict_to_clients(inventory: &mut Inventory, wanted: &[String]) -> Result<(), Fatal> {
    if wanted.is_empty() {
        return Ok(());
    }
    let known: Vec<String> = inventory.clients.iter().map(|c| c.slug.clone()).collect();
    if let Some(missing) = wanted.iter().find(|w| !known.contains(w)) {
        return Err(Fatal::UnknownClient {
            slug: missing.clone(),
            known,
        });
    }
    let keep: Vec<bool> = inventory
        .clients
        .iter()
        .map(|c| wanted.contains(&c.slug))
        .collect();
    let mut new_index = Vec::with_capacity(keep.len());
    let mut next = 0;
    for &k in &keep {
        new_index.push(k.then_some(next));
        next += usize::from(k);
    }
    let mut index = 0;
    inventory.clients.retain(|_| {
        index += 1;
        keep[index - 1]
    });
    inventory
        .engagements
        .retain_mut(|e| match e.client.and_then(|c| new_index[c]) {
            Some(client) => {
                e.client = Some(client);
                true
            }
            None => false,
        });
    inventory.problems.retain(|p| {
        wanted.iter().any(|w| {
            p.file == *w
                || p.file.starts_with(&format!("{w}/"))
                || p.file.contains(&format!("/{w}/"))
        })
    });
    Ok(())
}

/// The configuration, and the fingerprint of its text.
fn read_config(root: &Path, present: bool, diagnostics: &mut Vec<Diagnostic>) -> (Config, u128) {
    if !present {
        return (Config::default(), 0);
    }
    let file = discover::CONFIG_FILE;
    let Some(loaded) = load::yaml_file::<Config>(root, file, RecordKind::Config, diagnostics)
    else {
        return (Config::default(), 0);
    };
    let hash = crate::reuse::of(loaded.source.text.as_bytes());
    let config = match (loaded.record, loaded.tree) {
        (Some(config), Some(tree)) => {
            let first = diagnostics.len();
            rules::repository::check_config(&config, &tree, file, diagnostics);
            Diagnostic::attach_sources(&mut diagnostics[first..], &loaded.source.text);
            // A rule name that is wrong is reported; the others still apply.
            let mut config = config;
            config.rules.retain(|name, _| {
                rules::find(name).is_some_and(|r| r.kind == rules::RuleKind::Warning)
            });
            config
        }
        _ => Config::default(),
    };
    (config, hash)
}

fn load_engagement(
    root: &Path,
    file: &discover::EngagementFile,
    as_of: Date,
    settings: Settings,
    since: Option<(&Since, &str)>,
    out: &mut Vec<Diagnostic>,
) -> Option<EngagementRecord> {
    let loaded = load::engagement(root, &file.file, out)?;
    file.client?;
    let history = since.map(|(since, client)| {
        let lookup = since.lookup(&file.file, client, &file.slug, &loaded.source.text);
        (since, lookup)
    });
    check_loaded(loaded, file, as_of, settings, history, out)
}

/// Everything `check` finds in one engagement file's text, as if it stood
/// alone in a client folder (the fuzz targets and tests start here).
pub fn check_engagement_text(
    file: &str,
    text: String,
    as_of: Date,
) -> (Option<EngagementRecord>, Vec<Diagnostic>) {
    let mut out = Vec::new();
    let source = load::Source {
        file: file.to_owned(),
        text,
    };
    let slug = file
        .rsplit('/')
        .next()
        .unwrap_or(file)
        .trim_end_matches(".md")
        .to_owned();
    let entry = discover::EngagementFile {
        slug,
        file: file.to_owned(),
        client: Some(0),
    };
    let record = load::engagement_from_source(source, &mut out).and_then(|loaded| {
        check_loaded(loaded, &entry, as_of, Settings::default(), None, &mut out)
    });
    (record, out)
}

/// Rules whose finding about a list item reads that item alone (and
/// fields outside the list), so it stands when another item of the list
/// was left out.
const READS_ONE_ITEM: &[&str] = &[
    rules::MILESTONE_OVERDUE.name,
    rules::MILESTONE_WITHOUT_OUTCOME.name,
    rules::MILESTONE_AFTER_END.name,
    rules::WIN_NOT_CELEBRATED.name,
    rules::CONCERN_UNANSWERED.name,
    rules::CLAIM_UNVERIFIED.name,
    rules::MEASUREMENT_OUT_OF_RANGE.name,
    rules::DATE_ORDER.name,
    rules::TARGET_EQUALS_BASELINE.name,
];

/// `path` (as the rules wrote it, on the record without the items left
/// out) with each index of a list in `lost` as in the file.
fn numbered_as_in_the_file<'p>(
    path: &'p str,
    lost: &[(String, Vec<usize>)],
) -> std::borrow::Cow<'p, str> {
    let mut path = std::borrow::Cow::Borrowed(path);
    for (list, dropped) in lost {
        let Some(rest) = path.strip_prefix(list.as_str()) else {
            continue;
        };
        let Some(rest) = rest.strip_prefix('[') else {
            continue;
        };
        let Some((index, after)) = rest.split_once(']') else {
            continue;
        };
        let Ok(kept) = index.parse::<usize>() else {
            continue;
        };
        // The file index of the `kept`-th item left: the smallest `at`
        // with `kept + 1` items left in `0..=at`.
        let left_up_to = |at: usize| at + 1 - dropped.partition_point(|&d| d <= at);
        let (mut low, mut high) = (kept, kept + dropped.len());
        while low < high {
            let mid = low + (high - low) / 2;
            if left_up_to(mid) > kept {
                high = mid;
            } else {
                low = mid + 1;
            }
        }
        path = std::borrow::Cow::Owned(format!("{list}[{low}]{after}"));
    }
    path
}

/// `path` and each path it lies within: `milestones[1].due` gives
/// `milestones`, `milestones[1]` and itself.
fn prefixes(path: &str) -> impl Iterator<Item = &str> {
    path.char_indices()
        .filter(|&(at, c)| at > 0 && matches!(c, '.' | '['))
        .map(|(at, _)| &path[..at])
        .chain(std::iter::once(path))
}

/// Fields whose absence a rule reports at another field of the same
/// section: when the field is left out for being wrong, the rule says
/// nothing about that section.
const SIBLINGS_READ: &[(&str, &str)] = &[
    ("done", rules::MILESTONE_OVERDUE.name),
    ("cadence_days", rules::UPDATE_OVERDUE.name),
];

fn check_loaded(
    loaded: load::Loaded<Engagement>,
    file: &discover::EngagementFile,
    as_of: Date,
    settings: Settings,
    history: Option<(&Since, Lookup)>,
    out: &mut Vec<Diagnostic>,
) -> Option<EngagementRecord> {
    let client = file.client?;
    let (Some(record), Some(tree)) = (&loaded.record, &loaded.tree) else {
        return None;
    };
    let first = out.len();
    let context = rules::engagement::Context {
        file: &file.file,
        tree,
        as_of,
        settings,
    };
    if loaded.replaced.contains(&"status") {
        out.extend(whatever_the_status(record, &context));
    } else {
        rules::engagement::check(record, &context, out);
    }
    // Counted a byte at a time, which vectorizes: `matches('\n')` searched
    // line by line and cost 0.5% of a build.
    let body_line = loaded.source.text.as_bytes()
        [..loaded.body_start.min(loaded.source.text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1;
    rules::notes::fields_in_notes(
        loaded.body(),
        u32::try_from(body_line).unwrap_or(u32::MAX),
        &file.file,
        out,
    );
    let history = history.map(|(since, lookup)| compare(since, lookup, record, &context, out));
    // A field or list item left out for being wrong is reported once, as
    // wrong; what the rules would say about its absence is noise.
    if !loaded.pruned.is_empty() {
        // Looked up by the finding's own prefixes, not by scanning every
        // left-out path: 100,000 wrong values must stay linear.
        let pruned: HashSet<&str> = loaded.pruned.iter().map(String::as_str).collect();
        let lost_lists: HashSet<&str> = loaded
            .lost_items
            .iter()
            .map(|(list, _)| list.as_str())
            .collect();
        // Under a list that lost items, a finding about one other item
        // stands when its rule reads that item alone.
        let under_pruned = |d: &Diagnostic, path: &str| {
            prefixes(path).any(|prefix| {
                pruned.contains(prefix)
                    && !(READS_ONE_ITEM.contains(&d.rule.name)
                        && lost_lists.contains(prefix)
                        && path[prefix.len()..].starts_with('['))
            })
        };
        // What is said of a list's parent (`updates` of `updates.log`)
        // may be about the list too.
        let above: HashSet<&str> = loaded
            .dropped_from
            .iter()
            .flat_map(|list| prefixes(list))
            .collect();
        let above_a_dropped_item = |path: &str| above.contains(path);
        // An update may name a milestone that was left out, a win a metric.
        let lost = |lists: &[&str]| {
            loaded
                .dropped_from
                .iter()
                .any(|l| lists.contains(&l.as_str()))
        };
        let (milestones_lost, metrics_lost) =
            (lost(&["milestones"]), lost(&["success", "success.metrics"]));
        let refers_to_lost = |d: &Diagnostic| {
            d.rule.name == rules::UNKNOWN_REFERENCE.name
                && match d.path.as_deref() {
                    Some(path) if path.starts_with("updates") => milestones_lost,
                    Some(path) if path.starts_with("wins") => metrics_lost,
                    _ => milestones_lost || metrics_lost,
                }
        };
        // A rule that reads a sibling of the value it points at: a wrong
        // `done:` must not make its milestone overdue.
        let reads_left_out_sibling = |d: &Diagnostic, path: &str| {
            SIBLINGS_READ.iter().any(|&(field, rule)| {
                d.rule.name == rule
                    && prefixes(path)
                        .any(|parent| pruned.contains(format!("{parent}.{field}").as_str()))
            })
        };
        let unsaid = |d: &Diagnostic, path: Option<&str>| {
            path.is_some_and(|path| {
                under_pruned(d, path)
                    || above_a_dropped_item(path)
                    || reads_left_out_sibling(d, path)
            }) || refers_to_lost(d)
        };
        let mut index = 0;
        out.retain_mut(|d| {
            index += 1;
            // Only the rules' findings: what came before is the file's own
            // problems (and there may be 100,000 of them).
            if index <= first {
                return true;
            }
            // The rules number the items that are left; the file, all.
            let path = d
                .path
                .as_deref()
                .map(|path| numbered_as_in_the_file(path, &loaded.lost_items));
            if unsaid(d, path.as_deref()) {
                return false;
            }
            if let Some(std::borrow::Cow::Owned(path)) = path {
                d.path = Some(path);
            }
            true
        });
    }
    Diagnostic::attach_sources(&mut out[first..], &loaded.source.text);
    let body = loaded.body().to_owned();
    let source_hash = crate::reuse::of(loaded.source.text.as_bytes());
    Some(EngagementRecord {
        slug: file.slug.clone(),
        file: file.file.clone(),
        client,
        record: loaded.record?,
        body,
        source_hash,
        tree: loaded.tree?,
        history,
    })
}

/// What the rules find in a record whose status could not be read: only
/// the findings that hold whatever its status is.
fn whatever_the_status(
    record: &Engagement,
    context: &rules::engagement::Context<'_>,
) -> Vec<Diagnostic> {
    use crate::model::Status;
    let mut common: Option<Vec<Diagnostic>> = None;
    for status in Status::ALL {
        let mut as_if = record.clone();
        as_if.status = status;
        let mut found = Vec::new();
        rules::engagement::check(&as_if, context, &mut found);
        common = Some(match common {
            None => found,
            Some(kept) => {
                let key = |d: &Diagnostic| (d.rule.name, d.pos, d.path.clone(), d.message.clone());
                let found: std::collections::HashSet<_> = found.iter().map(key).collect();
                kept.into_iter()
                    .filter(|d| found.contains(&key(d)))
                    .collect()
            }
        });
    }
    common.unwrap_or_default()
}

/// The history rules for one engagement, and what it was at REV.
fn compare(
    since: &Since,
    lookup: Lookup,
    now: &Engagement,
    context: &rules::engagement::Context<'_>,
    out: &mut Vec<Diagnostic>,
) -> EngagementHistory {
    let past = match lookup {
        Lookup::Unchanged => {
            return EngagementHistory {
                then: Then::Same,
                moves: HashMap::new(),
            };
        }
        Lookup::New => {
            return EngagementHistory {
                then: Then::New,
                moves: HashMap::new(),
            };
        }
        Lookup::Changed(past) => past,
    };
    let moves = since.due_moves(&past, context.file, now, context.as_of);
    let then = match past.record {
        Some(then) => {
            let compared = rules::history::Compared {
                rev: &since.rev,
                moves: &moves,
            };
            rules::history::check(now, &then, &compared, context, out);
            Then::Was(Box::new(then))
        }
        None => Then::Unreadable,
    };
    EngagementHistory { then, moves }
}

#[cfg(test)]
mod tests {
    use super::numbered_as_in_the_file;

    #[test]
    fn paths_are_numbered_as_in_the_file() {
        let lost = vec![
            ("milestones".to_owned(), vec![0, 2, 3]),
            ("success.metrics[4].measurements".to_owned(), vec![1]),
        ];
        let file = |path| numbered_as_in_the_file(path, &lost).into_owned();
        // Left: items 1, 4, 5, ... of the file.
        assert_eq!(file("milestones[0].due"), "milestones[1].due");
        assert_eq!(file("milestones[1]"), "milestones[4]");
        assert_eq!(file("milestones[2].outcome"), "milestones[5].outcome");
        assert_eq!(
            file("success.metrics[4].measurements[1].date"),
            "success.metrics[4].measurements[2].date"
        );
        assert_eq!(
            file("success.metrics[4].measurements[0]"),
            "success.metrics[4].measurements[0]"
        );
        // Other lists, and a list whose name only starts alike, stay.
        assert_eq!(file("milestones_extra[0]"), "milestones_extra[0]");
        assert_eq!(file("wins[0].title"), "wins[0].title");
        assert_eq!(file("milestones"), "milestones");
    }
}
