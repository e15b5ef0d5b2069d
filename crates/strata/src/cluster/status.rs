//! The plain data of the cluster API: how to start a server
//! ([`StartOptions`]), how to stop it ([`ShutdownMode`]), and what is known
//! about it ([`ClusterStatus`], [`ClusterInfo`]).

use std::path::PathBuf;

#[cfg(doc)]
use super::LocalCluster;
use super::SUPERUSER;

/// How the server is started.
///
/// Start from [`StartOptions::default`] (what `strata dev` uses) or
/// [`StartOptions::for_tests`] and change what differs:
///
/// ```
/// use strata::cluster::StartOptions;
///
/// let opts = StartOptions {
///     port: Some(5433),
///     settings: vec![("log_statement".into(), "all".into())],
///     ..StartOptions::default()
/// };
/// assert!(opts.durable);
/// assert_eq!(opts.max_connections, 100);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartOptions {
    /// `false` turns off `fsync`, `synchronous_commit` and
    /// `full_page_writes`: much faster, and a crash of the machine may
    /// corrupt the cluster. For tests and throwaway data only.
    pub durable: bool,
    /// The server's `max_connections`.
    pub max_connections: u32,
    /// A fixed port. `None` picks a free one (preferring the last one used).
    /// With a fixed port a conflict is an error, not a retry.
    pub port: Option<u16>,
    /// Further server settings, passed as `-c name=value` (e.g.
    /// `shared_preload_libraries = pg_stat_statements` for statement counts).
    pub settings: Vec<(String, String)>,
}

impl Default for StartOptions {
    /// Durable, 100 connections, any free port: what `strata dev` uses.
    fn default() -> Self {
        StartOptions {
            durable: true,
            max_connections: 100,
            port: None,
            settings: Vec::new(),
        }
    }
}

impl StartOptions {
    /// Options for a throwaway test cluster: not durable, 200 connections
    /// (tests run in parallel, each with a pool), any free port.
    ///
    /// ```
    /// use strata::cluster::StartOptions;
    ///
    /// let opts = StartOptions::for_tests();
    /// assert!(!opts.durable); // fsync off: never for data you want to keep
    /// assert_eq!(opts.max_connections, 200);
    /// assert_eq!(opts.port, None);
    /// ```
    pub fn for_tests() -> Self {
        StartOptions {
            durable: false,
            max_connections: 200,
            port: None,
            settings: Vec::new(),
        }
    }
}

/// How [`LocalCluster::stop_with`] shuts the server down (`pg_ctl stop -m`).
///
/// [`LocalCluster::stop`] uses [`ShutdownMode::Fast`]; a test harness that
/// throws the cluster away can use [`ShutdownMode::Immediate`]:
///
/// ```
/// use strata::cluster::{LocalCluster, PgBinaries, ShutdownMode};
///
/// # let tmp = tempfile::tempdir()?;
/// # let scratch_dir = tmp.path().join("cluster");
/// # let bin_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/doc/docs-cluster-pg-bin");
/// let cluster = LocalCluster::new(&scratch_dir, PgBinaries::from_dir(bin_dir)?)?;
/// let was_running = cluster.stop_with(ShutdownMode::Immediate)?;
/// assert!(!was_running); // this one was never started
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShutdownMode {
    /// Wait for every client to disconnect.
    Smart,
    /// Disconnect clients, roll back their transactions, shut down cleanly.
    Fast,
    /// Abort every process at once; recovery runs at the next start.
    Immediate,
}

impl ShutdownMode {
    pub(crate) fn as_arg(self) -> &'static str {
        match self {
            ShutdownMode::Smart => "smart",
            ShutdownMode::Fast => "fast",
            ShutdownMode::Immediate => "immediate",
        }
    }
}

/// A running server, as read from its `postmaster.pid`.
///
/// [`LocalCluster::start`] returns it, and [`ClusterStatus::Running`]
/// carries it:
///
/// ```no_run
/// # fn f() -> Result<(), Box<dyn std::error::Error>> {
/// use strata::cluster::{LocalCluster, PgBinaries, StartOptions};
///
/// let cluster = LocalCluster::new(".strata/cluster", PgBinaries::from_process_env()?)?;
/// let info = cluster.start(&StartOptions::default())?;
/// println!("server {} listens on 127.0.0.1:{}, logs to {}", info.pid, info.port, info.log_file.display());
/// let url = info.url("app_dev"); // postgres://postgres@127.0.0.1:<port>/app_dev
/// # let _ = url; Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterInfo {
    /// The postmaster's process id.
    pub pid: u32,
    /// The TCP port on 127.0.0.1.
    pub port: u16,
    /// The data directory (PGDATA).
    pub data_dir: PathBuf,
    /// The unix-socket directory, when the server has reported it.
    pub socket_dir: Option<PathBuf>,
    /// The server log file.
    pub log_file: PathBuf,
}

impl ClusterInfo {
    /// `postgres://postgres@127.0.0.1:<port>/<database>`, the database name
    /// percent-encoded.
    ///
    /// ```
    /// use strata::cluster::ClusterInfo;
    ///
    /// let info = ClusterInfo {
    ///     pid: 4242,
    ///     port: 54321,
    ///     data_dir: ".strata/cluster/data".into(),
    ///     socket_dir: None,
    ///     log_file: ".strata/cluster/postgres.log".into(),
    /// };
    /// assert_eq!(info.url("app_dev"), "postgres://postgres@127.0.0.1:54321/app_dev");
    /// assert_eq!(info.url("my db/x"), "postgres://postgres@127.0.0.1:54321/my%20db%2Fx");
    /// ```
    pub fn url(&self, database: &str) -> String {
        let db = percent_encoding::utf8_percent_encode(database, PATH_SEGMENT);
        format!("postgres://{SUPERUSER}@127.0.0.1:{}/{db}", self.port)
    }
}

/// Characters escaped in the database part of a URL.
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Whether a cluster exists and runs, as [`LocalCluster::status`] tells.
///
/// ```no_run
/// # fn f() -> Result<(), Box<dyn std::error::Error>> {
/// use strata::cluster::{ClusterStatus, LocalCluster, PgBinaries};
///
/// let cluster = LocalCluster::new(".strata/cluster", PgBinaries::from_process_env()?)?;
/// match cluster.status()? {
///     ClusterStatus::NotInitialized => println!("no cluster yet (`strata dev up` creates it)"),
///     ClusterStatus::Stopped => println!("stopped"),
///     ClusterStatus::Running(info) => println!("running on port {}", info.port),
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusterStatus {
    /// `initdb` has not run yet.
    NotInitialized,
    /// Initialized, no server running.
    Stopped,
    /// A server is running.
    Running(ClusterInfo),
}

impl ClusterStatus {
    /// True for [`ClusterStatus::Running`].
    ///
    /// ```
    /// use strata::cluster::ClusterStatus;
    ///
    /// assert!(!ClusterStatus::Stopped.is_running());
    /// assert!(!ClusterStatus::NotInitialized.is_running());
    /// ```
    pub fn is_running(&self) -> bool {
        matches!(self, ClusterStatus::Running(_))
    }

    /// The running server, if any.
    ///
    /// ```
    /// use strata::cluster::{ClusterInfo, ClusterStatus};
    ///
    /// assert_eq!(ClusterStatus::Stopped.info(), None);
    ///
    /// let info = ClusterInfo {
    ///     pid: 4242,
    ///     port: 54321,
    ///     data_dir: "/srv/app/.strata/cluster/data".into(),
    ///     socket_dir: None,
    ///     log_file: "/srv/app/.strata/cluster/postgres.log".into(),
    /// };
    /// let status = ClusterStatus::Running(info);
    /// assert!(status.is_running());
    /// assert_eq!(status.info().map(|i| i.port), Some(54321));
    /// ```
    pub fn info(&self) -> Option<&ClusterInfo> {
        match self {
            ClusterStatus::Running(info) => Some(info),
            _ => None,
        }
    }
}
