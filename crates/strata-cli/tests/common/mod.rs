//! Shared helpers for the CLI tests: a throwaway project directory with a
//! `strata.toml`, the `strata` binary run in it with a clean environment,
//! and its outcome (exit code, stdout, stderr) as plain strings.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

use tempfile::TempDir;

/// The strata.toml every test uses unless it needs another: one database,
/// its URL from `DATABASE_URL`, no `[environments]` (so no env file loads
/// and no local cluster starts).
pub const STRATA_TOML: &str =
    "[databases.main]\nmigrations = \"migrations\"\nurl_env = \"DATABASE_URL\"\n";

/// Variables of the test process that would change what strata does.
const INHERITED: &[&str] = &[
    "STRATA_ENV",
    "DATABASE_URL",
    "PGPASSWORD",
    "PGHOST",
    "PGPORT",
    "PGUSER",
    "PGDATABASE",
    "PGAPPNAME",
    "NO_COLOR",
];

/// A project directory that is removed when dropped.
pub struct Project {
    dir: TempDir,
}

impl Project {
    /// A project with [`STRATA_TOML`] and an empty `migrations/`.
    pub fn new() -> Project {
        Project::with_toml(STRATA_TOML)
    }

    /// A project with this strata.toml and an empty `migrations/`.
    pub fn with_toml(toml: &str) -> Project {
        let dir = tempfile::Builder::new()
            .prefix("strata-cli-test-")
            .tempdir()
            .unwrap();
        std::fs::write(dir.path().join("strata.toml"), toml).unwrap();
        std::fs::create_dir(dir.path().join("migrations")).unwrap();
        Project { dir }
    }

    /// A project with no strata.toml at all (and no migrations folder).
    pub fn empty() -> Project {
        let dir = tempfile::Builder::new()
            .prefix("strata-cli-test-")
            .tempdir()
            .unwrap();
        Project { dir }
    }

    /// The project's root.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `migrations/<name>`.
    pub fn migration(&self, name: &str, sql: impl AsRef<[u8]>) -> &Project {
        std::fs::write(self.path().join("migrations").join(name), sql).unwrap();
        self
    }

    /// Removes `migrations/<name>`.
    pub fn remove_migration(&self, name: &str) {
        std::fs::remove_file(self.path().join("migrations").join(name)).unwrap();
    }

    /// Copies every file of `tests/fixtures/<scenario>/` (at the workspace
    /// root) into `migrations/`.
    pub fn fixture(&self, scenario: &str) -> &Project {
        let src = fixtures_dir().join(scenario);
        for entry in std::fs::read_dir(&src).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(
                entry.path(),
                self.path().join("migrations").join(entry.file_name()),
            )
            .unwrap();
        }
        self
    }

    /// `strata ARGS` in this project, with `DATABASE_URL` set to `url` (or
    /// unset when `None`) and nothing else inherited that matters.
    pub fn cmd(&self, url: Option<&str>, args: &[&str]) -> assert_cmd::Command {
        let mut cmd = assert_cmd::Command::cargo_bin("strata").unwrap();
        cmd.current_dir(self.path()).args(args);
        for var in INHERITED {
            cmd.env_remove(var);
        }
        if let Some(url) = url {
            cmd.env("DATABASE_URL", url);
        }
        cmd
    }

    /// Runs `strata ARGS` with `DATABASE_URL=url` and returns what happened.
    pub fn run(&self, url: &str, args: &[&str]) -> Run {
        Run::of(self.cmd(Some(url), args).output().unwrap())
    }

    /// The same as a `std::process::Command`, for running several at once.
    pub fn std_cmd(&self, url: &str, args: &[&str]) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("strata"));
        cmd.current_dir(self.path()).args(args);
        for var in INHERITED {
            cmd.env_remove(var);
        }
        cmd.env("DATABASE_URL", url);
        cmd
    }
}

/// `tests/fixtures/` at the workspace root.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

/// The outcome of one run of the binary.
#[derive(Debug)]
pub struct Run {
    /// Exit code (`-1` when killed by a signal).
    pub code: i32,
    /// stdout, lossily decoded.
    pub stdout: String,
    /// stderr, lossily decoded.
    pub stderr: String,
}

impl Run {
    /// From a finished process.
    pub fn of(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Panics with the whole output unless the exit code is `code`.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code, code,
            "expected exit {code}, got {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }

    /// Neither stdout nor stderr shows a panic or a backtrace (SPEC §9).
    #[track_caller]
    pub fn expect_no_panic(&self) -> &Run {
        for text in [&self.stdout, &self.stderr] {
            assert!(
                !text.contains("panicked") && !text.contains("RUST_BACKTRACE"),
                "the binary panicked:\n{text}"
            );
        }
        self
    }
}

/// Rows of `public.strata_schema_history` as `(version, script, success)`,
/// in execution order; empty when the table does not exist.
pub fn history(db: &strata_testkit::TestDb) -> Vec<(Option<String>, String, bool)> {
    let exists =
        db.query_strings_blocking("SELECT to_regclass('public.strata_schema_history') IS NOT NULL");
    if exists[0][0].as_deref() != Some("t") {
        return Vec::new();
    }
    db.query_strings_blocking(
        "SELECT version, script, success FROM public.strata_schema_history ORDER BY installed_rank",
    )
    .into_iter()
    .map(|r| {
        (
            r[0].clone(),
            r[1].clone().unwrap(),
            r[2].as_deref() == Some("t"),
        )
    })
    .collect()
}

/// Whether `public.<name>` exists.
pub fn table_exists(db: &strata_testkit::TestDb, name: &str) -> bool {
    let rows =
        db.query_strings_blocking(&format!("SELECT to_regclass('public.{name}') IS NOT NULL"));
    rows[0][0].as_deref() == Some("t")
}

/// Advisory locks held or awaited in `db`'s database by any session.
pub fn advisory_locks(db: &strata_testkit::TestDb) -> usize {
    let rows = db.query_strings_blocking(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' \
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    );
    rows[0][0].as_deref().unwrap().parse().unwrap()
}
