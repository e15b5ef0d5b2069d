//! `strata db …` and several databases, end to end with the real binary on
//! real servers: depends_on order, failures skipping dependents, two
//! servers, create/clean/seed/drop/reset, every refusal with the data left
//! intact, and the interactive reset typed on a pseudo-terminal.
#![allow(clippy::unwrap_used)] // tests may panic

use std::io::Write;
use std::process::Stdio;

use crate::support;
use crate::support::{db_exists, drop_db, expect, project, scalar, strata, unique};
use strata::config::quote_ident;
use strata_testkit::{TestDb, server, start_extra_cluster};

fn names(doc: &serde_json::Value) -> Vec<String> {
    doc["databases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap().to_owned())
        .collect()
}

fn statuses(doc: &serde_json::Value) -> Vec<String> {
    doc["databases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{}={}",
                d["name"].as_str().unwrap(),
                d["status"].as_str().unwrap()
            )
        })
        .collect()
}

/// Declared in reverse: strata must order them by depends_on.
const THREE: &str = r#"
[databases.web]
url_env = "WEB_URL"
depends_on = ["billing", "core"]

[databases.billing]
url_env = "BILLING_URL"
depends_on = ["core"]

[databases.core]
url_env = "CORE_URL"
"#;

#[test]
fn three_databases_in_depends_on_order_on_one_server() {
    let dir = project(&[
        ("strata.toml", THREE),
        (
            "migrations/core/V1__users.sql",
            "CREATE TABLE users (id serial PRIMARY KEY, email text);\nCREATE TABLE log (n serial, file text);",
        ),
        (
            "migrations/billing/V1__invoices.sql",
            "CREATE TABLE invoices (id bigint GENERATED ALWAYS AS IDENTITY, total int);",
        ),
        (
            "migrations/web/V1__sessions.sql",
            "CREATE TABLE sessions (id serial, token text);",
        ),
        (
            "seeds/core/002_second.sql",
            "INSERT INTO log (file) VALUES ('002_second');",
        ),
        (
            "seeds/core/001_first.sql",
            "INSERT INTO users (email) VALUES ('a@x'), ('b@x');\nINSERT INTO log (file) VALUES ('001_first');",
        ),
        (
            "seeds/billing/001_invoices.sql",
            "INSERT INTO invoices (total) VALUES (10), (20);",
        ),
    ]);
    let (core, billing, web) = (unique("core"), unique("billing"), unique("web"));
    let urls: Vec<(String, String)> = [
        ("CORE_URL", &core),
        ("BILLING_URL", &billing),
        ("WEB_URL", &web),
    ]
    .iter()
    .map(|(k, n)| ((*k).to_owned(), server().url(n)))
    .collect();
    let env: Vec<(&str, &str)> = urls.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let p = dir.path();

    let run = strata(p, &["db", "create", "--json"], &env);
    expect(&run, 0);
    let doc = run.json();
    assert_eq!(names(&doc), ["core", "billing", "web"]);
    for d in doc["databases"].as_array().unwrap() {
        assert_eq!(d["actions"][0]["action"], "created", "{d}");
    }
    // Idempotent.
    let run = strata(p, &["db", "create"], &env);
    expect(&run, 0);
    assert!(
        run.stdout
            .contains(&format!("core: database {core} already exists")),
        "{}",
        run.stdout
    );
    assert_eq!(run.stdout.matches("already exists").count(), 3);

    let run = strata(p, &["migrate"], &env);
    expect(&run, 0);
    let order: Vec<&str> = run
        .stdout
        .lines()
        .map(|l| l.split(':').next().unwrap())
        .collect();
    assert_eq!(order, ["core", "billing", "web"], "{}", run.stdout);

    let run = strata(p, &["db", "seed"], &env);
    expect(&run, 0);
    assert!(
        run.stdout.contains("web: no seeds folder"),
        "{}",
        run.stdout
    );
    let core_url = server().url(&core);
    assert_eq!(
        scalar(
            &core_url,
            "SELECT string_agg(file, ',' ORDER BY n) FROM log"
        )
        .as_deref(),
        Some("001_first,002_second")
    );

    // --db is repeatable and keeps depends_on order whatever the flag order.
    let run = strata(
        p,
        &["status", "--json", "--db", "web", "--db", "core"],
        &env,
    );
    expect(&run, 0);
    assert_eq!(names(&run.json()), ["core", "web"]);

    // clean: data gone, history kept, sequences restarted.
    let run = strata(p, &["db", "clean", "--db", "core", "--db", "billing"], &env);
    expect(&run, 0);
    assert!(
        run.stdout.contains("core: cleaned 2 table(s)"),
        "{}",
        run.stdout
    );
    assert_eq!(
        scalar(&core_url, "SELECT count(*) FROM users").as_deref(),
        Some("0")
    );
    assert_eq!(
        scalar(&core_url, "SELECT count(*) FROM strata_schema_history").as_deref(),
        Some("1")
    );
    assert_eq!(
        scalar(
            &core_url,
            "INSERT INTO users (email) VALUES ('c') RETURNING id"
        )
        .as_deref(),
        Some("1")
    );
    let billing_url = server().url(&billing);
    assert_eq!(
        scalar(
            &billing_url,
            "INSERT INTO invoices (total) VALUES (1) RETURNING id"
        )
        .as_deref(),
        Some("1")
    );
    // web was not selected: untouched.
    assert_eq!(
        scalar(
            &server().url(&web),
            "SELECT count(*) FROM strata_schema_history"
        )
        .as_deref(),
        Some("1")
    );

    let all = [core.as_str(), billing.as_str(), web.as_str()];
    let mut args = vec!["db", "drop"];
    for n in &all {
        args.extend(["--confirm", n]);
    }
    expect(&strata(p, &args, &env), 0);
    for n in all {
        assert!(!db_exists(server().base_url(), n), "{n}");
    }
}

#[test]
fn a_failure_skips_its_dependents_and_independent_databases_still_run() {
    let core = TestDb::new_blocking("fail_core");
    let app = TestDb::new_blocking("fail_app");
    let audit = TestDb::new_blocking("fail_audit");
    let dir = project(&[
        (
            "strata.toml",
            r#"
[databases.core]
url_env = "CORE_URL"
[databases.app]
url_env = "APP_URL"
depends_on = ["core"]
[databases.audit]
url_env = "AUDIT_URL"
"#,
        ),
        (
            "migrations/core/V1__broken.sql",
            "CREATE TABLE ok (id int);\nSELECT * FROM no_such_table;",
        ),
        ("migrations/app/V1__app.sql", "CREATE TABLE app (id int);"),
        (
            "migrations/audit/V1__audit.sql",
            "CREATE TABLE audit (id int);",
        ),
    ]);
    let env = [
        ("CORE_URL", core.url()),
        ("APP_URL", app.url()),
        ("AUDIT_URL", audit.url()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let run = strata(dir.path(), &["migrate", "--json"], &env);
    expect(&run, 1);
    let doc = run.json();
    assert_eq!(statuses(&doc), ["core=failed", "app=skipped", "audit=ok"]);
    assert!(
        doc["databases"][1]["skipped"]
            .as_str()
            .unwrap()
            .contains("depends on core")
    );
    assert!(run.stderr.contains("no_such_table"), "{}", run.stderr);
    assert_eq!(
        audit.query_strings_blocking("SELECT count(*) FROM audit")[0][0].as_deref(),
        Some("0")
    );
    assert_eq!(
        app.query_strings_blocking("SELECT count(*) FROM pg_tables WHERE tablename = 'app'")[0][0]
            .as_deref(),
        Some("0")
    );

    // Human summary, same outcome.
    let run = strata(dir.path(), &["migrate"], &env);
    expect(&run, 1);
    for want in [
        "summary:",
        "  core: failed",
        "  app: skipped: it depends on core, which failed",
        "  audit: 0 applied",
    ] {
        assert!(run.stderr.contains(want), "{want}\n{}", run.stderr);
    }
}

#[test]
fn two_databases_on_two_separate_servers() {
    let extra = start_extra_cluster();
    let (users, orders) = (unique("users_svc"), unique("orders_svc"));
    let users_url = server().url(&users);
    let orders_url = extra.url(&orders);
    let dir = project(&[
        (
            "strata.toml",
            r#"
history_table = "public.flyway_schema_history"
[databases.users]
url_env = "USERS_DB_URL"
[databases.orders]
url_env = "ORDERS_DB_URL"
"#,
        ),
        (
            "migrations/users/V001__users.sql",
            "CREATE TABLE users (id int);",
        ),
        (
            "migrations/orders/V001__orders.sql",
            "CREATE TABLE orders (id int);",
        ),
        (
            "seeds/orders/001_orders.sql",
            "INSERT INTO orders VALUES (1), (2);",
        ),
    ]);
    let env = [
        ("USERS_DB_URL", users_url.as_str()),
        ("ORDERS_DB_URL", orders_url.as_str()),
    ];
    let p = dir.path();
    expect(&strata(p, &["db", "create"], &env), 0);
    assert!(db_exists(server().base_url(), &users) && !db_exists(server().base_url(), &orders));
    assert!(db_exists(&extra.base_url(), &orders) && !db_exists(&extra.base_url(), &users));
    let run = strata(p, &["migrate", "--json"], &env);
    expect(&run, 0);
    assert_eq!(statuses(&run.json()), ["users=ok", "orders=ok"]);
    assert_eq!(
        scalar(&orders_url, "SELECT count(*) FROM flyway_schema_history").as_deref(),
        Some("1")
    );
    // --db picks one service; the other server is never contacted.
    let run = strata(
        p,
        &["db", "seed", "--db", "orders"],
        &[
            ("ORDERS_DB_URL", orders_url.as_str()),
            ("USERS_DB_URL", "postgres://x@127.0.0.1:1/users"),
        ],
    );
    expect(&run, 0);
    assert_eq!(
        scalar(&orders_url, "SELECT count(*) FROM orders").as_deref(),
        Some("2")
    );
    expect(&strata(p, &["db", "wait", "--timeout", "5"], &env), 0);

    // One server stops: its database fails, the other still runs.
    extra.cluster().stop().unwrap();
    let run = strata(p, &["db", "wait", "--timeout", "1", "--json"], &env);
    expect(&run, 1);
    assert_eq!(statuses(&run.json()), ["users=ok", "orders=failed"]);
    assert!(run.stderr.contains("gave up after 1s"), "{}", run.stderr);
    drop_db(server().base_url(), &users);
}

/// A database with rows, a sequence at 3 and seeds, in a project whose
/// `prod` environment is protected.
fn seeded_project(db: &TestDb) -> tempfile::TempDir {
    db.query_strings_blocking(
        "CREATE TABLE items (id serial PRIMARY KEY, name text);
         INSERT INTO items (name) VALUES ('one'), ('two'), ('three');",
    );
    project(&[
        (
            "strata.toml",
            r#"
default_env = "dev"
[environments.dev]
[environments.prod]
protected = true
"#,
        ),
        (
            "migrations/V1__items.sql",
            "CREATE TABLE items (id serial PRIMARY KEY, name text);",
        ),
        (
            "seeds/001_items.sql",
            "INSERT INTO items (name) VALUES ('seeded');",
        ),
    ])
}

#[track_caller]
fn assert_intact(db: &TestDb) {
    assert!(db_exists(server().base_url(), db.name()));
    assert_eq!(
        db.query_strings_blocking("SELECT string_agg(name, ',' ORDER BY id) FROM items")[0][0]
            .as_deref(),
        Some("one,two,three")
    );
}

#[test]
fn protected_environment_refuses_everything_destructive_with_data_intact() {
    let db = TestDb::new_blocking("protected_refusals");
    let dir = seeded_project(&db);
    let url = db.url();
    let env = [("DATABASE_URL", url.as_str())];
    let name = db.name();
    for args in [
        vec!["db", "drop", "--confirm", name],
        vec!["db", "drop"],
        vec!["db", "clean"],
        vec!["db", "seed"],
        vec!["db", "reset", "--confirm", name],
        vec!["db", "reset"],
    ] {
        let mut full = vec!["--env", "prod"];
        full.extend(&args);
        let run = strata(dir.path(), &full, &env);
        expect(&run, 5);
        assert!(run.stderr.contains("refused"), "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("prod"), "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("nothing was changed"),
            "{args:?}: {}",
            run.stderr
        );
        assert_intact(&db);
    }
    // STRATA_ENV selects it just the same.
    let run = strata(
        dir.path(),
        &["db", "clean"],
        &[("DATABASE_URL", &url), ("STRATA_ENV", "prod")],
    );
    expect(&run, 5);
    assert_intact(&db);
    // Non-destructive commands still work there.
    expect(
        &strata(dir.path(), &["--env", "prod", "db", "create"], &env),
        0,
    );
    expect(
        &strata(dir.path(), &["--env", "prod", "db", "wait"], &env),
        0,
    );
}

#[test]
fn unprotected_drop_and_reset_need_the_real_database_name() {
    let db = TestDb::new_blocking("confirmations");
    let dir = seeded_project(&db);
    let url = db.url();
    let env = [("DATABASE_URL", url.as_str())];
    let p = dir.path();
    for args in [
        vec!["db", "drop"],
        vec!["db", "drop", "--confirm", "main"],
        vec!["db", "reset", "--confirm", "wrong"],
        vec!["db", "reset"],
    ] {
        let run = strata(p, &args, &env);
        expect(&run, 5);
        assert_intact(&db);
    }
    let run = strata(p, &["db", "reset", "--confirm", db.name()], &env);
    expect(&run, 0);
    assert!(
        run.stdout.contains("main: dropped and recreated database"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("main: applied V1 items"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("main: seeded 001_items.sql"),
        "{}",
        run.stdout
    );
    assert_eq!(
        db.query_strings_blocking("SELECT string_agg(id || ':' || name, ',') FROM items")[0][0]
            .as_deref(),
        Some("1:seeded")
    );
    let run = strata(p, &["db", "drop", "--confirm", db.name()], &env);
    expect(&run, 0);
    assert!(!db_exists(server().base_url(), db.name()));
    let run = strata(p, &["db", "drop", "--confirm", db.name()], &env);
    expect(&run, 0);
    assert!(run.stdout.contains("does not exist"), "{}", run.stdout);
}

/// Runs strata on a pseudo-terminal (util-linux `script`), typing `input`.
fn on_terminal(
    dir: &std::path::Path,
    args: &str,
    env: &[(&str, &str)],
    input: &str,
) -> (i32, String) {
    let cmdline = format!("{} {args}", env!("CARGO_BIN_EXE_strata"));
    let mut cmd = std::process::Command::new("script");
    cmd.args(["-qec", &cmdline, "/dev/null"])
        .current_dir(dir)
        .env_remove("CI");
    for v in support::SCRUBBED {
        cmd.env_remove(v);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("`script` (util-linux) runs the interactive tests");
    // Type after the prompt is up, as a person would.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    child
        .stdin
        .as_mut()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn interactive_reset_on_a_terminal_wrong_name_then_right_name() {
    let db = TestDb::new_blocking("pty_reset");
    let dir = seeded_project(&db);
    let url = db.url();
    let env = [("DATABASE_URL", url.as_str())];
    // Protected: only a terminal will do. The wrong name changes nothing.
    let (code, screen) = on_terminal(dir.path(), "--env prod db reset", &env, "not-the-name\n");
    assert_eq!(code, 5, "{screen}");
    assert!(screen.contains("PROTECTED environment prod"), "{screen}");
    assert!(
        screen.contains("Type the database name to confirm"),
        "{screen}"
    );
    assert!(screen.contains("does not match"), "{screen}");
    assert_intact(&db);
    // The right name alone is not enough there: the challenge code shown
    // after it must be typed too (reset_ceremony.rs types it and resets).
    let (code, screen) = on_terminal(
        dir.path(),
        "--env prod db reset",
        &env,
        &format!("{}\n", db.name()),
    );
    assert_eq!(code, 5, "{screen}");
    assert!(
        screen.contains("the challenge code does not match"),
        "{screen}"
    );
    assert_intact(&db);
    // Unprotected: the same prompt works instead of --confirm.
    db.query_strings_blocking("INSERT INTO items (name) VALUES ('extra')");
    let (code, screen) = on_terminal(dir.path(), "db drop", &env, "nope\n");
    assert_eq!(code, 5, "{screen}");
    assert!(db_exists(server().base_url(), db.name()));
    let (code, screen) = on_terminal(dir.path(), "db drop", &env, &format!("{}\n", db.name()));
    assert_eq!(code, 0, "{screen}");
    assert!(!db_exists(server().base_url(), db.name()));
}

#[test]
fn create_uses_pg_variables_for_server_level_credentials() {
    let role = unique("no_createdb");
    scalar(
        server().base_url(),
        &format!("CREATE ROLE {} LOGIN", quote_ident(&role)),
    );
    let name = unique("pgvars");
    let app_url = format!("postgres://{role}@127.0.0.1:{}/{name}", server().port());
    let dir = project(&[
        (
            "strata.toml",
            "[environments.dev]\nenv_files = [\".env\", \"app.env\"]\n",
        ),
        ("app.env", &format!("DATABASE_URL={app_url}\n")),
        ("migrations/V1__t.sql", "CREATE TABLE t (id int);"),
    ]);
    // The application role may not create databases.
    let run = strata(dir.path(), &["db", "create"], &[]);
    expect(&run, 1);
    assert!(
        run.stderr.contains("permission denied to create database"),
        "{}",
        run.stderr
    );
    // Seed 004: the root .env holds PG* variables for server-level work.
    std::fs::write(
        dir.path().join(".env"),
        format!(
            "PGHOST=localhost\nPGPORT={}\nPGUSER=postgres\nPGPASSWORD=unused-with-trust\n",
            server().port()
        ),
    )
    .unwrap();
    let run = strata(dir.path(), &["-v", "db", "create"], &[]);
    expect(&run, 0);
    assert!(
        run.stderr.contains("credentials: PGUSER/PGPASSWORD"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("unused-with-trust"), "{}", run.stderr);
    assert!(db_exists(server().base_url(), &name));
    drop_db(server().base_url(), &name);
    scalar(
        server().base_url(),
        &format!("DROP ROLE {}", quote_ident(&role)),
    );
}

#[test]
fn unix_socket_url_with_sslmode_require_connects_without_tls() {
    let Some(cluster) = server().cluster() else {
        return; // an external server's socket is not known
    };
    let info = cluster.status().unwrap().info().cloned().unwrap();
    let sock = info.socket_dir.unwrap();
    let db = TestDb::new_blocking("socket_url");
    let url = format!(
        "postgres://postgres@/{}?host={}&port={}&sslmode=require",
        db.name(),
        sock.display(),
        info.port
    );
    let dir = project(&[
        ("migrations/V1__t.sql", "CREATE TABLE t (id int);"),
        ("strata.toml", ""),
    ]);
    let run = strata(dir.path(), &["migrate"], &[("DATABASE_URL", url.as_str())]);
    expect(&run, 0);
    assert_eq!(
        db.query_strings_blocking("SELECT count(*) FROM t")[0][0].as_deref(),
        Some("0")
    );
}
