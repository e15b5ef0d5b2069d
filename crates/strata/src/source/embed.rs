//! Migrations embedded in the application binary at build time.
//!
//! [`embed_migrations!`](crate::embed_migrations) reads a folder when the
//! application is compiled (with the [`include_dir`] crate, which strata
//! re-exports so the application needs no dependency of its own) and
//! returns the same [`Migrations`] that [`Migrations::from_dir`] would:
//! same ordering, same validation, same checksums. The binary then carries
//! its schema expectations with it, and needs no files at run time.
//!
//! ```no_run
//! // src/main.rs
//! # fn main() -> Result<(), strata::Error> {
//! // An application writes "$CARGO_MANIFEST_DIR/migrations"; strata's own
//! // fixtures stand in for that folder here.
//! let migrations = strata::embed_migrations!("$CARGO_MANIFEST_DIR/tests/fixtures/embedded")?;
//! # let _ = migrations; Ok(()) }
//! ```
//!
//! The path is a string literal; `$CARGO_MANIFEST_DIR` (or any `$VAR` set at
//! compile time) is expanded. A relative path would be resolved from
//! wherever the compiler runs, so start from `$CARGO_MANIFEST_DIR`.
//!
//! Cargo rebuilds when an embedded file changes, but it does not see a file
//! *added* to the folder unless the application has a `build.rs` that says
//! so (stable Rust gives macros no way to watch a directory):
//!
//! ```ignore
//! // build.rs
//! fn main() {
//!     println!("cargo:rerun-if-changed=migrations");
//! }
//! ```
//!
//! Only the folder's own `*.sql` files are taken (not sub-folders, which are
//! other databases' migrations in the multi-database layout), exactly as
//! [`Migrations::from_dir`].

use std::path::Path;

pub use include_dir;

use crate::error::Error;
use crate::migration::Content;
use crate::source::Migrations;

/// The migrations in an embedded folder.
///
/// ```
/// use strata::embed::include_dir::{Dir, DirEntry, File};
/// static DIR: Dir<'static> = Dir::new("", &[
///     DirEntry::File(File::new("V1__create_users.sql", b"CREATE TABLE users (id int);")),
///     DirEntry::File(File::new("README.md", b"not a migration")),
/// ]);
/// let m = strata::embed::from_dir(&DIR).unwrap();
/// assert_eq!(m.list.len(), 1);
/// assert_eq!(m.list[0].script, "V1__create_users.sql");
/// ```
///
/// # Errors
/// As [`Migrations::from_files`]: every misnamed, duplicate, empty or
/// badly encoded file.
pub fn from_dir(dir: &'static include_dir::Dir<'static>) -> Result<Migrations, Error> {
    let files = dir
        .files()
        .filter_map(|f| {
            let name = f.path().file_name()?.to_str()?;
            name.ends_with(".sql")
                .then(|| (name.to_owned(), Content::Static(f.contents())))
        })
        .collect();
    let base = if dir.path().as_os_str().is_empty() {
        Path::new("migrations")
    } else {
        dir.path()
    };
    Migrations::from_files(base, files)
}

/// Embeds a migrations folder in the binary at build time and reads it:
/// evaluates to `Result<strata::source::Migrations, strata::error::Error>`.
///
/// See [the module docs](crate::embed) for the path and for the
/// `build.rs` line that makes Cargo notice new files.
///
/// ```
/// // strata's own test fixtures, embedded when this doctest compiles.
/// let m = strata::embed_migrations!("$CARGO_MANIFEST_DIR/tests/fixtures/embedded").unwrap();
/// assert_eq!(m.list[0].script, "V1__create_users.sql");
/// ```
#[macro_export]
macro_rules! embed_migrations {
    ($path:tt) => {{
        // include_dir's expansion names `include_dir::…`: bring strata's
        // re-export into scope so the application needs no dependency.
        use $crate::embed::include_dir;
        static DIR: include_dir::Dir<'static> = include_dir::include_dir!($path);
        $crate::embed::from_dir(&DIR)
    }};
}
