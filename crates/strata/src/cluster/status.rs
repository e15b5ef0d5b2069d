//! The plain data of the cluster API: how to start a server
//! ([`StartOptions`]), how to stop it ([`ShutdownMode`]), and what is known
//! about it ([`ClusterStatus`], [`ClusterInfo`]).

use std::path::PathBuf;

#[cfg(doc)]
use super::LocalCluster;
use super::SUPERUSER;

/// How the server is started.
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

/// Whether a cluster exists and runs.
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
    pub fn is_running(&self) -> bool {
        matches!(self, ClusterStatus::Running(_))
    }

    /// The running server, if any.
    pub fn info(&self) -> Option<&ClusterInfo> {
        match self {
            ClusterStatus::Running(info) => Some(info),
            _ => None,
        }
    }
}
