//! The in-flight row of a no-transaction migration (SPEC §3): committed
//! before its first statement (`success = false`, `progress.state =
//! "running"`), its `progress` updated as each statement completes, and
//! replaced by the success row at the end. A run killed or disconnected
//! mid-way therefore leaves a `failed` version that says how far it got.
//!
//! Every write here is its own short transaction that first resets the
//! session's identity for itself only (`SET LOCAL SESSION AUTHORIZATION
//! DEFAULT`, `SET LOCAL ROLE NONE`, `BEGIN READ WRITE`): a migration's own
//! `SET ROLE` cannot make the history unwritable, and once the transaction
//! commits the migration's session state is back for its next statement.
//!
//! [`open_transaction`] asks the server whether the session is inside a
//! transaction block, so a no-transaction file that leaves one open is
//! caught (and no history write ever lands inside the migration's own
//! transaction).

use tokio_postgres::Client;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::Type;

use crate::history::{self, NewRow, TableName};

/// The statements that open one history write, isolated from the
/// migration's session state.
const ISOLATED: &str =
    "BEGIN READ WRITE; SET LOCAL SESSION AUTHORIZATION DEFAULT; SET LOCAL ROLE NONE";

/// A committed in-flight row: its rank in the history table.
#[derive(Debug)]
pub(super) struct InFlight {
    rank: i32,
}

/// What `progress` holds: the statements done and their hashes (the
/// fields `--resume` reads), and where the run stands.
pub(super) fn progress(
    state: &str,
    hashes: &[String],
    failed_line: Option<u32>,
) -> serde_json::Value {
    let mut p = serde_json::json!({
        "state": state,
        "done": hashes.len(),
        "statements_succeeded": hashes.len(),
        "statement_hashes": hashes,
    });
    if let (Some(line), Some(map)) = (failed_line, p.as_object_mut()) {
        map.insert("failed_statement_line".into(), line.into());
    }
    p
}

impl InFlight {
    /// Commits the in-flight row of `row`'s migration. With `resume`, the
    /// failed row of the earlier run becomes this run's in-flight row (its
    /// statements done are `done`); otherwise a new row is appended.
    pub(super) async fn start(
        client: &Client,
        table: &TableName,
        row: &NewRow,
        resume: bool,
        done: &[String],
    ) -> Result<InFlight, tokio_postgres::Error> {
        let running = progress("running", done, None);
        in_isolated_transaction(client, async || {
            if resume {
                let claim = format!(
                    "UPDATE {t} SET progress = $1 WHERE installed_rank = \
                     (SELECT max(installed_rank) FROM {t} WHERE script = $2 AND NOT success) \
                     RETURNING installed_rank",
                    t = table.quoted()
                );
                let rows = client
                    .query_typed(
                        &claim,
                        &[(&running, Type::JSONB), (&row.script, Type::TEXT)],
                    )
                    .await?;
                if let Some(rank) = rows.first().and_then(|r| r.try_get(0).ok()) {
                    return Ok(InFlight { rank });
                }
            }
            let mut in_flight = row.clone();
            in_flight.success = false;
            in_flight.execution_ms = Some(0);
            in_flight.progress = Some(running);
            history::insert(client, table, &in_flight).await?;
            let rank = client
                .query_typed(
                    &format!("SELECT max(installed_rank) FROM {}", table.quoted()),
                    &[],
                )
                .await?
                .first()
                .and_then(|r| r.try_get(0).ok())
                .unwrap_or(0);
            Ok(InFlight { rank })
        })
        .await
    }

    /// Records `progress` (and the time so far) on the in-flight row.
    pub(super) async fn update(
        &self,
        client: &Client,
        table: &TableName,
        progress: &serde_json::Value,
        execution_ms: i32,
    ) -> Result<(), tokio_postgres::Error> {
        let sql = format!(
            "UPDATE {} SET progress = $1, execution_ms = $2 WHERE installed_rank = $3",
            table.quoted()
        );
        in_isolated_transaction(client, async || {
            client
                .query_typed(
                    &sql,
                    &[
                        (progress, Type::JSONB),
                        (&execution_ms, Type::INT4),
                        (&self.rank, Type::INT4),
                    ],
                )
                .await
                .map(|_| ())
        })
        .await
    }

    /// The run succeeded: in one transaction the in-flight row makes way
    /// for the success row, appended (see docs/decisions.md: the history
    /// keeps one row per successful run, and no `success = false` row
    /// remains that `repair` would report).
    pub(super) async fn succeed(
        self,
        client: &Client,
        table: &TableName,
        row: &NewRow,
        async_commit: bool,
    ) -> Result<(), tokio_postgres::Error> {
        let delete = format!("DELETE FROM {} WHERE installed_rank = $1", table.quoted());
        in_isolated_transaction(client, async || {
            client
                .query_typed(&delete, &[(&self.rank, Type::INT4)])
                .await?;
            history::insert_with(client, table, row, async_commit).await
        })
        .await
    }
}

/// Appends `row` on its own (a file with no statement to run), isolated
/// from the session state as the in-flight writes are.
pub(super) async fn insert_isolated(
    client: &Client,
    table: &TableName,
    row: &NewRow,
    async_commit: bool,
) -> Result<(), tokio_postgres::Error> {
    in_isolated_transaction(client, async || {
        history::insert_with(client, table, row, async_commit).await
    })
    .await
}

/// Runs `body` in a transaction of its own that resets the session's
/// identity locally; rolls back if `body` fails.
async fn in_isolated_transaction<T>(
    client: &Client,
    body: impl AsyncFnOnce() -> Result<T, tokio_postgres::Error>,
) -> Result<T, tokio_postgres::Error> {
    client.batch_execute(ISOLATED).await?;
    match body().await {
        Ok(v) => {
            client.batch_execute("COMMIT").await?;
            Ok(v)
        }
        Err(e) => {
            let _ = client.batch_execute("ROLLBACK").await;
            Err(e)
        }
    }
}

/// Whether the session is inside a transaction block (one a migration
/// opened with `BEGIN` and has not ended), asked of the server.
///
/// Sent alone as a simple query, the probe is its own implicit transaction
/// when no block is open: the server then sets the transaction's start to
/// this statement's start, so `transaction_timestamp()` equals
/// `statement_timestamp()` exactly, and no transaction id is assigned.
/// Inside a block the transaction began with an earlier message (at least
/// one round trip before), or has written something. A block that is
/// aborted (a statement in it failed) refuses every query with 25P02:
/// open as well.
pub(super) async fn open_transaction(client: &Client) -> Result<bool, tokio_postgres::Error> {
    let probe = "SELECT pg_catalog.statement_timestamp() = pg_catalog.transaction_timestamp() \
                 AND pg_catalog.pg_current_xact_id_if_assigned() IS NULL";
    match client.simple_query(probe).await {
        Ok(messages) => {
            let outside = messages.iter().find_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(|v| v == "t"),
                _ => None,
            });
            Ok(outside != Some(true))
        }
        Err(e) if e.code() == Some(&SqlState::IN_FAILED_SQL_TRANSACTION) => Ok(true),
        Err(e) => Err(e),
    }
}
