//! `db clean`: empty every table of the configured schemas, keeping the
//! structure, the history table and tables owned by extensions.
//!
//! [`tables_to_clean`] says what would be emptied, without emptying it;
//! [`clean`] truncates all of it in one transaction, with a `lock_timeout`
//! so a busy application makes it fail rather than hang.

use tokio_postgres::Client;
use tokio_postgres::types::Type;

use crate::config::{TableName, Timeout};
use crate::error::Error;

/// The tables `db clean` empties: ordinary and partitioned tables (not
/// partitions: truncating the parent covers them) in `schemas`, except the
/// history table and tables that belong to an extension (PostGIS's
/// `spatial_ref_sys`, say), as `schema.table` quoted, in name order.
///
/// # Errors
/// [`Error::Db`].
///
/// # Examples
///
/// What `db clean` would empty, without emptying it:
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// # let (client, connection) =
/// #     tokio_postgres::connect("postgres://postgres@127.0.0.1:5432/app_dev", tokio_postgres::NoTls).await?;
/// # tokio::spawn(connection);
/// use strata::TableName;
///
/// let schemas = vec!["public".to_owned()];
/// let tables = strata::database::tables_to_clean(&client, &schemas, &TableName::default()).await?;
/// for t in &tables {
///     println!("would truncate {t}"); // e.g. public.users, public."Order Lines"
/// }
/// # Ok(()) }
/// ```
pub async fn tables_to_clean(
    client: &Client,
    schemas: &[String],
    history: &TableName,
) -> Result<Vec<String>, Error> {
    let rows = client
        .query_typed(
            "SELECT format('%I.%I', n.nspname, c.relname) \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition \
               AND n.nspname::text = ANY($1) \
               AND NOT (n.nspname::text = $2 AND c.relname::text = $3) \
               AND NOT EXISTS (SELECT 1 FROM pg_depend d \
                               WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid \
                                 AND d.deptype = 'e') \
             ORDER BY n.nspname, c.relname",
            &[
                (&schemas, Type::TEXT_ARRAY),
                (&history.schema, Type::TEXT),
                (&history.name, Type::TEXT),
            ],
        )
        .await
        .map_err(|e| Error::db("cannot list the tables to clean", e))?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// `db clean`: in one transaction, `TRUNCATE … RESTART IDENTITY CASCADE`
/// every table of [`tables_to_clean`]. Structure and history stay; owned
/// sequences restart. `lock_timeout` (set for the transaction only; `None`
/// leaves the session's) bounds the wait for each table's lock, so a busy
/// application makes clean fail rather than hang. Returns the tables emptied.
///
/// `CASCADE` also empties tables in other schemas that reference these with
/// foreign keys, as PostgreSQL defines it.
///
/// # Errors
/// [`Error::Db`]; nothing is truncated then.
///
/// # Examples
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// # let (client, connection) =
/// #     tokio_postgres::connect("postgres://postgres@127.0.0.1:5432/app_dev", tokio_postgres::NoTls).await?;
/// # tokio::spawn(connection);
/// use strata::TableName;
/// use strata::config::Timeout;
///
/// let schemas = vec!["public".to_owned()];
/// let lock_timeout = Some(Timeout::parse("10s")?);
/// let emptied = strata::database::clean(&client, &schemas, &TableName::default(), lock_timeout).await?;
/// println!("emptied {} table(s)", emptied.len());
/// # Ok(()) }
/// ```
pub async fn clean(
    client: &Client,
    schemas: &[String],
    history: &TableName,
    lock_timeout: Option<Timeout>,
) -> Result<Vec<String>, Error> {
    client
        .batch_execute("BEGIN")
        .await
        .map_err(|e| Error::db("cannot start the clean transaction", e))?;
    let result = async {
        if let Some(t) = lock_timeout {
            client
                .query_typed(
                    "SELECT set_config('lock_timeout', $1, true)",
                    &[(&t.as_setting(), Type::TEXT)],
                )
                .await
                .map_err(|e| Error::db("cannot set lock_timeout", e))?;
        }
        let tables = tables_to_clean(client, schemas, history).await?;
        if !tables.is_empty() {
            client
                .batch_execute(&format!(
                    "TRUNCATE TABLE {} RESTART IDENTITY CASCADE",
                    tables.join(", ")
                ))
                .await
                .map_err(|e| Error::db("cannot truncate the tables", e))?;
        }
        Ok(tables)
    }
    .await;
    match result {
        Ok(tables) => {
            client
                .batch_execute("COMMIT")
                .await
                .map_err(|e| Error::db("cannot commit the clean", e))?;
            Ok(tables)
        }
        Err(e) => {
            let _ = client.batch_execute("ROLLBACK").await;
            Err(e)
        }
    }
}
