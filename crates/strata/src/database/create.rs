//! Whether a database exists, and creating or dropping it (`db create`,
//! `db drop`), on a maintenance connection.
//!
//! Both are idempotent: creating an existing database or dropping a missing
//! one does nothing and says so. A plain drop never terminates anyone's
//! session: PostgreSQL refuses while others are connected, and the error says
//! how many are (`db reset`, [`recreate_database`](super::recreate_database), is the
//! one that terminates them).

use tokio_postgres::Client;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::Type;

use crate::error::Error;
use crate::history::quote_ident;

use super::sessions;

/// True when a database called `name` exists.
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
/// if !strata::database::exists(&admin, "app_dev").await? {
///     println!("app_dev does not exist yet");
/// }
/// # Ok(()) }
/// ```
pub async fn exists(admin: &Client, name: &str) -> Result<bool, Error> {
    let rows = admin
        .query_typed(
            "SELECT 1 FROM pg_database WHERE datname = $1",
            &[(&name, Type::TEXT)],
        )
        .await
        .map_err(|e| Error::db(format!("cannot look up database {name}"), e))?;
    Ok(!rows.is_empty())
}

/// Creates database `name` unless it exists; true when it was created.
/// Idempotent, also when another session creates it concurrently.
///
/// # Errors
/// [`Error::Db`] (e.g. the role lacks `CREATEDB`).
///
/// # Examples
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// // A maintenance connection: the `postgres` database, not the one to change.
/// let (admin, connection) =
///     tokio_postgres::connect("postgres://postgres@127.0.0.1:5432/postgres", tokio_postgres::NoTls).await?;
/// tokio::spawn(connection);
/// let created = strata::database::create_if_missing(&admin, "app_dev").await?;
/// // A second call finds it and does nothing.
/// assert!(!strata::database::create_if_missing(&admin, "app_dev").await?);
/// # let _ = created; Ok(()) }
/// ```
pub async fn create_if_missing(admin: &Client, name: &str) -> Result<bool, Error> {
    create_owned_if_missing(admin, name, None).await
}

/// [`create_if_missing`], with the new database owned by role `owner` when
/// one is given (`CREATE DATABASE … OWNER …`), so that role may create
/// objects in its `public` schema on PostgreSQL 15 and later, where only the
/// database owner may. An existing database is left as it is.
///
/// # Errors
/// [`Error::Db`]: the role lacks `CREATEDB`, may not make `owner` the owner
/// (it must be a member of `owner`, or a superuser), or `owner` does not
/// exist (the message says so, and where it comes from).
///
/// # Examples
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// // A maintenance connection as a superuser; `app` will own `app_dev`.
/// let (admin, connection) =
///     tokio_postgres::connect("postgres://postgres@127.0.0.1:5432/postgres", tokio_postgres::NoTls).await?;
/// tokio::spawn(connection);
/// strata::database::create_owned_if_missing(&admin, "app_dev", Some("app")).await?;
/// # Ok(()) }
/// ```
pub async fn create_owned_if_missing(
    admin: &Client,
    name: &str,
    owner: Option<&str>,
) -> Result<bool, Error> {
    if exists(admin, name).await? {
        return Ok(false);
    }
    let mut sql = format!("CREATE DATABASE {}", quote_ident(name));
    if let Some(owner) = owner {
        sql.push_str(" OWNER ");
        sql.push_str(&quote_ident(owner));
    }
    match (admin.batch_execute(&sql).await, owner) {
        (Ok(()), _) => Ok(true),
        (Err(e), _) if e.code() == Some(&SqlState::DUPLICATE_DATABASE) => Ok(false),
        // Two concurrent CREATE DATABASE can also collide on the catalog's unique index.
        (Err(e), _) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => Ok(false),
        (Err(e), Some(owner)) if e.code() == Some(&SqlState::UNDEFINED_OBJECT) => Err(Error::db(
            format!(
                "cannot create database {name} owned by role {owner}: the role does not \
                 exist on this server (create it, or fix `owner` in strata.toml)"
            ),
            e,
        )),
        (Err(e), _) => Err(Error::db(format!("cannot create database {name}"), e)),
    }
}

/// Drops database `name` if it exists; true when it existed. Fails while
/// other sessions are connected (PostgreSQL refuses, and so does strata: a
/// plain drop never kills anyone's session; [`recreate_database`](super::recreate_database) does).
///
/// # Errors
/// [`Error::Db`]; when sessions are connected the message says how many and
/// what to do.
///
/// # Examples
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// # let (admin, connection) =
/// #     tokio_postgres::connect("postgres://postgres@127.0.0.1:5432/postgres", tokio_postgres::NoTls).await?;
/// # tokio::spawn(connection);
/// match strata::database::drop_database(&admin, "app_test").await {
///     Ok(true) => println!("dropped app_test"),
///     Ok(false) => println!("app_test did not exist"),
///     // "cannot drop database app_test: 2 other session(s) are connected (…)"
///     Err(e) => eprintln!("error: {e}"),
/// }
/// # Ok(()) }
/// ```
pub async fn drop_database(admin: &Client, name: &str) -> Result<bool, Error> {
    if !exists(admin, name).await? {
        return Ok(false);
    }
    match admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {}", quote_ident(name)))
        .await
    {
        Ok(()) => Ok(true),
        Err(e) if e.code() == Some(&SqlState::OBJECT_IN_USE) => {
            // If counting fails too, say "other sessions" rather than a wrong 0.
            let who = match sessions(admin, name).await {
                Ok(n) => format!("{n} other session(s) are"),
                Err(_) => "other sessions are".to_owned(),
            };
            Err(Error::db(
                format!(
                    "cannot drop database {name}: {who} connected \
                     (stop them, or use `strata db reset`, which terminates them)"
                ),
                e,
            ))
        }
        Err(e) => Err(Error::db(format!("cannot drop database {name}"), e)),
    }
}
