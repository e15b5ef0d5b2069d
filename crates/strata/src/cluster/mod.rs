//! The embedded local PostgreSQL cluster (SPEC §6): finding the server
//! binaries ([`PgBinaries`]), `initdb` on first use, and starting, stopping
//! and inspecting a server that listens only on 127.0.0.1
//! ([`LocalCluster`]). `strata dev` keeps one in `.strata/cluster/`; the test
//! kit keeps throwaway ones in temporary directories.
//!
//! Layout of a cluster directory:
//!
//! ```text
//! <dir>/data/          PGDATA, created by initdb (superuser `postgres`, trust auth, UTF8, locale C)
//! <dir>/run/           the unix-socket directory (unless too long: see below)
//! <dir>/postgres.log   the server log (appended to)
//! <dir>/last_port      the port of the last start, reused when still free
//! <dir>/socket_dir     only when the socket lives in a fallback directory under /tmp
//! ```
//!
//! Decisions:
//!
//! - **Root.** PostgreSQL refuses to run as root, so when strata runs as root
//!   the programs run as the `postgres` system user and the cluster
//!   directory is handed to it (`chown`). strata does not fall back to
//!   anything else: with no `postgres` user the error is
//!   [`ClusterError::NoPostgresUser`], and when that user cannot enter a
//!   directory above the cluster (a project under `/root`, mode 700) the
//!   error is [`ClusterError::NotTraversable`], naming the directory and the
//!   `chmod o+x` that fixes it. Moving the data elsewhere silently would
//!   surprise more than it helps.
//! - **Port.** A free port is picked by binding 127.0.0.1:0; the last port is
//!   preferred when still free, so URLs survive restarts. If the start fails
//!   because the port was taken in the meantime, another port is tried.
//! - **Socket.** Unix-socket paths are limited to ~103–107 bytes; when
//!   `<dir>/run` is too long the socket goes to a fresh `/tmp/strata-sock-*`
//!   directory, recorded in `<dir>/socket_dir` and removed on [`LocalCluster::stop`].
//!   strata itself always connects over TCP.
//! - **Blocking.** The API is synchronous: it runs `initdb` and `pg_ctl` and
//!   waits for them (seconds at most). Call it from `spawn_blocking` inside
//!   an async runtime if blocking a worker matters.
//! - **Crashes.** A stale `postmaster.pid` left by a killed server is
//!   handled by `pg_ctl`/`postgres` themselves; [`LocalCluster::start`]
//!   also retries for a few seconds while the dead server's shared memory is
//!   released or its zombie waits to be reaped (a killed postmaster that is
//!   not yet reaped counts as stopped in [`LocalCluster::status`]).

mod binaries;
mod error;
mod initdb;
mod net;
mod pidfile;
mod process;
mod start;
mod status;
mod stop;
mod user;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub use binaries::PgBinaries;
pub(crate) use binaries::{is_executable, search_dirs};
pub use error::ClusterError;
pub use status::{ClusterInfo, ClusterStatus, ShutdownMode, StartOptions};

use process::{combined_output, is_zombie, run};

use pidfile::PidFile;
use user::ServerUser;

/// The superuser `initdb` creates, and the user in every URL.
///
/// ```
/// assert_eq!(strata::cluster::SUPERUSER, "postgres");
/// ```
pub const SUPERUSER: &str = "postgres";

/// How long `pg_ctl` waits for the server to start or stop, in seconds.
const PG_CTL_TIMEOUT_SECS: &str = "60";

/// A PostgreSQL cluster living in one directory, run by this machine's
/// server binaries. See the [module docs](self) for the layout and the
/// decisions behind it.
///
/// What `strata dev up` and `strata dev down` do (blocking calls: run them
/// in `spawn_blocking` inside an async runtime):
///
/// ```no_run
/// # fn f() -> Result<(), Box<dyn std::error::Error>> {
/// use strata::cluster::{LocalCluster, PgBinaries, StartOptions};
///
/// let cluster = LocalCluster::new(".strata/cluster", PgBinaries::from_process_env()?)?;
/// let info = cluster.start(&StartOptions::default())?; // runs initdb on first use
/// let url = info.url("app_dev"); // postgres://postgres@127.0.0.1:<port>/app_dev
/// // … tokio_postgres::connect(&url, tokio_postgres::NoTls) …
/// # let _ = url;
/// cluster.stop()?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct LocalCluster {
    dir: PathBuf,
    bins: PgBinaries,
    user: ServerUser,
}

impl LocalCluster {
    /// A cluster in `dir` (made absolute; nothing is created yet).
    ///
    /// # Errors
    ///
    /// [`ClusterError::NoPostgresUser`] when running as root without a
    /// `postgres` system user; [`ClusterError::Io`] when the current
    /// directory is needed to make `dir` absolute and cannot be read.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::cluster::{LocalCluster, PgBinaries};
    ///
    /// # let bin_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/doc/docs-cluster-pg-bin");
    /// let bins = PgBinaries::from_dir(bin_dir)?; // or PgBinaries::from_process_env()?
    /// let cluster = LocalCluster::new(".strata/cluster", bins)?;
    /// assert!(cluster.dir().is_absolute());
    /// assert!(cluster.dir().ends_with(".strata/cluster"));
    /// # Ok::<(), strata::cluster::ClusterError>(())
    /// ```
    pub fn new(dir: impl AsRef<Path>, bins: PgBinaries) -> Result<Self, ClusterError> {
        let dir = dir.as_ref();
        let dir = std::path::absolute(dir).map_err(|e| ClusterError::io("resolve", dir, e))?;
        Ok(LocalCluster {
            dir,
            bins,
            user: ServerUser::detect()?,
        })
    }

    /// The cluster directory.
    ///
    /// ```
    /// use std::path::Path;
    /// use strata::cluster::{LocalCluster, PgBinaries};
    ///
    /// # let bin_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/doc/docs-cluster-pg-bin");
    /// let cluster = LocalCluster::new("/srv/app/.strata/cluster", PgBinaries::from_dir(bin_dir)?)?;
    /// assert_eq!(cluster.dir(), Path::new("/srv/app/.strata/cluster"));
    /// # Ok::<(), strata::cluster::ClusterError>(())
    /// ```
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The data directory, `<dir>/data`.
    ///
    /// ```
    /// use std::path::Path;
    /// use strata::cluster::{LocalCluster, PgBinaries};
    ///
    /// # let bin_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/doc/docs-cluster-pg-bin");
    /// let cluster = LocalCluster::new("/srv/app/.strata/cluster", PgBinaries::from_dir(bin_dir)?)?;
    /// assert_eq!(cluster.data_dir(), Path::new("/srv/app/.strata/cluster/data"));
    /// # Ok::<(), strata::cluster::ClusterError>(())
    /// ```
    pub fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// The server log, `<dir>/postgres.log`.
    ///
    /// ```
    /// use std::path::Path;
    /// use strata::cluster::{LocalCluster, PgBinaries};
    ///
    /// # let bin_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/doc/docs-cluster-pg-bin");
    /// let cluster = LocalCluster::new("/srv/app/.strata/cluster", PgBinaries::from_dir(bin_dir)?)?;
    /// assert_eq!(cluster.log_file(), Path::new("/srv/app/.strata/cluster/postgres.log"));
    /// # Ok::<(), strata::cluster::ClusterError>(())
    /// ```
    pub fn log_file(&self) -> PathBuf {
        self.dir.join("postgres.log")
    }

    /// The binaries this cluster runs.
    ///
    /// ```
    /// use strata::cluster::{LocalCluster, PgBinaries};
    ///
    /// # let bin_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/doc/docs-cluster-pg-bin");
    /// let bins = PgBinaries::from_dir(bin_dir)?;
    /// let cluster = LocalCluster::new("/srv/app/.strata/cluster", bins.clone())?;
    /// assert_eq!(cluster.binaries(), &bins);
    /// let psql = cluster.binaries().program("psql");
    /// # let _ = psql;
    /// # Ok::<(), strata::cluster::ClusterError>(())
    /// ```
    pub fn binaries(&self) -> &PgBinaries {
        &self.bins
    }

    /// The operating-system user the server runs as: `Some("postgres")`
    /// when strata runs as root, `None` for the current user.
    ///
    /// ```
    /// use strata::cluster::{LocalCluster, PgBinaries};
    ///
    /// # let bin_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/doc/docs-cluster-pg-bin");
    /// let cluster = LocalCluster::new("/srv/app/.strata/cluster", PgBinaries::from_dir(bin_dir)?)?;
    /// match cluster.server_user() {
    ///     Some(user) => assert_eq!(user, "postgres"), // strata runs as root
    ///     None => {}                                 // the server runs as us
    /// }
    /// # Ok::<(), strata::cluster::ClusterError>(())
    /// ```
    pub fn server_user(&self) -> Option<&str> {
        match &self.user {
            ServerUser::Current => None,
            ServerUser::Switch { name, .. } => Some(name),
        }
    }

    /// True once `initdb` has completed (`data/PG_VERSION` exists).
    ///
    /// ```
    /// use strata::cluster::{LocalCluster, PgBinaries};
    ///
    /// # let tmp = tempfile::tempdir()?;
    /// # let bin_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/doc/docs-cluster-pg-bin");
    /// let cluster = LocalCluster::new(tmp.path().join("cluster"), PgBinaries::from_dir(bin_dir)?)?;
    /// assert!(!cluster.is_initialized()); // nothing is created until init or start
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_initialized(&self) -> bool {
        self.data_dir().join("PG_VERSION").is_file()
    }

    /// Whether the cluster is initialized and running, and where it listens
    /// (`pg_ctl status`, then `data/postmaster.pid`).
    ///
    /// # Errors
    ///
    /// [`ClusterError::PgCtlFailed`] when pg_ctl cannot tell;
    /// [`ClusterError::MalformedPidFile`]; [`ClusterError::NotTraversable`].
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::cluster::{ClusterStatus, LocalCluster, PgBinaries};
    ///
    /// # let tmp = tempfile::tempdir()?;
    /// # let bin_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/doc/docs-cluster-pg-bin");
    /// let cluster = LocalCluster::new(tmp.path().join("cluster"), PgBinaries::from_dir(bin_dir)?)?;
    /// match cluster.status()? {
    ///     ClusterStatus::Running(info) => println!("running on port {}", info.port),
    ///     ClusterStatus::Stopped => println!("stopped"),
    ///     ClusterStatus::NotInitialized => println!("not created yet"),
    /// }
    /// assert_eq!(cluster.status()?, ClusterStatus::NotInitialized);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn status(&self) -> Result<ClusterStatus, ClusterError> {
        if !self.is_initialized() {
            return Ok(ClusterStatus::NotInitialized);
        }
        self.user.check_traversable(&self.dir)?;
        let mut cmd = self.command(&self.bins.pg_ctl());
        cmd.arg("status").arg("-D").arg(self.data_dir());
        let out = run(cmd, &self.bins.pg_ctl())?;
        // pg_ctl status: 0 running, 3 not running, 4 no accessible data dir.
        match out.status.code() {
            Some(0) => {}
            Some(3) => return Ok(ClusterStatus::Stopped),
            Some(4) if !self.is_initialized() => return Ok(ClusterStatus::NotInitialized),
            _ => {
                return Err(ClusterError::PgCtlFailed {
                    command: "status",
                    data_dir: self.data_dir(),
                    status: out.status.to_string(),
                    output: combined_output(&out),
                });
            }
        }
        let pid_path = self.data_dir().join("postmaster.pid");
        match PidFile::read(&pid_path)? {
            // pg_ctl's kill(pid, 0) also succeeds for a postmaster that died
            // (kill -9) but was not reaped yet, e.g. under a container init
            // that reaps lazily.
            Some(pid) if is_zombie(pid.pid) => Ok(ClusterStatus::Stopped),
            Some(pid) => Ok(ClusterStatus::Running(ClusterInfo {
                pid: pid.pid,
                port: pid.port,
                data_dir: self.data_dir(),
                socket_dir: pid.socket_dir,
                log_file: self.log_file(),
            })),
            // Stopped between pg_ctl's look and ours.
            None => Ok(ClusterStatus::Stopped),
        }
    }

    /// True when the server is running. Errors count as not running.
    ///
    /// ```
    /// use strata::cluster::{LocalCluster, PgBinaries};
    ///
    /// # let tmp = tempfile::tempdir()?;
    /// # let bin_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/doc/docs-cluster-pg-bin");
    /// let cluster = LocalCluster::new(tmp.path().join("cluster"), PgBinaries::from_dir(bin_dir)?)?;
    /// assert!(!cluster.is_running());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_running(&self) -> bool {
        self.status().is_ok_and(|s| s.is_running())
    }

    /// `postgres://postgres@127.0.0.1:<port>/<database>` of the running
    /// server.
    ///
    /// # Errors
    ///
    /// [`ClusterError::NotRunning`] when it is not running; the errors of
    /// [`status`](Self::status).
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::cluster::{ClusterError, LocalCluster, PgBinaries};
    ///
    /// # let tmp = tempfile::tempdir()?;
    /// # let bin_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/doc/docs-cluster-pg-bin");
    /// let cluster = LocalCluster::new(tmp.path().join("cluster"), PgBinaries::from_dir(bin_dir)?)?;
    /// // Running: "postgres://postgres@127.0.0.1:<port>/app_dev". Not running:
    /// let err = cluster.url("app_dev").unwrap_err();
    /// assert!(matches!(err, ClusterError::NotRunning { .. }));
    /// assert!(err.to_string().ends_with("is not running; start it first (`strata dev up`)"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn url(&self, database: &str) -> Result<String, ClusterError> {
        match self.status()? {
            ClusterStatus::Running(info) => Ok(info.url(database)),
            _ => Err(ClusterError::NotRunning {
                data_dir: self.data_dir(),
            }),
        }
    }

    /// Creates the cluster directory and hands it to the server user.
    fn prepare_dir(&self) -> Result<(), ClusterError> {
        self.user.check_traversable(&self.dir)?;
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| ClusterError::io("create directory", &self.dir, e))?;
        self.user.take_ownership(&self.dir)
    }

    fn command(&self, program: &Path) -> Command {
        let mut cmd = self.user.command(program);
        // A directory the server user can always enter (the caller's may be
        // /root/…); and no PG* variables of the caller leak into the server.
        if self.dir.is_dir() {
            cmd.current_dir(&self.dir);
        } else {
            cmd.current_dir("/");
        }
        for var in ["PGDATA", "PGPORT", "PGHOST", "PGUSER", "PGOPTIONS"] {
            cmd.env_remove(var);
        }
        cmd.stdin(Stdio::null());
        cmd
    }
}
