//! Adopting a database another tool managed (`baseline --from TOOL`).
//!
//! strata reads that tool's own history table, works out which versions it
//! applied, and records the same versions in strata's history with the
//! checksums of the files on disk — so a team switches tools without
//! re-running anything. The other tool's table is only read, never changed
//! (so switching back stays possible until it is dropped by hand).
//!
//! | tool | table (default) | what says "applied" |
//! |---|---|---|
//! | flyway | `flyway_schema_history` | latest row per version: `success` and not `UNDO_*`/`DELETE`; `*BASELINE` rows become a strata baseline; repeatables by description |
//! | dbmate | `schema_migrations(version varchar)` | every row |
//! | golang-migrate | `schema_migrations(version bigint, dirty bool)` | every file version ≤ its single `version`; refused while `dirty` |
//! | sqlx | `_sqlx_migrations` | rows with `success`; refused if one failed |
//! | node-pg-migrate | `pgmigrations(name, run_on)` | every row; the version is the leading digits of `name` |
//! | refinery | `refinery_schema_history(version int4, …)` | every row |
//!
//! Everything is checked before anything is written: strata's history must be
//! empty, and every applied version must have a file (its checksum is what
//! strata records). Files the tool never applied stay `pending` (or
//! `out_of_order`, if a higher version was applied).

use tokio_postgres::Client;

use crate::baseline::{refuse_unless_empty, write_into_empty_history};
use crate::error::{Error, LockHolder};
use crate::history::{AppliedMigration, NewRow, TableName};
use crate::lock::Session;
use crate::source::Migrations;

mod interpret;
mod read;
mod rows;
#[cfg(test)]
mod tests;
mod tool;

pub use interpret::{ToolHistory, interpret};
pub use read::{ToolRow, read_tool_history};
pub use rows::rows_for;
pub use tool::Tool;

/// Options of an adoption.
///
/// ```
/// use std::time::Duration;
/// use strata::adopt::{AdoptOptions, Tool};
/// use strata::history::TableName;
/// // `strata baseline --from flyway --from-table legacy.flyway_history --dry-run`
/// let opts = AdoptOptions {
///     from_table: Some(TableName::parse("legacy.flyway_history")?),
///     dry_run: true,
///     ..AdoptOptions::new(Tool::Flyway)
/// };
/// assert_eq!(opts.session.lock_wait, Duration::from_secs(60));
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, Debug)]
pub struct AdoptOptions {
    /// The tool.
    pub tool: Tool,
    /// Its table; None for [`Tool::default_table`].
    pub from_table: Option<TableName>,
    /// Report what would be recorded; write nothing.
    pub dry_run: bool,
    /// The lock wait and the session's `lock_timeout` / `statement_timeout`.
    pub session: Session,
}

impl AdoptOptions {
    /// Defaults for `tool`: its default table, 60 s lock wait.
    ///
    /// ```
    /// use strata::adopt::{AdoptOptions, Tool};
    /// assert!(AdoptOptions::new(Tool::Flyway).from_table.is_none());
    /// ```
    pub fn new(tool: Tool) -> AdoptOptions {
        AdoptOptions {
            tool,
            from_table: None,
            dry_run: false,
            session: Session::default(),
        }
    }
}

/// What an adoption recorded.
///
/// ```no_run
/// use strata::adopt::{AdoptOptions, Tool, adopt};
/// use strata::TableName;
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// # let url = std::env::var("DATABASE_URL")?;
/// let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
/// tokio::spawn(connection);
/// let migrations = strata::Migrations::from_dir("migrations".as_ref())?;
/// let dry = AdoptOptions { dry_run: true, ..AdoptOptions::new(Tool::Sqlx) };
/// let report = adopt(&client, &TableName::default(), &migrations, &dry, &mut |_| {}).await?;
/// println!("from {}, strata would record:", report.source);
/// for row in &report.recorded {
///     println!("  {} {}", row.kind.as_str(), row.script);
/// }
/// assert!(report.history.is_empty()); // a dry run writes nothing
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct AdoptReport {
    /// The tool's table that was read.
    pub source: TableName,
    /// The rows recorded (for a dry run, the rows that would be).
    pub recorded: Vec<NewRow>,
    /// strata's history afterwards (empty for a dry run).
    pub history: Vec<AppliedMigration>,
}

/// Records in `table` what `options.tool` applied.
///
/// ```no_run
/// # async fn f(client: tokio_postgres::Client) -> Result<(), strata::Error> {
/// use strata::adopt::{AdoptOptions, Tool, adopt};
/// let migrations = strata::Migrations::from_dir("migrations".as_ref())?;
/// let report = adopt(&client, &strata::TableName::default(), &migrations,
///     &AdoptOptions::new(Tool::Flyway), &mut |_| {}).await?;
/// println!("recorded {} rows from {}", report.recorded.len(), report.source);
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`Error::HistoryNotEmpty`], [`Error::Adopt`] (nothing written),
/// [`Error::LockTimeout`], [`Error::Db`].
pub async fn adopt(
    client: &Client,
    table: &TableName,
    migrations: &Migrations,
    options: &AdoptOptions,
    on_wait: &mut dyn FnMut(&LockHolder),
) -> Result<AdoptReport, Error> {
    let tool = options.tool;
    let source = options
        .from_table
        .clone()
        .unwrap_or_else(|| tool.default_table());
    let refuse = |reason: String| Error::Adopt {
        tool: tool.to_string(),
        table: source.to_string(),
        reason,
    };
    refuse_unless_empty(client, table).await?;
    let rows = read_tool_history(client, tool, &source).await?;
    let h = interpret(tool, &rows).map_err(refuse)?;
    let recorded = rows_for(&h, &migrations.list).map_err(refuse)?;
    if options.dry_run {
        return Ok(AdoptReport {
            source,
            recorded,
            history: Vec::new(),
        });
    }
    let history =
        write_into_empty_history(client, table, &recorded, &options.session, on_wait).await?;
    Ok(AdoptReport {
        source,
        recorded,
        history,
    })
}
