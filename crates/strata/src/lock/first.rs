//! The first statement of a locking session, one round trip: whether the
//! database is writable (not in recovery, not read-only), its name, the
//! backend pid, strata's `lock_timeout` / `statement_timeout` and the first
//! lock attempt.
//!
//! The server decides with what the client knows from the startup (the
//! BackendKeyData pid, see `backend.rs`): when `pg_backend_pid()` differs,
//! the connection goes through a pooler, and the same statement neither
//! takes a session lock (whose release could reach another backend) nor
//! sets session timeouts (which would stay on a pooled backend for its next
//! client; `set_config(…, true)` lasts only for this statement's
//! transaction). A database that is not writable gets no lock either.

use tokio_postgres::Client;
use tokio_postgres::types::{ToSql, Type};

use super::Session;
use crate::error::Error;

/// What the first statement found.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum First {
    /// A direct connection; the lock is held.
    Locked,
    /// A direct connection; another session holds the lock.
    Busy,
    /// The backend is not the one the startup named: a pooler.
    Pooled,
}

/// Sends the first statement (see the module docs). `startup_pid` is the
/// BackendKeyData pid, `None` when unknown (then the connection counts as
/// direct).
pub(super) async fn first_attempt(
    client: &Client,
    session: &Session,
    key: (i32, i32),
    startup_pid: Option<i32>,
) -> Result<First, Error> {
    let settings = session.settings();
    let n = settings.len();
    let (pid, k1, k2) = (n + 1, n + 2, n + 3);
    let direct = format!("(${pid} = 0 OR pg_catalog.pg_backend_pid() = ${pid})");
    let mut columns = vec![
        "pg_catalog.pg_is_in_recovery()".to_owned(),
        "pg_catalog.current_setting('transaction_read_only')".to_owned(),
        "pg_catalog.current_database()::text".to_owned(),
        format!("NOT {direct}"),
    ];
    columns.extend(settings.iter().enumerate().map(|(i, (name, _))| {
        format!("pg_catalog.set_config('{name}', ${}, NOT {direct})", i + 1)
    }));
    // Last, so nothing after it can fail with the lock taken.
    columns.push(format!(
        "CASE WHEN {direct} AND NOT pg_catalog.pg_is_in_recovery() \
         AND pg_catalog.current_setting('transaction_read_only') = 'off' \
         THEN pg_catalog.pg_try_advisory_lock(${k1}, ${k2}) END"
    ));
    let sql = format!("SELECT {}", columns.join(", "));
    let startup = startup_pid.unwrap_or(0);
    let mut params: Vec<(&(dyn ToSql + Sync), Type)> = settings
        .iter()
        .map(|(_, value)| (value as &(dyn ToSql + Sync), Type::TEXT))
        .collect();
    params.push((&startup, Type::INT4));
    params.push((&key.0, Type::INT4));
    params.push((&key.1, Type::INT4));
    let rows = client
        .query_typed(&sql, &params)
        .await
        .map_err(|e| Error::db("cannot set lock_timeout/statement_timeout", e))?;
    let row = rows.first();
    let in_recovery = row
        .and_then(|r| r.try_get::<_, bool>(0).ok())
        .unwrap_or(false);
    let read_only = row
        .and_then(|r| r.try_get::<_, String>(1).ok())
        .is_some_and(|v| v == "on");
    let database = row
        .and_then(|r| r.try_get::<_, String>(2).ok())
        .unwrap_or_default();
    if in_recovery || read_only {
        return Err(Error::ReadOnly {
            database,
            in_recovery,
        });
    }
    let pooled = row
        .and_then(|r| r.try_get::<_, bool>(3).ok())
        .unwrap_or(false);
    let locked = row.and_then(|r| r.try_get::<_, Option<bool>>(n + 4).ok().flatten());
    Ok(match (pooled, locked) {
        (true, _) => First::Pooled,
        (false, Some(true)) => First::Locked,
        (false, _) => First::Busy,
    })
}
