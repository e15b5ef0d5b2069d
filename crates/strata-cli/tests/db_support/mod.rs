//! Shared by the `db_*` and `env_*` CLI tests: a project in a temp dir and
//! the real `strata` binary run in it with a clean environment.
#![allow(dead_code, clippy::unwrap_used)] // each test file uses part of it

use std::path::Path;
use std::process::{Command, Stdio};

/// Variables a developer's shell may set that would change what strata does.
pub const SCRUBBED: &[&str] = &[
    "DATABASE_URL",
    "STRATA_ENV",
    "PGHOST",
    "PGPORT",
    "PGUSER",
    "PGPASSWORD",
    "PGPASSFILE",
    "PGDATABASE",
    "NO_COLOR",
];

/// A project directory with `files` (path, content) written into it.
pub fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, content) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
    dir
}

/// What a run printed and returned.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

/// The binary, in `dir`, with a scrubbed environment plus `env`.
pub fn command(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_strata"));
    cmd.current_dir(dir).args(args).stdin(Stdio::null());
    for v in SCRUBBED {
        cmd.env_remove(v);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Runs strata and collects its output.
pub fn strata(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let out = command(dir, args, env).output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Asserts the exit code, showing the output when it differs.
#[track_caller]
pub fn expect(run: &Run, code: i32) {
    assert_eq!(
        run.code, code,
        "exit code\n--- stdout\n{}\n--- stderr\n{}",
        run.stdout, run.stderr
    );
}

/// A database name unique to this test process.
pub fn unique(hint: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{hint}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// One value from `sql` on `url` (simple protocol), `None` when no row.
pub fn scalar(url: &str, sql: &str) -> Option<String> {
    let url = url.to_owned();
    let sql = sql.to_owned();
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async move {
                let (c, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                    .await
                    .unwrap();
                tokio::spawn(conn);
                let rows = c.simple_query(&sql).await.unwrap();
                rows.iter().find_map(|m| match m {
                    tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_owned),
                    _ => None,
                })
            })
    })
    .join()
    .unwrap()
}

/// Whether database `name` exists on the server of `admin_url`.
pub fn db_exists(admin_url: &str, name: &str) -> bool {
    scalar(
        admin_url,
        &format!(
            "SELECT count(*) FROM pg_database WHERE datname = '{}'",
            name.replace('\'', "''")
        ),
    )
    .as_deref()
        == Some("1")
}

/// Drops `name` (with FORCE) if it exists.
pub fn drop_db(admin_url: &str, name: &str) {
    scalar(
        admin_url,
        &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
    );
}
