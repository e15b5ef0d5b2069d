//! Listing a migrations folder: its own `*.sql` files (not sub-folders,
//! which are other databases' migrations) and Flyway `<file>.sql.conf`
//! files, checking that each is a regular file before anything opens it
//! (opening a FIFO blocks), and their metadata for the cache.
//!
//! A symbolic link is followed only when it resolves to a regular file
//! inside the project directory: the nearest folder at or above the
//! migrations folder that holds a `strata.toml`, or the migrations folder
//! itself when none does.

use std::path::{Path, PathBuf};

use super::kind_of;
use crate::error::Error;
use crate::migration::{Content, FileKind};

/// Whether `name` is listed: `*.sql` in any case (a `.SQL` file is refused
/// by name, never skipped) and `*.sql.conf`.
pub(super) fn is_listed(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".sql") || name.ends_with(".sql.conf")
}

/// The listed files directly in `dir`, and the errors of entries that are
/// not regular files.
pub(super) fn list_sql_files(dir: &Path) -> Result<(Vec<Listed>, Vec<Error>), Error> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::NoMigrationsDir {
                path: dir.to_owned(),
            });
        }
        Err(e) => return Err(Error::io(dir, e)),
    };
    let mut files = Vec::new();
    let mut errors = Vec::new();
    let mut project: Option<PathBuf> = None;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            if entry.path().extension().is_some_and(|e| e == "sql") {
                errors.push(Error::InvalidFileName {
                    path: entry.path(),
                    reason: "file name is not valid UTF-8".into(),
                });
            }
            continue;
        };
        if !is_listed(name) {
            continue;
        }
        // The entry's type comes with the directory listing: no stat per file.
        let file_type = entry.file_type().map_err(|e| Error::io(entry.path(), e))?;
        if file_type.is_dir() {
            continue;
        }
        if file_type.is_symlink() {
            let project = project.get_or_insert_with(|| project_dir(dir));
            match check_link(&entry.path(), project) {
                Ok(true) => {}
                Ok(false) => continue, // a link to a folder, like a folder
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            }
        } else if !file_type.is_file() {
            errors.push(Error::NotRegularFile {
                path: entry.path(),
                kind: kind_of(file_type),
            });
            continue;
        }
        files.push((name.to_owned(), Content::File(entry.path()), Some(entry)));
    }
    Ok((files, errors))
}

/// The project directory `dir` belongs to (see the module docs), resolved.
fn project_dir(dir: &Path) -> PathBuf {
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_owned());
    dir.ancestors()
        .find(|d| d.join("strata.toml").is_file())
        .unwrap_or(&dir)
        .to_owned()
}

/// A link is followed when it resolves to a regular file inside `project`;
/// `Ok(false)` for a link to a folder (skipped like a folder). `stat` and
/// `realpath` never open the target, so a link to a FIFO cannot block.
fn check_link(link: &Path, project: &Path) -> Result<bool, Error> {
    let meta = std::fs::metadata(link).map_err(|e| Error::io(link, e))?;
    if meta.is_dir() {
        return Ok(false);
    }
    let target = std::fs::canonicalize(link).map_err(|e| Error::io(link, e))?;
    if !target.starts_with(project) {
        return Err(Error::LinkOutsideProject {
            path: link.to_owned(),
            target,
            project: project.to_owned(),
        });
    }
    if !meta.is_file() {
        return Err(Error::NotRegularFile {
            path: link.to_owned(),
            kind: FileKind::LinkToNonRegular,
        });
    }
    Ok(true)
}

/// A file found in the folder: its name, content and directory entry (none
/// for embedded files).
pub(super) type Listed = (String, Content, Option<std::fs::DirEntry>);

/// A file's metadata for the scan cache. Through its directory entry the
/// kernel resolves one name relative to the open folder (`statx` on the
/// folder's descriptor) instead of walking the whole path again; a symbolic
/// link is followed, as for any other read.
pub(super) fn stat(
    path: &Path,
    entry: Option<&std::fs::DirEntry>,
) -> std::io::Result<std::fs::Metadata> {
    match entry {
        Some(e) if e.file_type().is_ok_and(|t| !t.is_symlink()) => e.metadata(),
        _ => std::fs::metadata(path),
    }
}
