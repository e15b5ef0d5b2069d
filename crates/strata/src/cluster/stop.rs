//! Stopping a [`LocalCluster`]: `pg_ctl stop` in a [`ShutdownMode`], and the
//! removal of a fallback socket directory.

use super::process::{combined_output, run};
use super::{ClusterError, LocalCluster, PG_CTL_TIMEOUT_SECS, ShutdownMode, net};

impl LocalCluster {
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
}
