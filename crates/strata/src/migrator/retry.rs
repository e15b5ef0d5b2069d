//! Lock retries (SPEC §4.2 step 4): a transactional migration that fails
//! on `lock_timeout` (SQLSTATE 55P03) was rolled back whole by its
//! transaction, so it is run again, up to `lock_retries` times, after a
//! backoff of 1 s, 2 s, 4 s … (at most 30 s). Each wait is reported as an
//! [`Event::LockRetry`] naming the sessions that blocked the attempt (see
//! `blockers.rs`); the final error carries them in [`SqlError::lock_wait`].
//!
//! Not retried: a no-transaction migration (a statement may have
//! committed), and anything under `--single-transaction` (earlier
//! migrations of the run would be rolled back with it). A SIGINT or
//! SIGTERM during the backoff stops the run at once.
//!
//! [`SqlError::lock_wait`]: crate::error::SqlError::lock_wait

use std::time::{Duration, Instant};

use tokio_postgres::Client;

use super::blockers::Watcher;
use super::script::Script;
use super::session::SessionReset;
use super::transaction::run_in_transaction_creating;
use super::{Event, Migrator, row_of};
use crate::error::{Blocker, Error, LockWait};
use crate::migration::Migration;

/// The longest backoff between two attempts.
const BACKOFF_MAX: Duration = Duration::from_secs(30);

/// A transactional migration failed on `lock_timeout` and runs again.
///
/// ```
/// use std::time::Duration;
/// use strata::migrator::LockRetry;
/// let r = LockRetry { script: "V3__add_index.sql".into(), attempt: 2, attempts: 4,
///     next_in: Duration::from_secs(1), blockers: vec![] };
/// assert_eq!(r.to_string(), "V3__add_index.sql: waiting for a lock (attempt 2 of 4, next in 1s)");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockRetry {
    /// The migration's file name.
    pub script: String,
    /// The attempt about to run (2 for the first retry).
    pub attempt: u32,
    /// Attempts in all (`lock_retries` + 1).
    pub attempts: u32,
    /// How long strata waits before it.
    pub next_in: Duration,
    /// The sessions seen blocking the attempt that failed.
    pub blockers: Vec<Blocker>,
}

impl std::fmt::Display for LockRetry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: waiting for a lock (attempt {} of {}, next in {}s)",
            self.script,
            self.attempt,
            self.attempts,
            self.next_in.as_secs()
        )
    }
}

/// The wait before attempt `attempt + 1`: 1 s, 2 s, 4 s …, at most 30 s.
fn backoff(attempt: u32) -> Duration {
    let secs = 1u64 << attempt.saturating_sub(1).min(5);
    Duration::from_secs(secs).min(BACKOFF_MAX)
}

/// Sleeps `d`, checking for SIGINT/SIGTERM every 50 ms.
async fn sleep_unless_interrupted(d: Duration) -> Result<(), Error> {
    let end = Instant::now() + d;
    loop {
        crate::interrupt::check()?;
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(());
        }
        tokio::time::sleep(left.min(Duration::from_millis(50))).await;
    }
}

/// One transactional migration with what it needs.
pub(super) struct Attempt<'a, 's> {
    pub m: &'a Migration,
    pub script: &'a Script<'s>,
    pub async_commit: bool,
    /// The history table's creation, run in the same transaction.
    pub create: Option<String>,
    pub reset: &'a SessionReset,
}

impl Migrator<'_> {
    /// Runs `a` in its transaction, again after a lock timeout while
    /// retries are left; returns how many statements it sent.
    pub(super) async fn transactional(
        &self,
        client: &Client,
        a: Attempt<'_, '_>,
        watcher: &mut Watcher,
        on_event: &mut dyn FnMut(Event<'_>),
    ) -> Result<usize, Error> {
        let attempts = self.options.lock_retries.saturating_add(1);
        let mut attempt = 1;
        loop {
            let row = row_of(a.m, None, true, None);
            let run = run_in_transaction_creating(
                client,
                &self.table,
                a.script,
                row,
                a.async_commit,
                a.create.clone(),
                a.reset,
            );
            let (result, blockers) = watcher.during(run).await;
            let mut sql = match result {
                Err(Error::Sql(sql)) if sql.code.is_lock_timeout() => sql,
                other => return other,
            };
            if attempt >= attempts {
                sql.lock_wait = Some(LockWait { attempts, blockers });
                return Err(Error::Sql(sql));
            }
            let next_in = backoff(attempt);
            attempt += 1;
            on_event(Event::LockRetry(&LockRetry {
                script: a.m.script.clone(),
                attempt,
                attempts,
                next_in,
                blockers,
            }));
            sleep_unless_interrupted(next_in).await?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let waits: Vec<u64> = (1..=8).map(|a| backoff(a).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 30, 30, 30]);
    }
}
