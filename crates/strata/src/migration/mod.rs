//! Migration files: what a single `.sql` file *is* (SPEC §2).
//!
//! Which of the naming patterns it follows ([`FileName`]), its normalized
//! [`Version`], where its up and down parts lie ([`Part`], [`DownPart`]),
//! which directives it carries and its [`Checksum`] — all learnt by one
//! [`scan`] of the file, which also refuses what breaks a load-time rule
//! ([`FileProblem`]). Collecting a folder of files is [`crate::source`]'s job.

pub(crate) mod checksum;
mod content;
mod name;
pub(crate) mod placeholder_error;
mod placeholders;
mod problem;
mod read;
mod scan;
mod section;
#[cfg(test)]
mod tests;
pub(crate) mod version;

pub use checksum::Checksum;
pub use content::{Content, DownPart, Part};
pub use name::FileName;
pub use placeholders::{PlaceholderError, PlaceholderProblem, Placeholders, Replacing, Unresolved};
pub use problem::{FileKind, FileProblem};
pub use read::{CHECK_FIRST_LIMIT, PartReader};
pub use scan::{ScannedFile, scan};
pub(crate) use scan::{scan_keeping_mixed, scan_with};
pub use version::Version;

/// What a migration file does.
///
/// Versioned migrations sort (and run) before repeatable ones.
///
/// ```
/// use strata::migration::MigrationKind;
/// assert!(MigrationKind::Versioned < MigrationKind::Repeatable);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MigrationKind {
    /// `V<version>__…`, `<digits>_….sql`, `<digits>_….up.sql`: applied once, in version order.
    Versioned,
    /// `R__…`: re-applied whenever its checksum changes, after all versioned ones.
    Repeatable,
}

impl MigrationKind {
    /// The name used in the history table's `kind` column.
    ///
    /// ```
    /// use strata::migration::MigrationKind;
    /// assert_eq!(MigrationKind::Versioned.as_str(), "versioned");
    /// assert_eq!(MigrationKind::Repeatable.as_str(), "repeatable");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            MigrationKind::Versioned => "versioned",
            MigrationKind::Repeatable => "repeatable",
        }
    }
}

/// A migration file as found on disk (or embedded), before any database is consulted.
///
/// See [`crate::history::AppliedMigration`] for a row of the history table:
/// the two are deliberately separate types.
///
/// Usually built by [`crate::source::Migrations`] from a folder or from
/// embedded files:
///
/// ```
/// use std::path::Path;
/// use strata::migration::{Checksum, Content, MigrationKind};
/// use strata::source::Migrations;
/// let m = Migrations::from_files(Path::new("migrations"), vec![
///     ("V004__add_orders.sql".into(), Content::Static(b"CREATE TABLE orders (id int);\n")),
/// ])?;
/// let orders = &m.list[0];
/// assert_eq!(orders.kind, MigrationKind::Versioned);
/// assert_eq!(orders.version.as_ref().map(ToString::to_string), Some("4".to_owned()));
/// assert_eq!(orders.description, "add orders");
/// assert_eq!(orders.checksum, Checksum::of(b"CREATE TABLE orders (id int);\n"));
/// assert!(orders.down.is_none());
/// # Ok::<(), strata::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Migration {
    /// File name relative to the migrations folder (the history's `script`).
    pub script: String,
    /// Where the bytes are.
    pub content: Content,
    /// Versioned or repeatable.
    pub kind: MigrationKind,
    /// The version (None for repeatable migrations).
    pub version: Option<Version>,
    /// From the file name, `_` shown as space.
    pub description: String,
    /// SPEC §2.3.
    pub checksum: Checksum,
    /// The part `migrate` runs.
    pub up: Part,
    /// The part `rollback` runs, if any.
    pub down: Option<DownPart>,
    /// Lint rules suppressed by `-- strata:allow`.
    pub allow: Vec<String>,
    /// Size in bytes.
    pub size: u64,
}

impl Migration {
    /// True when the up part runs outside a transaction.
    ///
    /// ```
    /// use std::path::Path;
    /// use strata::migration::Content;
    /// use strata::source::Migrations;
    /// let m = Migrations::from_files(Path::new("migrations"), vec![
    ///     ("V1__t.sql".into(), Content::Static(b"CREATE TABLE t (a int);")),
    ///     (
    ///         "V2__t_a.sql".into(),
    ///         Content::Static(b"-- strata:no-transaction\nCREATE INDEX CONCURRENTLY t_a ON t (a);"),
    ///     ),
    /// ])?;
    /// assert!(!m.list[0].no_transaction());
    /// assert!(m.list[1].no_transaction());
    /// # Ok::<(), strata::Error>(())
    /// ```
    pub fn no_transaction(&self) -> bool {
        self.up.no_transaction
    }

    /// A short label: the normalized version for versioned migrations
    /// (`4` for `V004__…`), `R ` and the description for repeatables.
    ///
    /// ```
    /// use std::path::Path;
    /// use strata::migration::Content;
    /// use strata::source::Migrations;
    /// let m = Migrations::from_files(Path::new("migrations"), vec![
    ///     ("V004__add_orders.sql".into(), Content::Static(b"CREATE TABLE orders (id int);")),
    ///     ("R__order_views.sql".into(), Content::Static(b"CREATE OR REPLACE VIEW v AS SELECT 1;")),
    /// ])?;
    /// assert_eq!(m.list[0].label(), "4");
    /// assert_eq!(m.list[1].label(), "R order views");
    /// # Ok::<(), strata::Error>(())
    /// ```
    pub fn label(&self) -> String {
        match &self.version {
            Some(v) => format!("{v}"),
            None => format!("R {}", self.description),
        }
    }
}
