//! Finding `pg_dump` ([`PgDump`]): where the local cluster finds `initdb`
//! (`STRATA_PG_BIN`, `pg_config --bindir`, `/usr/lib/postgresql/*/bin`,
//! `PATH`), preferring the first one whose major version is at least the
//! server's — pg_dump refuses to dump a newer server.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::error::BackupError;
use crate::cluster::{is_executable, search_dirs};

/// How long `pg_dump --version` may take.
const VERSION_TIMEOUT: Duration = Duration::from_secs(10);

/// A `pg_dump` program and its major version.
///
/// ```
/// use strata::backup::PgDump;
///
/// let pg_dump = PgDump::at("/usr/lib/postgresql/16/bin/pg_dump", Some(16));
/// assert_eq!(pg_dump.path(), std::path::Path::new("/usr/lib/postgresql/16/bin/pg_dump"));
/// assert_eq!(pg_dump.major(), Some(16));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgDump {
    path: PathBuf,
    major: Option<u32>,
}

impl PgDump {
    /// A given program; `major` as known (`None`: not asked).
    ///
    /// ```
    /// use strata::backup::PgDump;
    /// assert_eq!(PgDump::at("/opt/pg/bin/pg_dump", None).major(), None);
    /// ```
    pub fn at(path: impl Into<PathBuf>, major: Option<u32>) -> PgDump {
        PgDump {
            path: path.into(),
            major,
        }
    }

    /// Finds `pg_dump` for a server of major version `server_major`,
    /// reading variables through `env`. `STRATA_PG_BIN`, when set, is used
    /// as it is (its `pg_dump` must exist). Otherwise the candidates are
    /// searched in order and the first whose major version is at least
    /// `server_major` wins; when none is, the first found (pg_dump then
    /// explains the version mismatch itself).
    ///
    /// # Errors
    ///
    /// [`BackupError::InvalidPgBin`] when `STRATA_PG_BIN` has no executable
    /// `pg_dump`; [`BackupError::NotFound`], naming the directories
    /// searched and how to install the client, when there is none at all.
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use strata::backup::{BackupError, PgDump};
    ///
    /// let vars = HashMap::from([("STRATA_PG_BIN", "/nonexistent".to_owned())]);
    /// let err = PgDump::find(&|name| vars.get(name).cloned(), 15).unwrap_err();
    /// assert!(matches!(err, BackupError::InvalidPgBin { .. }));
    /// assert!(err.to_string().starts_with("STRATA_PG_BIN=/nonexistent has no executable pg_dump"));
    /// ```
    pub fn find(
        env: &impl Fn(&str) -> Option<String>,
        server_major: u32,
    ) -> Result<PgDump, BackupError> {
        if let Some(dir) = env("STRATA_PG_BIN").filter(|v| !v.is_empty()) {
            let path = Path::new(&dir).join("pg_dump");
            if !is_executable(&path) {
                return Err(BackupError::InvalidPgBin { dir: dir.into() });
            }
            let major = major_version(&path);
            return Ok(PgDump { path, major });
        }
        let dirs = search_dirs(env);
        let mut first = None;
        for dir in &dirs {
            let path = dir.join("pg_dump");
            if !is_executable(&path) {
                continue;
            }
            let major = major_version(&path);
            if major.is_some_and(|m| m >= server_major) {
                return Ok(PgDump { path, major });
            }
            first.get_or_insert(PgDump { path, major });
        }
        first.ok_or(BackupError::NotFound { searched: dirs })
    }

    /// [`PgDump::find`] over the process environment.
    ///
    /// # Errors
    ///
    /// As [`PgDump::find`].
    ///
    /// ```
    /// use strata::backup::PgDump;
    /// match PgDump::from_process_env(15) {
    ///     Ok(pg_dump) => assert!(pg_dump.path().ends_with("pg_dump")),
    ///     Err(e) => eprintln!("error: {e}"), // says how to install it
    /// }
    /// ```
    pub fn from_process_env(server_major: u32) -> Result<PgDump, BackupError> {
        Self::find(&|name| std::env::var(name).ok(), server_major)
    }

    /// The program.
    ///
    /// ```
    /// use strata::backup::PgDump;
    /// assert!(PgDump::at("/usr/bin/pg_dump", None).path().ends_with("pg_dump"));
    /// ```
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Its major version, when `pg_dump --version` told it.
    ///
    /// ```
    /// use strata::backup::PgDump;
    /// assert_eq!(PgDump::at("/usr/bin/pg_dump", Some(17)).major(), Some(17));
    /// ```
    pub fn major(&self) -> Option<u32> {
        self.major
    }
}

/// The major version `pg_dump --version` prints
/// (`pg_dump (PostgreSQL) 15.10 (Debian 15.10-1)` → 15), waiting at most
/// [`VERSION_TIMEOUT`].
fn major_version(program: &Path) -> Option<u32> {
    let mut child = Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if started.elapsed() < VERSION_TIMEOUT => {
                std::thread::sleep(Duration::from_millis(10));
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take()?, &mut out).ok()?;
    parse_major(&out)
}

/// The major version in `pg_dump --version`'s output.
pub(super) fn parse_major(text: &str) -> Option<u32> {
    let rest = text.split(')').nth(1)?.trim_start();
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}
