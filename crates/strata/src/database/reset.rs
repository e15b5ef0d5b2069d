//! `db reset`'s first half, [`recreate_database`]: terminate the other
//! sessions, drop the database, create it empty (the CLI then migrates and
//! seeds it).
//!
//! Sessions that connect between the terminate and the drop are terminated
//! too: `DROP DATABASE … WITH (FORCE)` on PostgreSQL 13 and later, a short
//! retry before.

use std::time::Duration;

use tokio_postgres::Client;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::Type;

use crate::error::Error;
use crate::history::quote_ident;

use super::{create_owned_if_missing, exists, terminate_sessions};

/// What [`recreate_database`] did.
///
/// ```no_run
/// # async fn f(admin: &tokio_postgres::Client) -> Result<(), Box<dyn std::error::Error>> {
/// let re = strata::database::recreate_database(admin, "app_dev").await?;
/// if re.dropped {
///     println!("dropped app_dev ({} session(s) terminated) and created it empty", re.terminated);
/// } else {
///     println!("created app_dev");
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Recreated {
    /// Other sessions terminated.
    pub terminated: u64,
    /// Whether the database existed (and was dropped).
    pub dropped: bool,
}

/// The first half of `db reset`: terminate other sessions on `name`, drop
/// it, create it empty, with the owner it had. New sessions that slip in between are terminated
/// too (`DROP … WITH (FORCE)` on PostgreSQL 13 and later; retried before).
///
/// # Errors
/// [`Error::Db`].
///
/// # Examples
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// // A maintenance connection: the `postgres` database, not the one to change.
/// let (admin, connection) =
///     tokio_postgres::connect("postgres://postgres@127.0.0.1:5432/postgres", tokio_postgres::NoTls).await?;
/// tokio::spawn(connection);
/// // Destructive: the caller has checked the environment and the confirmation.
/// let re = strata::database::recreate_database(&admin, "app_dev").await?;
/// println!("terminated {} session(s), dropped: {}", re.terminated, re.dropped);
/// // … then migrate app_dev from scratch, and seed it.
/// # Ok(()) }
/// ```
pub async fn recreate_database(admin: &Client, name: &str) -> Result<Recreated, Error> {
    let mut terminated = 0;
    let mut dropped = false;
    let mut owner = None;
    if exists(admin, name).await? {
        // The new database keeps the old one's owner (the application's
        // role may own it, so that it can create in `public`, SPEC §4).
        owner = admin
            .query_typed(
                "SELECT pg_get_userbyid(datdba) FROM pg_database \
                 WHERE datname = $1 AND datdba <> (SELECT oid FROM pg_roles WHERE rolname = current_user)",
                &[(&name, Type::TEXT)],
            )
            .await
            .map_err(|e| Error::db(format!("cannot read the owner of database {name}"), e))?
            .first()
            .and_then(|row| row.try_get::<_, String>(0).ok());
        let version: i32 = admin
            .query_one("SELECT current_setting('server_version_num')::int", &[])
            .await
            .map_err(|e| Error::db("cannot read the server version", e))?
            .get(0);
        let force = if version >= 130_000 {
            " WITH (FORCE)"
        } else {
            ""
        };
        let sql = format!("DROP DATABASE IF EXISTS {}{force}", quote_ident(name));
        let mut attempts = 0;
        loop {
            terminated += terminate_sessions(admin, name).await?;
            match admin.batch_execute(&sql).await {
                Ok(()) => break,
                Err(e) if e.code() == Some(&SqlState::OBJECT_IN_USE) && attempts < 20 => {
                    attempts += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => return Err(Error::db(format!("cannot drop database {name}"), e)),
            }
        }
        dropped = true;
    }
    create_owned_if_missing(admin, name, owner.as_deref()).await?;
    Ok(Recreated {
        terminated,
        dropped,
    })
}
