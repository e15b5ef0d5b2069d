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
mod net;
mod pidfile;
mod process;
mod status;
mod user;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

pub use binaries::PgBinaries;
pub use error::ClusterError;
pub use status::{ClusterInfo, ClusterStatus, ShutdownMode, StartOptions};

use process::{combined_output, file_len, is_zombie, read_from, run, shell_quote};

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

/// How many times a start is retried after a transient failure (port taken,
/// shared memory of a killed server not yet released).
const START_ATTEMPTS: u64 = 8;

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

    /// Runs `initdb` unless the cluster is already initialized; returns
    /// whether it ran. Durable: `initdb` syncs its files to disk.
    ///
    /// # Errors
    ///
    /// [`ClusterError::NotTraversable`] as root when `postgres` cannot reach
    /// the directory; [`ClusterError::InitdbFailed`] with initdb's output;
    /// [`ClusterError::Io`] / [`ClusterError::Spawn`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn f() -> Result<(), Box<dyn std::error::Error>> {
    /// use strata::cluster::{LocalCluster, PgBinaries};
    ///
    /// let cluster = LocalCluster::new(".strata/cluster", PgBinaries::from_process_env()?)?;
    /// let ran = cluster.init()?; // false when it was already initialized
    /// assert!(cluster.is_initialized());
    /// assert!(!cluster.init()?); // a second call does nothing
    /// # let _ = ran; Ok(()) }
    /// ```
    pub fn init(&self) -> Result<bool, ClusterError> {
        self.init_inner(true)
    }

    fn init_inner(&self, sync: bool) -> Result<bool, ClusterError> {
        if self.is_initialized() {
            return Ok(false);
        }
        self.prepare_dir()?;
        let data_dir = self.data_dir();
        let mut cmd = self.command(&self.bins.initdb());
        cmd.arg("-D").arg(&data_dir).args([
            "-U",
            SUPERUSER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
        ]);
        if !sync {
            cmd.arg("--no-sync");
        }
        let out = run(cmd, &self.bins.initdb())?;
        if out.status.success() {
            return Ok(true);
        }
        // Someone else may have initialized it concurrently.
        if self.is_initialized() {
            return Ok(false);
        }
        Err(ClusterError::InitdbFailed {
            data_dir,
            status: out.status.to_string(),
            output: combined_output(&out),
        })
    }

    /// Starts the server (running `initdb` first if needed) and returns where
    /// it listens. Starting a running cluster is a no-op returning its info.
    ///
    /// # Errors
    ///
    /// [`ClusterError::StartFailed`] with the server log of this attempt;
    /// the errors of [`init`](Self::init).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn f() -> Result<(), Box<dyn std::error::Error>> {
    /// use strata::cluster::{LocalCluster, PgBinaries, StartOptions};
    ///
    /// let cluster = LocalCluster::new(".strata/cluster", PgBinaries::from_process_env()?)?;
    /// let info = cluster.start(&StartOptions::default())?;
    /// // Starting it again is a no-op that returns the same server.
    /// assert_eq!(cluster.start(&StartOptions::default())?.pid, info.pid);
    /// println!("{}", info.url("app_dev"));
    /// # Ok(()) }
    /// ```
    pub fn start(&self, opts: &StartOptions) -> Result<ClusterInfo, ClusterError> {
        self.init_inner(opts.durable)?;
        if let ClusterStatus::Running(info) = self.status()? {
            return Ok(info);
        }
        self.prepare_dir()?;
        let socket_dir = net::prepare_socket_dir(&self.dir, &self.dir.join("run"), &self.user)?;

        // The last port when still free (URLs survive restarts); a new one
        // only when the chosen port turns out to be taken.
        let mut port = match opts.port {
            Some(port) => port,
            None => match net::reusable_last_port(&self.dir) {
                Some(port) => port,
                None => net::pick_free_port()?,
            },
        };
        let mut last_failure = None;
        for attempt in 0..START_ATTEMPTS {
            let log_offset = file_len(&self.log_file());
            let out = self.pg_ctl_start(opts, port, &socket_dir)?;
            if out.status.success() {
                let record = self.dir.join(net::LAST_PORT_RECORD);
                std::fs::write(&record, port.to_string())
                    .map_err(|e| ClusterError::io("write", &record, e))?;
                return match self.status()? {
                    ClusterStatus::Running(info) => Ok(info),
                    _ => Err(self.start_failed(log_offset, &out)),
                };
            }
            // Lost a race with another starter of this same cluster?
            if let ClusterStatus::Running(info) = self.status()? {
                return Ok(info);
            }
            let log = read_from(&self.log_file(), log_offset);
            let port_taken = opts.port.is_none()
                && (log.contains("Address already in use") || !net::port_is_free(port));
            // After a kill -9 the old server's children may still hold its
            // shared memory for a moment, and its pid may still be an
            // unreaped zombie that makes the lock file look in use.
            let crash_leftovers = log.contains("pre-existing shared memory block")
                || (log.contains("postmaster.pid") && log.contains("already exists"));
            last_failure = Some(self.start_failed(log_offset, &out));
            if port_taken {
                port = net::pick_free_port()?;
            } else if !crash_leftovers {
                break;
            }
            std::thread::sleep(Duration::from_millis(250 * (attempt + 1).min(4)));
        }
        net::remove_fallback_socket_dir(&self.dir);
        Err(last_failure.unwrap_or_else(|| ClusterError::StartFailed {
            data_dir: self.data_dir(),
            log_file: self.log_file(),
            log_tail: String::new(),
        }))
    }

    fn pg_ctl_start(
        &self,
        opts: &StartOptions,
        port: u16,
        socket_dir: &Path,
    ) -> Result<Output, ClusterError> {
        let mut server_opts = vec![
            "-p".to_owned(),
            port.to_string(),
            "-k".to_owned(),
            socket_dir.to_string_lossy().into_owned(),
            "-c".to_owned(),
            "listen_addresses=127.0.0.1".to_owned(),
            "-c".to_owned(),
            format!("max_connections={}", opts.max_connections),
        ];
        if !opts.durable {
            for setting in [
                "fsync=off",
                "synchronous_commit=off",
                "full_page_writes=off",
            ] {
                server_opts.push("-c".to_owned());
                server_opts.push(setting.to_owned());
            }
        }
        for (name, value) in &opts.settings {
            server_opts.push("-c".to_owned());
            server_opts.push(format!("{name}={value}"));
        }
        // pg_ctl hands -o to `/bin/sh -c "exec postgres …"`, so quote for sh.
        let server_opts = server_opts
            .iter()
            .map(|s| shell_quote(s))
            .collect::<Vec<_>>()
            .join(" ");
        let mut cmd = self.command(&self.bins.pg_ctl());
        cmd.args(["start", "-w", "-t", PG_CTL_TIMEOUT_SECS, "-D"])
            .arg(self.data_dir())
            .arg("-l")
            .arg(self.log_file())
            .arg("-o")
            .arg(server_opts);
        run(cmd, &self.bins.pg_ctl())
    }

    fn start_failed(&self, log_offset: u64, out: &Output) -> ClusterError {
        let log = read_from(&self.log_file(), log_offset);
        let mut tail: Vec<&str> = log.lines().rev().take(30).collect();
        tail.reverse();
        let mut log_tail = tail.join("\n");
        if log_tail.trim().is_empty() {
            log_tail = combined_output(out);
        }
        ClusterError::StartFailed {
            data_dir: self.data_dir(),
            log_file: self.log_file(),
            log_tail,
        }
    }

    /// Stops the server with [`ShutdownMode::Fast`]; returns whether it was
    /// running.
    ///
    /// # Errors
    ///
    /// As [`stop_with`](Self::stop_with).
    ///
    /// # Examples
    ///
    /// Stopping a cluster that is not running is not an error:
    ///
    /// ```
    /// use strata::cluster::{LocalCluster, PgBinaries};
    ///
    /// # let tmp = tempfile::tempdir()?;
    /// # let bin_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/doc/docs-cluster-pg-bin");
    /// let cluster = LocalCluster::new(tmp.path().join("cluster"), PgBinaries::from_dir(bin_dir)?)?;
    /// let was_running = cluster.stop()?;
    /// assert!(!was_running);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stop(&self) -> Result<bool, ClusterError> {
        self.stop_with(ShutdownMode::Fast)
    }

    /// Stops the server (`pg_ctl stop -m <mode>`, waiting up to 60 s) and
    /// removes a fallback socket directory; returns whether it was running.
    ///
    /// # Errors
    ///
    /// [`ClusterError::PgCtlFailed`] when the server is still running after
    /// pg_ctl gave up.
    ///
    /// # Examples
    ///
    /// A throwaway cluster need not shut down cleanly:
    ///
    /// ```no_run
    /// # fn f() -> Result<(), Box<dyn std::error::Error>> {
    /// use strata::cluster::{LocalCluster, PgBinaries, ShutdownMode, StartOptions};
    ///
    /// let cluster = LocalCluster::new("/tmp/scratch-cluster", PgBinaries::from_process_env()?)?;
    /// cluster.start(&StartOptions::for_tests())?;
    /// // … run tests …
    /// assert!(cluster.stop_with(ShutdownMode::Immediate)?);
    /// assert!(!cluster.is_running());
    /// # Ok(()) }
    /// ```
    pub fn stop_with(&self, mode: ShutdownMode) -> Result<bool, ClusterError> {
        if !self.status()?.is_running() {
            net::remove_fallback_socket_dir(&self.dir);
            return Ok(false);
        }
        let mut cmd = self.command(&self.bins.pg_ctl());
        cmd.args([
            "stop",
            "-w",
            "-t",
            PG_CTL_TIMEOUT_SECS,
            "-m",
            mode.as_arg(),
            "-D",
        ])
        .arg(self.data_dir());
        let out = run(cmd, &self.bins.pg_ctl())?;
        if !out.status.success() && self.status()?.is_running() {
            return Err(ClusterError::PgCtlFailed {
                command: "stop",
                data_dir: self.data_dir(),
                status: out.status.to_string(),
                output: combined_output(&out),
            });
        }
        net::remove_fallback_socket_dir(&self.dir);
        Ok(true)
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
