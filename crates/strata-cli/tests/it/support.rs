//! Shared by every CLI test: a throwaway project directory (with a
//! `strata.toml`, or with any files), the real `strata` binary run in it
//! with a clean environment, its outcome (exit code, stdout, stderr) as
//! plain strings, and a few looks at the database (values bound,
//! identifiers quoted).

#![allow(clippy::unwrap_used)] // tests may panic

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use strata::config::quote_ident;
use tempfile::TempDir;
use tokio_postgres::types::ToSql;

/// The strata.toml every test uses unless it needs another: one database,
/// its URL from `DATABASE_URL`, no `[environments]` (so no env file loads
/// and no local cluster starts).
pub const STRATA_TOML: &str =
    "[databases.main]\nmigrations = \"migrations\"\nurl_env = \"DATABASE_URL\"\n";

/// Variables a developer's shell (or the test process) may set that would
/// change what strata does; every run of the binary starts without them.
pub const SCRUBBED: &[&str] = &[
    "STRATA_ENV",
    "DATABASE_URL",
    "PGPASSWORD",
    "PGPASSFILE",
    "PGHOST",
    "PGPORT",
    "PGUSER",
    "PGDATABASE",
    "PGAPPNAME",
    "PGOPTIONS",
    "PGHOSTADDR",
    "PGSERVICE",
    "PGSERVICEFILE",
    "PGSYSCONFDIR",
    "PGSSLMODE",
    "PGSSLROOTCERT",
    "PGSSLCERT",
    "PGSSLKEY",
    "PGCONNECT_TIMEOUT",
    "PGTARGETSESSIONATTRS",
    "PGCHANNELBINDING",
    "NO_COLOR",
    // A CI runner sets it; the protected reset refuses to run when it is set.
    "CI",
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
        for var in SCRUBBED {
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
        for var in SCRUBBED {
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

    /// stdout parsed as JSON; panics with the whole output when it is not.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\n{}",
                self.stdout, self.stderr
            )
        })
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
    query_bool(
        &db.url(),
        "SELECT to_regclass('public.' || $1::text) IS NOT NULL",
        &[name],
    )
}

/// Advisory locks held or awaited in `db`'s database by any session.
pub fn advisory_locks(db: &strata_testkit::TestDb) -> usize {
    let rows = db.query_strings_blocking(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' \
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    );
    rows[0][0].as_deref().unwrap().parse().unwrap()
}

// ---- projects of any files, run with an explicit environment ----------------

/// A project directory with `files` (path, content) written into it.
pub fn project(files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, content) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
    dir
}

/// The binary as an `assert_cmd` command, with none of [`SCRUBBED`].
pub fn strata_cmd() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("strata").unwrap();
    for var in SCRUBBED {
        cmd.env_remove(var);
    }
    cmd
}

/// The binary, in `dir`, with a scrubbed environment plus `env`.
pub fn command(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_strata"));
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
    Run::of(command(dir, args, env).output().unwrap())
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

// ---- the server ---------------------------------------------------------------

/// One value from `sql` on `url` (simple protocol, so any statement; no
/// parameters), `None` when no row.
pub fn scalar(url: &str, sql: &str) -> Option<String> {
    let url = url.to_owned();
    let sql = sql.to_owned();
    block_on(async move {
        let client = connect(&url).await;
        let rows = client.simple_query(&sql).await.unwrap();
        rows.iter().find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_owned),
            _ => None,
        })
    })
}

/// How many objects made after initdb (OIDs from 16384 on) the database
/// of `url` holds in pg_class, pg_namespace, pg_type and pg_proc, as
/// another session sees them: committed ones.
pub fn objects(url: &str) -> i64 {
    scalar(
        url,
        "SELECT (SELECT count(*) FROM pg_class WHERE oid >= 16384) \
         + (SELECT count(*) FROM pg_namespace WHERE oid >= 16384) \
         + (SELECT count(*) FROM pg_type WHERE oid >= 16384) \
         + (SELECT count(*) FROM pg_proc WHERE oid >= 16384)",
    )
    .unwrap()
    .parse()
    .unwrap()
}

/// Whether database `name` exists on the server of `admin_url`.
pub fn db_exists(admin_url: &str, name: &str) -> bool {
    query_bool(
        admin_url,
        "SELECT count(*) = 1 FROM pg_database WHERE datname = $1",
        &[name],
    )
}

/// Drops `name` (with FORCE) if it exists.
pub fn drop_db(admin_url: &str, name: &str) {
    scalar(
        admin_url,
        &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_ident(name)),
    );
}

/// The boolean of `sql`'s one row on `url`, with `params` bound as text.
fn query_bool(url: &str, sql: &str, params: &[&str]) -> bool {
    let url = url.to_owned();
    let sql = sql.to_owned();
    let params: Vec<String> = params.iter().map(|p| (*p).to_owned()).collect();
    block_on(async move {
        let client = connect(&url).await;
        let params: Vec<&(dyn ToSql + Sync)> =
            params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        client.query_one(&sql, &params).await.unwrap().get(0)
    })
}

async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    client
}

/// Runs `fut` on a current-thread runtime of its own thread, so it works
/// inside and outside a runtime.
fn block_on<F>(fut: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(fut)
    })
    .join()
    .unwrap()
}

// ---- example READMEs ----------------------------------------------------------

/// The commands of a README's `sh` blocks up to the line starting with
/// `stop_at`, each with the exit code its `# exit N` comment gives (else 0).
pub fn readme_steps(readme: &str, stop_at: &str) -> Vec<(String, i32)> {
    let mut steps = Vec::new();
    let mut in_sh = false;
    for line in readme.lines() {
        if line.starts_with(stop_at) {
            break;
        }
        if line.trim_start().starts_with("```") {
            in_sh = !in_sh && line.trim() == "```sh";
            continue;
        }
        if !in_sh || line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let (cmd, comment) = match line.split_once("  # ") {
            Some((c, rest)) => (c, Some(rest)),
            None => (line, None),
        };
        let code = comment
            .and_then(|c| c.strip_prefix("exit "))
            .and_then(|c| c.split(|ch: char| !ch.is_ascii_digit()).next())
            .map_or(0, |n| n.parse().unwrap());
        steps.push((cmd.trim().to_owned(), code));
    }
    steps
}
