//! `--single-transaction`: every pending migration in one transaction,
//! pipelined — every statement goes out without waiting for the one before
//! (a failure aborts the transaction, so nothing after it can take effect),
//! then every history row, then one synchronous COMMIT.

use std::time::Instant;

use tokio_postgres::Client;

use super::failure::failure;
use super::pipeline::{Pipeline, Tag, push_statements};
use super::report::{Event, Executed};
use super::row_of;
use super::script::Script;
use super::session::SessionReset;
use crate::error::{Conflict, Error};
use crate::history::TableName;
use crate::migration::{Migration, Placeholders};
use crate::notice::{Notice, Notices};

/// A no-transaction migration cannot run inside the one transaction.
pub(super) fn refuse_no_transaction(todo: &[&Migration]) -> Result<(), Error> {
    match todo.iter().find(|m| m.no_transaction()) {
        Some(m) => Err(Error::Conflict {
            script: m.script.clone(),
            conflict: Conflict::NoTransactionInSingleTransaction,
        }),
        None => Ok(()),
    }
}

/// How the one transaction ends.
#[derive(Clone, Copy, Debug)]
pub(super) enum Finish<'a> {
    /// The history rows, then COMMIT (`--single-transaction`).
    Commit,
    /// In the transaction the caller opened, left open after the last
    /// migration, without history rows: the caller reads what the
    /// migrations made, then rolls back (drift's expected schema,
    /// [`Migrator::apply_uncommitted`](super::Migrator)). `prelude` runs
    /// first.
    LeaveOpen {
        /// Sent before the first migration.
        prelude: &'a str,
    },
}

/// All pending migrations in one transaction, pipelined: every statement
/// goes out without waiting for the one before (a failure aborts the
/// transaction, so nothing after it can take effect), then every history
/// row, then COMMIT (or, with [`Finish::LeaveOpen`], neither). A
/// migration's time is measured between the replies to its last statement
/// and the previous one's.
#[allow(clippy::too_many_arguments)]
pub(super) async fn run_single_transaction(
    client: &Client,
    table: &TableName,
    todo: &[&Migration],
    reset: &SessionReset,
    notices: Option<&Notices>,
    placeholders: Option<&Placeholders>,
    on_event: &mut dyn FnMut(Event<'_>),
    finish: Finish<'_>,
) -> Result<Vec<Executed>, Error> {
    let mut pipe = Pipeline::timed();
    // Notices from before the run's statements are strata's own.
    let first_notice = notices.map(|n| {
        n.take();
        n.received()
    });
    pipe.notice_marks = notices.map(|n| (n.clone(), Vec::new()));
    match finish {
        Finish::Commit => pipe.simple(client, Tag::Control, "BEGIN".into()),
        Finish::LeaveOpen { prelude } => pipe.simple(client, Tag::Control, prelude.to_owned()),
    }
    // The number of each migration's last request, and its statement count.
    let mut ends: Vec<(usize, usize)> = Vec::with_capacity(todo.len());
    for m in todo {
        on_event(Event::Started(m));
        let script = Script::up(m).with_placeholders(placeholders);
        match push_statements(client, &script, &mut pipe).await {
            Ok(n) => {
                // The next migration (and the history rows) start from a
                // reset session, inside the one transaction.
                reset.queue(client, &mut pipe);
                if notices.is_some() {
                    pipe.simple(client, Tag::Control, BOUNDARY_SQL.into());
                }
                ends.push((pipe.pushed - 1, n));
            }
            Err(e) => {
                pipe.simple(client, Tag::Control, "ROLLBACK".into());
                pipe.drain(0).await;
                return Err(e);
            }
        }
        if pipe.failed() {
            break;
        }
    }
    pipe.drain(0).await;
    // The migration a request number belongs to.
    let owner = |at: usize| {
        let k = ends.partition_point(|(end, _)| *end < at);
        todo.get(k).or(todo.last()).copied()
    };
    if let Some((tag, e)) = pipe.first_error.take() {
        let m = owner(pipe.first_error_at);
        pipe.simple(client, Tag::Control, "ROLLBACK".into());
        pipe.drain(0).await;
        return Err(match m {
            Some(m) => failure(table, &Script::up(m), tag, e, None),
            None => Error::db("the single transaction failed", e),
        });
    }
    if let Finish::LeaveOpen { .. } = finish {
        return Ok(Vec::new());
    }
    let times = pipe.reply_times.take().unwrap_or_default();
    let mut executed = Vec::with_capacity(todo.len());
    let mut previous = times.first().copied();
    for (m, (end, sent)) in todo.iter().zip(&ends) {
        let at = times.get(*end).copied();
        let mut done = Executed::of(m, Instant::now(), *sent);
        done.execution_ms = match (previous, at) {
            (Some(p), Some(a)) => {
                u64::try_from(a.duration_since(p).as_millis()).unwrap_or(u64::MAX)
            }
            _ => 0,
        };
        previous = at.or(previous);
        let ms = i32::try_from(done.execution_ms).unwrap_or(i32::MAX);
        // One transaction: its single COMMIT must be synchronous.
        pipe.insert(client, table, row_of(m, Some(ms), true, None), false);
        executed.push(done);
    }
    let inserts_from = pipe.completed;
    pipe.simple(client, Tag::Control, "COMMIT".into());
    pipe.drain(0).await;
    if let Some((tag, e)) = pipe.first_error.take() {
        // The history rows were queued in migration order after the statements.
        let m = todo
            .get(pipe.first_error_at.saturating_sub(inserts_from))
            .or(todo.last())
            .copied();
        return Err(match m {
            Some(m) => failure(table, &Script::up(m), tag, e, None),
            None => Error::db("the single transaction failed", e),
        });
    }
    if let (Some(sink), Some(first), Some((_, marks))) =
        (notices, first_notice, pipe.notice_marks.take())
    {
        share_notices(&mut executed, &ends, sink.take(), first, &marks);
    }
    for e in &executed {
        on_event(Event::Applied(e));
    }
    Ok(executed)
}

/// Sent after each migration inside the one transaction when notices are
/// collected: its notice marks where the next migration's begin. (Replies
/// and notices are read by the connection task ahead of the migrator, so
/// counting notices at each reply cannot tell them apart.) At NOTICE level,
/// so the server's log (`log_min_messages = warning`) does not get it.
const BOUNDARY_SQL: &str = "DO $strata$BEGIN RAISE NOTICE 'strata: end of migration'; END$strata$";

fn is_boundary(n: &Notice) -> bool {
    n.severity == "NOTICE" && n.message == "strata: end of migration"
}

/// Gives each migration the notices it raised: `taken` are the notices
/// received after the first `first`, in order, with a boundary after each
/// migration. When the boundaries did not all arrive (`client_min_messages`
/// above NOTICE), falls back to `marks[r]` (how many notices had been
/// received when request `r`'s reply arrived, an upper bound) and `ends`
/// (each migration's last request).
fn share_notices(
    executed: &mut [Executed],
    ends: &[(usize, usize)],
    taken: Vec<Notice>,
    first: u64,
    marks: &[u64],
) {
    if taken.iter().filter(|n| is_boundary(n)).count() == executed.len() {
        let mut k = 0;
        for n in taken {
            if is_boundary(&n) {
                k += 1;
            } else if let Some(e) = executed.get_mut(k) {
                e.notices.push(n);
            }
        }
        return;
    }
    let mut taken = taken.into_iter().filter(|n| !is_boundary(n)).peekable();
    let mut seq = first;
    for (e, (end, _)) in executed.iter_mut().zip(ends) {
        let upto = marks.get(*end).copied().unwrap_or(u64::MAX);
        while seq < upto {
            let Some(n) = taken.next() else {
                return;
            };
            e.notices.push(n);
            seq += 1;
        }
    }
}
