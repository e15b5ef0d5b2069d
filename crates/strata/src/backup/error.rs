//! [`BackupError`]: every way a backup fails, each naming the program,
//! file or database involved, and never the password.

use std::io;
use std::path::PathBuf;

/// Why a backup failed. Messages never contain the password.
///
/// ```
/// use strata::backup::BackupError;
/// let err = BackupError::Failed {
///     database: "shop".into(),
///     status: "exit status: 1".into(),
///     stderr: "pg_dump: error: connection to server failed".into(),
/// };
/// assert_eq!(
///     err.to_string(),
///     "pg_dump of shop failed (exit status: 1): pg_dump: error: connection to server failed; nothing was migrated"
/// );
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackupError {
    /// No `pg_dump` anywhere.
    #[error(
        "pg_dump not found (looked in: {}); install the PostgreSQL client \
         (`apt-get install postgresql-client`, `brew install libpq`) or set STRATA_PG_BIN \
         to the directory that holds pg_dump",
        searched.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    )]
    NotFound {
        /// The directories examined, in order.
        searched: Vec<PathBuf>,
    },
    /// `STRATA_PG_BIN` is set and has no `pg_dump`.
    #[error("STRATA_PG_BIN={} has no executable pg_dump; point it at the directory that holds pg_dump or unset it", dir.display())]
    InvalidPgBin {
        /// The value of `STRATA_PG_BIN`.
        dir: PathBuf,
    },
    /// The server's version could not be read.
    #[error("cannot read the server version of {database}")]
    ServerVersion {
        /// The database.
        database: String,
        /// The driver's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// The directory could not be created, or a file in it written.
    #[error("cannot write the backup {}; nothing was migrated", path.display())]
    Io {
        /// The directory or file.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: io::Error,
    },
    /// A backup of that name exists already (two runs in the same second).
    #[error("the backup {} exists already; nothing was migrated (run again in a second)", path.display())]
    Exists {
        /// The file.
        path: PathBuf,
    },
    /// pg_dump could not be started.
    #[error("cannot run {}; nothing was migrated", program.display())]
    Spawn {
        /// The program.
        program: PathBuf,
        /// What the system said.
        #[source]
        source: io::Error,
    },
    /// pg_dump ended with an error.
    #[error("pg_dump of {database} failed ({status}): {stderr}; nothing was migrated")]
    Failed {
        /// The database.
        database: String,
        /// How it ended (`exit status: 1`).
        status: String,
        /// What it printed on stderr, password redacted.
        stderr: String,
    },
    /// SIGINT/SIGTERM arrived while pg_dump ran (it was killed).
    #[error("interrupted while pg_dump ran; nothing was migrated")]
    Interrupted,
}
