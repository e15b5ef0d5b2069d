//! Cleaning up a private cluster when the test process goes away.
//!
//! Rust's test harness never runs static destructors, and a test process may
//! also die from a signal, so cleanup cannot live in `Drop`. Instead, before
//! a cluster is started, a small detached `sh` watchdog is spawned with its
//! stdin connected to a pipe whose only write end this process holds. The
//! kernel closes that end however this process ends (exit, panic, abort,
//! `kill -9`), the watchdog's `cat` sees end-of-file, and it then stops the
//! server (SIGQUIT = immediate shutdown, SIGKILL after 10 s) and removes the
//! cluster directory. No polling of pids, no reliance on destructors.
//!
//! The watchdog runs in its own process group and ignores SIGINT/SIGHUP/
//! SIGTERM, so a Ctrl-C in the terminal (which signals the whole foreground
//! group) does not kill it before it has cleaned up. std marks every pipe it
//! creates close-on-exec, so programs the tests spawn (psql, the strata
//! binary) do not inherit the write end and cannot delay the cleanup.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};

/// `$1` = the directory to remove, `$2` = the data directory.
/// A dead but unreaped postmaster (a zombie: containers' init may reap
/// lazily) counts as gone.
const SCRIPT: &str = r#"
trap '' INT HUP TERM
cat >/dev/null 2>&1
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  if [ -r "/proc/$1/stat" ]; then
    case "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null)" in
      Z*) return 1 ;;
    esac
  fi
  return 0
}
pidfile="$2/postmaster.pid"
if [ -f "$pidfile" ]; then
  pid=$(head -n 1 "$pidfile")
  if [ -n "$pid" ] && alive "$pid"; then
    kill -QUIT "$pid" 2>/dev/null
    i=0
    while alive "$pid" && [ "$i" -lt 100 ]; do
      sleep 0.1
      i=$((i + 1))
    done
    alive "$pid" && kill -KILL "$pid" 2>/dev/null
  fi
fi
if [ -f "$1/socket_dir" ]; then
  sock=$(cat "$1/socket_dir")
  case "$sock" in
    /tmp/strata-sock-*) rm -rf "$sock" ;;
  esac
fi
rm -rf "$1"
"#;

/// A running watchdog for one cluster directory.
#[derive(Debug)]
pub(crate) struct Watchdog {
    child: Child,
    /// Dropping this (or exiting) triggers the cleanup.
    trigger: Option<ChildStdin>,
}

impl Watchdog {
    /// Spawns a watchdog that removes `dir` (after stopping the server whose
    /// data directory is `data_dir`) once this process exits or
    /// [`Watchdog::fire`] is called.
    pub(crate) fn spawn(dir: &Path, data_dir: &Path) -> Result<Watchdog, String> {
        let mut child = Command::new("/bin/sh")
            .arg("-c")
            .arg(SCRIPT)
            .arg("strata-testkit-watchdog")
            .arg(dir)
            .arg(data_dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .current_dir("/")
            .process_group(0)
            .spawn()
            .map_err(|e| format!("could not spawn the cleanup watchdog (/bin/sh): {e}"))?;
        let trigger = child.stdin.take();
        Ok(Watchdog { child, trigger })
    }

    /// Cleans up now: stops the server, removes the directory, and waits
    /// until that is done.
    pub(crate) fn fire(&mut self) {
        drop(self.trigger.take());
        let _ = self.child.wait();
    }
}
