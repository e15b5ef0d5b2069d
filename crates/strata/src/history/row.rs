//! One history row, typed: [`AppliedMigration`] and its [`RowKind`], and the
//! conversion of the stored text columns into them.
//!
//! A value strata cannot read (a version that does not parse, a checksum that
//! is not 64 hex digits, an unknown kind) is an [`Error::CorruptHistory`]
//! naming the table, the row's `installed_rank` and the column: a corrupt row
//! is never dropped, and never read as something it is not.

use crate::error::Error;
use crate::migration::{Checksum, Version};

use super::Timestamp;

/// The `kind` column.
///
/// A version's latest row decides its state: `Undo` after `Versioned` makes
/// it pending again (see [`crate::plan::Plan`]).
///
/// ```
/// use strata::history::RowKind;
/// let kinds = [RowKind::Versioned, RowKind::Repeatable, RowKind::Undo, RowKind::Baseline];
/// assert_eq!(kinds.map(RowKind::as_str), ["versioned", "repeatable", "undo", "baseline"]);
/// assert_eq!(kinds.map(|k| RowKind::parse(k.as_str())), kinds.map(Some));
/// assert_eq!(RowKind::parse("SQL"), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RowKind {
    /// A versioned migration was applied (or failed).
    Versioned,
    /// A repeatable migration was applied.
    Repeatable,
    /// A version was rolled back.
    Undo,
    /// The database was marked as being at a version.
    Baseline,
}

impl RowKind {
    /// The text stored in the table.
    ///
    /// ```
    /// assert_eq!(strata::history::RowKind::Undo.as_str(), "undo");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            RowKind::Versioned => "versioned",
            RowKind::Repeatable => "repeatable",
            RowKind::Undo => "undo",
            RowKind::Baseline => "baseline",
        }
    }

    /// The kind stored as `s`; `None` for any other text.
    ///
    /// ```
    /// use strata::history::RowKind;
    /// assert_eq!(RowKind::parse("baseline"), Some(RowKind::Baseline));
    /// assert_eq!(RowKind::parse("Versioned"), None); // exactly as stored
    /// ```
    pub fn parse(s: &str) -> Option<RowKind> {
        Some(match s {
            "versioned" => RowKind::Versioned,
            "repeatable" => RowKind::Repeatable,
            "undo" => RowKind::Undo,
            "baseline" => RowKind::Baseline,
            _ => return None,
        })
    }
}

/// One row of the history table.
///
/// ```no_run
/// use strata::history::{self, TableName};
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// # let url = std::env::var("DATABASE_URL")?;
/// let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
/// tokio::spawn(connection);
/// let rows = history::read(&client, &TableName::default()).await?.unwrap_or_default();
/// for row in &rows {
///     let outcome = if row.success { "ok" } else { "FAILED" };
///     let version = row.version.as_ref().map_or("-".to_owned(), ToString::to_string);
///     println!("{} {} {version} {} {} {outcome}", row.installed_rank, row.kind.as_str(), row.script, row.applied_at);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct AppliedMigration {
    /// 1, 2, 3 … in order of execution.
    pub installed_rank: i32,
    /// The version; None for repeatables.
    pub version: Option<Version>,
    /// Description.
    pub description: String,
    /// What happened.
    pub kind: RowKind,
    /// File name.
    pub script: String,
    /// The recorded checksum, None for baseline rows.
    pub checksum: Option<Checksum>,
    /// `current_user` at the time.
    pub applied_by: String,
    /// When (shown as RFC 3339 in UTC).
    pub applied_at: Timestamp,
    /// Wall time of the script.
    pub execution_ms: i32,
    /// False only for a failed no-transaction migration.
    pub success: bool,
    /// For a failed no-transaction migration: statements that succeeded.
    pub progress: Option<serde_json::Value>,
}

/// The typed columns of one row: what [`super::read_state`] converts as the
/// row streams in. Borrowed text in, no allocation unless the row is corrupt.
#[derive(Clone, Copy, Debug)]
pub(crate) struct StoredColumns<'a> {
    pub installed_rank: i32,
    pub version: Option<&'a str>,
    pub kind: Option<&'a str>,
    pub checksum: Option<&'a str>,
    pub applied_at: Option<Timestamp>,
}

/// The typed values of [`StoredColumns`].
pub(crate) struct TypedColumns {
    pub version: Option<Version>,
    pub kind: RowKind,
    pub checksum: Option<Checksum>,
    pub applied_at: Timestamp,
}

impl StoredColumns<'_> {
    /// Parses every column, or names the first one that does not parse.
    pub(crate) fn typed(self, table: &dyn std::fmt::Display) -> Result<TypedColumns, Error> {
        let corrupt = |column: &'static str, value: Option<&str>, expected: &'static str| {
            Error::CorruptHistory {
                table: table.to_string(),
                installed_rank: self.installed_rank,
                column,
                value: value.map(str::to_owned),
                expected,
            }
        };
        let version =
            match self.version {
                None => None,
                Some(v) => Some(v.parse::<Version>().map_err(|_| {
                    corrupt("version", Some(v), "a version like 1, 2.1 or 20250101")
                })?),
            };
        let kind = self.kind.and_then(RowKind::parse).ok_or_else(|| {
            corrupt(
                "kind",
                self.kind,
                "one of versioned, repeatable, undo, baseline",
            )
        })?;
        // SPEC §3: version is null exactly for repeatable migrations.
        match (version.is_some(), kind == RowKind::Repeatable) {
            (false, false) => {
                return Err(corrupt(
                    "version",
                    None,
                    "a version (only repeatable rows have none)",
                ));
            }
            (true, true) => {
                return Err(corrupt(
                    "version",
                    self.version,
                    "null (a repeatable row has no version)",
                ));
            }
            _ => {}
        }
        let checksum = match self.checksum {
            None => None,
            Some(c) => Some(
                Checksum::from_hex(c)
                    .ok_or_else(|| corrupt("checksum", Some(c), "64 hex digits"))?,
            ),
        };
        let applied_at = self
            .applied_at
            .ok_or_else(|| corrupt("applied_at", None, "a timestamp"))?;
        Ok(TypedColumns {
            version,
            kind,
            checksum,
            applied_at,
        })
    }
}
