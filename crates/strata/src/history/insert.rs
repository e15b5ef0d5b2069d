//! Writing one history row: [`NewRow`] and the single-round-trip insert
//! that records it, inside the transaction of the change it records.
//!
//! Values are bound, never formatted into the SQL; the version and checksum
//! are bound as the text [`super::read`] parses back (the normalized version,
//! the checksum's lowercase hex), so a row reads back as it was written.

use tokio_postgres::Client;
use tokio_postgres::types::Type;

use crate::migration::{Checksum, Version};

use super::{RowKind, TableName};

/// The statement that records a migration. Parameters: version, description,
/// kind, script, checksum, execution_ms (NULL = measure on the server: the
/// time since the transaction began), success, progress, and `$9`: true to
/// let the transaction commit asynchronously (see [`insert_with`]).
///
/// The rank is computed from the table itself; strata holds the migration
/// lock, so no other writer can interleave.
///
/// ```
/// use strata::history::{TableName, insert_sql};
/// let sql = insert_sql(&TableName::default());
/// assert!(sql.contains("INSERT INTO \"public\".\"strata_schema_history\""));
/// // Values are bound, never formatted into the SQL.
/// assert!(sql.contains("$1, $2, $3, $4, $5") && sql.contains("$9"));
/// ```
pub fn insert_sql(table: &TableName) -> String {
    // $9 = true lets this transaction commit asynchronously (see `insert_with`);
    // the CTE yields exactly one row and runs once. The rank is a scalar
    // subquery so PostgreSQL answers max() from the primary key's index (an
    // aggregate over a join would scan the whole table on every insert).
    format!(
        "WITH s AS (SELECT CASE WHEN $9 THEN set_config('synchronous_commit', 'off', true) END AS c) \
         INSERT INTO {t} (installed_rank, version, description, kind, script, checksum, applied_by, applied_at, \
         execution_ms, success, progress) \
         SELECT (SELECT coalesce(max(installed_rank), 0) + 1 FROM {t}), $1, $2, $3, $4, $5, current_user, now(), \
         coalesce($6, (extract(epoch FROM clock_timestamp() - now()) * 1000)::integer), $7, $8 FROM s",
        t = table.quoted()
    )
}

/// Values of one history row to insert; see [`insert`].
///
/// ```
/// use std::path::Path;
/// use strata::history::{NewRow, RowKind};
/// use strata::migration::Content;
/// use strata::source::Migrations;
/// let migrations = Migrations::from_files(Path::new("migrations"), vec![
///     ("R__views.sql".into(), Content::Static(b"CREATE OR REPLACE VIEW v AS SELECT 1;")),
/// ])?;
/// let m = &migrations.list[0];
/// // What strata records after running it for 12 ms.
/// let row = NewRow {
///     version: m.version.clone(),
///     description: m.description.clone(),
///     kind: RowKind::Repeatable,
///     script: m.script.clone(),
///     checksum: Some(m.checksum),
///     execution_ms: Some(12),
///     success: true,
///     progress: None,
/// };
/// assert_eq!((row.version, row.description.as_str()), (None, "views"));
/// # Ok::<(), strata::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct NewRow {
    /// The version, None for repeatables; stored in its normalized form
    /// (`V001` as `1`, `V2_1` as `2.1`).
    pub version: Option<Version>,
    /// Description.
    pub description: String,
    /// Kind.
    pub kind: RowKind,
    /// File name.
    pub script: String,
    /// The checksum, stored as 64 lowercase hex digits; None for baseline rows.
    pub checksum: Option<Checksum>,
    /// Measured client-side, or None to measure on the server.
    pub execution_ms: Option<i32>,
    /// Success.
    pub success: bool,
    /// Progress of a failed no-transaction migration.
    pub progress: Option<serde_json::Value>,
}

/// Inserts one row with a single prepare-free round trip; its transaction
/// commits with the session's `synchronous_commit`.
///
/// Send it inside the transaction of the change it records, so both commit
/// or neither does ([`Migrator`](crate::Migrator) does all of this for you).
///
/// ```no_run
/// use strata::history::{self, NewRow, TableName};
/// # fn row_of(m: &strata::migration::Migration) -> NewRow {
/// #     use strata::history::RowKind::{Repeatable, Versioned};
/// #     let kind = if m.version.is_some() { Versioned } else { Repeatable };
/// #     NewRow { version: m.version.clone(), description: m.description.clone(),
/// #         kind, script: m.script.clone(),
/// #         checksum: Some(m.checksum), execution_ms: None, success: true, progress: None }
/// # }
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// # let url = std::env::var("DATABASE_URL")?;
/// let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
/// tokio::spawn(connection);
/// let migrations = strata::Migrations::from_dir("migrations".as_ref())?;
/// let m = &migrations.list[0];
/// let row = row_of(m); // its `NewRow`, as in that type's example
/// client.batch_execute("BEGIN").await?;
/// client.batch_execute(&m.content.read_part(&m.up, &m.script)?).await?;
/// history::insert(&client, &TableName::default(), &row).await?;
/// client.batch_execute("COMMIT").await?;
/// # Ok(()) }
/// ```
///
/// # Errors
/// The driver's error.
pub async fn insert(
    client: &Client,
    table: &TableName,
    row: &NewRow,
) -> Result<(), tokio_postgres::Error> {
    insert_with(client, table, row, false).await
}

/// Inserts one row; with `async_commit` the surrounding transaction commits
/// with `synchronous_commit = off` (set locally, nothing leaks to the session).
///
/// The migrator uses this for every migration of a run but the last: the
/// last commit is synchronous, and flushing its WAL flushes every earlier
/// commit too, so a run costs one fsync instead of one per migration. A crash
/// in between loses migrations *together with* their history rows — each
/// commits atomically — so a rerun applies them again: nothing is half-done.
///
/// ```no_run
/// use strata::history::{self, NewRow, TableName};
/// # fn row_of(m: &strata::migration::Migration) -> NewRow {
/// #     use strata::history::RowKind::{Repeatable, Versioned};
/// #     let kind = if m.version.is_some() { Versioned } else { Repeatable };
/// #     NewRow { version: m.version.clone(), description: m.description.clone(),
/// #         kind, script: m.script.clone(),
/// #         checksum: Some(m.checksum), execution_ms: None, success: true, progress: None }
/// # }
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// # let url = std::env::var("DATABASE_URL")?;
/// let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
/// tokio::spawn(connection);
/// let migrations = strata::Migrations::from_dir("migrations".as_ref())?;
/// let (table, todo) = (TableName::default(), &migrations.list);
/// for (i, m) in todo.iter().enumerate() {
///     client.batch_execute("BEGIN").await?;
///     client.batch_execute(&m.content.read_part(&m.up, &m.script)?).await?;
///     // Only the last commit waits for the WAL flush, which covers the earlier ones.
///     history::insert_with(&client, &table, &row_of(m), i + 1 < todo.len()).await?;
///     client.batch_execute("COMMIT").await?;
/// }
/// # Ok(()) }
/// ```
///
/// # Errors
/// The driver's error.
pub async fn insert_with(
    client: &Client,
    table: &TableName,
    row: &NewRow,
    async_commit: bool,
) -> Result<(), tokio_postgres::Error> {
    let sql = insert_sql(table);
    // The text forms `read` parses back: the normalized version, lowercase hex.
    let version = row.version.as_ref().map(ToString::to_string);
    let checksum = row.checksum.map(|c| c.to_hex());
    client
        .query_typed(
            &sql,
            &[
                (&version, Type::TEXT),
                (&row.description, Type::TEXT),
                (&row.kind.as_str(), Type::TEXT),
                (&row.script, Type::TEXT),
                (&checksum, Type::TEXT),
                (&row.execution_ms, Type::INT4),
                (&row.success, Type::BOOL),
                (&row.progress, Type::JSONB),
                (&async_commit, Type::BOOL),
            ],
        )
        .await
        .map(|_| ())
}
