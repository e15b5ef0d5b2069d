//! `baseline VERSION`: mark an existing database as being at VERSION.
//!
//! One `baseline` row (no checksum: no script ran). Versions below it become
//! `below_baseline` and are never applied; the version itself shows as
//! `baseline`; later versions are pending. Refused when the history table
//! already has rows: a baseline describes a database strata never migrated,
//! and writing one into a live history would hide what really ran.
//!
//! [`crate::adopt`] builds on the same checks to take over another tool's
//! history.

use tokio_postgres::Client;

use crate::error::{Error, LockHolder};
use crate::history::{self, AppliedMigration, NewRow, RowKind, TableName};
use crate::lock::{Session, with_lock};
use crate::migration::Version;

/// The `script` (and default description) of a baseline row.
///
/// Below the baseline version nothing is applied; above it, files are pending:
///
/// ```
/// use std::path::Path;
/// use strata::baseline::BASELINE_SCRIPT;
/// use strata::history::{AppliedMigration, RowKind, Timestamp};
/// use strata::migration::Content;
/// use strata::plan::{Plan, PlanOptions, State};
/// use strata::source::Migrations;
/// let files = Migrations::from_files(Path::new("migrations"), vec![
///     ("V1__a.sql".into(), Content::Static(b"SELECT 1;")),
///     ("V2__b.sql".into(), Content::Static(b"SELECT 2;")),
///     ("V3__c.sql".into(), Content::Static(b"SELECT 3;")),
/// ])?;
/// // The row `strata baseline 2` writes.
/// let row = AppliedMigration {
///     installed_rank: 1,
///     version: files.list[1].version.clone(), // 2
///     description: BASELINE_SCRIPT.into(),
///     kind: RowKind::Baseline,
///     script: BASELINE_SCRIPT.into(),
///     checksum: None,
///     applied_by: "admin".into(),
///     applied_at: Timestamp::from_unix_secs(1_735_689_600), // 2025-01-01
///     execution_ms: 0,
///     success: true,
///     progress: None,
/// };
/// let plan = Plan::new(&files.list, &[row], &PlanOptions::default());
/// let states: Vec<State> = plan.entries.iter().map(|e| e.state).collect();
/// assert_eq!(states, [State::BelowBaseline, State::Baseline, State::Pending]);
/// # Ok::<(), strata::Error>(())
/// ```
pub const BASELINE_SCRIPT: &str = "<< baseline >>";

/// Writes a baseline row for `version` into `table` (created if missing),
/// under the migration lock (on `client`'s session, [`with_lock`]).
/// Returns the history as it now is.
///
/// ```no_run
/// # async fn f(client: tokio_postgres::Client) -> Result<(), strata::Error> {
/// use strata::lock::Session;
/// let version = "5".parse().expect("a version");
/// let rows = strata::baseline::baseline(&client, &strata::TableName::default(), &version,
///     &Session::default(), &mut |_| {}).await?;
/// assert_eq!(rows.len(), 1);
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`Error::HistoryNotEmpty`] when the table has rows; [`Error::LockTimeout`];
/// [`Error::Db`].
pub async fn baseline(
    client: &Client,
    table: &TableName,
    version: &Version,
    session: &Session,
    on_wait: &mut dyn FnMut(&LockHolder),
) -> Result<Vec<AppliedMigration>, Error> {
    let row = baseline_row(version);
    write_into_empty_history(client, table, &[row], session, on_wait).await
}

/// Under the lock: refuses unless `table` is empty or missing, creates it,
/// and inserts `rows` in one transaction. Returns the history afterwards.
pub(crate) async fn write_into_empty_history(
    client: &Client,
    table: &TableName,
    rows: &[NewRow],
    session: &Session,
    on_wait: &mut dyn FnMut(&LockHolder),
) -> Result<Vec<AppliedMigration>, Error> {
    with_lock(client, table, session, on_wait, async |client| {
        if let Some(schema_exists) = refuse_unless_empty(client, table).await? {
            history::create(client, table, schema_exists).await?;
        }
        let ctx = |e| Error::db(format!("cannot write the baseline into {table}"), e);
        client.batch_execute("BEGIN").await.map_err(ctx)?;
        for row in rows {
            if let Err(e) = history::insert(client, table, row).await {
                let _ = client.batch_execute("ROLLBACK").await;
                return Err(ctx(e));
            }
        }
        client.batch_execute("COMMIT").await.map_err(ctx)?;
        Ok(history::read(client, table).await?.unwrap_or_default())
    })
    .await
}

/// [`Error::HistoryNotEmpty`] unless `table` is missing or empty; when it is
/// missing, whether its schema exists (for [`history::create`]).
pub(crate) async fn refuse_unless_empty(
    client: &Client,
    table: &TableName,
) -> Result<Option<bool>, Error> {
    // One read answers all three questions: is it there, is it empty, is its schema there.
    match history::read_state(client, table).await? {
        history::HistoryState::Present(rows) if !rows.is_empty() => Err(Error::HistoryNotEmpty {
            table: table.to_string(),
            rows: i64::try_from(rows.len()).unwrap_or(i64::MAX),
        }),
        history::HistoryState::Present(_) => Ok(None),
        history::HistoryState::Missing { schema_exists } => Ok(Some(schema_exists)),
    }
}

/// The one history row that marks a database as being at `version`
/// (`baseline VERSION`, and the baseline row of an adopted history).
pub(crate) fn baseline_row(version: &Version) -> NewRow {
    NewRow {
        version: Some(version.clone()),
        description: BASELINE_SCRIPT.into(),
        kind: RowKind::Baseline,
        script: BASELINE_SCRIPT.into(),
        checksum: None,
        execution_ms: Some(0),
        success: true,
        progress: None,
    }
}
