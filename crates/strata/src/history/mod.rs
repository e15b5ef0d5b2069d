//! The history table (SPEC §3): its DDL, its rows, and the queries on it.
//!
//! The table is an append-only audit log. strata reads it once per run with a
//! single query and writes one row per migration, in the same transaction as
//! the migration itself. [`AppliedMigration`] is a row; it is deliberately a
//! different type from [`crate::migration::Migration`], a file.

use futures_util::TryStreamExt;
use tokio_postgres::Client;
use tokio_postgres::types::Type;

use crate::error::Error;

mod insert;
mod row;
mod shape;
#[cfg(test)]
mod tests;
mod timestamp;

pub use crate::config::{TableName, quote_ident};
pub use insert::{NewRow, insert, insert_sql, insert_with};
use row::StoredColumns;
pub use row::{AppliedMigration, RowKind};
pub use shape::tool_of;
pub use timestamp::Timestamp;

/// `CREATE TABLE` for the history table (and, with `with_schema`, its schema).
///
/// ```
/// use strata::history::{TableName, create_sql};
/// let table = TableName::parse("app.schema_history")?;
/// let ddl = create_sql(&table, true);
/// assert!(ddl.starts_with(
///     "CREATE SCHEMA IF NOT EXISTS \"app\";\nCREATE TABLE IF NOT EXISTS \"app\".\"schema_history\" ("
/// ));
/// assert!(!create_sql(&table, false).contains("CREATE SCHEMA"));
/// # Ok::<(), String>(())
/// ```
pub fn create_sql(table: &TableName, with_schema: bool) -> String {
    let schema = if with_schema {
        format!(
            "CREATE SCHEMA IF NOT EXISTS {};\n",
            quote_ident(&table.schema)
        )
    } else {
        String::new()
    };
    format!(
        "{schema}CREATE TABLE IF NOT EXISTS {t} (
    installed_rank integer PRIMARY KEY,
    version text,
    description text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('versioned', 'repeatable', 'undo', 'baseline')),
    script text NOT NULL,
    checksum text,
    applied_by text NOT NULL DEFAULT current_user,
    applied_at timestamptz NOT NULL DEFAULT now(),
    execution_ms integer NOT NULL,
    success boolean NOT NULL,
    progress jsonb
);",
        t = table.quoted()
    )
}

/// [`create_sql`] as one statement that also creates the schema when it is
/// missing, for use inside a migration's transaction (where a failed
/// `CREATE SCHEMA IF NOT EXISTS` — it checks the database's `CREATE`
/// privilege even when the schema exists — would abort the migration).
/// `None` when the names make dollar quoting ambiguous.
pub(crate) fn create_in_transaction_sql(table: &TableName) -> Option<String> {
    let create = create_sql(table, false);
    if create.contains("$strata$") || table.schema.contains("$strata$") {
        return None;
    }
    Some(format!(
        "DO $strata$ BEGIN\n\
         IF NOT EXISTS (SELECT FROM pg_catalog.pg_namespace WHERE nspname = '{lit}') THEN\n\
         CREATE SCHEMA {schema};\n\
         END IF;\n\
         {create}\n\
         END $strata$",
        lit = table.schema.replace('\'', "''"),
        schema = quote_ident(&table.schema),
    ))
}

fn select_sql(table: &TableName) -> String {
    // No ORDER BY and no to_char(): a sequential scan and a binary timestamp
    // cost the server a fraction of an index scan and ten thousand
    // formatted dates; the rows are put in rank order here.
    format!(
        "SELECT installed_rank, version, description, kind, script, checksum, applied_by, \
         applied_at, execution_ms, success, progress FROM {}",
        table.quoted()
    )
}

/// What [`read_state`] found.
///
/// ```no_run
/// use strata::history::{self, HistoryState, TableName};
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// # let url = std::env::var("DATABASE_URL")?;
/// let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
/// tokio::spawn(connection);
/// let table = TableName::parse("app.schema_history")?;
/// match history::read_state(&client, &table).await? {
///     HistoryState::Present(rows) => println!("{} row(s)", rows.len()),
///     HistoryState::Missing { schema_exists: true } => println!("no table {table} yet"),
///     HistoryState::Missing { schema_exists: false } => println!("no schema {} yet", table.schema),
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum HistoryState {
    /// The table exists; its rows in `installed_rank` order.
    Present(Vec<AppliedMigration>),
    /// The table does not exist; nor does its schema, when `schema_exists` is false.
    Missing {
        /// Whether the schema exists.
        schema_exists: bool,
    },
}

/// Reads the whole history in one round trip; `None` when the table does not exist.
///
/// ```no_run
/// use strata::history::{self, TableName};
/// use strata::plan::{Plan, PlanOptions};
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// # let url = std::env::var("DATABASE_URL")?;
/// let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
/// tokio::spawn(connection);
/// let migrations = strata::Migrations::from_dir("migrations".as_ref())?;
/// let rows = history::read(&client, &TableName::default()).await?.unwrap_or_default();
/// let plan = Plan::new(&migrations.list, &rows, &PlanOptions::default());
/// println!("{} pending", plan.to_apply.len());
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`Error::Db`] for anything but a missing table.
pub async fn read(
    client: &Client,
    table: &TableName,
) -> Result<Option<Vec<AppliedMigration>>, Error> {
    Ok(match read_state(client, table).await? {
        HistoryState::Present(rows) => Some(rows),
        HistoryState::Missing { .. } => None,
    })
}

/// Reads the whole history in one round trip, telling a missing table from a
/// missing schema (so creating it later needs no extra catalog query).
///
/// ```no_run
/// use strata::history::{self, HistoryState, TableName};
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// # let url = std::env::var("DATABASE_URL")?;
/// let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
/// tokio::spawn(connection);
/// let table = TableName::default();
/// let rows = match history::read_state(&client, &table).await? {
///     HistoryState::Present(rows) => rows,
///     HistoryState::Missing { schema_exists } => {
///         history::create(&client, &table, schema_exists).await?;
///         Vec::new()
///     }
/// };
/// # let _ = rows;
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`Error::ForeignHistory`] when the table lacks §3's columns (another
/// tool's history); [`Error::Db`] for anything but a missing table or schema.
pub async fn read_state(client: &Client, table: &TableName) -> Result<HistoryState, Error> {
    // Rows are converted as they arrive, so ten thousand of them are never
    // all held twice (as wire rows and as history rows).
    let params: [(&(dyn tokio_postgres::types::ToSql + Sync), Type); 0] = [];
    let stream = match client.query_typed_raw(&select_sql(table), params).await {
        Ok(stream) => stream,
        Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::UNDEFINED_TABLE) => {
            return Ok(HistoryState::Missing {
                schema_exists: true,
            });
        }
        Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::INVALID_SCHEMA_NAME) => {
            return Ok(HistoryState::Missing {
                schema_exists: false,
            });
        }
        // A table by that name without strata's columns: another tool's.
        Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::UNDEFINED_COLUMN) => {
            return Err(shape::foreign_history(client, table).await);
        }
        Err(e) => {
            return Err(Error::db(
                format!("cannot read the history table {table}"),
                e,
            ));
        }
    };
    let ctx = |e| Error::db(format!("unexpected row in the history table {table}"), e);
    let mut stream = std::pin::pin!(stream);
    let mut out = Vec::new();
    while let Some(r) = stream
        .try_next()
        .await
        .map_err(|e| Error::db(format!("cannot read the history table {table}"), e))?
    {
        let typed = StoredColumns {
            installed_rank: r.try_get(0).map_err(ctx)?,
            version: r.try_get(1).map_err(ctx)?,
            kind: r.try_get(3).map_err(ctx)?,
            checksum: r.try_get(5).map_err(ctx)?,
            applied_at: r.try_get(7).map_err(ctx)?,
        };
        let installed_rank = typed.installed_rank;
        let typed = typed.typed(table)?;
        out.push(AppliedMigration {
            installed_rank,
            version: typed.version,
            description: r.try_get(2).map_err(ctx)?,
            kind: typed.kind,
            script: r.try_get(4).map_err(ctx)?,
            checksum: typed.checksum,
            applied_by: r.try_get(6).map_err(ctx)?,
            applied_at: typed.applied_at,
            execution_ms: r.try_get(8).map_err(ctx)?,
            success: r.try_get(9).map_err(ctx)?,
            progress: r.try_get(10).map_err(ctx)?,
        });
    }
    // A sequential scan returns rows in insertion order unless the table was
    // updated or vacuumed; the stable sort is one pass when they are in order.
    out.sort_by_key(|r| r.installed_rank);
    Ok(HistoryState::Present(out))
}

/// Creates the history table, and its schema unless `schema_exists`.
///
/// `CREATE SCHEMA IF NOT EXISTS` checks the `CREATE` privilege on the
/// database even when the schema exists, so it is only sent when needed: a
/// role that owns just its schema can still create its history table.
///
/// ```no_run
/// use strata::history::{self, TableName};
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// # let url = std::env::var("DATABASE_URL")?;
/// let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
/// tokio::spawn(connection);
/// let table = TableName::parse("app.schema_history")?;
/// if history::read(&client, &table).await?.is_none() {
///     // Should the schema be missing after all, `create` creates it too.
///     history::create(&client, &table, true).await?;
/// }
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`Error::Db`].
pub async fn create(client: &Client, table: &TableName, schema_exists: bool) -> Result<(), Error> {
    let ctx = |e| Error::db(format!("cannot create the history table {table}"), e);
    match client
        .batch_execute(&create_sql(table, !schema_exists))
        .await
    {
        Ok(()) => Ok(()),
        // A missing schema reads as a missing table (42P01), so find out here.
        Err(e)
            if schema_exists
                && e.code() == Some(&tokio_postgres::error::SqlState::INVALID_SCHEMA_NAME) =>
        {
            client
                .batch_execute(&create_sql(table, true))
                .await
                .map_err(ctx)
        }
        Err(e) => Err(ctx(e)),
    }
}
