//! Where migrations come from: a folder on disk, or files embedded in the binary.
//!
//! A source turns a set of named byte blobs into an ordered, validated list of
//! [`Migration`]s: versioned ones in version order, then repeatables in
//! description order, each with its down part attached (an in-file section, a
//! `U<version>__` file or a `.down.sql` file). It collects *every* file problem
//! rather than stopping at the first, so `strata validate` can list them all,
//! and it never skips a `.sql` file silently.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::cache::{ScanCache, Stamp};
use crate::error::Error;
use crate::migration::{
    Content, DownPart, FileName, Migration, MigrationKind, ScannedFile, Version, scan,
};

/// The migrations of one database, ordered for execution.
///
/// Versions compare as numbers, so `V10` runs after `V2` (with a warning,
/// because `ls` lists them the other way round); repeatables come last:
///
/// ```
/// use std::path::Path;
/// use strata::Migrations;
/// use strata::migration::Content;
///
/// let m = Migrations::from_files(Path::new("migrations"), vec![
///     ("R__views.sql".into(), Content::Static(b"CREATE OR REPLACE VIEW v AS SELECT 1;")),
///     ("V10__orders.sql".into(), Content::Static(b"CREATE TABLE orders ();")),
///     ("V2__users.sql".into(), Content::Static(b"CREATE TABLE users ();")),
/// ])?;
/// let scripts: Vec<_> = m.list.iter().map(|m| m.script.as_str()).collect();
/// assert_eq!(scripts, ["V2__users.sql", "V10__orders.sql", "R__views.sql"]);
/// assert!(m.warnings[0].starts_with("file-name order differs from execution order"));
/// # Ok::<(), strata::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Migrations {
    /// Versioned migrations in version order, then repeatables by description.
    pub list: Vec<Migration>,
    /// Things worth knowing that are not errors (e.g. `ls` order differs from
    /// execution order).
    pub warnings: Vec<String>,
}

impl Migrations {
    /// Reads every `*.sql` file in `dir` (not recursively: sub-folders are other
    /// databases' migrations in the multi-database layout).
    ///
    /// # Errors
    /// [`Error::NoMigrationsDir`] when the folder is missing;
    /// [`Error::InvalidMigrations`] listing every bad file (misnamed, duplicate
    /// version, bad encoding, empty, orphan down file).
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::{Error, Migrations};
    ///
    /// # let tmp = tempfile::tempdir()?;
    /// # let dir = tmp.path();
    /// std::fs::write(dir.join("V1__create_users.sql"), "CREATE TABLE users (id int);")?;
    /// std::fs::write(dir.join("notes.md"), "not a migration")?;
    /// let m = Migrations::from_dir(dir)?;
    /// assert_eq!(m.list.len(), 1);
    /// assert_eq!(m.list[0].description, "create users");
    ///
    /// std::fs::write(dir.join("V1__again.sql"), "SELECT 1;")?;
    /// let err = Migrations::from_dir(dir).unwrap_err();
    /// assert!(matches!(err, Error::DuplicateVersion { ref version, .. } if version == "1"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_dir(dir: &Path) -> Result<Migrations, Error> {
        Migrations::from_dir_inner(dir, None)
    }

    /// [`Migrations::from_dir`], reusing what an earlier run learnt about
    /// unchanged files from the scan cache at `cache_file` (and updating it).
    /// See [`crate::cache`] for when an entry is trusted.
    ///
    /// # Errors
    /// As [`Migrations::from_dir`].
    ///
    /// # Examples
    ///
    /// The same migrations as [`Migrations::from_dir`], faster on a large
    /// folder of unchanged files:
    ///
    /// ```
    /// use strata::Migrations;
    ///
    /// # let tmp = tempfile::tempdir()?;
    /// # let dir = tmp.path().join("migrations");
    /// # std::fs::create_dir(&dir)?;
    /// # std::fs::write(dir.join("V1__create_users.sql"), "CREATE TABLE users (id int);")?;
    /// let cache = tmp.path().join(".strata/cache/main");
    /// let m = Migrations::from_dir_cached(&dir, &cache)?;
    /// assert_eq!(m.list, Migrations::from_dir(&dir)?.list);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_dir_cached(dir: &Path, cache_file: &Path) -> Result<Migrations, Error> {
        Migrations::from_dir_inner(dir, Some(cache_file))
    }

    fn from_dir_inner(dir: &Path, cache_file: Option<&Path>) -> Result<Migrations, Error> {
        // The cache loads on another core while this one lists the folder.
        let (files, mut cache) = std::thread::scope(|s| {
            let cache = cache_file.map(|path| s.spawn(move || ScanCache::load(path)));
            let files = list_sql_files(dir);
            let cache = cache.map(|h| h.join().unwrap_or_default());
            (files, cache)
        });
        let result = Migrations::build(dir, files?, cache.as_mut());
        if let (Some(cache), Some(path)) = (&cache, cache_file) {
            cache.save(path);
        }
        result
    }

    /// Builds the list from `(file name, content)` pairs, e.g. files embedded
    /// with `include_bytes!`. `base` is only used to name files in errors.
    ///
    /// # Errors
    /// As [`Migrations::from_dir`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::path::Path;
    /// use strata::Migrations;
    /// use strata::migration::Content;
    ///
    /// let files = vec![
    ///     ("V1__create_users.sql".to_owned(), Content::Static(b"CREATE TABLE users (id int);")),
    ///     ("U1__create_users.sql".to_owned(), Content::Static(b"DROP TABLE users;")),
    /// ];
    /// let m = Migrations::from_files(Path::new("migrations"), files)?;
    /// assert_eq!(m.list.len(), 1); // the undo file is the down part of V1
    /// assert!(m.list[0].down.is_some());
    /// # Ok::<(), strata::Error>(())
    /// ```
    pub fn from_files(base: &Path, files: Vec<(String, Content)>) -> Result<Migrations, Error> {
        let files = files.into_iter().map(|(n, c)| (n, c, None)).collect();
        Migrations::build(base, files, None)
    }

    fn build(
        base: &Path,
        mut files: Vec<Listed>,
        cache: Option<&mut ScanCache>,
    ) -> Result<Migrations, Error> {
        // Names in a folder are unique: the unstable sort is the faster one.
        files.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut errors = Vec::new();
        // Collected in file-name order, then put in version order once.
        let mut versioned: Vec<Migration> = Vec::with_capacity(files.len());
        let mut repeatable: BTreeMap<String, Migration> = BTreeMap::new();
        let mut downs: Vec<(Version, Migration)> = Vec::new();
        let mut named = Vec::with_capacity(files.len());
        for (name, content, entry) in files {
            match FileName::parse(&name) {
                Ok(Some(parsed)) => named.push((name, parsed, content, entry)),
                Ok(None) => {}
                Err(reason) => errors.push(Error::InvalidFileName {
                    path: base.join(&name),
                    reason,
                }),
            }
        }
        // Reading and hashing the files is the expensive part: do it on every core.
        let scanned_all = scan_all(base, &named, cache.as_deref());
        if let Some(cache) = cache {
            for ((name, _, _, _), (scanned, stamp, hit)) in named.iter().zip(&scanned_all) {
                if let (Ok(f), Some(stamp), false) = (scanned, stamp, hit) {
                    cache.put(name, *stamp, f);
                }
            }
            cache.retain_sorted(named.iter().map(|(n, _, _, _)| n.as_str()));
        }

        for ((name, parsed, content, _), (scanned, _, _)) in named.into_iter().zip(scanned_all) {
            let scanned = match scanned {
                Ok(s) => s,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            let (kind, version, description, is_down) = match parsed {
                FileName::Versioned {
                    version,
                    description,
                    ..
                } => (MigrationKind::Versioned, Some(version), description, false),
                FileName::Repeatable { description } => {
                    (MigrationKind::Repeatable, None, description, false)
                }
                FileName::Undo {
                    version,
                    description,
                }
                | FileName::Down {
                    version,
                    description,
                } => (MigrationKind::Versioned, Some(version), description, true),
            };
            let migration = Migration {
                script: name.clone(),
                content,
                kind,
                version: version.clone(),
                description,
                checksum: scanned.checksum,
                up: scanned.up,
                down: scanned.down.map(DownPart::InFile),
                allow: scanned.allow,
                size: scanned.size,
            };
            match (version, is_down) {
                (Some(v), true) => downs.push((v, migration)),
                (Some(_), false) => versioned.push(migration),
                (None, _) => {
                    if let Some(existing) = repeatable.get(&migration.description) {
                        errors.push(Error::InvalidFileName {
                            path: base.join(&name),
                            reason: format!(
                                "same description as {}: repeatable migrations are identified by description",
                                existing.script
                            ),
                        });
                    } else {
                        repeatable.insert(migration.description.clone(), migration);
                    }
                }
            }
        }

        // Stable: files of one version stay in file-name order, so the first
        // of a duplicate pair is the one `ls` lists first.
        versioned.sort_by(|a, b| a.version.cmp(&b.version));
        versioned.dedup_by(|later, first| {
            let duplicate = later.version == first.version;
            if duplicate {
                errors.push(Error::DuplicateVersion {
                    version: later
                        .version
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                    first: base.join(&first.script),
                    second: base.join(&later.script),
                });
            }
            duplicate
        });

        for (v, down) in downs {
            let path = base.join(&down.script);
            let up = versioned
                .binary_search_by(|m| m.version.as_ref().cmp(&Some(&v)))
                .ok()
                .map(|i| &mut versioned[i]);
            match up {
                None => errors.push(Error::OrphanDown {
                    path,
                    version: v.to_string(),
                }),
                Some(up) => match &up.down {
                    Some(DownPart::InFile(_)) => errors.push(Error::InvalidFileName {
                        path,
                        reason: format!("{} already has an in-file down section", up.script),
                    }),
                    Some(DownPart::File(other)) => errors.push(Error::DuplicateVersion {
                        version: v.to_string(),
                        first: base.join(&other.script),
                        second: path,
                    }),
                    None => {
                        let mut down = down;
                        down.down = None;
                        up.down = Some(DownPart::File(Box::new(down)));
                    }
                },
            }
        }

        if !errors.is_empty() {
            // In file-name order, whichever check found them.
            errors.sort_by(|a, b| error_path(a).cmp(&error_path(b)));
            return Err(if errors.len() == 1 {
                errors.remove(0)
            } else {
                Error::InvalidMigrations(errors)
            });
        }

        let mut list = versioned;
        let mut warnings = Vec::new();
        // `ls` shows files in byte order; warn when that is not the execution order.
        if !list.is_sorted_by(|a, b| a.script <= b.script) {
            let execution: Vec<&str> = list.iter().map(|m| m.script.as_str()).collect();
            let mut in_ls_order = execution.clone();
            in_ls_order.sort_unstable();
            if let Some(i) = (0..execution.len()).find(|i| execution[*i] != in_ls_order[*i]) {
                warnings.push(format!(
                    "file-name order differs from execution order: `{}` runs before `{}`, but `ls` lists `{}` first; \
                     zero-pad versions to the same width so both orders agree",
                    execution[i], in_ls_order[i], in_ls_order[i]
                ));
            }
        }
        list.extend(repeatable.into_values());
        Ok(Migrations { list, warnings })
    }

    /// The versioned migrations, in version order.
    ///
    /// ```
    /// use std::path::Path;
    /// use strata::Migrations;
    /// use strata::migration::Content;
    ///
    /// let m = Migrations::from_files(Path::new("migrations"), vec![
    ///     ("R__views.sql".into(), Content::Static(b"CREATE OR REPLACE VIEW v AS SELECT 1;")),
    ///     ("V002__users.sql".into(), Content::Static(b"CREATE TABLE users ();")),
    /// ])?;
    /// let versions: Vec<String> = m.versioned().map(|m| m.label()).collect();
    /// assert_eq!(versions, ["2"]);
    /// # Ok::<(), strata::Error>(())
    /// ```
    pub fn versioned(&self) -> impl Iterator<Item = &Migration> {
        self.list
            .iter()
            .filter(|m| m.kind == MigrationKind::Versioned)
    }

    /// The repeatable migrations, by description.
    ///
    /// ```
    /// use std::path::Path;
    /// use strata::Migrations;
    /// use strata::migration::Content;
    ///
    /// let m = Migrations::from_files(Path::new("migrations"), vec![
    ///     ("R__views.sql".into(), Content::Static(b"CREATE OR REPLACE VIEW v AS SELECT 1;")),
    ///     ("V002__users.sql".into(), Content::Static(b"CREATE TABLE users ();")),
    /// ])?;
    /// let scripts: Vec<&str> = m.repeatable().map(|m| m.script.as_str()).collect();
    /// assert_eq!(scripts, ["R__views.sql"]);
    /// # Ok::<(), strata::Error>(())
    /// ```
    pub fn repeatable(&self) -> impl Iterator<Item = &Migration> {
        self.list
            .iter()
            .filter(|m| m.kind == MigrationKind::Repeatable)
    }

    /// The path of a migration for error messages: `None` for one embedded
    /// in the binary.
    ///
    /// ```
    /// use std::path::Path;
    /// use strata::Migrations;
    /// use strata::migration::Content;
    ///
    /// # let tmp = tempfile::tempdir()?;
    /// # let dir = tmp.path();
    /// std::fs::write(dir.join("V1__users.sql"), "CREATE TABLE users ();")?;
    /// let on_disk = Migrations::from_dir(dir)?;
    /// assert_eq!(Migrations::path_of(&on_disk.list[0]), Some(dir.join("V1__users.sql")));
    ///
    /// let files = vec![("V1__users.sql".into(), Content::Static(b"CREATE TABLE users ();"))];
    /// let embedded = Migrations::from_files(Path::new("migrations"), files)?;
    /// assert_eq!(Migrations::path_of(&embedded.list[0]), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn path_of(m: &Migration) -> Option<PathBuf> {
        match &m.content {
            Content::File(p) => Some(p.clone()),
            Content::Static(_) => None,
        }
    }
}

/// The `*.sql` files directly in `dir`, with their paths.
fn list_sql_files(dir: &Path) -> Result<Vec<Listed>, Error> {
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
type Listed = (String, Content, Option<std::fs::DirEntry>);

/// A [`Listed`] file whose name parsed.
type Named = (String, FileName, Content, Option<std::fs::DirEntry>);

/// A file's metadata for the scan cache. Through its directory entry the
/// kernel resolves one name relative to the open folder (`statx` on the
/// folder's descriptor) instead of walking the whole path again; a symbolic
/// link is followed, as for any other read.
fn stat(path: &Path, entry: Option<&std::fs::DirEntry>) -> std::io::Result<std::fs::Metadata> {
    match entry {
        Some(e) if e.file_type().is_ok_and(|t| !t.is_symlink()) => e.metadata(),
        _ => std::fs::metadata(path),
    }
}

/// The file an error is about, for ordering a list of errors.
fn error_path(e: &Error) -> Option<&Path> {
    match e {
        Error::InvalidFileName { path, .. }
        | Error::InvalidUtf8 { path, .. }
        | Error::NulByte { path, .. }
        | Error::EmptyMigration { path }
        | Error::Section { path, .. }
        | Error::OrphanDown { path, .. }
        | Error::Io { path, .. } => Some(path),
        Error::DuplicateVersion { second, .. } => Some(second),
        _ => None,
    }
}

/// Files up to this size are read whole into a buffer reused across files;
/// larger ones are streamed line by line.
const WHOLE_FILE_LIMIT: u64 = 1 << 20;

/// A scan, the file's stamp (when a cache is in use) and whether it came from the cache.
type Scanned = (Result<ScannedFile, Error>, Option<Stamp>, bool);

/// Scans one file, or takes it from the cache when its stamp matches.
fn scan_one(
    base: &Path,
    name: &str,
    content: &Content,
    entry: Option<&std::fs::DirEntry>,
    buf: &mut Vec<u8>,
    cache: Option<&ScanCache>,
    next: &mut usize,
) -> Scanned {
    let stamp = match (cache, content) {
        (Some(_), Content::File(file)) => match stat(file, entry) {
            Ok(meta) => Some(Stamp::of(&meta)),
            Err(e) => return (Err(Error::io(file, e)), None, false),
        },
        _ => None,
    };
    if let (Some(cache), Some(stamp)) = (cache, &stamp)
        && let Some(hit) = cache.get_after(name, stamp, next)
    {
        return (Ok(hit), Some(*stamp), true);
    }
    (read_and_scan(base, name, content, buf), stamp, false)
}

/// Reads a file into `buf` (reused, so thousands of small files cost no
/// allocation each) and scans it; large files are streamed.
fn read_and_scan(
    base: &Path,
    name: &str,
    content: &Content,
    buf: &mut Vec<u8>,
) -> Result<ScannedFile, Error> {
    use std::io::Read;
    let path = base.join(name);
    match content {
        Content::File(file) => {
            let f = std::fs::File::open(file).map_err(|e| Error::io(file, e))?;
            buf.clear();
            // `take` also keeps std from asking the size with an extra stat.
            let n = f
                .take(WHOLE_FILE_LIMIT + 1)
                .read_to_end(buf)
                .map_err(|e| Error::io(file, e))?;
            if n as u64 > WHOLE_FILE_LIMIT {
                return scan(&mut content.open()?, &path);
            }
            scan(&mut &buf[..], &path)
        }
        Content::Static(bytes) => scan(&mut &bytes[..], &path),
    }
}

/// Scans every file, in parallel when there are many, keeping their order.
fn scan_all(base: &Path, named: &[Named], cache: Option<&ScanCache>) -> Vec<Scanned> {
    let scan_chunk = |chunk: &[Named]| {
        let mut buf = Vec::with_capacity(64 * 1024);
        let mut next = 0;
        chunk
            .iter()
            .map(|(name, _, content, entry)| {
                scan_one(
                    base,
                    name,
                    content,
                    entry.as_ref(),
                    &mut buf,
                    cache,
                    &mut next,
                )
            })
            .collect::<Vec<_>>()
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    // Below this, starting threads costs more than it saves.
    if threads < 2 || named.len() < 64 {
        return scan_chunk(named);
    }
    let per_thread = named.len().div_ceil(threads);
    let mut chunks = named.chunks(per_thread);
    // This thread scans the first chunk itself while the others run.
    let Some(first) = chunks.next() else {
        return Vec::new();
    };
    std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .map(|chunk| (chunk.len(), s.spawn(move || scan_chunk(chunk))))
            .collect();
        let mut all = scan_chunk(first);
        all.reserve(named.len() - all.len());
        for (len, h) in handles {
            match h.join() {
                Ok(results) => all.extend(results),
                // A scan never panics; if one did, report it per file, keeping the order.
                Err(_) => all.extend((0..len).map(|_| {
                    (
                        Err(Error::Invalid("a migration scan thread panicked".into())),
                        None,
                        false,
                    )
                })),
            }
        }
        all
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(files: &[(&str, &str)]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for (n, c) in files {
            std::fs::write(d.path().join(n), c).unwrap();
        }
        d
    }

    fn names(m: &Migrations) -> Vec<&str> {
        m.list.iter().map(|m| m.script.as_str()).collect()
    }

    #[test]
    fn orders_numerically_then_repeatables() {
        let d = dir(&[
            ("V10__ten.sql", "SELECT 10;"),
            ("V2__two.sql", "SELECT 2;"),
            ("R__b.sql", "SELECT 'b';"),
            ("R__a.sql", "SELECT 'a';"),
            ("V1.5__one_five.sql", "SELECT 15;"),
            ("notes.md", "ignored"),
        ]);
        let m = Migrations::from_dir(d.path()).unwrap();
        assert_eq!(
            names(&m),
            [
                "V1.5__one_five.sql",
                "V2__two.sql",
                "V10__ten.sql",
                "R__a.sql",
                "R__b.sql"
            ]
        );
        assert_eq!(m.warnings.len(), 1, "{:?}", m.warnings);
        assert!(m.warnings[0].contains("V10__ten.sql"));
    }

    #[test]
    fn zero_padded_names_give_no_warning() {
        let d = dir(&[("001_init.sql", "SELECT 1;"), ("002_more.sql", "SELECT 2;")]);
        let m = Migrations::from_dir(d.path()).unwrap();
        assert!(m.warnings.is_empty());
    }

    #[test]
    fn duplicate_versions_name_both_files() {
        let d = dir(&[("V1__a.sql", "SELECT 1;"), ("V001__b.sql", "SELECT 2;")]);
        let e = Migrations::from_dir(d.path()).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("V001__b.sql")
                && msg.contains("V1__a.sql")
                && msg.contains("duplicate version 1"),
            "{msg}"
        );
    }

    #[test]
    fn every_problem_is_reported() {
        let d = dir(&[
            ("V1__ok.sql", "SELECT 1;"),
            ("init.sql", "SELECT 1;"),
            ("V2__empty.sql", "-- nothing\n"),
            ("V3__nul.sql", "SELECT 1;\0"),
        ]);
        let Err(Error::InvalidMigrations(errors)) = Migrations::from_dir(d.path()) else {
            panic!()
        };
        assert_eq!(errors.len(), 3, "{errors:?}");
    }

    #[test]
    fn up_down_pairs_and_undo_files() {
        let d = dir(&[
            ("20250101_users.up.sql", "CREATE TABLE users (id int);"),
            ("20250101_users.down.sql", "DROP TABLE users;"),
            ("V2__b.sql", "CREATE TABLE b (id int);"),
            ("U2__b.sql", "DROP TABLE b;"),
        ]);
        let m = Migrations::from_dir(d.path()).unwrap();
        assert_eq!(m.list.len(), 2);
        assert!(
            m.list
                .iter()
                .all(|m| matches!(m.down, Some(DownPart::File(_))))
        );
        let d = dir(&[("U3__x.sql", "DROP TABLE x;")]);
        assert!(matches!(
            Migrations::from_dir(d.path()),
            Err(Error::OrphanDown { .. })
        ));
    }

    #[test]
    fn the_scan_cache_follows_symbolic_links() {
        // A migration that is a link to a shared file: an edit of the target
        // changes the target's stamp, not the link's, and must still show.
        let d = dir(&[("V1__a.sql", "SELECT 1;\n")]);
        let shared = tempfile::tempdir().unwrap();
        let target = shared.path().join("b.sql");
        std::fs::write(&target, "SELECT 2;\n").unwrap();
        std::os::unix::fs::symlink(&target, d.path().join("V2__b.sql")).unwrap();
        let cache = d.path().join(".cache/scan");
        std::thread::sleep(crate::cache::RACY + std::time::Duration::from_millis(200));
        let first = Migrations::from_dir_cached(d.path(), &cache).unwrap();
        assert_eq!(
            first.list[1].checksum,
            crate::migration::Checksum::of(b"SELECT 2;\n")
        );
        std::fs::write(&target, "SELECT 3;\n").unwrap();
        let edited = Migrations::from_dir_cached(d.path(), &cache).unwrap();
        assert_eq!(
            edited.list[1].checksum,
            crate::migration::Checksum::of(b"SELECT 3;\n")
        );
    }

    #[test]
    fn many_files_keep_their_cache_entries_in_step() {
        // Enough files for the parallel scan; a later run hits the cache for
        // all but the edited one, and a deleted file's entry goes.
        let files: Vec<(String, String)> = (1..=300)
            .map(|i| (format!("V{i:03}__m.sql"), format!("SELECT {i};\n")))
            .collect();
        let refs: Vec<(&str, &str)> = files
            .iter()
            .map(|(n, b)| (n.as_str(), b.as_str()))
            .collect();
        let d = dir(&refs);
        let cache = d.path().join(".cache/scan");
        std::thread::sleep(crate::cache::RACY + std::time::Duration::from_millis(200));
        let first = Migrations::from_dir_cached(d.path(), &cache).unwrap();
        assert_eq!(first.list.len(), 300);
        std::fs::write(d.path().join("V150__m.sql"), "SELECT -150;\n").unwrap();
        std::fs::remove_file(d.path().join("V007__m.sql")).unwrap();
        let again = Migrations::from_dir_cached(d.path(), &cache).unwrap();
        assert_eq!(again.list.len(), 299);
        let fresh = Migrations::from_dir(d.path()).unwrap();
        assert_eq!(again.list, fresh.list);
        let text = std::fs::read_to_string(&cache).unwrap();
        assert!(!text.contains("V007__m.sql"));
        // The edited file is too fresh to cache; the other 298 stay.
        assert_eq!(text.lines().count(), 1 + 298, "{text}");
    }

    #[test]
    fn the_scan_cache_never_hides_an_edit() {
        let d = dir(&[("V1__a.sql", "SELECT 1;\n"), ("V2__b.sql", "SELECT 2;\n")]);
        let cache = d.path().join(".cache/scan");
        // Files this fresh are "racy" and not cached; let them age past the window.
        std::thread::sleep(crate::cache::RACY + std::time::Duration::from_millis(200));
        let first = Migrations::from_dir_cached(d.path(), &cache).unwrap();
        let text = std::fs::read_to_string(&cache).unwrap();
        assert_eq!(text.lines().count(), 3, "header + 2 entries: {text}");
        let again = Migrations::from_dir_cached(d.path(), &cache).unwrap();
        assert_eq!(first.list, again.list);
        // Same size, new content: the change time moves, so the entry is not used.
        std::fs::write(d.path().join("V2__b.sql"), "SELECT 3;\n").unwrap();
        let edited = Migrations::from_dir_cached(d.path(), &cache).unwrap();
        assert_ne!(edited.list[1].checksum, first.list[1].checksum);
        assert_eq!(
            edited.list[1].checksum,
            crate::migration::Checksum::of(b"SELECT 3;\n")
        );
        // A deleted file leaves the cache too.
        std::fs::remove_file(d.path().join("V1__a.sql")).unwrap();
        Migrations::from_dir_cached(d.path(), &cache).unwrap();
        assert!(
            !std::fs::read_to_string(&cache)
                .unwrap()
                .contains("V1__a.sql")
        );
    }

    #[test]
    fn missing_folder_is_an_error() {
        let d = tempfile::tempdir().unwrap();
        assert!(matches!(
            Migrations::from_dir(&d.path().join("nope")),
            Err(Error::NoMigrationsDir { .. })
        ));
    }
}
