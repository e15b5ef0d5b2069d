//! The migration lock behind a pooler (SPEC §4.2 step 1): a session lock
//! means nothing where each transaction may get another backend, so each
//! migration's transaction takes the lock itself, with
//! `pg_try_advisory_xact_lock` (same key), polled with backoff up to the
//! lock wait; the server releases it at COMMIT or ROLLBACK, on whatever
//! backend the pooler chose. strata's timeouts are set for the transaction
//! only (`set_config(…, true)`), so nothing stays on the pooled backend.
//! Every statement here is one unnamed Parse/Bind/Execute/Sync or a simple
//! query: a pooler may give the next message another backend.

use tokio_postgres::Client;
use tokio_postgres::types::{ToSql, Type};

use super::Session;
use crate::error::{Error, LockHolder};

const TRY_XACT_SQL: &str = "SELECT pg_catalog.pg_try_advisory_xact_lock($1, $2)";

/// Begins a transaction on `client` and takes the lock `key` in it,
/// polling with backoff (10 ms doubling to 500 ms) for up to
/// `session.lock_wait`; `on_wait` hears of each new holder. The first
/// attempt travels with `BEGIN` and the transaction's timeouts.
///
/// # Errors
/// [`Error::LockTimeout`] (the holder named when it can be seen),
/// [`Error::Db`], an interrupt; the transaction is rolled back then.
pub(crate) async fn begin_locked(
    client: &Client,
    key: (i32, i32),
    session: &Session,
    on_wait: &mut dyn FnMut(&LockHolder),
) -> Result<(), Error> {
    let result = poll(client, key, session, on_wait).await;
    if result.is_err() {
        let _ = client.batch_execute("ROLLBACK").await;
    }
    result
}

async fn poll(
    client: &Client,
    key: (i32, i32),
    session: &Session,
    on_wait: &mut dyn FnMut(&LockHolder),
) -> Result<(), Error> {
    let settings = session.settings();
    let n = settings.len();
    let mut columns: Vec<String> = settings
        .iter()
        .enumerate()
        .map(|(i, (name, _))| format!("pg_catalog.set_config('{name}', ${}, true)", i + 1))
        .collect();
    columns.push(format!(
        "pg_catalog.pg_try_advisory_xact_lock(${}, ${})",
        n + 1,
        n + 2
    ));
    let first_sql = format!("SELECT {}", columns.join(", "));
    let mut params: Vec<(&(dyn ToSql + Sync), Type)> = settings
        .iter()
        .map(|(_, value)| (value as &(dyn ToSql + Sync), Type::TEXT))
        .collect();
    params.push((&key.0, Type::INT4));
    params.push((&key.1, Type::INT4));
    let ctx = |e| Error::db("cannot take the migration lock", e);
    let (begun, first) = tokio::join!(
        client.batch_execute("BEGIN"),
        client.query_typed(&first_sql, &params)
    );
    begun.map_err(ctx)?;
    let granted = first
        .map_err(ctx)?
        .first()
        .and_then(|r| r.try_get::<_, bool>(n).ok())
        .unwrap_or(false);
    if granted {
        return Ok(());
    }
    super::poll(client, key, session.lock_wait, TRY_XACT_SQL, on_wait).await
}
