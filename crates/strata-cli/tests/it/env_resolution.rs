//! Environments end to end: selection (`--env`, `STRATA_ENV`,
//! `default_env`), layered env files with the process winning, `strata env`
//! (human and JSON), and every URL policy violation refused before any
//! connection with exit 2.
#![allow(clippy::unwrap_used)] // tests may panic

use crate::support::{expect, project, scalar, strata};
use strata::config::quote_ident;
use strata_testkit::{TestDb, server};

const LAYERED: &str = r#"
default_env = "dev"

[environments.dev]
env_files = [".env", ".env.local"]

[environments.test]
env_files = [".env.local", ".env.missing", ".env.stack.local"]

[environments.prod]
env_files = []
protected = true
allowed_hosts = ["localhost", "127.0.0.1"]
database_pattern = "*_prod"
require_tls = true
"#;

fn has_table(db: &TestDb, table: &str) -> bool {
    db.query_strings_blocking(&format!(
        "SELECT count(*) FROM pg_tables WHERE tablename = '{table}'"
    ))[0][0]
        .as_deref()
        == Some("1")
}

#[test]
fn env_files_layer_and_the_process_wins() {
    let local = TestDb::new_blocking("layer_local");
    let stack = TestDb::new_blocking("layer_stack");
    let process = TestDb::new_blocking("layer_process");
    let dir = project(&[
        ("strata.toml", LAYERED),
        ("migrations/V1__marker.sql", "CREATE TABLE marker (id int);"),
        (
            ".env.local",
            &format!("# host postgres\nDATABASE_URL={}\nOTHER=1\n", local.url()),
        ),
        (
            ".env.stack.local",
            &format!("\n\nDATABASE_URL={}\n", stack.url()),
        ),
    ]);
    let p = dir.path();

    // test: .env.stack.local (line 3) overrides .env.local.
    let run = strata(p, &["env", "--env", "test", "--json"], &[]);
    expect(&run, 0);
    let doc = run.json();
    assert_eq!(doc["env"], "test");
    assert_eq!(doc["source"], "--env");
    assert_eq!(doc["databases"][0]["origin"], ".env.stack.local:3");
    assert_eq!(doc["databases"][0]["database"], stack.name());
    assert_eq!(
        doc["env_files"],
        serde_json::json!([
            {"path": ".env.local", "loaded": true},
            {"path": ".env.missing", "loaded": false},
            {"path": ".env.stack.local", "loaded": true}
        ])
    );
    let run = strata(p, &["migrate", "--env", "test"], &[]);
    expect(&run, 0);
    assert!(has_table(&stack, "marker") && !has_table(&local, "marker"));

    // dev (default_env): .env is missing, .env.local wins (line 2).
    let run = strata(p, &["env"], &[]);
    expect(&run, 0);
    assert!(
        run.stdout.contains("environment dev (from default_env)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("from    .env.local:2"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(".env (not found, skipped)"),
        "{}",
        run.stdout
    );

    // A process variable beats both files; STRATA_ENV selects the environment.
    let purl = process.url();
    let env = [("STRATA_ENV", "test"), ("DATABASE_URL", purl.as_str())];
    let run = strata(p, &["env", "--json"], &env);
    expect(&run, 0);
    let doc = run.json();
    assert_eq!(
        (doc["env"].as_str(), doc["source"].as_str()),
        (Some("test"), Some("STRATA_ENV"))
    );
    assert_eq!(doc["databases"][0]["origin"], "process");
    expect(&strata(p, &["migrate"], &env), 0);
    assert!(has_table(&process, "marker"));
    // --env beats STRATA_ENV.
    let run = strata(
        p,
        &["env", "--json", "--env", "dev"],
        &[("STRATA_ENV", "test")],
    );
    assert_eq!(run.json()["env"], "dev");

    // An undeclared environment is a configuration error.
    for (args, env) in [
        (vec!["env", "--env", "staging"], vec![]),
        (vec!["migrate"], vec![("STRATA_ENV", "staging")]),
    ] {
        let run = strata(p, &args, &env);
        expect(&run, 2);
        assert!(run.stderr.contains("staging"), "{}", run.stderr);
        assert!(run.stderr.contains("dev, test, prod"), "{}", run.stderr);
    }
}

/// Every rule, each violated alone; strata must refuse before connecting,
/// so the database (which would otherwise accept) gets no history table.
#[test]
fn every_policy_violation_is_exit_2_before_any_connection() {
    let db = TestDb::new_blocking("policy_prod");
    let port = server().port();
    let good_name = format!("{}_prod", db.name());
    // A real database whose name satisfies the pattern.
    scalar(
        server().base_url(),
        &format!("CREATE DATABASE {}", quote_ident(&good_name)),
    );
    let dir = project(&[
        ("strata.toml", LAYERED),
        ("migrations/V1__marker.sql", "CREATE TABLE marker (id int);"),
    ]);
    let cases = [
        (
            format!(
                "postgres://postgres:hunter2@db.example.com:{port}/{good_name}?sslmode=require"
            ),
            "allowed_hosts",
            "db.example.com",
        ),
        (
            format!(
                "postgres://postgres:hunter2@127.0.0.1:{port}/{}?sslmode=require",
                db.name()
            ),
            "database_pattern",
            "*_prod",
        ),
        (
            format!("postgres://postgres:hunter2@127.0.0.1:{port}/{good_name}"),
            "require_tls",
            "no sslmode",
        ),
        (
            format!("postgres://postgres:hunter2@127.0.0.1:{port}/{good_name}?sslmode=prefer"),
            "require_tls",
            "sslmode=prefer",
        ),
    ];
    for (url, rule, detail) in &cases {
        for args in [
            vec!["migrate"],
            vec!["db", "create"],
            vec!["db", "wait"],
            vec!["status"],
        ] {
            let mut full = vec!["--env", "prod"];
            full.extend(&args);
            let run = strata(dir.path(), &full, &[("DATABASE_URL", url)]);
            expect(&run, 2);
            let e = &run.stderr;
            assert!(e.contains(rule), "{rule} {args:?}: {e}");
            assert!(e.contains("prod"), "{e}");
            assert!(e.contains(detail), "{e}");
            assert!(e.contains("postgres://postgres:***@"), "{e}");
            assert!(
                !e.contains("hunter2") && !run.stdout.contains("hunter2"),
                "{e}"
            );
        }
        // strata env shows the failing check and exits 2 too.
        let run = strata(
            dir.path(),
            &["--env", "prod", "env"],
            &[("DATABASE_URL", url)],
        );
        expect(&run, 2);
        assert!(
            run.stdout.contains(&format!("FAIL    {rule}")),
            "{}",
            run.stdout
        );
    }
    assert!(!has_table(&db, "strata_schema_history"));
    let good = format!(
        "{}/{good_name}",
        server().base_url().rsplit_once('/').unwrap().0
    );
    assert_eq!(
        scalar(
            &good,
            "SELECT count(*) FROM pg_tables WHERE tablename = 'strata_schema_history'"
        )
        .as_deref(),
        Some("0")
    );

    // All three pass: env reports each check as ok (the server has no TLS,
    // so nothing connects here).
    let ok = format!("postgres://postgres:hunter2@localhost:{port}/{good_name}?sslmode=require");
    let run = strata(
        dir.path(),
        &["--env", "prod", "env", "--json"],
        &[("DATABASE_URL", &ok)],
    );
    expect(&run, 0);
    let doc = run.json();
    let rules: Vec<_> = doc["databases"][0]["policy"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("{}={}", c["rule"].as_str().unwrap(), c["passed"]))
        .collect();
    assert_eq!(
        rules,
        [
            "allowed_hosts=true",
            "database_pattern=true",
            "require_tls=true",
            "admin_allowed_hosts=true",
            "admin_require_tls=true"
        ]
    );
    assert_eq!(doc["protected"], true);
    assert!(!run.stdout.contains("hunter2"));

    // Not a PostgreSQL URL: exit 2 without echoing it.
    let run = strata(
        dir.path(),
        &["migrate"],
        &[("DATABASE_URL", "mysql://root:hunter2@localhost/x")],
    );
    expect(&run, 2);
    assert!(
        run.stderr.contains("mysql") && !run.stderr.contains("hunter2"),
        "{}",
        run.stderr
    );
    scalar(
        server().base_url(),
        &format!("DROP DATABASE {}", quote_ident(&good_name)),
    );
}

#[test]
fn admin_url_env_is_checked_and_shown() {
    let dir = project(&[(
        "strata.toml",
        r#"
[databases.core]
url_env = "SHARED_DATABASE_URL"
admin_url_env = "ADMIN_DATABASE_URL"
[environments.prod]
allowed_hosts = ["localhost"]
"#,
    )]);
    let env = [
        (
            "SHARED_DATABASE_URL",
            "postgres://app:s3cret-app@localhost/atriz_shared",
        ),
        (
            "ADMIN_DATABASE_URL",
            "postgres://admin:s3cret-admin@db.example.com/postgres",
        ),
    ];
    let run = strata(dir.path(), &["--env", "prod", "env"], &env);
    expect(&run, 2);
    assert!(run.stdout.contains("admin   postgres://admin:***@db.example.com/postgres  (credentials: ADMIN_DATABASE_URL)"), "{}", run.stdout);
    assert!(
        run.stdout.contains("FAIL    admin allowed_hosts"),
        "{}",
        run.stdout
    );
    let run = strata(dir.path(), &["--env", "prod", "db", "create"], &env);
    expect(&run, 2);
    assert!(
        run.stderr.contains("allowed_hosts") && run.stderr.contains("db.example.com"),
        "{}",
        run.stderr
    );
    for out in [&run.stdout, &run.stderr] {
        assert!(!out.contains("s3cret"), "{out}");
    }
}
