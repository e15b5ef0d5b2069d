//! Who blocks a migration (SPEC §4.2 step 4): a second connection that,
//! while a transactional migration runs, polls `pg_blocking_pids` of the
//! migrating session and keeps the last sessions it saw blocking it.
//!
//! `pg_blocking_pids` answers only while the wait is in progress: once
//! `lock_timeout` fires the migrating session waits for nothing, and the
//! error (`canceling statement due to lock timeout`) names no relation
//! to look the holders up by. So strata looks during the wait. The
//! migrating session is found as the holder of strata's migration lock
//! (its advisory key), which also holds behind a transaction pooler, where
//! the backend changes between transactions.
//!
//! The watcher costs nothing for quick migrations: it connects only when a
//! migration is still running after a quarter of `lock_timeout` (at most
//! 1 s), then polls every eighth of it (at most 500 ms) until the migration
//! ends; the connection stays open for the rest of the run. Every step is
//! bounded and best effort: a watcher that cannot connect or query leaves
//! the migration alone and names no blocker.

use std::future::Future;
use std::time::Duration;

use tokio_postgres::Client;

use super::Migrator;
use crate::config::Timeout;
use crate::connect::Endpoint;
use crate::error::Blocker;
use crate::history::TableName;

/// The sessions `pg_blocking_pids` names for the holder of the migration
/// lock `($1, $2)` in this database.
const BLOCKERS_SQL: &str = "SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.state, ''), \
     to_char(a.query_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), \
     coalesce(a.query, '') \
     FROM pg_catalog.pg_stat_activity a \
     WHERE a.pid IN (SELECT pg_catalog.unnest(pg_catalog.pg_blocking_pids(l.pid)) \
       FROM pg_catalog.pg_locks l \
       WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 \
         AND l.classid = $1::int4::oid AND l.objid = $2::int4::oid \
         AND l.database = (SELECT oid FROM pg_catalog.pg_database \
                           WHERE datname = pg_catalog.current_database())) \
     ORDER BY a.pid";

impl Migrator<'_> {
    /// Names the sessions that block a migration's locks (in
    /// [`Event::LockRetry`](super::Event::LockRetry) and the final error's
    /// [`SqlError::lock_wait`](crate::error::SqlError::lock_wait)) by
    /// watching from a second connection to `endpoint`, the migrating
    /// database, opened only when a migration runs for a while.
    ///
    /// ```no_run
    /// use strata::{Migrator, TableName};
    /// # async fn f(endpoint: strata::connect::Endpoint, migrations: strata::Migrations) -> Result<(), strata::Error> {
    /// let client = endpoint.connect(std::time::Duration::ZERO).await?;
    /// let migrator = Migrator::new(&migrations, TableName::default()).with_blocker_watch(endpoint);
    /// migrator.run(&client, &mut |_| {}).await?;
    /// # Ok(()) }
    /// ```
    pub fn with_blocker_watch(mut self, endpoint: Endpoint) -> Self {
        self.watch = Some(endpoint);
        self
    }
}

/// How long the watcher may take to connect, and to answer one poll.
const STEP_MAX: Duration = Duration::from_secs(5);

/// Watches the migrating session's lock waits (see the module docs).
pub(super) struct Watcher {
    /// Where to open the second connection; None: no watching.
    endpoint: Option<Endpoint>,
    key: (i32, i32),
    client: Option<Client>,
    delay: Duration,
    interval: Duration,
}

impl Watcher {
    /// A watcher connecting to `endpoint` (none: it watches nothing) for
    /// the run recording into `table`, with the session's `lock_timeout`.
    pub(super) fn new(
        endpoint: Option<Endpoint>,
        table: &TableName,
        lock_timeout: Option<Timeout>,
    ) -> Watcher {
        let t = lock_timeout
            .and_then(Timeout::as_duration)
            .unwrap_or(Duration::from_secs(4));
        let clamp = |d: Duration, max: Duration| d.clamp(Duration::from_millis(10), max);
        Watcher {
            endpoint,
            key: crate::lock::lock_key(table),
            client: None,
            delay: clamp(t / 4, Duration::from_secs(1)),
            interval: clamp(t / 8, Duration::from_millis(500)),
        }
    }

    /// Runs `work` to its end and returns its output, with the sessions
    /// last seen blocking the migrating session meanwhile (none when it
    /// never waited, or when watching is off or failed).
    pub(super) async fn during<T>(&mut self, work: impl Future<Output = T>) -> (T, Vec<Blocker>) {
        let mut work = std::pin::pin!(work);
        let mut seen = Vec::new();
        if self.endpoint.is_none() {
            return (work.await, seen);
        }
        tokio::select! {
            out = &mut work => return (out, seen),
            () = tokio::time::sleep(self.delay) => {}
        }
        if self.client.is_none() {
            let Some(endpoint) = self.endpoint.clone() else {
                return (work.await, seen);
            };
            let connect = tokio::time::timeout(STEP_MAX, endpoint.connect(Duration::ZERO));
            tokio::select! {
                out = &mut work => return (out, seen),
                c = connect => match c {
                    Ok(Ok(c)) => self.client = Some(c),
                    // Best effort: no second try in this run.
                    _ => {
                        self.endpoint = None;
                        return (work.await, seen);
                    }
                },
            }
        }
        let Some(client) = &self.client else {
            return (work.await, seen);
        };
        loop {
            let poll = tokio::time::timeout(STEP_MAX, blockers(client, self.key));
            tokio::select! {
                out = &mut work => return (out, seen),
                polled = poll => {
                    if let Ok(Ok(now)) = polled
                        && !now.is_empty()
                    {
                        seen = now;
                    }
                }
            }
            tokio::select! {
                out = &mut work => return (out, seen),
                () = tokio::time::sleep(self.interval) => {}
            }
        }
    }
}

/// One poll: the sessions blocking the holder of the lock `key`.
async fn blockers(client: &Client, key: (i32, i32)) -> Result<Vec<Blocker>, tokio_postgres::Error> {
    let rows = client.query(BLOCKERS_SQL, &[&key.0, &key.1]).await?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            Some(Blocker {
                pid: r.try_get(0).ok()?,
                application_name: r.try_get(1).unwrap_or_default(),
                state: r.try_get(2).unwrap_or_default(),
                query_start: r.try_get(3).ok().flatten(),
                query: r.try_get(4).unwrap_or_default(),
            })
        })
        .collect())
}
