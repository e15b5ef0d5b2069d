//! `db seed`: the `*.sql` files of a seeds folder ([`seed_files`]), each
//! run in its own transaction ([`run_seed`]), a failure located by file,
//! line and column like a migration's.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tokio_postgres::Client;
use tokio_postgres::error::ErrorPosition;

use crate::error::{Error, SqlError};

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
        // A folder is not a seed; a FIFO or device is refused by name
        // before any seed runs (never silently skipped, never opened).
        if name.ends_with(".sql") && !path.is_dir() {
            crate::source::check_regular(&path).map_err(|e| Error::io(&path, e))?;
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
    let bytes =
        crate::source::read_regular_file(&seed.path).map_err(|e| Error::io(&seed.path, e))?;
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
        lock_wait: None,
    }))
}
