//! For the tests that walk through an example's README: a fresh copy of
//! `examples/<name>` (so nothing lands in the source tree), the example's
//! own application binary, and shell lines run with the `strata` under test
//! first on `PATH`, as the READMEs assume after `cargo install`.

#![allow(clippy::unwrap_used)] // tests may panic

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use tempfile::TempDir;

use crate::support::{Run, SCRUBBED};

/// A copy of `examples/<name>` in a temporary directory, without local
/// state (`.strata/`, `.env`, `target/`). The project is `<tmp>/<name>`.
pub struct ExampleCopy {
    _tmp: TempDir,
    root: PathBuf,
}

impl ExampleCopy {
    pub fn new(name: &str) -> ExampleCopy {
        let src = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples")
            .join(name);
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join(name);
        copy_dir(&src, &root);
        ExampleCopy { _tmp: tmp, root }
    }

    pub fn path(&self) -> &Path {
        &self.root
    }

    /// Writes `rel` (relative to the project).
    pub fn write(&self, rel: &str, content: &str) {
        std::fs::write(self.root.join(rel), content).unwrap();
    }

    /// Reads `rel`.
    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.root.join(rel)).unwrap()
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == ".strata" || name == ".env" || name == "target" {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The binary `name` of an example crate, built into the same target
/// directory as `strata` (`cargo test --workspace` and `cargo build
/// --workspace` build it; a filtered `cargo test -p …` may not).
pub fn app_bin(name: &str) -> PathBuf {
    let path = assert_cmd::cargo::cargo_bin(name);
    assert!(
        path.is_file(),
        "{} is not built: run `cargo build --workspace` first (cargo test --workspace builds it)",
        path.display()
    );
    path
}

/// `PATH` with the directory of the `strata` under test first.
fn path_with_strata() -> OsString {
    let bin = assert_cmd::cargo::cargo_bin("strata");
    let mut dirs = vec![bin.parent().unwrap().to_path_buf()];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(dirs).unwrap()
}

/// Runs `line` with `sh -c` in `dir`, stdin from /dev/null, the variables
/// of [`SCRUBBED`] removed, `strata` on `PATH`, plus `env`.
pub fn sh(dir: &Path, line: &str, env: &[(&str, &str)]) -> Run {
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg(line)
        .current_dir(dir)
        .stdin(Stdio::null())
        .env("PATH", path_with_strata());
    for v in SCRUBBED {
        cmd.env_remove(v);
    }
    cmd.env_remove("GITHUB_ACTIONS");
    for (k, v) in env {
        cmd.env(k, v);
    }
    Run::of(cmd.output().unwrap())
}

/// A second cluster with `ssl = on` (a self-signed certificate for
/// 127.0.0.1), for the examples whose production URLs say
/// `sslmode=require`. Keep the returned directory alive with the cluster.
pub fn tls_cluster() -> (strata_testkit::ExtraCluster, TempDir) {
    use std::os::unix::fs::PermissionsExt;

    use crate::libpq_parity::{is_root, make_cert, server_uid};

    let certs = tempfile::tempdir().unwrap();
    std::fs::set_permissions(certs.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let (crt, key) = make_cert(certs.path(), "server", "IP:127.0.0.1,DNS:localhost");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    if is_root() {
        let uid = server_uid().expect("a postgres user when running as root");
        std::os::unix::fs::chown(&key, Some(uid), None).unwrap();
    }
    let opts = strata::cluster::StartOptions {
        settings: vec![
            ("ssl".into(), "on".into()),
            ("ssl_cert_file".into(), crt.display().to_string()),
            ("ssl_key_file".into(), key.display().to_string()),
        ],
        ..strata::cluster::StartOptions::for_tests()
    };
    (strata_testkit::start_extra_cluster_with(&opts), certs)
}
