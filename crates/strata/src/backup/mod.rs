//! Backups before a migration (`strata migrate --backup DIR`, SPEC §4): a
//! `pg_dump -Fc` of a database into a directory, named
//! `<database>-<UTC YYYYMMDDTHHMMSSZ>.dump`.
//!
//! - **Which pg_dump**: [`PgDump::find`] (the local cluster's search order,
//!   the first whose major version is at least the server's).
//! - **The connection** is the endpoint's effective one, as strata connects
//!   (TLS settings included), given to pg_dump as a `key=value` string; the
//!   password goes in `PGPASSWORD`, never on the command line, and is
//!   replaced by `***` in every error. The `PG*` variables of strata's own
//!   process are removed from pg_dump's, so it sees exactly what strata
//!   resolved (env files included).
//! - **Bounded**: `connect_timeout` and TCP keepalives as on strata's own
//!   connections, `--lock-wait-timeout` for its table locks, `--no-password`
//!   so it never prompts; SIGINT/SIGTERM ([`crate::interrupt`]) kills it.
//! - **The file** is written as `.<name>.<pid>.partial` (mode 0600: a dump
//!   holds every row) and renamed once pg_dump succeeded, so a failed or
//!   interrupted dump leaves no file that looks complete; an existing file
//!   of the same name is never overwritten.

mod conninfo;
mod error;
mod program;

#[cfg(test)]
mod tests;

use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

pub use error::BackupError;
pub use program::PgDump;

use crate::connect::Endpoint;
use crate::history::Timestamp;

/// At most this much of pg_dump's stderr is kept for the error.
const STDERR_LIMIT: usize = 16 * 1024;

/// A backup that was written.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Backup {
    /// The real database name (from the connection).
    pub database: String,
    /// The dump file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
}

/// How a dump is bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DumpOptions {
    /// pg_dump's `--lock-wait-timeout`: how long it waits for each table's
    /// share lock before it fails (zero: pg_dump's default, no limit).
    pub lock_wait: Duration,
}

/// The file name of a backup of `database` taken at `at`:
/// `<database>-<YYYYMMDDTHHMMSSZ>.dump`. Characters other than ASCII
/// letters, digits, `_`, `-` and `.` in the name become `_` (a database
/// name may hold a `/`).
///
/// ```
/// use strata::backup::file_name;
/// use strata::history::Timestamp;
/// let at = Timestamp::from_unix_secs(1_795_278_748); // 2026-11-21 16:32:28 UTC
/// assert_eq!(file_name("usecapsule_auth", at), "usecapsule_auth-20261121T163228Z.dump");
/// assert_eq!(file_name("a/b c", at), "a_b_c-20261121T163228Z.dump");
/// ```
pub fn file_name(database: &str, at: Timestamp) -> String {
    let name: String = database
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let stamp: String = at
        .to_string()
        .chars()
        .filter(|c| !matches!(c, '-' | ':'))
        .collect();
    format!("{name}-{stamp}.dump")
}

/// The server's major version (`server_version_num / 10000`).
///
/// # Errors
///
/// [`BackupError::ServerVersion`] when the query fails.
///
/// ```no_run
/// # async fn f(client: &tokio_postgres::Client) -> Result<(), strata::backup::BackupError> {
/// let major = strata::backup::server_major(client, "shop").await?; // e.g. 15
/// # let _ = major; Ok(()) }
/// ```
pub async fn server_major(
    client: &tokio_postgres::Client,
    database: &str,
) -> Result<u32, BackupError> {
    let row = client
        .query_one("SELECT current_setting('server_version_num')::int4", &[])
        .await
        .map_err(|source| BackupError::ServerVersion {
            database: database.to_owned(),
            source,
        })?;
    let num: i32 = row.get(0);
    Ok(u32::try_from(num).unwrap_or(0) / 10_000)
}

/// Dumps `endpoint`'s database with `pg_dump` into `dir` (created, mode
/// 0700, if missing) as [`file_name`] at the current time, in pg_dump's
/// custom format (`-Fc`: compressed, restorable with `pg_restore`).
/// Runs on a blocking thread.
///
/// # Errors
///
/// See [`BackupError`]; on any error no file of the final name was written.
///
/// ```no_run
/// # async fn f(endpoint: &strata::connect::Endpoint) -> Result<(), strata::backup::BackupError> {
/// use std::time::Duration;
/// use strata::backup::{DumpOptions, PgDump, dump};
/// let pg_dump = PgDump::from_process_env(15)?;
/// let opts = DumpOptions { lock_wait: Duration::from_secs(60) };
/// let backup = dump(&pg_dump, endpoint, "backups".as_ref(), &opts).await?;
/// println!("{} ({} bytes)", backup.path.display(), backup.bytes);
/// # Ok(()) }
/// ```
pub async fn dump(
    pg_dump: &PgDump,
    endpoint: &Endpoint,
    dir: &Path,
    opts: &DumpOptions,
) -> Result<Backup, BackupError> {
    let job = Job {
        program: pg_dump.path().to_owned(),
        conninfo: conninfo::conninfo(endpoint),
        password: endpoint
            .pg_config()
            .get_password()
            .map(|p| String::from_utf8_lossy(p).into_owned()),
        database: endpoint.database().to_owned(),
        dir: dir.to_owned(),
        opts: *opts,
    };
    match tokio::task::spawn_blocking(move || job.run()).await {
        Ok(result) => result,
        Err(e) => Err(BackupError::Io {
            path: dir.to_owned(),
            source: io::Error::other(e.to_string()),
        }),
    }
}

/// One dump, owned by its blocking thread.
struct Job {
    program: PathBuf,
    conninfo: String,
    password: Option<String>,
    database: String,
    dir: PathBuf,
    opts: DumpOptions,
}

impl Job {
    fn run(self) -> Result<Backup, BackupError> {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)
            .map_err(|source| self.io(&self.dir, source))?;
        let name = file_name(&self.database, Timestamp::now());
        let path = self.dir.join(&name);
        if path.exists() {
            return Err(BackupError::Exists { path });
        }
        let partial = self
            .dir
            .join(format!(".{name}.{}.partial", std::process::id()));
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&partial)
            .map_err(|source| self.io(&partial, source))?;
        let outcome = self.pg_dump(&partial);
        let result = outcome.and_then(|()| {
            if path.exists() {
                return Err(BackupError::Exists { path: path.clone() });
            }
            std::fs::rename(&partial, &path).map_err(|source| self.io(&path, source))?;
            let bytes = std::fs::metadata(&path)
                .map_err(|source| self.io(&path, source))?
                .len();
            Ok(Backup {
                database: self.database.clone(),
                path: path.clone(),
                bytes,
            })
        });
        if result.is_err() {
            let _ = std::fs::remove_file(&partial);
        }
        result
    }

    fn io(&self, path: &Path, source: io::Error) -> BackupError {
        BackupError::Io {
            path: path.to_owned(),
            source,
        }
    }

    /// Runs pg_dump into `file` and waits for it (polling, so an interrupt
    /// kills it).
    fn pg_dump(&self, file: &Path) -> Result<(), BackupError> {
        let mut cmd = Command::new(&self.program);
        cmd.arg("--format=custom")
            .arg("--no-password")
            .arg(format!("--file={}", file.display()));
        if !self.opts.lock_wait.is_zero() {
            cmd.arg(format!(
                "--lock-wait-timeout={}",
                self.opts.lock_wait.as_millis().max(1)
            ));
        }
        cmd.arg(format!("--dbname={}", self.conninfo))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        // pg_dump sees what strata resolved, not strata's own PG* variables.
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("PG") {
                cmd.env_remove(key);
            }
        }
        if let Some(p) = &self.password {
            cmd.env("PGPASSWORD", p);
        }
        let mut child = cmd.spawn().map_err(|source| BackupError::Spawn {
            program: self.program.clone(),
            source,
        })?;
        let stderr = child.stderr.take().map(|mut pipe| {
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let _ = io::Read::read_to_end(&mut pipe, &mut buf);
                buf
            })
        });
        let status = loop {
            if crate::interrupt::requested() {
                let _ = child.kill();
                let _ = child.wait();
                return Err(BackupError::Interrupted);
            }
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(source) => {
                    let _ = child.kill();
                    return Err(BackupError::Spawn {
                        program: self.program.clone(),
                        source,
                    });
                }
            }
        };
        let stderr = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
        if status.success() {
            return Ok(());
        }
        Err(BackupError::Failed {
            database: self.database.clone(),
            status: status.to_string(),
            stderr: self.redacted(&stderr),
        })
    }

    /// pg_dump's stderr, trimmed, shortened, with the password as `***`.
    fn redacted(&self, stderr: &[u8]) -> String {
        let text = String::from_utf8_lossy(&stderr[..stderr.len().min(STDERR_LIMIT)]);
        let mut text = text.trim().to_owned();
        if let Some(p) = self.password.as_deref().filter(|p| !p.is_empty()) {
            text = text.replace(p, "***");
        }
        if text.is_empty() {
            text = "no message".to_owned();
        }
        text
    }
}
