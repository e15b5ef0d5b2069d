//! Transactional runs: `BEGIN`, each statement as its own simple-query
//! message, the history `INSERT` and `COMMIT`, all written to the socket
//! before any reply is awaited — one round trip per script when it fits in
//! flight, and one commit. If a statement fails, PostgreSQL rejects the rest
//! of the transaction and a `ROLLBACK` follows: nothing of the script, and
//! no history row, remains. Between the script and the history row the
//! session is reset ([`SessionReset`]), in the same round trip.

use tokio_postgres::Client;

use super::failure::failure;
use super::pipeline::{Pipeline, Tag, push_statements};
use super::script::Script;
use super::session::SessionReset;
use crate::error::Error;
use crate::history::{NewRow, TableName};

/// Runs `script` in one transaction together with the history row `row`;
/// returns how many statements it sent. `rollback` uses it for down parts
/// (with an `undo` row).
pub(crate) async fn run_in_transaction(
    client: &Client,
    table: &TableName,
    script: &Script<'_>,
    row: NewRow,
    async_commit: bool,
    reset: &SessionReset,
) -> Result<usize, Error> {
    run_in_transaction_creating(client, table, script, row, async_commit, None, reset).await
}

/// [`run_in_transaction`], first running `create_history` (the history
/// table's creation) in the same transaction: a first run on a fresh
/// database then pays one commit, not two, and a failed first migration
/// leaves no empty history table behind.
pub(super) async fn run_in_transaction_creating(
    client: &Client,
    table: &TableName,
    script: &Script<'_>,
    row: NewRow,
    async_commit: bool,
    create_history: Option<String>,
    reset: &SessionReset,
) -> Result<usize, Error> {
    let mut pipe = Pipeline::default();
    pipe.simple(client, Tag::Control, "BEGIN".into());
    if let Some(sql) = create_history {
        pipe.simple(client, Tag::CreateHistory, sql);
    }
    finish(client, table, script, (row, async_commit), reset, pipe).await
}

/// [`run_in_transaction`] in a transaction the caller has begun (behind a
/// pooler, after taking the transaction-scoped lock): no `BEGIN` here.
pub(super) async fn run_in_open_transaction(
    client: &Client,
    table: &TableName,
    script: &Script<'_>,
    row: NewRow,
    async_commit: bool,
    reset: &SessionReset,
) -> Result<usize, Error> {
    let pipe = Pipeline::default();
    finish(client, table, script, (row, async_commit), reset, pipe).await
}

/// The script, the session reset, the history row and `COMMIT` after what
/// `pipe` holds (the `BEGIN`).
async fn finish<'a>(
    client: &'a Client,
    table: &'a TableName,
    script: &Script<'_>,
    (row, async_commit): (NewRow, bool),
    reset: &'a SessionReset,
    mut pipe: Pipeline<'a>,
) -> Result<usize, Error> {
    let sent = match push_statements(client, script, &mut pipe).await {
        Ok(n) => n,
        Err(e) => {
            pipe.simple(client, Tag::Control, "ROLLBACK".into());
            pipe.drain(0).await;
            return Err(e);
        }
    };
    if pipe.failed() {
        pipe.simple(client, Tag::Control, "ROLLBACK".into());
    } else {
        // What the script changed in the session ends with it (SPEC §4.2).
        reset.queue(client, &mut pipe);
        pipe.insert(client, table, row, async_commit);
        pipe.simple(client, Tag::Control, "COMMIT".into());
    }
    pipe.drain(0).await;
    if let Some((tag, e)) = pipe.first_error.take() {
        return Err(failure(table, script, tag, e, None));
    }
    Ok(sent)
}
