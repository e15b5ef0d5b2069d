//! Starting a [`LocalCluster`]: `pg_ctl start` with the server options of
//! [`StartOptions`], the port choice (the last port when still free) and the
//! retries after a transient failure (port taken, a killed server's leftovers).

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use super::process::{combined_output, file_len, read_from, run, shell_quote};
use super::{
    ClusterError, ClusterInfo, ClusterStatus, LocalCluster, PG_CTL_TIMEOUT_SECS, StartOptions, net,
};

/// How many times a start is retried after a transient failure (port taken,
/// shared memory of a killed server not yet released).
const START_ATTEMPTS: u64 = 8;

impl LocalCluster {
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
        self.start_reporting(opts).map(|(info, _)| info)
    }

    /// [`LocalCluster::start`], and whether this call started the server
    /// (false when it was already running, or another process started it
    /// in the meantime): the CLI says where a server it started runs and
    /// how to stop it, once.
    pub(crate) fn start_reporting(
        &self,
        opts: &StartOptions,
    ) -> Result<(ClusterInfo, bool), ClusterError> {
        self.init_inner(opts.durable)?;
        if let ClusterStatus::Running(info) = self.status()? {
            return Ok((info, false));
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
                    ClusterStatus::Running(info) => Ok((info, true)),
                    _ => Err(self.start_failed(log_offset, &out)),
                };
            }
            // Lost a race with another starter of this same cluster?
            if let ClusterStatus::Running(info) = self.status()? {
                return Ok((info, false));
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
}
