//! A sorted walk of the records folder: which folders are clients, which
//! files are engagements, and which entries cannot be records at all.
//!
//! Hidden entries, symbolic links and output folders (ours, marked by
//! `output::MARKER`) are never read. The walk never stops at a bad entry: it
//! becomes a diagnostic and the walk goes on.

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::diagnostics::Diagnostic;
use crate::rules;
use crate::yaml::Pos;

pub const CONFIG_FILE: &str = "commonthread.yaml";
pub const CLIENT_FILE: &str = "client.yaml";

/// A client folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientDir {
    /// The folder's name.
    pub slug: String,
    /// The folder, relative to the records root, `/` separated ("" for the root).
    pub dir: String,
}

impl ClientDir {
    pub fn client_file(&self) -> String {
        join(&self.dir, CLIENT_FILE)
    }
}

/// An engagement file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngagementFile {
    /// The file's stem.
    pub slug: String,
    /// Relative to the records root, `/` separated.
    pub file: String,
    /// Index into `Inventory::clients` of the nearest client folder above it.
    pub client: Option<usize>,
}

/// Everything the walk found, in path order.
#[derive(Debug, Default)]
pub struct Inventory {
    pub has_config: bool,
    pub clients: Vec<ClientDir>,
    pub engagements: Vec<EngagementFile>,
    pub problems: Vec<Diagnostic>,
    /// Entries named as records that were not read because they are not
    /// regular files: symbolic links are not followed, and a folder named
    /// `client.yaml` is no client file. Said, so nobody wonders where an
    /// engagement or a setting went.
    pub not_read: Vec<NotRead>,
    /// Files named almost `client.yaml` (`client.yml`, `Client.yaml`), by
    /// relative path: why a folder may be no client folder.
    pub near_client_files: Vec<String>,
    /// Files named almost like an engagement (`plan.MD`, `plan.markdown`),
    /// by relative path: not read, since an engagement file ends in `.md`,
    /// and said, so that no engagement leaves the reports unnoticed.
    pub near_markdown_files: Vec<String>,
    /// The records folder itself holds `client.yaml`: it is no client
    /// folder (it has no slug), which is why files beside it are under none.
    pub root_client_file: bool,
    /// ... and the folder above it holds `commonthread.yaml`: most likely a
    /// client folder was checked by mistake.
    pub inside_records: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotRead {
    /// Relative to the records root, `/` separated.
    pub file: String,
    /// "a symbolic link", "a folder", ...
    pub what: &'static str,
}

impl Inventory {
    /// The client file of a folder above `file` that was not read, if any:
    /// why `file` is under no client folder.
    /// A file named almost `client.yaml` in a folder above `file`.
    pub fn near_client_file_above(&self, file: &str) -> Option<&str> {
        self.near_client_files
            .iter()
            .filter(|near| {
                let dir = near.rsplit_once('/').map_or("", |(dir, _)| dir);
                dir.is_empty() || file.starts_with(&format!("{dir}/"))
            })
            // The nearest folder: the longest path.
            .max_by_key(|near| near.len())
            .map(String::as_str)
    }

    pub fn unread_client_file_above(&self, file: &str) -> Option<&NotRead> {
        self.not_read.iter().find(|entry| {
            entry
                .file
                .strip_suffix(CLIENT_FILE)
                .is_some_and(|dir| dir.is_empty() || file.starts_with(dir))
        })
    }
}

/// What a file system entry is, in words, when it is not a regular file.
fn not_a_file(file_type: std::fs::FileType) -> Option<&'static str> {
    if file_type.is_symlink() {
        Some("a symbolic link")
    } else if file_type.is_dir() {
        Some("a folder")
    } else if file_type.is_file() {
        None
    } else {
        Some("not a regular file")
    }
}

/// Walks `root`. `skip` holds folders (absolute or relative to the current
/// directory, as given) that are never entered, such as the output folder.
pub fn discover(root: &Path, skip: &[PathBuf]) -> Inventory {
    let mut inventory = Inventory::default();
    let skip: Vec<PathBuf> = skip.iter().filter_map(|p| p.canonicalize().ok()).collect();
    let walker = WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| {
            if entry.depth() == 0 {
                return true;
            }
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            let is_dir = entry.file_type().is_dir();
            // A marker beside a `client.yaml` was copied there: a client
            // folder is records, never output, and is read all the same.
            let ours = is_dir
                && std::fs::symlink_metadata(entry.path().join(crate::output::MARKER))
                    .is_ok_and(|m| m.is_file())
                && !std::fs::symlink_metadata(entry.path().join(CLIENT_FILE))
                    .is_ok_and(|m| m.is_file());
            let skipped = is_dir
                && !skip.is_empty()
                && entry.path().canonicalize().is_ok_and(|p| skip.contains(&p));
            !(hidden || ours || skipped)
        });

    // Client folders are known before their files, thanks to the sorted
    // depth-first walk: `client.yaml` is looked up when a folder is entered.
    let mut client_stack: Vec<(PathBuf, usize)> = Vec::new();
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                let file = error
                    .path()
                    .map_or_else(|| ".".to_owned(), |p| relative(root, p));
                inventory.problems.push(
                    Diagnostic::new(
                        rules::UNREADABLE_FILE,
                        &file,
                        Pos::file_start(),
                        format!("cannot read `{file}`: {}", io_reason(&error)),
                    )
                    .help("make the folder readable, or move it out of the records folder"),
                );
                continue;
            }
        };
        let path = entry.path();
        while client_stack
            .last()
            .is_some_and(|(dir, _)| !path.starts_with(dir))
        {
            client_stack.pop();
        }
        let file_type = entry.file_type();
        let name = entry.file_name().to_string_lossy();
        // Files are read by their `/`-separated name: one that is not UTF-8
        // could not be found again, so say why instead of reading it.
        let utf8 = path.strip_prefix(root).unwrap_or(path).to_str().is_some();
        if file_type.is_dir() {
            // A real file: a symbolic link named client.yaml is not followed.
            let client_file = std::fs::symlink_metadata(path.join(CLIENT_FILE));
            if entry.depth() > 0
                && let Ok(metadata) = &client_file
                && let Some(what) = not_a_file(metadata.file_type())
            {
                inventory.not_read.push(NotRead {
                    file: join(&relative(root, path), CLIENT_FILE),
                    what,
                });
            }
            let is_file = client_file.is_ok_and(|m| m.is_file());
            if entry.depth() == 0 {
                inventory.root_client_file = is_file;
                inventory.inside_records = is_file && is_records_folder_above(root);
            }
            let is_client = entry.depth() > 0 && is_file;
            if is_client && !utf8 {
                let file = join(&relative(root, path), CLIENT_FILE);
                inventory.problems.push(not_utf8(&file));
            } else if is_client {
                inventory.clients.push(ClientDir {
                    slug: name.to_string(),
                    dir: relative(root, path),
                });
                client_stack.push((path.to_path_buf(), inventory.clients.len() - 1));
            }
            if entry.depth() > 0 && is_markdown_name(&name) {
                let file = relative(root, path);
                inventory.problems.push(
                    Diagnostic::new(
                        rules::UNREADABLE_FILE,
                        &file,
                        Pos::file_start(),
                        format!("`{file}` is a folder, but its name says it is an engagement file"),
                    )
                    .help("rename the folder so its name does not end in `.md`"),
                );
            }
            continue;
        }
        if entry.depth() == 1 && name == CONFIG_FILE {
            inventory.has_config = file_type.is_file();
            if let Some(what) = not_a_file(file_type) {
                inventory.not_read.push(NotRead {
                    file: CONFIG_FILE.to_owned(),
                    what,
                });
            }
            continue;
        }
        if entry.depth() > 0 && is_near_client_file_name(&name) {
            inventory.near_client_files.push(relative(root, path));
        }
        // Only under a client folder: elsewhere such a file is most likely
        // documentation.
        if is_near_markdown_name(&name) && !file_type.is_dir() && !client_stack.is_empty() {
            inventory.near_markdown_files.push(relative(root, path));
        }
        // Only `README.md` as FORMAT.md spells it: `readme.md` is a valid
        // engagement slug (its errors say how to have it skipped).
        if !is_markdown_name(&name) || name == "README.md" {
            continue;
        }
        if file_type.is_symlink() {
            inventory.not_read.push(NotRead {
                file: relative(root, path),
                what: "a symbolic link",
            });
            continue;
        }
        let file = relative(root, path);
        if !utf8 {
            inventory.problems.push(not_utf8(&file));
            continue;
        }
        if !file_type.is_file() {
            inventory.problems.push(
                Diagnostic::new(
                    rules::UNREADABLE_FILE,
                    &file,
                    Pos::file_start(),
                    format!("`{file}` is not a regular file (a pipe, socket or device?)"),
                )
                .help("replace it with an ordinary file, or remove it"),
            );
            continue;
        }
        let slug = name[..name.len() - 3].to_owned();
        inventory.engagements.push(EngagementFile {
            slug,
            file,
            client: client_stack.last().map(|(_, index)| *index),
        });
    }
    inventory
}

/// Whether the folder above `dir` holds `commonthread.yaml`. (Client
/// folders beside `dir` would say so too, but are no proof: a folder of
/// unrelated copies looks the same.)
fn is_records_folder_above(dir: &Path) -> bool {
    let absolute = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    absolute
        .parent()
        .is_some_and(|parent| parent.join(CONFIG_FILE).is_file())
}

/// `client.yml`, `Client.yaml`, `clients.yaml`, `client.yaml.txt`: what
/// people name the client file when they misremember it.
fn is_near_client_file_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    name != CLIENT_FILE
        && matches!(
            lower.as_str(),
            "client.yaml"
                | "client.yml"
                | "clients.yaml"
                | "clients.yml"
                | "client.yaml.txt"
                | "client.txt"
        )
}

/// `readme.md`, `Readme.md`, `README.MD`...: read as records, since only
/// `README.md` is skipped, though most likely meant as notes.
pub fn is_readme_near_miss(file: &str) -> bool {
    let name = file.rsplit('/').next().unwrap_or(file);
    name != "README.md" && name.eq_ignore_ascii_case("README.md")
}

/// What to do with such a file, for the help of the errors it gets.
pub const README_NEAR_MISS_HELP: &str = "only a file named exactly `README.md` is skipped: rename this one `README.md` if it holds notes, not an engagement";

/// `plan.MD`, `plan.markdown`, `plan.md.txt`: Markdown files an editor or
/// another tool named otherwise than `.md`.
fn is_near_markdown_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    !is_markdown_name(name)
        && lower != "readme.md"
        && [".md", ".markdown", ".mdown", ".mkd", ".md.txt"]
            .iter()
            .any(|ending| lower.len() > ending.len() && lower.ends_with(ending))
}

/// The name an almost-Markdown file would be read under.
pub fn markdown_name_for(file: &str) -> String {
    let lower = file.to_ascii_lowercase();
    let ending = [".md.txt", ".markdown", ".mdown", ".mkd", ".md"]
        .iter()
        .find(|ending| lower.ends_with(*ending))
        .map_or(0, |ending| ending.len());
    let name = file.rsplit('/').next().unwrap_or(file);
    format!("{}.md", &name[..name.len() - ending.min(name.len())])
}

fn is_markdown_name(name: &str) -> bool {
    name.len() > 3 && name.ends_with(".md")
}

/// `path` relative to `root`, with `/` separators.
fn relative(root: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(root).unwrap_or(path);
    let parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

/// A record whose path is not UTF-8 (shown with U+FFFD in its place).
fn not_utf8(file: &str) -> Diagnostic {
    Diagnostic::new(
        rules::UNREADABLE_FILE,
        file,
        Pos::file_start(),
        format!("`{file}` cannot be read: its name is not UTF-8 text"),
    )
    .help("rename it (and its folders) with lowercase letters, digits and dashes")
}

fn io_reason(error: &walkdir::Error) -> String {
    match error.io_error() {
        Some(io) if io.kind() == std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        Some(io) if io.kind() == std::io::ErrorKind::NotFound => {
            "it vanished while the records were being read".into()
        }
        Some(io) => io.to_string(),
        None => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn finds_clients_engagements_and_skips_what_is_not_a_record() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for (path, text) in [
            ("commonthread.yaml", "practice: P\n"),
            ("acme/client.yaml", "name: Acme\n"),
            ("acme/b.md", "---\n---\n"),
            ("acme/archive/a.md", "---\n---\n"),
            ("acme/README.md", "readme"),
            ("acme/.drafts/hidden.md", ""),
            ("stray.md", ""),
            ("README.md", ""),
            ("public/.commonthread-output", ""),
            ("public/acme/index.md", ""),
        ] {
            let path = root.join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
        fs::create_dir_all(root.join("acme/folder.md")).unwrap();
        let inventory = discover(root, &[]);
        assert!(inventory.has_config);
        assert_eq!(
            inventory.clients,
            vec![ClientDir {
                slug: "acme".into(),
                dir: "acme".into()
            }]
        );
        let files: Vec<(&str, Option<usize>)> = inventory
            .engagements
            .iter()
            .map(|e| (e.file.as_str(), e.client))
            .collect();
        assert_eq!(
            files,
            vec![
                ("acme/archive/a.md", Some(0)),
                ("acme/b.md", Some(0)),
                ("stray.md", None)
            ]
        );
        assert_eq!(inventory.problems.len(), 1);
        assert_eq!(inventory.problems[0].file, "acme/folder.md");
    }
}
