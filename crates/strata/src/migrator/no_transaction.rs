//! No-transaction runs: statement by statement, each awaited (a failed
//! statement must stop the run), for files marked
//! `-- strata:no-transaction` (`CREATE INDEX CONCURRENTLY` and the like).
//! A failure records a history row with `success = false` holding how many
//! statements succeeded and their hashes; `migrate --resume` checks those
//! statements are unchanged and continues at the one that failed.

use std::time::Instant;

use sha2::{Digest, Sha256};
use tokio_postgres::Client;
use tokio_postgres::types::Type;

use super::copy::execute;
use super::failure::failure;
use super::pipeline::Tag;
use super::script::Script;
use super::session::SessionReset;
use crate::error::Error;
use crate::history::{self, NewRow, TableName};
use crate::migration::Checksum;
use crate::plan::Resumable;
use crate::sql::{Chunk, ConcurrentIndex, concurrent_index};

/// Runs `script` statement by statement, each its own implicit transaction,
/// then records `row` (its `execution_ms` filled in); returns how many
/// statements ran. With `resume`, first checks that the statements the
/// failed run applied are unchanged, then continues at the one that failed.
/// A failure records `row` as failed, with the progress `--resume` needs.
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
    let skip = resume.map_or(0, |r| r.statement_hashes.len());
    // Read once: a file up to CHECK_FIRST_LIMIT is checked against its
    // checksum before the first statement is sent.
    let mut reader = script.reader(true)?;
    let mut chunker = script.chunker(&mut reader);
    let mut hashes: Vec<String> = Vec::new();
    while let Some(chunk) = chunker.next_chunk(0).map_err(|e| script.io(e))? {
        if hashes.len() < skip {
            // Before anything runs: the statements already applied must be unchanged.
            let hash = statement_hash(&chunk.text);
            if let Some(r) = resume {
                check_applied_statement(script, r, hashes.len(), &chunk, &hash)?;
            }
            hashes.push(hash);
            continue;
        }
        if let Err(e) = execute(client, &chunk, &mut chunker)
            .await
            .map_err(|e| script.io(e))?
        {
            let ms = i32::try_from(start.elapsed().as_millis()).unwrap_or(i32::MAX);
            let progress = serde_json::json!({
                "statements_succeeded": hashes.len(),
                "statement_hashes": hashes,
                "failed_statement_line": chunk.line,
            });
            let succeeded = hashes.len();
            row.execution_ms = Some(ms);
            row.success = false;
            row.progress = Some(progress);
            let recorded = history::insert(client, table, &row).await;
            let invalid_index = invalid_index_left_by(client, &chunk.text).await;
            let mut err = failure(
                table,
                script,
                Tag::Statement(Box::new(chunk)),
                e,
                Some(succeeded),
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
                        "the failed run could not be recorded in {table}; fix {} and re-run",
                        script.name
                    ),
                });
                s.invalid_index = invalid_index;
                s.next_step = Some(next);
            }
            return Err(err);
        }
        hashes.push(statement_hash(&chunk.text));
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
    // A file too large to check first was hashed as it ran: record what ran.
    let ran = reader.finish()?;
    let ms = i32::try_from(start.elapsed().as_millis()).unwrap_or(i32::MAX);
    row.execution_ms = Some(ms);
    row.checksum = Some(ran);
    reset.run(client, script).await?;
    history::insert_with(client, table, &row, async_commit)
        .await
        .map_err(|e| {
            Error::db(
                format!("{} ran, but recording it in {table} failed", script.name),
                e,
            )
        })?;
    changed_while_running(script, ran)?;
    Ok(hashes.len() - skip)
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

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
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
