//! The one error type of the local-cluster module: every way finding the
//! server binaries, running `initdb`, or starting and stopping the server can
//! fail, each with the path or command involved and, when known, the fix.

use std::io;
use std::path::PathBuf;

/// The install hint shared by every "binaries not found" message.
pub(crate) const INSTALL_HINT: &str = "install the PostgreSQL server: \
`apt-get install postgresql` (Debian/Ubuntu), `brew install postgresql@16` (macOS), \
or set STRATA_PG_BIN to the directory that holds initdb, pg_ctl and postgres";

/// An error from [`crate::cluster`].
///
/// Each message names the path or command involved and, when known, the fix:
///
/// ```
/// use strata::cluster::ClusterError;
///
/// let err = ClusterError::NotRunning { data_dir: "/srv/app/.strata/cluster/data".into() };
/// assert_eq!(
///     err.to_string(),
///     "the local PostgreSQL server in /srv/app/.strata/cluster/data is not running; \
///      start it first (`strata dev up`)"
/// );
///
/// let err = ClusterError::InvalidPgBin { dir: "/opt/pg".into(), missing: "pg_ctl" };
/// assert!(err.to_string().starts_with("STRATA_PG_BIN=/opt/pg does not contain `pg_ctl`;"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClusterError {
    /// No directory holding `initdb`, `pg_ctl` and `postgres` was found.
    #[error(
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found \
         (looked in: {}); {INSTALL_HINT}",
        display_paths(searched)
    )]
    BinariesNotFound {
        /// Every directory that was examined, in search order.
        searched: Vec<PathBuf>,
    },

    /// `STRATA_PG_BIN` is set but does not hold the server binaries.
    ///
    /// An explicit setting that is wrong is an error rather than a reason to
    /// fall back to another installation silently.
    #[error(
        "STRATA_PG_BIN={} does not contain `{missing}`; point it at the directory \
         that holds initdb, pg_ctl and postgres (e.g. /usr/lib/postgresql/16/bin) or unset it",
        dir.display()
    )]
    InvalidPgBin {
        /// The value of `STRATA_PG_BIN`.
        dir: PathBuf,
        /// The first program that is missing from it.
        missing: &'static str,
    },

    /// strata runs as root and there is no `postgres` system user to run the
    /// server as (PostgreSQL refuses to run as root).
    #[error(
        "running as root, but there is no `postgres` system user to run the server as \
         (PostgreSQL refuses to run as root); create one (`useradd --system postgres`, \
         or install the `postgresql` package) or run strata as an ordinary user"
    )]
    NoPostgresUser,

    /// The server user cannot enter a directory above the cluster directory.
    #[error(
        "the `{user}` system user cannot enter {} (the local cluster runs as `{user}` \
         because strata runs as root); allow it with `chmod o+x {}` or keep the \
         cluster directory {} somewhere `{user}` can reach",
        dir.display(),
        dir.display(),
        cluster_dir.display()
    )]
    NotTraversable {
        /// The directory that cannot be entered.
        dir: PathBuf,
        /// The cluster directory that was asked for.
        cluster_dir: PathBuf,
        /// The system user the server runs as.
        user: String,
    },

    /// A file-system operation failed.
    #[error("could not {action} {}", path.display())]
    Io {
        /// What was being done, e.g. "create directory".
        action: &'static str,
        /// The path it was done to.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },

    /// A program could not be started at all.
    #[error("could not run {}", program.display())]
    Spawn {
        /// The program.
        program: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },

    /// `initdb` failed.
    #[error("initdb failed for {} ({status}): {output}", data_dir.display())]
    InitdbFailed {
        /// The data directory it was asked to create.
        data_dir: PathBuf,
        /// The exit status, as printed by the OS.
        status: String,
        /// What initdb printed (stdout and stderr).
        output: String,
    },

    /// The server did not start.
    #[error(
        "the local PostgreSQL server in {} did not start; see {}:\n{log_tail}",
        data_dir.display(),
        log_file.display()
    )]
    StartFailed {
        /// The data directory.
        data_dir: PathBuf,
        /// The server log file.
        log_file: PathBuf,
        /// The log lines written by this start attempt (or pg_ctl's output).
        log_tail: String,
    },

    /// `pg_ctl stop` or `pg_ctl status` failed.
    #[error("pg_ctl {command} failed for {} ({status}): {output}", data_dir.display())]
    PgCtlFailed {
        /// The pg_ctl sub-command (`stop`, `status`).
        command: &'static str,
        /// The data directory.
        data_dir: PathBuf,
        /// The exit status, as printed by the OS.
        status: String,
        /// What pg_ctl printed.
        output: String,
    },

    /// The server is not running, so it has no port or URL.
    #[error("the local PostgreSQL server in {} is not running; start it first (`strata dev up`)", data_dir.display())]
    NotRunning {
        /// The data directory.
        data_dir: PathBuf,
    },

    /// `postmaster.pid` exists but could not be understood.
    #[error("malformed {}: {reason}", path.display())]
    MalformedPidFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },

    /// No free loopback port could be found.
    #[error("could not find a free port on 127.0.0.1")]
    NoFreePort(#[source] io::Error),
}

impl ClusterError {
    /// True when the error means the server binaries are missing or
    /// misconfigured, i.e. the fix is installing PostgreSQL or setting
    /// `STRATA_PG_BIN`.
    ///
    /// ```
    /// use strata::cluster::PgBinaries;
    ///
    /// let err = PgBinaries::from_dir("/nonexistent").unwrap_err();
    /// assert!(err.is_binaries_missing());
    /// // The message says how to get them.
    /// assert!(err.to_string().contains("apt-get install postgresql"));
    /// assert!(err.to_string().contains("set STRATA_PG_BIN"));
    /// ```
    pub fn is_binaries_missing(&self) -> bool {
        matches!(
            self,
            ClusterError::BinariesNotFound { .. } | ClusterError::InvalidPgBin { .. }
        )
    }

    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        ClusterError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

fn display_paths(paths: &[PathBuf]) -> String {
    if paths.is_empty() {
        return "nowhere".to_owned();
    }
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
