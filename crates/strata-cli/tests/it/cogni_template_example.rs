//! examples/cogni-template (seed 000) end to end: the command blocks of its
//! README, in order and as written, with the shared test server as the
//! host's PostgreSQL and a second cluster as the container's. [`STEPS`] is
//! the README's list; the test fails when the two differ, so keep them in
//! step (README: "What the end-to-end test checks").
//!
//! In the env files and inline `DATABASE_URL=` assignments,
//! `localhost:5432` becomes the test server and `localhost:5433` the second
//! cluster. `docker compose up -d --wait postgres` starts that cluster with
//! the database the postgres image creates for `POSTGRES_DB`; `docker
//! compose … up --build` cannot run here, so the Dockerfile and compose.yaml
//! are checked for what the README promises instead.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use crate::support::{Run, db_exists, drop_db, expect, readme_steps, scalar, strata};
use strata_testkit::{ExtraCluster, server, start_extra_cluster};

/// The README's commands, with the exit code each must end with.
const STEPS: &[(&str, i32)] = &[
    ("strata env", 0),
    ("strata db create", 0),
    ("strata migrate", 0),
    ("strata status", 0),
    ("strata --env test env", 0),
    ("strata --env test db create", 0),
    ("strata --env test migrate", 0),
    ("strata --env test db clean", 0),
    (
        "DATABASE_URL=postgresql://postgres:postgres@localhost:5432/cogni_template_ci strata --env test env",
        0,
    ),
    ("docker compose --env-file .env.docker up --build", 0),
    ("docker compose up -d --wait postgres", 0),
    (
        "DATABASE_URL=postgresql://postgres:postgres@localhost:5433/cogni_template_stack_test strata --env docker migrate",
        0,
    ),
    ("strata --env docker status", 2),
];

const DEV: &str = "cogni_template_dev";
const STACK: &str = "cogni_template_stack_test";

fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/cogni-template")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name() == ".strata" {
            continue;
        }
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn the_readme_and_this_test_run_the_same_commands() {
    let readme = std::fs::read_to_string(example_dir().join("README.md")).unwrap();
    let expected: Vec<(String, i32)> = STEPS.iter().map(|(c, n)| ((*c).to_owned(), *n)).collect();
    assert_eq!(
        readme_steps(&readme, "## What the end-to-end test checks"),
        expected
    );
}

/// The host's server and, once started, the container's.
struct Servers {
    container: Option<ExtraCluster>,
}

impl Servers {
    /// `text` with the README's host addresses where the test servers run.
    fn point(&self, text: &str) -> String {
        let host = format!("127.0.0.1:{}", server().port());
        let mut text = text.replace("localhost:5432", &host);
        if let Some(c) = &self.container {
            text = text.replace("localhost:5433", &format!("127.0.0.1:{}", c.port()));
        }
        text
    }
}

/// Runs one README line: `strata …`, optionally after `VAR=value`
/// assignments (put in its environment).
fn run_line(p: &Path, servers: &Servers, line: &str) -> Run {
    let mut env = Vec::new();
    let mut words = line.split_whitespace().peekable();
    while let Some(w) = words.peek() {
        match w.split_once('=') {
            Some((k, v)) if k.chars().all(|c| c.is_ascii_uppercase() || c == '_') => {
                env.push((k.to_owned(), servers.point(v)));
                words.next();
            }
            _ => break,
        }
    }
    assert_eq!(words.next(), Some("strata"), "{line}");
    let args: Vec<&str> = words.collect();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    strata(p, &args, &env)
}

fn count(url: &str, table: &str) -> String {
    scalar(url, &format!("SELECT count(*) FROM {table}")).unwrap()
}

fn history(url: &str) -> Vec<String> {
    let rows = scalar(
        url,
        "SELECT string_agg(version || '|' || script || '|' || success, ',' ORDER BY installed_rank) \
         FROM public.strata_schema_history",
    )
    .unwrap_or_default();
    rows.split(',').map(str::to_owned).collect()
}

const MIGRATED: [&str; 2] = [
    "1|V001__create_users.sql|true",
    "2|V002__create_billing_accounts.sql|true",
];

#[test]
fn cogni_template_host_dev_stack_tests_and_container_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path();
    copy_dir(&example_dir(), p);
    let admin = server().base_url();
    for db in [DEV, STACK, "cogni_template_ci"] {
        drop_db(admin, db);
    }
    let mut servers = Servers { container: None };
    for file in [".env.local", ".env.stack.local"] {
        let text = std::fs::read_to_string(p.join(file)).unwrap();
        std::fs::write(p.join(file), servers.point(&text)).unwrap();
    }
    let host = |db: &str| server().url(db);

    for (line, code) in STEPS {
        if line.starts_with("docker compose --env-file") {
            check_container_files(p);
            continue;
        }
        if line.starts_with("docker compose up -d --wait postgres") {
            let c = start_extra_cluster();
            scalar(&c.base_url(), &format!("CREATE DATABASE {STACK}"));
            servers.container = Some(c);
            continue;
        }
        let run = run_line(p, &servers, line);
        eprintln!("$ {line}\n{}{}[exit {}]", run.stdout, run.stderr, run.code);
        expect(&run, *code);
        let out = &run.stdout;
        match *line {
            "strata env" => {
                assert!(out.contains(&format!("/{DEV}")), "{out}");
                assert!(out.contains("from    .env.local:3"), "{out}");
            }
            "strata db create" => {
                assert!(db_exists(admin, DEV));
                assert!(!db_exists(admin, STACK));
            }
            "strata migrate" => assert_eq!(history(&host(DEV)), MIGRATED),
            "strata status" => assert!(out.contains("2 applied, 0 pending"), "{out}"),
            "strata --env test env" => {
                assert!(out.contains(&format!("/{STACK}")), "{out}");
                assert!(out.contains("from    .env.stack.local:4"), "{out}");
            }
            "strata --env test db create" => assert!(db_exists(admin, STACK)),
            "strata --env test migrate" => {
                assert_eq!(history(&host(STACK)), MIGRATED);
                // A stack-test run writes rows.
                scalar(
                    &host(STACK),
                    "INSERT INTO users (wallet_address) VALUES ('0xa'), ('0xb');
                     INSERT INTO billing_accounts (user_id, balance_credits) VALUES (1, 10), (2, 20)",
                );
            }
            "strata --env test db clean" => {
                assert!(
                    out.contains(&format!("app: cleaned 2 table(s) in {STACK}")),
                    "{out}"
                );
                let url = host(STACK);
                assert_eq!(count(&url, "users"), "0");
                assert_eq!(count(&url, "billing_accounts"), "0");
                assert_eq!(history(&url), MIGRATED);
                // Identities start again at 1, so the next run sees the same ids.
                assert_eq!(
                    scalar(
                        &url,
                        "INSERT INTO users (wallet_address) VALUES ('0xc') RETURNING id"
                    )
                    .as_deref(),
                    Some("1")
                );
                // The dev database was never touched by the test environment.
                assert_eq!(count(&host(DEV), "users"), "0");
                assert_eq!(history(&host(DEV)), MIGRATED);
            }
            l if l.contains("cogni_template_ci") => {
                assert!(out.contains("/cogni_template_ci"), "{out}");
                assert!(out.contains("from    process"), "{out}");
                assert!(
                    !db_exists(admin, "cogni_template_ci"),
                    "env connects nowhere"
                );
            }
            l if l.contains("--env docker migrate") => {
                let c = servers.container.as_ref().unwrap();
                assert_eq!(history(&c.url(STACK)), MIGRATED);
                // The host's database of the same name was not the one migrated.
                assert_eq!(count(&host(STACK), "users"), "1");
            }
            "strata --env docker status" => {
                assert!(run.stderr.contains("DATABASE_URL"), "{}", run.stderr);
            }
            _ => {}
        }
    }
    drop(servers);
    for db in [DEV, STACK] {
        drop_db(admin, db);
    }
}

/// What the README says of the Dockerfile and compose.yaml, which Docker
/// would build and run (it cannot here).
fn check_container_files(p: &Path) {
    let docker = std::fs::read_to_string(p.join("Dockerfile")).unwrap();
    let stages: Vec<&str> = docker.lines().filter(|l| l.starts_with("FROM ")).collect();
    assert_eq!(stages.len(), 2, "{docker}");
    assert!(stages[0].ends_with(" AS build"), "{docker}");
    assert_eq!(stages[1], "FROM scratch");
    assert!(
        docker.contains("--target x86_64-unknown-linux-musl --bin strata"),
        "{docker}"
    );
    let copies: Vec<&str> = docker
        .lines()
        .filter(|l| l.starts_with("COPY ") && !l.starts_with("COPY . ."))
        .collect();
    assert_eq!(
        copies,
        [
            "COPY --from=build /src/target/x86_64-unknown-linux-musl/release/strata /usr/local/bin/strata",
            "COPY examples/cogni-template/strata.toml /app/strata.toml",
            "COPY examples/cogni-template/migrations /app/migrations",
        ]
    );
    assert!(docker.contains("ENV STRATA_ENV=docker"), "{docker}");
    // Every file the image copies exists.
    for path in ["strata.toml", "migrations/V001__create_users.sql"] {
        assert!(p.join(path).is_file(), "{path}");
    }
    let compose = std::fs::read_to_string(p.join("compose.yaml")).unwrap();
    assert!(
        compose.contains("dockerfile: examples/cogni-template/Dockerfile"),
        "{compose}"
    );
    let app = compose.split("\n  app:\n").nth(1).unwrap();
    assert!(
        app.contains("      migrate:\n        condition: service_completed_successfully"),
        "{compose}"
    );
    let env = std::fs::read_to_string(p.join(".env.docker")).unwrap();
    assert!(
        env.contains("@postgres:5432/cogni_template_stack_test"),
        "{env}"
    );
}
