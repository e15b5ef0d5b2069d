//! The migration lock behind a pooler (SPEC §4.2 step 1): a session lock
//! means nothing where each transaction may get another backend, so each
//! migration's transaction takes the lock itself, with
//! `pg_try_advisory_xact_lock` (same key), polled with backoff up to the
//! lock wait; the server releases it at COMMIT or ROLLBACK, on whatever
//! backend the pooler chose. strata's timeouts are set for the transaction
//! only (`set_config(…, true)`), so nothing stays on the pooled backend.
//! Every statement here is one unnamed Parse/Bind/Execute/Sync or a simple
//! query: a pooler may give the next message another backend.

use std::time::{Duration, Instant};

use tokio_postgres::Client;
use tokio_postgres::types::{ToSql, Type};

use super::{Session, holder};
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
    let settings: Vec<(&str, String)> = [
        ("lock_timeout", session.lock_timeout),
        ("statement_timeout", session.statement_timeout),
    ]
    .into_iter()
    .filter_map(|(name, t)| Some((name, t?.as_setting())))
    .collect();
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
    let granted = |rows: Vec<tokio_postgres::Row>, column: usize| {
        rows.first()
            .and_then(|r| r.try_get::<_, bool>(column).ok())
            .unwrap_or(false)
    };
    if granted(first.map_err(ctx)?, n) {
        return Ok(());
    }
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
        if waited >= session.lock_wait {
            return Err(Error::LockTimeout {
                waited,
                holder: last_holder,
            });
        }
        tokio::time::sleep(delay.min(session.lock_wait - waited)).await;
        delay = (delay * 2).min(Duration::from_millis(500));
        let rows = client
            .query_typed(TRY_XACT_SQL, &[(&key.0, Type::INT4), (&key.1, Type::INT4)])
            .await
            .map_err(ctx)?;
        if granted(rows, 0) {
            return Ok(());
        }
    }
}
