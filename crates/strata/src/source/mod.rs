//! Where migrations come from: a folder on disk, or files embedded in the binary.
//!
//! A source turns a set of named byte blobs into an ordered, validated list of
//! [`Migration`]s: versioned ones in version order, then repeatables in
//! description order, each with its down part attached (an in-file section, a
//! `U<version>__` file or a `.down.sql` file). It collects *every* file problem
//! rather than stopping at the first, so `strata validate` can list them all,
//! and it never skips a `.sql` file silently.
//!
//! Listing a folder is `folder`'s job, reading and hashing the files (on
//! several threads, through the scan cache) `threads`', putting them in
//! order and checking them as a set `order`'s, and files compiled into the
//! binary [`embed`]'s.

use std::path::{Path, PathBuf};

use crate::cache::ScanCache;
use crate::error::Error;
pub use crate::migration::FileKind;
use crate::migration::{Content, Migration, MigrationKind};
pub(crate) use regular::{check_regular, kind_of};
pub use regular::{read_regular_file, read_regular_to_string};

pub mod embed;
mod flyway_conf;
mod folder;
mod order;
mod regular;
#[cfg(test)]
mod tests;
mod threads;

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
            let files = folder::list_sql_files(dir);
            let cache = cache.map(|h| h.join().unwrap_or_default());
            (files, cache)
        });
        let (files, errors) = files?;
        let result = Migrations::build(dir, files, errors, cache.as_mut());
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
        Migrations::build(base, files, Vec::new(), None)
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
