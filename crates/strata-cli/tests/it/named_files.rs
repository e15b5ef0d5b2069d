//! A file a user names — `drift --against FILE`, `lint FILE`, `--config
//! FILE`, an env file, a seed, a TLS certificate — is read only when it is
//! a regular file: a FIFO is refused by name at once. Before, each of these
//! blocked for ever in the read, where not even SIGTERM got through.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::time::Duration;

use crate::support::{Project, Run};

fn mkfifo(path: &Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap()
        .success();
    assert!(ok, "mkfifo {}", path.display());
}

/// `strata ARGS` with a nothing-listens URL, bounded: a hang fails the test.
fn run(project: &Project, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = project.cmd(Some("postgres://app@127.0.0.1:1/app"), args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let run = Run::of(cmd.timeout(Duration::from_secs(30)).output().unwrap());
    run.expect_no_panic();
    run
}

fn expect_refused(run: &Run, code: i32, file: &str) {
    assert_eq!(run.code, code, "{}", run.stderr);
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(
        all.contains("cannot read ") && all.contains(&format!("/{file}\n")),
        "expected the file {file} named:\n{all}"
    );
    assert!(
        all.contains("a FIFO (named pipe), not a regular file"),
        "expected the FIFO named:\n{all}"
    );
}

#[test]
fn a_fifo_named_by_the_user_is_refused_at_once() {
    let p = Project::new();
    p.migration("V1__a.sql", "CREATE TABLE a (id int);\n");
    mkfifo(&p.path().join("schema.sql"));
    mkfifo(&p.path().join("check.sql"));
    mkfifo(&p.path().join("other.toml"));
    mkfifo(&p.path().join("ca.pem"));

    let r = run(&p, &["drift", "--against", "schema.sql"], &[]);
    expect_refused(&r, 1, "schema.sql");

    let r = run(&p, &["lint", "check.sql"], &[]);
    assert_ne!(r.code, 0, "{}", r.stderr);
    assert!(
        format!("{}{}", r.stdout, r.stderr).contains("a FIFO (named pipe), not a regular file"),
        "{}{}",
        r.stdout,
        r.stderr
    );

    let r = run(&p, &["--config", "other.toml", "status"], &[]);
    expect_refused(&r, 2, "other.toml");

    let url = "postgres://app@127.0.0.1:1/app?sslmode=verify-full&sslrootcert=ca.pem";
    let r = run(&p, &["status"], &[("DATABASE_URL", url)]);
    assert_ne!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("a FIFO (named pipe), not a regular file"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_fifo_env_file_is_refused_naming_it() {
    let p = Project::with_toml(
        "[databases.main]\nmigrations = \"migrations\"\nurl_env = \"DATABASE_URL\"\n\
         [environments.dev]\nenv_files = [\".env.dev\"]\n",
    );
    p.migration("V1__a.sql", "CREATE TABLE a (id int);\n");
    mkfifo(&p.path().join(".env.dev"));
    let r = run(&p, &["status"], &[]);
    expect_refused(&r, 2, ".env.dev");
}

/// A seed folder holding a FIFO: refused by name before any seed runs.
#[test]
fn a_fifo_seed_is_refused_before_any_seed_runs() {
    let db = strata_testkit::TestDb::new_blocking("cli_fifo_seed");
    let p = Project::with_toml(
        "[databases.main]\nmigrations = \"migrations\"\nurl_env = \"DATABASE_URL\"\nseeds = \"seeds\"\n",
    );
    p.migration("V1__a.sql", "CREATE TABLE a (id int);\n");
    std::fs::create_dir(p.path().join("seeds")).unwrap();
    std::fs::write(
        p.path().join("seeds/001_a.sql"),
        "INSERT INTO a VALUES (1);\n",
    )
    .unwrap();
    mkfifo(&p.path().join("seeds/002_pipe.sql"));
    p.run(&db.url(), &["migrate"]).expect_code(0);
    let r = Run::of(
        p.cmd(Some(&db.url()), &["db", "seed"])
            .timeout(Duration::from_secs(30))
            .output()
            .unwrap(),
    );
    r.expect_no_panic();
    expect_refused(&r, 1, "seeds/002_pipe.sql");
    assert_eq!(
        crate::support::scalar(&db.url(), "SELECT count(*) FROM a").as_deref(),
        Some("0"),
        "a seed ran"
    );
}
