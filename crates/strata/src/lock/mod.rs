//! The migration lock: an advisory lock, taken by polling.
//!
//! strata never calls the blocking `pg_advisory_lock`: a session waiting on it
//! holds a snapshot that a concurrent `CREATE INDEX CONCURRENTLY` must wait
//! for, a deadlock seen in flyway#1654 and golang-migrate#960. Instead it
//! polls `pg_try_advisory_lock` with backoff, reporting who holds the lock.
//!
//! The key is the two-int4 form: strata's namespace, and a hash of the history
//! table's name, so two projects sharing a database but not a history table do
//! not block each other.
//!
//! The lock lives on the migrating session itself, for every command that
//! takes it (`migrate`, `rollback`, `repair`, `baseline`, `db reset`): one
//! connection, and the first lock attempt travels in one statement with the
//! session timeouts, the check that refuses a database in recovery or
//! read-only ([`Error::ReadOnly`], SPEC §4.2 step 1) and the check for a
//! pooler (`first.rs`; the startup's backend pid, read without a round
//! trip in `backend.rs`): the lock is only taken on a writable database
//! reached directly. [`MigrationLock`] is the one guard and [`with_lock`] the
//! one bracket: every path, failed or not, releases the lock explicitly, and
//! if that release fails the session is ended, which releases it server-side.
//! Behind a pooler there is no session lock ([`Error::Pooled`] for these
//! commands); `migrate` takes a transaction-scoped one per migration
//! instead (`xact.rs`).
//! The server also releases it when the process dies.

mod backend;
mod first;
mod xact;

use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use tokio_postgres::Client;
use tokio_postgres::types::Type;

use crate::config::{DEFAULT_LOCK_TIMEOUT, Timeout};
use crate::error::{Error, LockHolder};
use crate::history::TableName;
use first::First;
pub(crate) use xact::begin_locked;

/// strata's namespace for advisory locks ("STRA").
///
/// The first key of every lock strata takes, so other advisory locks of an
/// application can stay out of its way:
///
/// ```
/// assert_eq!(strata::lock::LOCK_NAMESPACE, i32::from_be_bytes(*b"STRA"));
/// ```
pub const LOCK_NAMESPACE: i32 = 0x5354_5241;

/// The advisory-lock key for a history table.
///
/// The same table always gives the same key; another history table gives
/// another one, in the same namespace:
///
/// ```
/// use strata::TableName;
/// use strata::lock::{LOCK_NAMESPACE, lock_key};
///
/// let (namespace, key) = lock_key(&TableName::default());
/// assert_eq!(namespace, LOCK_NAMESPACE);
/// assert_eq!(lock_key(&TableName::default()), (namespace, key));
/// let other = lock_key(&TableName::parse("billing.schema_history")?);
/// assert_eq!(other.0, LOCK_NAMESPACE);
/// assert_ne!(other.1, key);
/// // Who holds it: SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2
/// //   AND classid = <namespace>::int4::oid AND objid = <key>::int4::oid
/// # Ok::<(), String>(())
/// ```
pub fn lock_key(table: &TableName) -> (i32, i32) {
    let digest = Sha256::digest(format!("{}.{}", table.schema, table.name).as_bytes());
    (
        LOCK_NAMESPACE,
        i32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]),
    )
}

/// The settings of a session that takes the migration lock: how long to
/// wait for the lock, and the `lock_timeout` / `statement_timeout` set for
/// the session while it holds it.
///
/// The timeouts are set once per session (with `set_config`, values bound),
/// sent together with the first lock attempt; `None` leaves the server's.
///
/// ```
/// use std::time::Duration;
/// use strata::config::Timeout;
/// use strata::lock::Session;
/// let default = Session::default();
/// assert_eq!(default.lock_wait, Duration::from_secs(60));
/// assert_eq!(default.lock_timeout, Some(Timeout::from_millis(10_000)));
/// assert_eq!(default.statement_timeout, None);
/// // `--lock-wait 5` in an environment with `statement_timeout = "15min"`:
/// let ci = Session {
///     lock_wait: Duration::from_secs(5),
///     statement_timeout: Some(Timeout::parse("15min")?),
///     ..Session::default()
/// };
/// # let _ = ci;
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Session {
    /// How long to wait for another strata's lock before giving up.
    pub lock_wait: Duration,
    /// `lock_timeout` for the session; None leaves the server's.
    pub lock_timeout: Option<Timeout>,
    /// `statement_timeout` for the session; None leaves the server's.
    pub statement_timeout: Option<Timeout>,
}

impl Session {
    /// The settings strata gives a migrating session, as (name, value)
    /// pairs for `set_config`: `standard_conforming_strings = on` (the rule
    /// strata's lexer reads files with, SPEC §2.2, whatever the database or
    /// role sets), then the timeouts that are set.
    ///
    /// ```
    /// use strata::lock::Session;
    /// let names: Vec<_> = Session::default().settings().into_iter().map(|(n, _)| n).collect();
    /// assert_eq!(names, ["standard_conforming_strings", "lock_timeout"]);
    /// ```
    pub fn settings(&self) -> Vec<(&'static str, String)> {
        let mut settings = vec![("standard_conforming_strings", "on".to_owned())];
        settings.extend(
            [
                ("lock_timeout", self.lock_timeout),
                ("statement_timeout", self.statement_timeout),
            ]
            .into_iter()
            .filter_map(|(name, t)| Some((name, t?.as_setting()))),
        );
        settings
    }
}

impl Default for Session {
    /// 60 s lock wait, `lock_timeout` 10 s, the server's `statement_timeout`.
    ///
    /// ```
    /// assert!(strata::lock::Session::default().statement_timeout.is_none());
    /// ```
    fn default() -> Self {
        Session {
            lock_wait: Duration::from_secs(60),
            lock_timeout: Some(DEFAULT_LOCK_TIMEOUT),
            statement_timeout: None,
        }
    }
}

/// The held migration lock, on the session of the client that took it.
///
/// Release it with [`MigrationLock::release`] (or
/// [`MigrationLock::release_after`]) on every path; [`with_lock`] does that
/// around a piece of work.
///
/// ```no_run
/// # async fn f(url: &str) -> Result<(), Box<dyn std::error::Error>> {
/// use strata::TableName;
/// use strata::lock::{MigrationLock, Session};
///
/// let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
/// tokio::spawn(connection);
/// let lock = MigrationLock::acquire(&client, &TableName::default(), &Session::default(), &mut |holder| {
///     eprintln!("waiting for the migration lock, held by {holder}");
/// })
/// .await?;
/// // … work that no other strata may do at the same time, on `client` …
/// let work = strata::history::read(&client, &TableName::default()).await;
/// lock.release_after(&client, work).await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "the lock stays held until it is released"]
pub struct MigrationLock {
    key: (i32, i32),
}

/// How [`acquire_or_pooled`] ended: the session lock, or a pooler found
/// (no lock taken, no session setting made).
#[derive(Debug)]
pub(crate) enum Acquired {
    /// The lock, on the client's session.
    Held(MigrationLock),
    /// The connection goes through a pooler (SPEC §4.2 step 1).
    Pooled,
}

/// [`MigrationLock::acquire`], telling a pooler apart instead of refusing
/// it: `migrate` goes on with transaction-scoped locks there.
pub(crate) async fn acquire_or_pooled(
    client: &Client,
    table: &TableName,
    session: &Session,
    on_wait: &mut dyn FnMut(&LockHolder),
) -> Result<Acquired, Error> {
    let key = lock_key(table);
    let startup_pid = backend::startup_pid(client).await;
    match first::first_attempt(client, session, key, startup_pid).await? {
        First::Locked => Ok(Acquired::Held(MigrationLock { key })),
        First::Pooled => Ok(Acquired::Pooled),
        First::Busy => {
            poll(client, key, session.lock_wait, TRY_SQL, on_wait).await?;
            Ok(Acquired::Held(MigrationLock { key }))
        }
    }
}

const TRY_SQL: &str = "SELECT pg_try_advisory_lock($1, $2)";
const UNLOCK_SQL: &str = "SELECT pg_advisory_unlock($1, $2)";
const HOLDER_SQL: &str = "SELECT a.pid, coalesce(a.application_name, ''), \
     coalesce(to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '') \
     FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
     WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 \
       AND l.classid = $1::int4::oid AND l.objid = $2::int4::oid \
       AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) LIMIT 1";

impl MigrationLock {
    /// Checks that the database is writable and reached directly, sets
    /// `session`'s timeouts on `client` and makes the first lock attempt on
    /// its session (one statement), then polls with backoff for up to
    /// `session.lock_wait`. `on_wait` is called whenever a (new) holder is
    /// seen.
    ///
    /// # Errors
    /// [`Error::ReadOnly`] for a database in recovery (a hot standby) or
    /// read-only (SPEC §4.2 step 1); [`Error::Pooled`] through a connection
    /// pooler, where a session lock means nothing; [`Error::LockTimeout`]
    /// after the wait (the holder is named); [`Error::Db`] if a query
    /// fails. The lock is not held then.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn f(client: tokio_postgres::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use strata::TableName;
    /// use strata::lock::{MigrationLock, Session};
    ///
    /// let session = Session { lock_wait: Duration::from_secs(5), ..Session::default() };
    /// match MigrationLock::acquire(&client, &TableName::default(), &session, &mut |_| {}).await {
    ///     Ok(lock) => lock.release(&client).await?,
    ///     Err(e) if e.is_lock_timeout() => eprintln!("error: {e}"), // "… held by pid 4242 (strata) since …"
    ///     Err(e) => return Err(e.into()),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn acquire(
        client: &Client,
        table: &TableName,
        session: &Session,
        on_wait: &mut dyn FnMut(&LockHolder),
    ) -> Result<MigrationLock, Error> {
        match acquire_or_pooled(client, table, session, on_wait).await? {
            Acquired::Held(lock) => Ok(lock),
            Acquired::Pooled => Err(Error::Pooled {
                what: "the migration lock of rollback, repair and baseline".to_owned(),
            }),
        }
    }

    /// Releases the lock. If that fails on a live connection, ends the
    /// session (`pg_terminate_backend` of its own backend), which releases
    /// the lock server-side: a failed release never leaves it held.
    ///
    /// # Errors
    /// [`Error::Db`]; the lock is released anyway, with the session.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn f(client: tokio_postgres::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// use strata::lock::{MigrationLock, Session};
    ///
    /// let table = strata::TableName::default();
    /// let lock = MigrationLock::acquire(&client, &table, &Session::default(), &mut |_| {}).await?;
    /// // … migrate …
    /// lock.release(&client).await?;
    /// # Ok(()) }
    /// ```
    pub async fn release(self, client: &Client) -> Result<(), Error> {
        let unlocked = unlock(client, self.key).await;
        if unlocked.is_err() && !client.is_closed() {
            end_session(client).await;
        }
        unlocked
    }

    /// Releases the lock after `result`, the outcome of the work done under
    /// it: the work's error comes first, then a failed release.
    ///
    /// # Errors
    /// `result`'s error, else [`MigrationLock::release`]'s.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn f(client: tokio_postgres::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// use strata::lock::{MigrationLock, Session};
    ///
    /// let table = strata::TableName::default();
    /// let lock = MigrationLock::acquire(&client, &table, &Session::default(), &mut |_| {}).await?;
    /// let rows = strata::history::read(&client, &table).await;
    /// let rows = lock.release_after(&client, rows).await?; // released, also if the read failed
    /// println!("{} row(s)", rows.unwrap_or_default().len());
    /// # Ok(()) }
    /// ```
    pub async fn release_after<T>(
        self,
        client: &Client,
        result: Result<T, Error>,
    ) -> Result<T, Error> {
        let released = self.release(client).await;
        let value = result?;
        released?;
        Ok(value)
    }

    /// [`release_after`](Self::release_after) for a run that changed the
    /// database and returns a report of it: when the work succeeded but the
    /// release failed, the error carries that report (`Error::report`), so
    /// the caller still learns what was done.
    pub(crate) async fn release_after_reporting<R>(
        self,
        client: &Client,
        result: Result<R, Error>,
    ) -> Result<R, Error>
    where
        R: std::any::Any + std::fmt::Debug + Send + Sync,
    {
        match result {
            Ok(report) => match self.release(client).await {
                Ok(()) => Ok(report),
                Err(e) => Err(crate::error::Partial::wrap(e, report)),
            },
            Err(e) => self.release_after(client, Err(e)).await,
        }
    }
}

/// Runs `work` on `client` holding the migration lock on its session: takes
/// it as [`MigrationLock::acquire`], and releases it afterwards on every
/// path as [`MigrationLock::release_after`].
///
/// ```no_run
/// # async fn f(client: tokio_postgres::Client) -> Result<(), strata::Error> {
/// use strata::lock::{Session, with_lock};
///
/// let table = strata::TableName::default();
/// let rows = with_lock(&client, &table, &Session::default(), &mut |_| {}, async |client| {
///     // No other strata migrates this database meanwhile.
///     strata::history::read(client, &table).await
/// })
/// .await?;
/// # let _ = rows; Ok(()) }
/// ```
///
/// # Errors
/// As [`MigrationLock::acquire`], then `work`'s error, then the release's.
pub async fn with_lock<T>(
    client: &Client,
    table: &TableName,
    session: &Session,
    on_wait: &mut dyn FnMut(&LockHolder),
    work: impl AsyncFnOnce(&Client) -> Result<T, Error>,
) -> Result<T, Error> {
    let lock = MigrationLock::acquire(client, table, session, on_wait).await?;
    let result = work(client).await;
    lock.release_after(client, result).await
}

/// Ends the session after a failed unlock, so the server releases the lock:
/// first out of any aborted transaction (where every statement fails), then
/// `pg_terminate_backend` of its own backend, which any role may do
/// (<https://www.postgresql.org/docs/current/functions-admin.html#FUNCTIONS-ADMIN-SIGNAL>).
/// Best effort: the connection is gone either way.
async fn end_session(client: &Client) {
    let _ = client.batch_execute("ROLLBACK").await;
    let _ = client
        .batch_execute("SELECT pg_catalog.pg_terminate_backend(pg_catalog.pg_backend_pid())")
        .await;
}

/// Polls `try_sql` (`pg_try_advisory_lock`, or its transaction-scoped form
/// behind a pooler) on `client`'s session with backoff (10 ms doubling to
/// 500 ms) until it is granted or `wait` has passed, reporting each new
/// holder; the first attempt, made by the caller, found it held.
async fn poll(
    client: &Client,
    key: (i32, i32),
    wait: Duration,
    try_sql: &str,
    on_wait: &mut dyn FnMut(&LockHolder),
) -> Result<(), Error> {
    let start = Instant::now();
    let mut delay = Duration::from_millis(10);
    let mut last_holder: Option<LockHolder> = None;
    loop {
        crate::interrupt::check()?;
        let holder = holder(client, key).await?;
        if let Some(h) = &holder {
            if last_holder.as_ref() != Some(h) {
                on_wait(h);
            }
            last_holder = holder;
        }
        let waited = start.elapsed();
        if waited >= wait {
            return Err(Error::LockTimeout {
                waited,
                holder: last_holder,
            });
        }
        tokio::time::sleep(delay.min(wait - waited)).await;
        delay = (delay * 2).min(Duration::from_millis(500));
        if try_lock(client, key, try_sql).await? {
            return Ok(());
        }
    }
}

async fn try_lock(client: &Client, key: (i32, i32), try_sql: &str) -> Result<bool, Error> {
    let rows = client
        .query_typed(try_sql, &[(&key.0, Type::INT4), (&key.1, Type::INT4)])
        .await
        .map_err(|e| Error::db("cannot take the migration lock", e))?;
    Ok(rows
        .first()
        .and_then(|r| r.try_get::<_, bool>(0).ok())
        .unwrap_or(false))
}

async fn unlock(client: &Client, key: (i32, i32)) -> Result<(), Error> {
    client
        .query_typed(UNLOCK_SQL, &[(&key.0, Type::INT4), (&key.1, Type::INT4)])
        .await
        .map_err(|e| Error::db("cannot release the migration lock", e))?;
    Ok(())
}

async fn holder(client: &Client, key: (i32, i32)) -> Result<Option<LockHolder>, Error> {
    let rows = client
        .query_typed(HOLDER_SQL, &[(&key.0, Type::INT4), (&key.1, Type::INT4)])
        .await
        .map_err(|e| Error::db("cannot look up the migration lock's holder", e))?;
    Ok(rows.first().and_then(|r| {
        Some(LockHolder {
            pid: r.try_get(0).ok()?,
            application_name: r.try_get(1).ok()?,
            since: r.try_get(2).ok()?,
        })
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_differ_per_table_and_share_the_namespace() {
        let a = lock_key(&TableName::default());
        let b = lock_key(&TableName::parse("app.history").unwrap());
        assert_eq!(a.0, LOCK_NAMESPACE);
        assert_eq!(a.0, b.0);
        assert_ne!(a.1, b.1);
        assert_eq!(a, lock_key(&TableName::default()));
    }
}
