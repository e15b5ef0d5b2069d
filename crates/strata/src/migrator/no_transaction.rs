//! No-transaction runs: statement by statement, each awaited (a failed
//! statement must stop the run), for files marked
//! `-- strata:no-transaction` (`CREATE INDEX CONCURRENTLY` and the like).
//! The run keeps an in-flight history row ([`super::in_flight`]) whose
//! progress holds how many statements are done and their hashes, so a
//! failure, a `kill -9` or a lost connection leaves the version `failed`;
//! `migrate --resume` checks those statements are unchanged and continues
//! at the first one not done. After each statement strata asks the server
//! whether a transaction block is open: statements inside the file's own
//! `BEGIN … COMMIT` count as done only once it commits, and a file that
//! ends inside one is rolled back and fails.

use std::time::Instant;

use sha2::{Digest, Sha256};
use tokio_postgres::Client;
use tokio_postgres::types::Type;

use super::copy::execute;
use super::failure::failure;
use super::in_flight::{InFlight, insert_isolated, open_transaction, progress};
use super::pipeline::Tag;
use super::script::Script;
use super::session::SessionReset;
use crate::error::{Error, first_line};
use crate::history::{self, NewRow, TableName};
use crate::migration::Checksum;
use crate::plan::Resumable;
use crate::sql::{Chunk, ConcurrentIndex, concurrent_index};

/// Runs `script` statement by statement, each its own implicit transaction,
/// then records `row` (its `execution_ms` filled in); returns how many
/// statements ran. Before the first statement an in-flight row is
/// committed ([`InFlight`]), and its progress is updated after each
/// statement that leaves no transaction open. With `resume`, first checks
/// that the statements the failed run applied are unchanged, then continues
/// at the first one not done. A failure leaves the row failed, with the
/// progress `--resume` needs; so does a file that leaves a transaction open
/// (it is rolled back).
pub(super) async fn run_no_transaction(
    client: &Client,
    table: &TableName,
    script: &Script<'_>,
    mut row: NewRow,
    resume: Option<&Resumable>,
    async_commit: bool,
    reset: &SessionReset,
) -> Result<usize, Error> {
    let start = Instant::now();
    let elapsed = || i32::try_from(start.elapsed().as_millis()).unwrap_or(i32::MAX);
    let skip = resume.map_or(0, |r| r.statement_hashes.len());
    // Read once: a file up to CHECK_FIRST_LIMIT is checked against its
    // checksum before the first statement is sent.
    let mut reader = script.reader(true)?;
    let mut chunker = script.chunker(&mut reader);
    let mut hashes: Vec<String> = Vec::new();
    // Statements done with no transaction open after them: what a rerun skips.
    let mut committed = 0;
    let mut in_flight: Option<InFlight> = None;
    let mut open = false;
    // What the in-flight row says is done.
    let mut recorded_done = skip;
    let mut upcoming = chunker.next_chunk(0).map_err(|e| script.io(e))?;
    while let Some(chunk) = upcoming.take() {
        if hashes.len() < skip {
            // Before anything runs: the statements already applied must be unchanged.
            let hash = statement_hash(&chunk.text);
            if let Some(r) = resume {
                check_applied_statement(script, r, hashes.len(), &chunk, &hash)?;
            }
            hashes.push(hash);
            committed = hashes.len();
            upcoming = chunker.next_chunk(0).map_err(|e| script.io(e))?;
            continue;
        }
        if crate::interrupt::requested() {
            return Err(interrupted(
                client,
                table,
                in_flight.as_ref(),
                &hashes[..committed],
                elapsed(),
            )
            .await);
        }
        let flight = match &in_flight {
            Some(f) => f,
            None => {
                let started = InFlight::start(client, table, &row, resume.is_some(), &hashes)
                    .await
                    .map_err(|e| {
                        Error::db(
                            format!(
                                "cannot record {} as in flight in {table}; none of its statements ran",
                                script.name
                            ),
                            e,
                        )
                    })?;
                // A strata killed mid-statement leaves its statement running on
                // the server, which would commit it behind the in-flight row's
                // back; with this the server notices the client is gone and
                // aborts the statement instead (PostgreSQL 14+; best effort).
                let _ = client.batch_execute(CHECK_CLIENT).await;
                in_flight.insert(started)
            }
        };
        if let Err(e) = execute(client, &chunk, &mut chunker)
            .await
            .map_err(|e| script.io(e))?
        {
            // A statement inside the file's own transaction block takes the
            // block down with it: roll it back before recording.
            if matches!(open_transaction(client).await, Ok(true)) {
                let _ = client.batch_execute("ROLLBACK").await;
            }
            let done = &hashes[..committed];
            let recorded = flight
                .update(
                    client,
                    table,
                    &progress("failed", done, Some(chunk.line)),
                    elapsed(),
                )
                .await;
            let invalid_index = invalid_index_left_by(client, &chunk.text).await;
            let mut err = failure(
                table,
                script,
                Tag::Statement(Box::new(chunk)),
                e,
                Some(committed),
            );
            if let Error::Sql(s) = &mut err {
                let mut next = String::new();
                if let Some(index) = &invalid_index {
                    next.push_str(&format!(
                        "the failed CREATE INDEX CONCURRENTLY left the INVALID index {index}; \
                         drop it with `DROP INDEX CONCURRENTLY IF EXISTS {index};` before running it again\n  "
                    ));
                }
                next.push_str(&match recorded {
                    Ok(()) => format!(
                        "recorded as failed; fix {}, then run `strata migrate --resume` to continue at the failed \
                         statement, or `strata repair` to remove the failed row and re-run the whole file",
                        script.name
                    ),
                    Err(_) => format!(
                        "its in-flight row in {table} says failed after {recorded_done} statement(s); fix {}, then run \
                         `strata migrate --resume` to continue after them, or `strata repair` to remove the failed \
                         row and re-run the whole file",
                        script.name
                    ),
                });
                s.invalid_index = invalid_index;
                s.next_step = Some(next);
            }
            return Err(err);
        }
        hashes.push(statement_hash(&chunk.text));
        open = open_transaction(client)
            .await
            .map_err(|e| lost(script, table, recorded_done, e))?;
        // Read ahead: after the last statement the success row is the
        // progress update (one history write fewer per migration).
        let next = chunker.next_chunk(0);
        let last = matches!(next, Ok(None));
        if !open && !last {
            committed = hashes.len();
            flight
                .update(
                    client,
                    table,
                    &progress("running", &hashes, None),
                    elapsed(),
                )
                .await
                .map_err(|e| lost(script, table, recorded_done, e))?;
            recorded_done = committed;
        }
        upcoming = next.map_err(|e| script.io(e))?;
    }
    if hashes.len() < skip {
        // Nothing ran: the file is shorter than what the failed run applied.
        return Err(resume_refused(
            script,
            format!(
                "the file now has {} statement(s), fewer than the {skip} already applied",
                hashes.len()
            ),
        ));
    }
    drop(chunker);
    if open {
        // The file ended inside a transaction block: never a silent success.
        let _ = client.batch_execute("ROLLBACK").await;
        let recorded = match &in_flight {
            Some(f) => f
                .update(
                    client,
                    table,
                    &progress("failed", &hashes[..committed], None),
                    elapsed(),
                )
                .await
                .is_ok(),
            None => false,
        };
        return Err(Error::TransactionLeftOpen {
            script: script.name.to_owned(),
            statements_applied: committed,
            statements_rolled_back: hashes.len() - committed,
            recorded,
        });
    }
    // A file too large to check first was hashed as it ran: record what ran.
    let ran = reader.finish()?;
    row.execution_ms = Some(elapsed());
    row.checksum = Some(ran);
    reset.run(client, script).await?;
    let recorded = match in_flight {
        Some(f) => f.succeed(client, table, &row, async_commit).await,
        None => insert_isolated(client, table, &row, async_commit).await,
    };
    recorded.map_err(|e| {
        Error::db(
            format!("{} ran, but recording it in {table} failed", script.name),
            e,
        )
    })?;
    changed_while_running(script, ran)?;
    Ok(hashes.len() - skip)
}

/// Makes the server check, while a statement runs, that strata is still
/// connected (`client_connection_check_interval`, PostgreSQL 14+).
const CHECK_CLIENT: &str = "SELECT pg_catalog.set_config('client_connection_check_interval', '1s', false) \
     WHERE pg_catalog.current_setting('server_version_num')::int >= 140000";

/// Stopped by [`crate::interrupt::request`] between statements: a
/// transaction the file left open is rolled back, and the in-flight row
/// says failed after the statements done.
async fn interrupted(
    client: &Client,
    table: &TableName,
    in_flight: Option<&InFlight>,
    done: &[String],
    ms: i32,
) -> Error {
    if matches!(open_transaction(client).await, Ok(true)) {
        let _ = client.batch_execute("ROLLBACK").await;
    }
    if let Some(f) = in_flight {
        let _ = f
            .update(client, table, &progress("failed", done, None), ms)
            .await;
    }
    Error::Interrupted
}

/// The connection failed between statements: the in-flight row stays, and
/// says how far the run got.
fn lost(script: &Script<'_>, table: &TableName, done: usize, e: tokio_postgres::Error) -> Error {
    Error::db(
        format!(
            "{}: the connection failed after {done} statement(s); its in-flight row in {table} keeps it failed: \
             run `strata migrate --resume` to continue, or `strata repair` to remove the row",
            script.name
        ),
        e,
    )
}

/// After a run outside a transaction (nothing can be rolled back): an error
/// when the bytes that ran are not the ones scanned.
fn changed_while_running(script: &Script<'_>, ran: Checksum) -> Result<(), Error> {
    if script.checksum.is_some_and(|scanned| scanned != ran) {
        return Err(Error::ChangedWhileRunning {
            script: script.name.to_owned(),
            applied: true,
        });
    }
    Ok(())
}

/// Runs `script` statement by statement (no transaction), then inserts
/// `row`; returns how many statements ran. Used by `rollback` for a
/// no-transaction down part; a failure says how many statements succeeded
/// and records nothing.
pub(crate) async fn run_statements(
    client: &Client,
    table: &TableName,
    script: &Script<'_>,
    row: NewRow,
    reset: &SessionReset,
) -> Result<usize, Error> {
    let mut reader = script.reader(true)?;
    let mut chunker = script.chunker(&mut reader);
    let mut done = 0;
    while let Some(chunk) = chunker.next_chunk(0).map_err(|e| script.io(e))? {
        if let Err(e) = execute(client, &chunk, &mut chunker)
            .await
            .map_err(|e| script.io(e))?
        {
            return Err(failure(
                table,
                script,
                Tag::Statement(Box::new(chunk)),
                e,
                Some(done),
            ));
        }
        done += 1;
    }
    drop(chunker);
    let ran = reader.finish()?;
    reset.run(client, script).await?;
    history::insert(client, table, &row).await.map_err(|e| {
        Error::db(
            format!("{} ran, but recording it in {table} failed", script.name),
            e,
        )
    })?;
    changed_while_running(script, ran)?;
    Ok(done)
}

/// Refuses to resume when statement `i` (already applied by the failed run)
/// has changed since.
fn check_applied_statement(
    script: &Script<'_>,
    r: &Resumable,
    i: usize,
    chunk: &Chunk,
    hash: &str,
) -> Result<(), Error> {
    if r.statement_hashes
        .get(i)
        .is_some_and(|expected| expected != hash)
    {
        return Err(resume_refused(
            script,
            format!(
                "statement {} (line {}) was already applied, and it has changed since: `{}`",
                i + 1,
                chunk.line,
                first_line(&chunk.text)
            ),
        ));
    }
    Ok(())
}

fn resume_refused(script: &Script<'_>, reason: String) -> Error {
    Error::ResumeRefused {
        script: script.name.to_owned(),
        reason,
    }
}

/// After a failed statement: if it was `CREATE INDEX CONCURRENTLY`, the
/// index it left behind when PostgreSQL marked it INVALID (see
/// <https://www.postgresql.org/docs/current/sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY>).
async fn invalid_index_left_by(client: &Client, statement: &str) -> Option<String> {
    let ConcurrentIndex { name, table } = concurrent_index(statement)?;
    // Named: that index. Unnamed (PostgreSQL chose the name): the invalid
    // index on the table, newest first.
    let rows = client
        .query_typed(
            "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_index i \
             JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE NOT i.indisvalid AND CASE WHEN $1::text IS NOT NULL THEN i.indexrelid = to_regclass($1) \
             ELSE i.indrelid = to_regclass($2) END ORDER BY c.oid DESC LIMIT 1",
            &[(&name, Type::TEXT), (&table, Type::TEXT)],
        )
        .await
        .ok()?;
    rows.first().and_then(|r| r.try_get(0).ok())
}

fn statement_hash(text: &str) -> String {
    let d = Sha256::digest(text.replace("\r\n", "\n").as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}
