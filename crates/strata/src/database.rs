//! Database lifecycle: creating a database if it is missing.
//!
//! Runs through a maintenance connection (database `postgres` or the admin
//! URL). Names are quoted identifiers and looked up as bound values.

use tokio_postgres::Client;
use tokio_postgres::types::Type;

use crate::error::Error;
use crate::history::quote_ident;

/// True when a database called `name` exists.
///
/// # Errors
/// [`Error::Db`].
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
pub async fn create_if_missing(admin: &Client, name: &str) -> Result<bool, Error> {
    if exists(admin, name).await? {
        return Ok(false);
    }
    match admin
        .batch_execute(&format!("CREATE DATABASE {}", quote_ident(name)))
        .await
    {
        Ok(()) => Ok(true),
        Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::DUPLICATE_DATABASE) => {
            Ok(false)
        }
        // Two concurrent CREATE DATABASE can also collide on the catalog's unique index.
        Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) => Ok(false),
        Err(e) => Err(Error::db(format!("cannot create database {name}"), e)),
    }
}
