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

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use tokio_postgres::Client;

use crate::baseline::{BASELINE_SCRIPT, refuse_unless_empty, write_into_empty_history};
use crate::error::{Error, LockHolder};
use crate::history::{AppliedMigration, NewRow, RowKind, TableName};
use crate::lock::Session;
use crate::migration::{Migration, MigrationKind, Version};
use crate::migrator::row_of;
use crate::source::Migrations;

/// A migration tool whose history strata can adopt.
///
/// ```
/// use strata::adopt::Tool;
/// let tool: Tool = "golang-migrate".parse()?;
/// assert_eq!(tool, Tool::GolangMigrate);
/// assert_eq!(tool.default_table().to_string(), "public.schema_migrations");
/// assert_eq!(
///     "liquibase".parse::<Tool>().unwrap_err(),
///     "unknown tool `liquibase`; strata adopts the history of: \
///      flyway, dbmate, golang-migrate, sqlx, node-pg-migrate, refinery"
/// );
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tool {
    /// Flyway.
    Flyway,
    /// dbmate.
    Dbmate,
    /// golang-migrate.
    GolangMigrate,
    /// sqlx (`sqlx migrate`).
    Sqlx,
    /// node-pg-migrate.
    NodePgMigrate,
    /// refinery.
    Refinery,
}

impl Tool {
    /// Every tool, in the order of the docs.
    ///
    /// ```
    /// use strata::adopt::Tool;
    /// let names = Tool::ALL.map(Tool::as_str).join(", ");
    /// assert_eq!(names, "flyway, dbmate, golang-migrate, sqlx, node-pg-migrate, refinery");
    /// ```
    pub const ALL: [Tool; 6] = [
        Tool::Flyway,
        Tool::Dbmate,
        Tool::GolangMigrate,
        Tool::Sqlx,
        Tool::NodePgMigrate,
        Tool::Refinery,
    ];

    /// The name used on the command line.
    ///
    /// ```
    /// assert_eq!(strata::adopt::Tool::GolangMigrate.as_str(), "golang-migrate");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Tool::Flyway => "flyway",
            Tool::Dbmate => "dbmate",
            Tool::GolangMigrate => "golang-migrate",
            Tool::Sqlx => "sqlx",
            Tool::NodePgMigrate => "node-pg-migrate",
            Tool::Refinery => "refinery",
        }
    }

    /// The tool's default history table (in `public`).
    ///
    /// ```
    /// use strata::adopt::Tool;
    /// assert_eq!(Tool::Sqlx.default_table().to_string(), "public._sqlx_migrations");
    /// ```
    pub fn default_table(self) -> TableName {
        let name = match self {
            Tool::Flyway => "flyway_schema_history",
            Tool::Dbmate | Tool::GolangMigrate => "schema_migrations",
            Tool::Sqlx => "_sqlx_migrations",
            Tool::NodePgMigrate => "pgmigrations",
            Tool::Refinery => "refinery_schema_history",
        };
        TableName {
            schema: "public".into(),
            name: name.into(),
        }
    }

    fn query(self, table: &TableName) -> String {
        let t = table.quoted();
        match self {
            Tool::Flyway => format!(
                "SELECT version, description, type, success FROM {t} ORDER BY installed_rank"
            ),
            Tool::Dbmate => format!("SELECT version::text, NULL::text, NULL::text, true FROM {t}"),
            Tool::GolangMigrate => {
                format!("SELECT version::text, NULL::text, NULL::text, NOT dirty FROM {t}")
            }
            Tool::Sqlx => format!(
                "SELECT version::text, description, NULL::text, success FROM {t} ORDER BY version"
            ),
            Tool::NodePgMigrate => {
                format!("SELECT name, NULL::text, NULL::text, true FROM {t} ORDER BY run_on, id")
            }
            Tool::Refinery => format!(
                "SELECT version::text, name::text, NULL::text, true FROM {t} ORDER BY version"
            ),
        }
    }
}

impl fmt::Display for Tool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for Tool {
    type Err = String;

    /// ```
    /// use strata::adopt::Tool;
    /// assert_eq!("flyway".parse::<Tool>(), Ok(Tool::Flyway));
    /// assert!("liquibase".parse::<Tool>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Tool, String> {
        Tool::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown tool `{s}`; strata adopts the history of: {}",
                    Tool::ALL.map(Tool::as_str).join(", ")
                )
            })
    }
}

/// One row of another tool's history, reduced to what adoption needs.
///
/// [`read_tool_history`] reads them; [`interpret`] decides what they mean.
///
/// ```
/// use strata::adopt::{Tool, ToolRow, interpret};
/// let flyway = |version: &str, kind: &str| ToolRow {
///     version: Some(version.into()),
///     description: None,
///     kind: Some(kind.into()),
///     success: true,
/// };
/// let rows = [
///     flyway("1", "BASELINE"),
///     flyway("2", "SQL"),
///     flyway("3", "SQL"),
///     flyway("3", "UNDO_SQL"),
/// ];
/// let h = interpret(Tool::Flyway, &rows)?;
/// assert_eq!(h.baseline, Some("1".parse()?));
/// // Version 3 was undone: its latest row decides.
/// assert_eq!(h.applied.iter().map(ToString::to_string).collect::<Vec<_>>(), ["2"]);
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ToolRow {
    /// The version as the tool stored it (node-pg-migrate: the migration name).
    pub version: Option<String>,
    /// Description (flyway, sqlx, refinery), used for repeatables.
    pub description: Option<String>,
    /// Flyway's `type` (`SQL`, `BASELINE`, `UNDO_SQL`, `DELETE` …).
    pub kind: Option<String>,
    /// False for a failed (flyway, sqlx) or dirty (golang-migrate) row.
    pub success: bool,
}

/// What the other tool applied.
///
/// ```
/// use strata::adopt::{Tool, ToolRow, interpret};
/// // golang-migrate keeps a single row: the version reached, and whether it is dirty.
/// let row = ToolRow { version: Some("42".into()), description: None, kind: None, success: true };
/// let h = interpret(Tool::GolangMigrate, std::slice::from_ref(&row))?;
/// assert_eq!(h.up_to, Some("42".parse()?));
/// assert!(h.applied.is_empty() && h.baseline.is_none());
///
/// let dirty = ToolRow { success: false, ..row };
/// assert!(interpret(Tool::GolangMigrate, &[dirty]).unwrap_err().contains("dirty"));
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ToolHistory {
    /// Applied versions, ascending.
    pub applied: BTreeSet<Version>,
    /// A baseline version (flyway).
    pub baseline: Option<Version>,
    /// golang-migrate: every version up to this one is applied.
    pub up_to: Option<Version>,
    /// Descriptions of repeatables applied (flyway).
    pub repeatables: Vec<String>,
}

/// Interprets the rows of `tool`'s table. Pure.
///
/// ```
/// use strata::adopt::{Tool, ToolRow, interpret};
/// let rows = vec![ToolRow { version: Some("20240101120000".into()), description: None, kind: None, success: true }];
/// let h = interpret(Tool::Dbmate, &rows).unwrap();
/// assert_eq!(h.applied.len(), 1);
/// ```
///
/// # Errors
/// A reason string when the tool's history shows a failed or dirty migration,
/// or a version strata cannot read.
pub fn interpret(tool: Tool, rows: &[ToolRow]) -> Result<ToolHistory, String> {
    let mut h = ToolHistory::default();
    let parse = |raw: &str| -> Result<Version, String> {
        let digits: &str = match tool {
            // `1481383212024_init`: the leading digits are the version.
            Tool::NodePgMigrate => {
                let end = raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len());
                &raw[..end]
            }
            _ => raw,
        };
        digits
            .parse::<Version>()
            .map_err(|e| format!("cannot read version `{raw}`: {e}"))
    };
    match tool {
        Tool::Flyway => {
            // The latest row per version decides, as in flyway itself.
            let mut latest: std::collections::BTreeMap<Version, &ToolRow> = Default::default();
            let mut repeatables: std::collections::BTreeMap<&str, bool> = Default::default();
            for r in rows {
                let kind = r.kind.as_deref().unwrap_or("SQL");
                if kind == "SCHEMA" {
                    continue;
                }
                match &r.version {
                    Some(v) => {
                        latest.insert(parse(v)?, r);
                    }
                    None => {
                        if let Some(d) = &r.description {
                            repeatables.insert(d, r.success && kind != "DELETE");
                        }
                    }
                }
            }
            for (v, r) in latest {
                let kind = r.kind.as_deref().unwrap_or("SQL");
                if !r.success {
                    return Err(format!(
                        "flyway recorded version {v} as failed; run `flyway repair` (or finish that migration) first"
                    ));
                }
                if kind.starts_with("UNDO") || kind == "DELETE" {
                    continue;
                }
                if kind.contains("BASELINE") {
                    h.baseline = Some(v);
                } else {
                    h.applied.insert(v);
                }
            }
            h.repeatables = repeatables
                .into_iter()
                .filter(|(_, ok)| *ok)
                .map(|(d, _)| d.replace('_', " "))
                .collect();
        }
        Tool::GolangMigrate => {
            if rows.len() > 1 {
                return Err(format!(
                    "golang-migrate keeps one row, this table has {}",
                    rows.len()
                ));
            }
            if let Some(r) = rows.first() {
                let v = parse(r.version.as_deref().unwrap_or_default())?;
                if !r.success {
                    return Err(format!(
                        "golang-migrate marked version {v} dirty (it failed half-way); fix the schema and run \
                         `migrate force {v}` (or the version before it) first"
                    ));
                }
                h.up_to = Some(v);
            }
        }
        _ => {
            for r in rows {
                let raw = r.version.as_deref().unwrap_or_default();
                let v = parse(raw)?;
                if !r.success {
                    return Err(format!(
                        "{tool} recorded version {v} as failed; resolve it with {tool} first"
                    ));
                }
                h.applied.insert(v);
            }
        }
    }
    Ok(h)
}

/// The strata history rows that record what the tool applied, checksums
/// from `migrations`. Pure.
///
/// ```
/// use std::path::Path;
/// use strata::adopt::{Tool, ToolRow, interpret, rows_for};
/// use strata::history::RowKind;
/// use strata::migration::Content;
/// use strata::source::Migrations;
/// let files = Migrations::from_files(Path::new("db/migrations"), vec![
///     ("20240101000000_users.sql".into(), Content::Static(b"CREATE TABLE users (id int);")),
///     ("20240201000000_roles.sql".into(), Content::Static(b"CREATE TABLE roles (id int);")),
/// ])?;
/// // dbmate applied the first one.
/// let applied = |v: &str| ToolRow {
///     version: Some(v.into()),
///     description: None,
///     kind: None,
///     success: true,
/// };
/// let rows = rows_for(&interpret(Tool::Dbmate, &[applied("20240101000000")])?, &files.list)?;
/// assert_eq!(rows.len(), 1);
/// assert_eq!(rows[0].kind, RowKind::Versioned);
/// assert_eq!(rows[0].script, "20240101000000_users.sql");
/// assert_eq!(rows[0].checksum, Some(files.list[0].checksum.to_hex()));
///
/// // A version applied without a file here is refused.
/// let unknown = interpret(Tool::Dbmate, &[applied("20231231000000")])?;
/// assert!(rows_for(&unknown, &files.list).unwrap_err().contains("20231231000000"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// A reason string naming every applied version without a file.
pub fn rows_for(history: &ToolHistory, migrations: &[Migration]) -> Result<Vec<NewRow>, String> {
    let by_version = |v: &Version| {
        migrations
            .iter()
            .find(|m| m.kind == MigrationKind::Versioned && m.version.as_ref() == Some(v))
    };
    let mut rows = Vec::new();
    let mut missing = Vec::new();
    if let Some(b) = &history.baseline {
        rows.push(NewRow {
            version: Some(b.to_string()),
            description: BASELINE_SCRIPT.into(),
            kind: RowKind::Baseline,
            script: BASELINE_SCRIPT.into(),
            checksum: None,
            execution_ms: Some(0),
            success: true,
            progress: None,
        });
    }
    let mut applied: Vec<&Migration> = Vec::new();
    for v in &history.applied {
        match by_version(v) {
            Some(m) => applied.push(m),
            None => missing.push(v.to_string()),
        }
    }
    if let Some(top) = &history.up_to {
        applied.extend(migrations.iter().filter(|m| {
            m.kind == MigrationKind::Versioned && m.version.as_ref().is_some_and(|v| v <= top)
        }));
        if by_version(top).is_none() {
            missing.push(top.to_string());
        }
    }
    if !missing.is_empty() {
        return Err(format!(
            "applied version(s) {} have no migration file here; copy those files into the migrations folder \
             (strata records their checksums)",
            missing.join(", ")
        ));
    }
    rows.extend(applied.into_iter().map(|m| row_of(m, Some(0), true, None)));
    rows.extend(
        migrations
            .iter()
            .filter(|m| m.kind == MigrationKind::Repeatable)
            .filter(|m| history.repeatables.contains(&m.description))
            .map(|m| row_of(m, Some(0), true, None)),
    );
    Ok(rows)
}

/// Reads `tool`'s history table.
///
/// With [`interpret`], a look at what the tool applied that writes nothing
/// (and, unlike [`adopt`], works whatever strata's own history holds):
///
/// ```no_run
/// use strata::adopt::{Tool, interpret, read_tool_history};
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// # let url = std::env::var("DATABASE_URL")?;
/// let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
/// tokio::spawn(connection);
/// let rows = read_tool_history(&client, Tool::Flyway, &Tool::Flyway.default_table()).await?;
/// let applied = interpret(Tool::Flyway, &rows)?;
/// for v in &applied.applied {
///     println!("flyway applied version {v}");
/// }
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`Error::Adopt`] when the table is missing; [`Error::Db`].
pub async fn read_tool_history(
    client: &Client,
    tool: Tool,
    table: &TableName,
) -> Result<Vec<ToolRow>, Error> {
    let rows = match client.query_typed(&tool.query(table), &[]).await {
        Ok(r) => r,
        Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::UNDEFINED_TABLE) => {
            return Err(Error::Adopt {
                tool: tool.to_string(),
                table: table.to_string(),
                reason: "the table does not exist; is this the right database? (name another table with --from-table)"
                    .into(),
            });
        }
        Err(e) => {
            return Err(Error::db(
                format!("cannot read {tool}'s history {table}"),
                e,
            ));
        }
    };
    let ctx = |e| Error::db(format!("unexpected row in {tool}'s history {table}"), e);
    rows.iter()
        .map(|r| {
            Ok(ToolRow {
                version: r.try_get(0).map_err(ctx)?,
                description: r.try_get(1).map_err(ctx)?,
                kind: r.try_get(2).map_err(ctx)?,
                success: r.try_get(3).map_err(ctx)?,
            })
        })
        .collect()
}

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
    /// Defaults for `tool`: its default table, the default [`Session`] (60 s lock wait).
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

#[cfg(test)]
mod tests {
    use super::*;

    fn row(v: Option<&str>, d: Option<&str>, kind: Option<&str>, ok: bool) -> ToolRow {
        ToolRow {
            version: v.map(Into::into),
            description: d.map(Into::into),
            kind: kind.map(Into::into),
            success: ok,
        }
    }

    #[test]
    fn flyway_latest_row_decides() {
        let rows = vec![
            row(
                Some("1"),
                Some("<< Flyway Baseline >>"),
                Some("BASELINE"),
                true,
            ),
            row(Some("2"), Some("b"), Some("SQL"), true),
            row(Some("3"), Some("c"), Some("SQL"), true),
            row(Some("3"), Some("c"), Some("UNDO_SQL"), true),
            row(None, Some("views"), Some("SQL"), true),
        ];
        let h = interpret(Tool::Flyway, &rows).unwrap();
        assert_eq!(h.baseline, Some("1".parse().unwrap()));
        assert_eq!(
            h.applied
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            ["2"]
        );
        assert_eq!(h.repeatables, ["views"]);
        assert!(interpret(Tool::Flyway, &[row(Some("4"), None, Some("SQL"), false)]).is_err());
    }

    #[test]
    fn golang_migrate_dirty_is_refused_and_node_names_carry_versions() {
        assert!(interpret(Tool::GolangMigrate, &[row(Some("3"), None, None, false)]).is_err());
        let h = interpret(Tool::GolangMigrate, &[row(Some("3"), None, None, true)]).unwrap();
        assert_eq!(h.up_to, Some("3".parse().unwrap()));
        let h = interpret(
            Tool::NodePgMigrate,
            &[row(Some("1700000000000_init"), None, None, true)],
        )
        .unwrap();
        assert_eq!(
            h.applied.iter().next().unwrap().to_string(),
            "1700000000000"
        );
    }
}
