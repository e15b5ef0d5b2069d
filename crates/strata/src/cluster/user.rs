//! Which operating-system user the server runs as.
//!
//! PostgreSQL refuses to run as root (`initdb`, `pg_ctl` and `postgres` all
//! check), so when strata itself runs as root the cluster's programs are run
//! as the `postgres` system user, with `setuid`/`setgid` done by
//! [`std::os::unix::process::CommandExt`]. That user then needs to own the
//! cluster directory and to be able to enter every directory above it.

use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};

use super::error::ClusterError;

/// The system user the server runs as when strata runs as root.
pub(crate) const SERVER_USER: &str = "postgres";

/// Who runs the cluster's programs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ServerUser {
    /// The current user (not root): programs run without switching.
    Current,
    /// strata is root: programs run as this uid/gid.
    Switch { name: String, uid: u32, gid: u32 },
}

impl ServerUser {
    /// Decides who runs the server: the current user, or `postgres` when the
    /// current user is root.
    pub(crate) fn detect() -> Result<Self, ClusterError> {
        if current_euid() != Some(0) {
            return Ok(ServerUser::Current);
        }
        let (uid, gid) = lookup_user(SERVER_USER).ok_or(ClusterError::NoPostgresUser)?;
        Ok(ServerUser::Switch {
            name: SERVER_USER.to_owned(),
            uid,
            gid,
        })
    }

    /// A command for `program` that runs as this user.
    pub(crate) fn command(&self, program: &Path) -> Command {
        let mut cmd = Command::new(program);
        if let ServerUser::Switch { uid, gid, .. } = self {
            // `gid` before `uid`; std also clears supplementary groups when
            // it switches uid, so only the primary group applies below.
            cmd.gid(*gid).uid(*uid);
        }
        cmd
    }

    /// Makes `dir` belong to this user (no-op for [`ServerUser::Current`]).
    pub(crate) fn take_ownership(&self, dir: &Path) -> Result<(), ClusterError> {
        if let ServerUser::Switch { uid, gid, .. } = self {
            std::os::unix::fs::chown(dir, Some(*uid), Some(*gid))
                .map_err(|e| ClusterError::io("change the owner of", dir, e))?;
        }
        Ok(())
    }

    /// Checks that this user can enter every ancestor of `cluster_dir`
    /// (an absolute path), judged from the mode bits with the user's uid and
    /// primary gid (ACLs are not consulted).
    pub(crate) fn check_traversable(&self, cluster_dir: &Path) -> Result<(), ClusterError> {
        let ServerUser::Switch { name, uid, gid } = self else {
            return Ok(());
        };
        for dir in cluster_dir.ancestors().skip(1) {
            let Ok(meta) = std::fs::metadata(dir) else {
                continue; // not created yet; created by us, with a traversable mode
            };
            let mode = meta.mode();
            let bit = if meta.uid() == *uid {
                0o100
            } else if meta.gid() == *gid {
                0o010
            } else {
                0o001
            };
            if mode & bit == 0 {
                return Err(ClusterError::NotTraversable {
                    dir: dir.to_path_buf(),
                    cluster_dir: cluster_dir.to_path_buf(),
                    user: name.clone(),
                });
            }
        }
        Ok(())
    }
}

/// The effective uid of this process, from `/proc` on Linux, else `id -u`
/// (std has no safe `geteuid`, and the workspace forbids `unsafe`).
fn current_euid() -> Option<u32> {
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        let euid = status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|rest| rest.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok());
        if euid.is_some() {
            return euid;
        }
    }
    id_number(&["-u"])
}

/// uid and primary gid of `name`: `/etc/passwd` first, then `id` (which also
/// sees NSS/LDAP users and works on macOS).
fn lookup_user(name: &str) -> Option<(u32, u32)> {
    if let Ok(passwd) = std::fs::read_to_string("/etc/passwd")
        && let Some(ids) = parse_passwd(&passwd, name)
    {
        return Some(ids);
    }
    Some((id_number(&["-u", name])?, id_number(&["-g", name])?))
}

fn parse_passwd(passwd: &str, name: &str) -> Option<(u32, u32)> {
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        if fields.next()? != name {
            return None;
        }
        let _password = fields.next()?;
        let uid = fields.next()?.parse().ok()?;
        let gid = fields.next()?.parse().ok()?;
        Some((uid, gid))
    })
}

fn id_number(args: &[&str]) -> Option<u32> {
    let out = Command::new("id")
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8(out.stdout).ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_passwd_lines() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\n\
                      postgresql:x:7:7::/:/bin/false\n\
                      postgres:x:101:104:PostgreSQL administrator,,,:/var/lib/postgresql:/bin/bash\n";
        assert_eq!(parse_passwd(passwd, "postgres"), Some((101, 104)));
        assert_eq!(parse_passwd(passwd, "nobody"), None);
    }

    #[test]
    fn current_user_needs_no_traversal_check() {
        assert!(
            ServerUser::Current
                .check_traversable(Path::new("/root/x"))
                .is_ok()
        );
    }

    #[test]
    fn refuses_a_directory_the_server_user_cannot_enter() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().expect("tempdir");
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
        let locked = tmp.path().join("locked");
        std::fs::create_dir(&locked).expect("mkdir");
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o700)).expect("chmod");
        let meta = std::fs::metadata(&locked).expect("stat");
        // A user that is neither the owner nor in the group.
        let other = ServerUser::Switch {
            name: "someone".to_owned(),
            uid: meta.uid().wrapping_add(12345),
            gid: meta.gid().wrapping_add(12345),
        };
        let cluster_dir = locked.join("project/.strata/cluster");
        let err = other.check_traversable(&cluster_dir).expect_err("locked");
        match &err {
            ClusterError::NotTraversable { dir, .. } => assert_eq!(dir, &locked),
            e => panic!("unexpected {e:?}"),
        }
        assert!(err.to_string().contains("chmod o+x"), "{err}");

        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o711)).expect("chmod");
        assert!(other.check_traversable(&cluster_dir).is_ok());
    }
}
