//! Listing a migrations folder: its own `*.sql` files (not sub-folders,
//! which are other databases' migrations), and their metadata for the cache.

use std::path::Path;

use crate::error::Error;
use crate::migration::Content;

/// The `*.sql` files directly in `dir`, with their paths.
pub(super) fn list_sql_files(dir: &Path) -> Result<Vec<Listed>, Error> {
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
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            if entry.path().extension().is_some_and(|e| e == "sql") {
                return Err(Error::InvalidFileName {
                    path: entry.path(),
                    reason: "file name is not valid UTF-8".into(),
                });
            }
            continue;
        };
        if !name.ends_with(".sql") {
            continue;
        }
        // The entry's type comes with the directory listing: no stat per file.
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        files.push((name.to_owned(), Content::File(entry.path()), Some(entry)));
    }
    Ok(files)
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
