//! Database lifecycle (SPEC §4 `db …`, §5): create, drop, terminate
//! sessions, clean, seed.
//!
//! Server-level work (`create`, `drop`, `terminate`) runs on a maintenance
//! connection (database `postgres`, or the admin URL); `clean` and `seed` run
//! on a connection to the database itself. Names are quoted identifiers in
//! DDL and bound values in queries. Whether an operation is *allowed* (a
//! protected environment, a confirmation) is the caller's decision: these
//! functions do what they are asked.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tokio_postgres::Client;
use tokio_postgres::error::{ErrorPosition, SqlState};
use tokio_postgres::types::Type;

use crate::config::TableName;
use crate::error::{Error, SqlError};
use crate::history::quote_ident;

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
    if exists(admin, name).await? {
        return Ok(false);
    }
    match admin
        .batch_execute(&format!("CREATE DATABASE {}", quote_ident(name)))
        .await
    {
        Ok(()) => Ok(true),
        Err(e) if e.code() == Some(&SqlState::DUPLICATE_DATABASE) => Ok(false),
        // Two concurrent CREATE DATABASE can also collide on the catalog's unique index.
        Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => Ok(false),
        Err(e) => Err(Error::db(format!("cannot create database {name}"), e)),
    }
}

/// Drops database `name` if it exists; true when it existed. Fails while
/// other sessions are connected (PostgreSQL refuses, and so does strata: a
/// plain drop never kills anyone's session; [`recreate_database`] does).
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
/// it, create it empty. New sessions that slip in between are terminated
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
    if exists(admin, name).await? {
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
    create_if_missing(admin, name).await?;
    Ok(Recreated {
        terminated,
        dropped,
    })
}

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
/// sequences restart. `lock_timeout` (a PostgreSQL setting such as `"10s"`)
/// bounds the wait for each table's lock, so a busy application makes clean
/// fail rather than hang. Returns the tables emptied.
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
///
/// let schemas = vec!["public".to_owned()];
/// let emptied = strata::database::clean(&client, &schemas, &TableName::default(), Some("10s")).await?;
/// println!("emptied {} table(s)", emptied.len());
/// # Ok(()) }
/// ```
pub async fn clean(
    client: &Client,
    schemas: &[String],
    history: &TableName,
    lock_timeout: Option<&str>,
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
                    &[(&t, Type::TEXT)],
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

/// A seed file, as [`seed_files`] lists them.
///
/// ```
/// # let tmp = tempfile::tempdir()?;
/// # let seeds = tmp.path();
/// std::fs::write(seeds.join("001_users.sql"), "INSERT INTO users VALUES (1);")?;
/// let files = strata::database::seed_files(seeds)?;
/// assert_eq!(files[0].name, "001_users.sql");
/// assert_eq!(files[0].path, seeds.join("001_users.sql"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedFile {
    /// The file name, e.g. `001_users.sql`.
    pub name: String,
    /// The full path.
    pub path: PathBuf,
}

/// The `*.sql` files of a seeds folder in file-name order (byte order, as
/// `ls` with `LC_ALL=C` shows them). Other files and subfolders are ignored.
/// A missing folder has no seeds.
///
/// # Errors
/// [`Error::Io`] when the folder cannot be read.
///
/// # Examples
///
/// ```
/// use std::path::Path;
/// use strata::database::seed_files;
///
/// # let tmp = tempfile::tempdir()?;
/// # let seeds = tmp.path();
/// for name in ["010_orders.sql", "002_users.sql", "README.md"] {
///     std::fs::write(seeds.join(name), "")?;
/// }
/// let names: Vec<_> = seed_files(seeds)?.into_iter().map(|f| f.name).collect();
/// assert_eq!(names, ["002_users.sql", "010_orders.sql"]);
/// assert!(seed_files(Path::new("no/such/seeds"))?.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn seed_files(dir: &Path) -> Result<Vec<SeedFile>, Error> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(dir, e)),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let path = entry.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
            continue;
        };
        if name.ends_with(".sql") && path.is_file() {
            files.push(SeedFile { name, path });
        }
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(files)
}

/// Runs one seed file in its own transaction; returns how long it took.
///
/// # Errors
/// [`Error::Io`] / [`Error::InvalidUtf8`] for the file; [`Error::Sql`] with
/// file, line and column when its SQL fails (the transaction is rolled back).
///
/// # Examples
///
/// What `strata db seed` does:
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// # let (client, connection) =
/// #     tokio_postgres::connect("postgres://postgres@127.0.0.1:5432/app_dev", tokio_postgres::NoTls).await?;
/// # tokio::spawn(connection);
/// use std::path::Path;
/// use strata::database::{run_seed, seed_files};
///
/// for seed in seed_files(Path::new("db/seeds"))? {
///     let took = run_seed(&client, &seed).await?;
///     println!("seeded {} ({} ms)", seed.name, took.as_millis());
/// }
/// # Ok(()) }
/// ```
pub async fn run_seed(client: &Client, seed: &SeedFile) -> Result<Duration, Error> {
    let bytes = std::fs::read(&seed.path).map_err(|e| Error::io(&seed.path, e))?;
    let text = String::from_utf8(bytes).map_err(|e| Error::InvalidUtf8 {
        path: seed.path.clone(),
        offset: e.utf8_error().valid_up_to() as u64,
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let start = Instant::now();
    client
        .batch_execute("BEGIN")
        .await
        .map_err(|e| Error::db(format!("{}: cannot start a transaction", seed.name), e))?;
    if let Err(e) = client.batch_execute(text).await {
        let _ = client.batch_execute("ROLLBACK").await;
        return Err(seed_error(seed, text, e));
    }
    client
        .batch_execute("COMMIT")
        .await
        .map_err(|e| Error::db(format!("{}: cannot commit", seed.name), e))?;
    Ok(start.elapsed())
}

fn seed_error(seed: &SeedFile, text: &str, e: tokio_postgres::Error) -> Error {
    let Some(db) = e.as_db_error() else {
        return Error::db(format!("{}: the connection failed", seed.name), e);
    };
    let pos = match db.position() {
        Some(ErrorPosition::Original(p)) => {
            crate::sql::locate(text, crate::sql::Location::START, *p)
        }
        _ => None,
    };
    Error::Sql(Box::new(SqlError {
        script: seed.name.clone(),
        path: Some(seed.path.clone()),
        line: pos.as_ref().map(|p| p.line),
        column: pos.as_ref().map(|p| p.column),
        line_text: pos.map(|p| p.line_text),
        code: db.code().into(),
        message: db.message().to_owned(),
        detail: db.detail().map(str::to_owned),
        hint: db.hint().map(str::to_owned),
        context: db.where_().map(str::to_owned),
        statements_succeeded: None,
        next_step: Some("the seed was rolled back; fix it and run `strata db seed` again".into()),
        invalid_index: None,
    }))
}
