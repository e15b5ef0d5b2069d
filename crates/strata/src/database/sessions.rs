//! The other sessions connected to a database: counting them (to say why a
//! drop is refused) and terminating them (`db reset`).

use tokio_postgres::Client;
use tokio_postgres::types::Type;

use crate::error::Error;

/// How many other sessions are connected to `name`.
///
/// # Errors
/// [`Error::Db`].
///
/// # Examples
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// # let (admin, connection) =
/// #     tokio_postgres::connect("postgres://postgres@127.0.0.1:5432/postgres", tokio_postgres::NoTls).await?;
/// # tokio::spawn(connection);
/// let n = strata::database::sessions(&admin, "app_dev").await?;
/// println!("{n} other session(s) on app_dev");
/// # Ok(()) }
/// ```
pub async fn sessions(admin: &Client, name: &str) -> Result<i64, Error> {
    let row = admin
        .query_typed_one(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            &[(&name, Type::TEXT)],
        )
        .await
        .map_err(|e| Error::db(format!("cannot list the sessions of {name}"), e))?;
    Ok(row.get(0))
}

/// Terminates every other session connected to `name`
/// (`pg_terminate_backend`); returns how many were terminated.
///
/// # Errors
/// [`Error::Db`] (e.g. the role may not terminate a superuser's session).
///
/// # Examples
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// # let (admin, connection) =
/// #     tokio_postgres::connect("postgres://postgres@127.0.0.1:5432/postgres", tokio_postgres::NoTls).await?;
/// # tokio::spawn(connection);
/// let terminated = strata::database::terminate_sessions(&admin, "app_dev").await?;
/// println!("terminated {terminated} session(s)");
/// # Ok(()) }
/// ```
pub async fn terminate_sessions(admin: &Client, name: &str) -> Result<u64, Error> {
    let rows = admin
        .query_typed(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = $1 AND pid <> pg_backend_pid()",
            &[(&name, Type::TEXT)],
        )
        .await
        .map_err(|e| Error::db(format!("cannot terminate the sessions of {name}"), e))?;
    Ok(rows.iter().filter(|r| r.get::<_, bool>(0)).count() as u64)
}
