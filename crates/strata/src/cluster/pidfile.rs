//! Reading `postmaster.pid`, the lock file a running server keeps in its data
//! directory. Its layout is fixed by PostgreSQL (`LOCK_FILE_LINE_*` in
//! `src/include/utils/pidfile.h`): line 1 the postmaster pid, 2 the data
//! directory, 3 the start time, 4 the port, 5 the first unix-socket
//! directory, 6 the listen address, 7 the shared-memory key, 8 the status.

use std::path::{Path, PathBuf};

use super::error::ClusterError;

/// What `postmaster.pid` says about the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PidFile {
    pub(crate) pid: u32,
    pub(crate) port: u16,
    /// Empty while the server is still starting, or with no unix sockets.
    pub(crate) socket_dir: Option<PathBuf>,
}

impl PidFile {
    /// Reads and parses `path`; `Ok(None)` when it does not exist.
    pub(crate) fn read(path: &Path) -> Result<Option<PidFile>, ClusterError> {
        match std::fs::read_to_string(path) {
            Ok(text) => parse(&text)
                .map(Some)
                .map_err(|reason| ClusterError::MalformedPidFile {
                    path: path.to_path_buf(),
                    reason,
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(ClusterError::io("read", path, e)),
        }
    }
}

fn parse(text: &str) -> Result<PidFile, String> {
    let lines: Vec<&str> = text.lines().collect();
    let field = |n: usize, name: &str| {
        lines
            .get(n - 1)
            .map(|l| l.trim())
            .filter(|l| !l.is_empty())
            .ok_or_else(|| format!("line {n} ({name}) is missing"))
    };
    let pid = field(1, "pid")?;
    let pid = pid
        .parse::<i64>()
        .ok()
        .and_then(|p| u32::try_from(p.unsigned_abs()).ok())
        .ok_or_else(|| format!("line 1 (pid) is not a number: {pid:?}"))?;
    let port = field(4, "port")?;
    let port = port
        .parse::<u16>()
        .map_err(|_| format!("line 4 (port) is not a port number: {port:?}"))?;
    let socket_dir = field(5, "socket directory").ok().map(PathBuf::from);
    Ok(PidFile {
        pid,
        port,
        socket_dir,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_ready_server() {
        let text = "4242\n/tmp/x/data\n1732200000\n54321\n/tmp/x/run\n127.0.0.1\n  1234567   98304\nready   \n";
        assert_eq!(
            parse(text),
            Ok(PidFile {
                pid: 4242,
                port: 54321,
                socket_dir: Some(PathBuf::from("/tmp/x/run")),
            })
        );
    }

    #[test]
    fn tolerates_a_server_still_starting() {
        // Single-user backends write a negative pid; starting servers may not
        // have written the socket line yet.
        let text = "-77\n/d\n1\n5432\n";
        assert_eq!(
            parse(text),
            Ok(PidFile {
                pid: 77,
                port: 5432,
                socket_dir: None
            })
        );
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse("").is_err());
        assert!(parse("abc\n/d\n1\n5432\n").is_err());
        assert!(parse("1\n/d\n1\nnotaport\n").is_err());
    }
}
