//! `initdb`: creating the data directory of a [`LocalCluster`] on first use
//! (superuser `postgres`, trust auth, UTF8, locale C; `--no-sync` for
//! throwaway clusters).

use super::process::{combined_output, run};
use super::{ClusterError, LocalCluster, SUPERUSER};

impl LocalCluster {
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

    pub(super) fn init_inner(&self, sync: bool) -> Result<bool, ClusterError> {
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
}
