//! Failure mapping: a PostgreSQL error on a queued request becomes an
//! [`Error`] naming the script, with file, line and column from the
//! server's error position, detail, hint and context; and a run that
//! failed after it changed the database gets its partial [`Report`].

use tokio_postgres::Client;
use tokio_postgres::error::ErrorPosition;

use super::pipeline::Tag;
use super::script::Script;
use super::{Migrator, Report};
use crate::error::{Error, Partial, SqlError};
use crate::history::{self, TableName};
use crate::sql::{Chunk, Location};

impl Migrator<'_> {
    /// `err`, with the report of what this run did before it, when it
    /// changed the database: migrations applied, or a failed no-transaction
    /// migration recorded (its statements ran). The report's plan is read
    /// again from the history (under the lock, still held), so a failed
    /// row shows as failed; if that read fails too, the migrations applied
    /// are marked applied in the plan the run followed. A run that changed
    /// nothing returns `err` as it is.
    pub(super) async fn partial(&self, client: &Client, so_far: Report, err: Error) -> Error {
        let recorded = match &err {
            Error::Sql(s) => s.statements_succeeded.is_some(),
            Error::ChangedWhileRunning { applied, .. } => *applied,
            Error::TransactionLeftOpen { .. } => true,
            _ => false,
        };
        if so_far.executed.is_empty() && !recorded {
            return err;
        }
        let plan = match history::read(client, &self.table).await {
            Ok(rows) => self.plan_of(&rows.unwrap_or_default()),
            Err(_) => so_far.plan.after_applied(
                so_far.executed.iter().map(|e| {
                    let ms = i32::try_from(e.execution_ms).unwrap_or(i32::MAX);
                    (e.script.as_str(), ms)
                }),
                history::Timestamp::now(),
            ),
        };
        Partial::wrap(err, Report { plan, ..so_far })
    }
}

/// The file line of the data row a failed `COPY … FROM STDIN` names in
/// its context (`COPY t, line 3`); its rows start on the line after the
/// statement's `;`.
fn copy_row(chunk: &Chunk, context: Option<&str>) -> Option<u32> {
    if !chunk.copy_from_stdin {
        return None;
    }
    let row = crate::sql::copy_failed_row(context?)?;
    let breaks = u32::try_from(chunk.text.matches('\n').count()).ok()?;
    chunk.line.checked_add(breaks)?.checked_add(row)
}

/// Maps the error of request `tag` of `script` to strata's: an SQL error
/// with the file, line and column computed from PostgreSQL's position (or
/// the failed statement's start), or a history/connection failure.
pub(super) fn failure(
    table: &TableName,
    script: &Script<'_>,
    tag: Tag,
    e: tokio_postgres::Error,
    succeeded: Option<usize>,
) -> Error {
    let Some(db) = e.as_db_error() else {
        return Error::db(format!("{}: the connection failed", script.name), e);
    };
    let mut err = SqlError {
        script: script.name.to_owned(),
        path: script.path(),
        line: None,
        column: None,
        line_text: None,
        code: db.code().into(),
        message: db.message().to_owned(),
        detail: db.detail().map(str::to_owned),
        hint: db.hint().map(str::to_owned),
        context: db.where_().map(str::to_owned),
        statements_succeeded: succeeded,
        next_step: None,
        invalid_index: None,
        lock_wait: None,
    };
    match tag {
        Tag::Statement(chunk) if copy_row(&chunk, err.context.as_deref()).is_some() => {
            // A bad data row: PostgreSQL counts the rows from 1 after the
            // COPY's line.
            err.line = copy_row(&chunk, err.context.as_deref());
        }
        Tag::Statement(chunk) => {
            let loc = Location {
                offset: chunk.offset,
                line: chunk.line,
                column: chunk.column,
            };
            let pos = match db.position() {
                Some(ErrorPosition::Original(p)) => crate::sql::locate(&chunk.text, loc, *p),
                _ => None,
            }
            .or_else(|| crate::sql::locate(&chunk.text, loc, 1));
            if let Some(p) = pos {
                err.line = Some(p.line);
                err.column = Some(p.column);
                err.line_text = Some(p.line_text);
            }
            if let Some(ErrorPosition::Internal { position, query }) = db.position() {
                let inner = format!("in the internal query at character {position}: {query}");
                err.context = Some(match err.context.take() {
                    Some(c) => format!("{c}\n{inner}"),
                    None => inner,
                });
            }
        }
        Tag::Insert => {
            return Error::db(
                format!(
                    "{} ran, but recording it in {} failed; it was rolled back",
                    script.name, table
                ),
                e,
            );
        }
        Tag::CreateHistory => {
            return Error::db(
                format!(
                    "cannot create the history table {table}; {} was not run",
                    script.name
                ),
                e,
            );
        }
        Tag::Control => {}
    }
    Error::Sql(Box::new(err))
}
