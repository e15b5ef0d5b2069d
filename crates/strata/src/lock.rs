//! The migration lock: a session-level advisory lock, taken by polling.
//!
//! strata never calls the blocking `pg_advisory_lock`: a session waiting on it
//! holds a snapshot that a concurrent `CREATE INDEX CONCURRENTLY` must wait
//! for, a deadlock seen in flyway#1654 and golang-migrate#960. Instead it
//! polls `pg_try_advisory_lock` with backoff, reporting who holds the lock.
//!
//! The key is the two-int4 form: strata's namespace, and a hash of the history
//! table's name, so two projects sharing a database but not a history table do
//! not block each other. The lock normally lives on its own connection
//! ([`MigrationLock`] owns it): if anything fails, dropping the guard closes
//! that connection and the server releases the lock — no error path can leak it.

use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use tokio_postgres::Client;
use tokio_postgres::types::Type;

use crate::error::{Error, LockHolder};
use crate::history::TableName;

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

/// A held migration lock. Dropping it without [`MigrationLock::release`]
/// closes its dedicated connection, which releases the lock server-side.
///
/// ```no_run
/// # async fn f(url: &str) -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use strata::TableName;
/// use strata::lock::MigrationLock;
///
/// // A connection of its own: if anything below fails, dropping the lock
/// // closes it and the server releases the lock.
/// let (lock_client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
/// tokio::spawn(connection);
/// let lock = MigrationLock::acquire(lock_client, &TableName::default(), Duration::from_secs(60), &mut |holder| {
///     eprintln!("waiting for the migration lock, held by {holder}");
/// })
/// .await?;
/// // … work that no other strata may do at the same time …
/// lock.release().await?;
/// # Ok(()) }
/// ```
pub struct MigrationLock {
    client: Client,
    key: (i32, i32),
}

impl std::fmt::Debug for MigrationLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MigrationLock")
            .field("key", &self.key)
            .finish()
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
    /// Takes the lock on `client`'s session, polling with backoff for up to
    /// `wait`. `on_wait` is called whenever a (new) holder is seen.
    ///
    /// # Errors
    /// [`Error::LockTimeout`] after `wait` (the holder is named);
    /// [`Error::Db`] if a query fails.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn f(url: &str) -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use strata::TableName;
    /// use strata::lock::MigrationLock;
    ///
    /// let (lock_client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    /// tokio::spawn(connection);
    /// let table = TableName::default();
    /// match MigrationLock::acquire(lock_client, &table, Duration::from_secs(5), &mut |_| {}).await {
    ///     Ok(lock) => lock.release().await?,
    ///     Err(e) if e.is_lock_timeout() => eprintln!("error: {e}"), // "… held by pid 4242 (strata) since …"
    ///     Err(e) => return Err(e.into()),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn acquire(
        client: Client,
        table: &TableName,
        wait: Duration,
        on_wait: &mut dyn FnMut(&LockHolder),
    ) -> Result<MigrationLock, Error> {
        let key = lock_key(table);
        poll(&client, key, wait, on_wait).await?;
        Ok(MigrationLock { client, key })
    }

    /// Releases the lock and closes its connection.
    ///
    /// # Errors
    /// [`Error::Db`]; the lock is released anyway when the connection closes.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn f(lock_client: tokio_postgres::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use strata::lock::MigrationLock;
    ///
    /// let table = strata::TableName::default();
    /// let lock = MigrationLock::acquire(lock_client, &table, Duration::from_secs(60), &mut |_| {}).await?;
    /// // … migrate …
    /// lock.release().await?; // at once, rather than when the connection closes
    /// # Ok(()) }
    /// ```
    pub async fn release(self) -> Result<(), Error> {
        unlock(&self.client, self.key).await
    }

    /// The connection holding the lock.
    ///
    /// ```no_run
    /// # async fn f(lock_client: tokio_postgres::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use strata::lock::MigrationLock;
    ///
    /// let table = strata::TableName::default();
    /// let lock = MigrationLock::acquire(lock_client, &table, Duration::from_secs(60), &mut |_| {}).await?;
    /// let row = lock.client().query_one("SELECT pg_backend_pid()", &[]).await?;
    /// let pid: i32 = row.get(0); // the pid other sessions see holding the lock
    /// # let _ = pid; Ok(()) }
    /// ```
    pub fn client(&self) -> &Client {
        &self.client
    }
}

/// Polls `pg_try_advisory_lock` on `client`'s session with backoff (10 ms
/// doubling to 500 ms) until it is granted or `wait` has passed.
pub(crate) async fn poll(
    client: &Client,
    key: (i32, i32),
    wait: Duration,
    on_wait: &mut dyn FnMut(&LockHolder),
) -> Result<(), Error> {
    let start = Instant::now();
    let mut delay = Duration::from_millis(10);
    let mut last_holder: Option<LockHolder> = None;
    loop {
        if try_lock(client, key).await? {
            return Ok(());
        }
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
    }
}

/// The lock as held by a command other than `migrate` (rollback, repair,
/// baseline): on its own connection when one was given, else on the
/// working connection's session.
pub(crate) enum Held {
    /// On a dedicated connection; dropping it releases the lock.
    Own(MigrationLock),
    /// On the working connection; must be released explicitly.
    Shared((i32, i32)),
}

impl Held {
    /// Takes the lock for `table`, polling for up to `wait`.
    pub(crate) async fn take(
        client: &Client,
        lock_client: Option<Client>,
        table: &TableName,
        wait: Duration,
        on_wait: &mut dyn FnMut(&LockHolder),
    ) -> Result<Held, Error> {
        Ok(match lock_client {
            Some(lc) => Held::Own(MigrationLock::acquire(lc, table, wait, on_wait).await?),
            None => {
                let key = lock_key(table);
                poll(client, key, wait, on_wait).await?;
                Held::Shared(key)
            }
        })
    }

    /// Releases it (call on every path, success or not).
    pub(crate) async fn release(self, client: &Client) -> Result<(), Error> {
        match self {
            Held::Own(l) => l.release().await,
            Held::Shared(key) => unlock(client, key).await,
        }
    }
}

pub(crate) async fn try_lock(client: &Client, key: (i32, i32)) -> Result<bool, Error> {
    let rows = client
        .query_typed(TRY_SQL, &[(&key.0, Type::INT4), (&key.1, Type::INT4)])
        .await
        .map_err(|e| Error::db("cannot take the migration lock", e))?;
    Ok(rows
        .first()
        .and_then(|r| r.try_get::<_, bool>(0).ok())
        .unwrap_or(false))
}

pub(crate) async fn unlock(client: &Client, key: (i32, i32)) -> Result<(), Error> {
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
