//! Picking a loopback port and a unix-socket directory for the server.
//!
//! A unix-socket path is limited to `sizeof(sun_path) - 1` = 107 bytes on
//! Linux (103 on macOS), and PostgreSQL refuses to start when
//! `<dir>/.s.PGSQL.<port>` is longer (see
//! <https://www.postgresql.org/docs/current/runtime-config-connection.html#GUC-UNIX-SOCKET-DIRECTORIES>).
//! Deep project paths hit that, so when the preferred directory inside the
//! cluster directory is too long (or holds characters that the server's
//! comma-separated `unix_socket_directories` list cannot carry) a fresh
//! directory under `/tmp` is used instead and its path recorded in the
//! cluster directory, so `stop` can remove it.

use std::io;
use std::net::{Ipv4Addr, SocketAddrV4, TcpListener};
use std::path::{Path, PathBuf};

use super::error::ClusterError;
use super::user::ServerUser;

/// Longest socket directory that still leaves room for `/.s.PGSQL.65535`
/// within macOS's 103-byte limit (Linux allows 107).
const MAX_SOCKET_DIR_LEN: usize = 103 - "/.s.PGSQL.65535".len();

/// The file in the cluster directory recording a fallback socket directory.
pub(crate) const SOCKET_DIR_RECORD: &str = "socket_dir";

/// The file in the cluster directory recording the last port used, so a
/// restarted cluster keeps its URL when it can.
pub(crate) const LAST_PORT_RECORD: &str = "last_port";

/// Asks the kernel for a free port on 127.0.0.1.
///
/// The port is free when this returns, not necessarily when the server binds
/// it; the caller retries with another port when the start fails because
/// the port was taken in between.
pub(crate) fn pick_free_port() -> Result<u16, ClusterError> {
    let listener = TcpListener::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0))
        .map_err(ClusterError::NoFreePort)?;
    let port = listener
        .local_addr()
        .map_err(ClusterError::NoFreePort)?
        .port();
    Ok(port)
}

/// True when nothing listens on 127.0.0.1:`port` (we can bind it).
pub(crate) fn port_is_free(port: u16) -> bool {
    TcpListener::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port)).is_ok()
}

/// The last port this cluster used, if recorded and currently free.
pub(crate) fn reusable_last_port(cluster_dir: &Path) -> Option<u16> {
    let text = std::fs::read_to_string(cluster_dir.join(LAST_PORT_RECORD)).ok()?;
    let port = text.trim().parse::<u16>().ok().filter(|p| *p != 0)?;
    port_is_free(port).then_some(port)
}

/// True when the server can use `dir` as a unix-socket directory as is.
pub(crate) fn socket_dir_usable(dir: &Path) -> bool {
    let Some(s) = dir.to_str() else {
        return false;
    };
    s.len() <= MAX_SOCKET_DIR_LEN
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+@~".contains(&b))
}

/// Prepares the socket directory: `preferred` when usable, else a new
/// directory under `/tmp`, recorded in `cluster_dir`. Either is owned by the
/// server user with mode 0700.
pub(crate) fn prepare_socket_dir(
    cluster_dir: &Path,
    preferred: &Path,
    user: &ServerUser,
) -> Result<PathBuf, ClusterError> {
    remove_fallback_socket_dir(cluster_dir);
    if socket_dir_usable(preferred) {
        make_private_dir(preferred, user, true)?;
        return Ok(preferred.to_path_buf());
    }
    let pid = std::process::id();
    let mut last_err = None;
    for n in 0..100u32 {
        let dir = PathBuf::from(format!("/tmp/strata-sock-{pid}-{n}"));
        match std::fs::create_dir(&dir) {
            Ok(()) => {
                make_private_dir(&dir, user, false)?;
                let record = cluster_dir.join(SOCKET_DIR_RECORD);
                std::fs::write(&record, dir.as_os_str().as_encoded_bytes())
                    .map_err(|e| ClusterError::io("write", &record, e))?;
                return Ok(dir);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last_err = Some(e),
            Err(e) => return Err(ClusterError::io("create directory", dir, e)),
        }
    }
    Err(ClusterError::io(
        "create a socket directory under",
        "/tmp",
        last_err.unwrap_or_else(|| io::Error::other("no free name")),
    ))
}

/// Removes the recorded fallback socket directory, if any. Best effort: the
/// server is stopped, so only its stale lock file can be inside.
pub(crate) fn remove_fallback_socket_dir(cluster_dir: &Path) {
    let record = cluster_dir.join(SOCKET_DIR_RECORD);
    if let Ok(dir) = std::fs::read_to_string(&record) {
        let dir = PathBuf::from(dir.trim());
        // Only ever delete what we created.
        let ours = dir
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("strata-sock-"))
            && dir.parent() == Some(Path::new("/tmp"));
        if ours {
            let _ = std::fs::remove_dir_all(&dir);
        }
        let _ = std::fs::remove_file(&record);
    }
}

fn make_private_dir(dir: &Path, user: &ServerUser, create: bool) -> Result<(), ClusterError> {
    use std::os::unix::fs::PermissionsExt;
    if create {
        std::fs::create_dir_all(dir).map_err(|e| ClusterError::io("create directory", dir, e))?;
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| ClusterError::io("set permissions of", dir, e))?;
    user.take_ownership(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_or_odd_socket_dirs_are_not_usable() {
        assert!(socket_dir_usable(Path::new(
            "/home/me/proj/.strata/cluster/run"
        )));
        let long = format!("/{}", "a".repeat(MAX_SOCKET_DIR_LEN));
        assert!(!socket_dir_usable(Path::new(&long)));
        assert!(!socket_dir_usable(Path::new("/home/me/My Projects/x/run")));
        assert!(!socket_dir_usable(Path::new("/a,b/run")));
    }

    #[test]
    fn picked_port_is_free_and_nonzero() {
        let port = pick_free_port().expect("port");
        assert_ne!(port, 0);
        assert!(port_is_free(port));
    }
}
