//! examples/capsule (seed 002) end to end: the command blocks of its
//! README, in order and as written, against three separate PostgreSQL
//! clusters (one per service, as the example's docker-compose.yml starts
//! them). [`STEPS`] is the README's list; the test fails when the two
//! differ, so keep them in step (README: "What the end-to-end test checks").
//!
//! `docker compose up` is the one line not run as written: the test starts
//! three clusters instead, creates each service's role and database as the
//! postgres image does for `POSTGRES_USER` / `POSTGRES_DB`, and points
//! `.env` at them. `psql` lines run in `sh` after the README's
//! `set -a; . ./.env; set +a`; `strata` lines run the real binary with none
//! of `.env` in its environment, so strata reads the file itself.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{Run, expect, readme_steps, scalar, strata};
use strata_testkit::{ExtraCluster, server, start_extra_cluster};

/// The README's commands, with the exit code each must end with.
const STEPS: &[(&str, i32)] = &[
    ("cp .env.example .env", 0),
    ("docker compose up -d --wait", 0),
    ("set -a; . ./.env; set +a", 0),
    (
        "psql \"$AUTH_DATABASE_URL\" -f setup/auth_flyway_applied.sql",
        0,
    ),
    (
        "psql \"$DEPLOY_DATABASE_URL\" -f setup/deploy_existing.sql",
        0,
    ),
    ("strata env", 0),
    ("strata validate --offline", 0),
    ("strata info --db auth", 0),
    ("strata baseline --from flyway --db auth", 0),
    ("strata validate --db auth", 0),
    ("strata migrate --backup backups --db auth", 0),
    ("strata migrate --db project", 0),
    ("strata info --db project", 0),
    ("strata baseline 1 --db deploy", 0),
    ("strata migrate --backup backups --db deploy", 1),
    ("strata info --db deploy", 0),
    ("strata migrate --db deploy", 3),
    (
        "psql \"$DEPLOY_DATABASE_URL\" -f setup/deploy_fix_duplicates.sql",
        0,
    ),
    ("strata repair --db deploy", 0),
    ("strata migrate --db deploy", 0),
    ("strata validate", 0),
    ("strata info", 0),
];

const PASSWORD: &str = "usecapsule_dev_password";
const SERVICES: [&str; 3] = ["auth", "project", "deploy"];

fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/capsule")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if [".strata", ".env", "backups"].contains(&name.to_str().unwrap()) {
            continue;
        }
        let target = to.join(&name);
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

/// One server per service, with the role and database the postgres image
/// creates for `POSTGRES_USER` / `POSTGRES_DB`.
struct Servers {
    clusters: Vec<ExtraCluster>,
}

impl Servers {
    fn start() -> Servers {
        let clusters: Vec<ExtraCluster> = SERVICES.iter().map(|_| start_extra_cluster()).collect();
        for (service, cluster) in SERVICES.iter().zip(&clusters) {
            let name = format!("usecapsule_{service}");
            scalar(
                &cluster.base_url(),
                &format!("CREATE ROLE {name} LOGIN SUPERUSER PASSWORD '{PASSWORD}'"),
            );
            scalar(
                &cluster.base_url(),
                &format!("CREATE DATABASE {name} OWNER {name}"),
            );
        }
        Servers { clusters }
    }

    /// The superuser URL of a service's database.
    fn url(&self, service: &str) -> String {
        let i = SERVICES.iter().position(|s| *s == service).unwrap();
        self.clusters[i].url(&format!("usecapsule_{service}"))
    }

    /// `.env` from `.env.example` with each server where the test runs it.
    fn point_env_file(&self, project: &Path) {
        let mut text = std::fs::read_to_string(project.join(".env")).unwrap();
        for (service, port) in SERVICES.iter().zip(["5432", "5433", "5434"]) {
            let upper = service.to_uppercase();
            let i = SERVICES.iter().position(|s| s == service).unwrap();
            text = text
                .replace(
                    &format!("{upper}_DB_HOST=localhost"),
                    &format!("{upper}_DB_HOST=127.0.0.1"),
                )
                .replace(
                    &format!("{upper}_DB_PORT={port}"),
                    &format!("{upper}_DB_PORT={}", self.clusters[i].port()),
                );
        }
        std::fs::write(project.join(".env"), text).unwrap();
    }
}

/// Runs a README line in `sh` in `dir`, after the README's `set -a` line,
/// with the test servers' `psql` first on `PATH`.
fn shell(dir: &Path, line: &str) -> Run {
    let bin = server().pg_bin().bin_dir().display().to_string();
    let path = format!("{bin}:{}", std::env::var("PATH").unwrap_or_default());
    let script = if line.starts_with("psql") {
        format!("set -a; . ./.env; set +a\n{line}")
    } else {
        line.to_owned()
    };
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(script).current_dir(dir).env("PATH", path);
    for v in crate::support::SCRUBBED {
        cmd.env_remove(v);
    }
    Run::of(cmd.output().unwrap())
}

/// The rows of a query, each as `a|b|c`.
fn rows(url: &str, sql: &str) -> Vec<String> {
    let agg = format!("SELECT string_agg(r, ',' ORDER BY n) FROM ({sql}) AS q(n, r)");
    scalar(url, &agg)
        .map(|s| s.split(',').map(str::to_owned).collect())
        .unwrap_or_default()
}

/// strata's history rows as `version|kind|script|success`; empty when there
/// is no history table.
fn history(url: &str) -> Vec<String> {
    if scalar(
        url,
        "SELECT to_regclass('public.strata_schema_history') IS NULL",
    )
    .as_deref()
        == Some("t")
    {
        return Vec::new();
    }
    rows(
        url,
        "SELECT installed_rank, coalesce(version, '') || '|' || kind || '|' || script || '|' || success \
         FROM public.strata_schema_history",
    )
}

fn tables(url: &str) -> Vec<String> {
    rows(
        url,
        "SELECT row_number() OVER (ORDER BY tablename), tablename::text FROM pg_tables WHERE schemaname = 'public'",
    )
}

/// The tables of a custom-format dump, from `pg_restore --list`.
fn dump_tables(file: &Path) -> Vec<String> {
    let out = Command::new(server().pg_bin().program("pg_restore"))
        .arg("--list")
        .arg(file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let mut names: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with(';'))
        .filter_map(|l| l.split_once(" TABLE public "))
        .map(|(_, rest)| rest.split_whitespace().next().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

fn backup_of(project: &Path, database: &str) -> PathBuf {
    let dir = project.join("backups");
    let found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(&format!("{database}-"))
        })
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    found[0].clone()
}

#[test]
fn capsule_three_services_on_three_servers_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path();
    copy_dir(&example_dir(), p);
    let mut servers = None;

    for (line, code) in STEPS {
        let run = if let Some(args) = line.strip_prefix("strata ") {
            let args: Vec<&str> = args.split_whitespace().collect();
            strata(p, &args, &[])
        } else if line.starts_with("docker compose up") {
            let s = Servers::start();
            s.point_env_file(p);
            servers = Some(s);
            continue;
        } else if line.starts_with("set -a") {
            // Run before each psql line (see `shell`).
            continue;
        } else {
            shell(p, line)
        };
        expect(&run, *code);
        assert!(
            !run.stdout.contains(PASSWORD) && !run.stderr.contains(PASSWORD),
            "{line}: the password is shown\n{}\n{}",
            run.stdout,
            run.stderr
        );
        eprintln!("$ {line}\n{}{}[exit {}]", run.stdout, run.stderr, run.code);
        let s = servers.as_ref();
        check_step(line, &run, p, s);
    }

    // The end state, per server.
    let s = servers.unwrap();
    let (auth, project, deploy) = (s.url("auth"), s.url("project"), s.url("deploy"));
    assert_eq!(
        tables(&auth),
        [
            "flyway_schema_history",
            "roles",
            "strata_schema_history",
            "user_profiles",
            "user_roles",
            "users"
        ]
    );
    assert_eq!(
        history(&auth),
        [
            "1|versioned|V001__create_users_table.sql|true",
            "2|versioned|V002__add_user_roles.sql|true",
            "3|versioned|V003__add_user_profiles.sql|true",
        ]
    );
    // Flyway's own table is left as it was.
    assert_eq!(
        scalar(&auth, "SELECT count(*) FROM flyway_schema_history").as_deref(),
        Some("2")
    );
    assert_eq!(
        tables(&project),
        ["project_settings", "projects", "strata_schema_history"]
    );
    assert_eq!(
        history(&project),
        [
            "1|versioned|V001__create_projects_table.sql|true",
            "2|versioned|V002__add_project_settings.sql|true",
        ]
    );
    assert_eq!(
        tables(&deploy),
        ["deployment_logs", "deployments", "strata_schema_history"]
    );
    assert_eq!(
        history(&deploy),
        [
            "1|baseline|<< baseline >>|true",
            "2|versioned|V002__add_deployment_logs.sql|true",
            "3|versioned|V003__unique_deployment_versions.sql|true",
        ]
    );
    assert_eq!(
        scalar(
            &deploy,
            "SELECT indisvalid::text FROM pg_index WHERE indexrelid = 'deployments_project_version_key'::regclass"
        )
        .as_deref(),
        Some("true")
    );
    assert_eq!(
        scalar(&deploy, "SELECT count(*) FROM deployments").as_deref(),
        Some("3")
    );
    // Each backup holds the database as it was before its migration.
    assert_eq!(
        dump_tables(&backup_of(p, "usecapsule_auth")),
        [
            "flyway_schema_history",
            "roles",
            "strata_schema_history",
            "user_roles",
            "users"
        ]
    );
    assert_eq!(
        dump_tables(&backup_of(p, "usecapsule_deploy")),
        ["deployments", "strata_schema_history"]
    );
}

/// What a user checks after particular steps.
fn check_step(line: &str, run: &Run, p: &Path, s: Option<&Servers>) {
    let out = &run.stdout;
    let err = &run.stderr;
    match line {
        "strata env" => {
            for service in SERVICES {
                assert!(
                    out.contains(&format!("postgres://usecapsule_{service}:***@127.0.0.1:")),
                    "{out}"
                );
            }
        }
        "strata info --db auth" => {
            assert!(out.contains("0 applied, 3 pending"), "{out}");
        }
        "strata baseline --from flyway --db auth" => {
            assert!(
                out.contains("auth: recorded versioned V1 (V001__create_users_table.sql)"),
                "{out}"
            );
            assert!(
                out.contains("auth: recorded versioned V2 (V002__add_user_roles.sql)"),
                "{out}"
            );
        }
        "strata migrate --backup backups --db auth" => {
            assert!(out.contains("auth: backed up usecapsule_auth to "), "{out}");
            assert!(
                out.contains("auth: applied V3 add user profiles ("),
                "{out}"
            );
        }
        "strata migrate --db project" => {
            assert!(
                out.contains("project: applied V1 create projects table ("),
                "{out}"
            );
            assert!(
                out.contains("project: applied V2 add project settings ("),
                "{out}"
            );
            // --db project touched only the project server.
            let deploy = s.unwrap().url("deploy");
            assert_eq!(history(&deploy), Vec::<String>::new());
        }
        "strata baseline 1 --db deploy" => {
            assert_eq!(
                history(&s.unwrap().url("deploy")),
                ["1|baseline|<< baseline >>|true"]
            );
        }
        "strata migrate --backup backups --db deploy" => {
            assert!(
                out.contains("deploy: backed up usecapsule_deploy to "),
                "{out}"
            );
            assert!(
                out.contains("deploy: applied V2 add deployment logs ("),
                "{out}"
            );
            assert!(
                err.contains("V003__unique_deployment_versions.sql"),
                "{err}"
            );
            assert!(err.contains("23505"), "{err}");
            assert!(err.contains("INVALID index"), "{err}");
            assert!(err.contains("strata repair"), "{err}");
            assert!(backup_of(p, "usecapsule_deploy").is_file());
        }
        "strata info --db deploy" => {
            assert!(out.contains("failed"), "{out}");
        }
        "strata migrate --db deploy" if run.code == 3 => {
            assert!(err.contains("nothing was applied"), "{err}");
        }
        "strata repair --db deploy" => {
            assert!(out.contains("V3"), "{out}");
        }
        "strata migrate --db deploy" => {
            assert!(
                out.contains("deploy: applied V3 unique deployment versions ("),
                "{out}"
            );
        }
        "strata info" => {
            assert!(out.contains("3 applied, 0 pending"), "{out}");
        }
        _ => {}
    }
}
