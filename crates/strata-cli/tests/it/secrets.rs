//! SPEC §1.3: a password never appears in any output. Every command is run
//! with a URL carrying a password (percent-encoded, and raw), on success and
//! on failure paths (SQL error, refused connection, bad URL, policy
//! violation, a server error), and neither stdout nor stderr may contain the
//! password in any form; the redacted URL shows `***` instead.

#![allow(clippy::unwrap_used)]

use crate::support;
use crate::support::{Project, Run};
use strata_testkit::TestDb;

const PASSWORD: &str = "Sup3r$ecret!pw";
const PASSWORD_ENCODED: &str = "Sup3r%24ecret%21pw";
const WRONG_PASSWORD: &str = "Wr0ng$Passw0rd!";

/// Pieces of either password that must never be printed.
const NEEDLES: &[&str] = &[
    PASSWORD,
    PASSWORD_ENCODED,
    "Sup3r",
    "ecret!pw",
    "ecret%21pw",
    WRONG_PASSWORD,
    "Wr0ng",
    "Passw0rd",
];

/// A login role with [`PASSWORD`], dropped when this is dropped.
struct Role {
    name: String,
}

impl Role {
    fn create_named(tag: &str) -> Role {
        let name = format!("strata_{tag}_{}", std::process::id());
        let admin = admin_db();
        admin.query_strings_blocking(&format!(
            "CREATE ROLE {name} LOGIN SUPERUSER PASSWORD '{PASSWORD}'"
        ));
        Role { name }
    }
}

impl Drop for Role {
    fn drop(&mut self) {
        admin_db().query_strings_blocking(&format!("DROP ROLE IF EXISTS {}", self.name));
    }
}

/// A handle on the server's maintenance database for role DDL (roles are
/// server-wide; each test process uses its own role name).
fn admin_db() -> AdminDb {
    AdminDb(strata_testkit::server().base_url().to_owned())
}

struct AdminDb(String);

impl AdminDb {
    fn query_strings_blocking(&self, sql: &str) {
        support::scalar(&self.0, sql);
    }
}

/// `url` with its user and password replaced.
fn with_credentials(url: &str, user: &str, password: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    format!("{scheme}://{user}:{password}@{host}{tail}")
}

/// `url` with its host and port replaced.
fn with_host(url: &str, hostport: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let userinfo = authority.rsplit_once('@').map(|(u, _)| u).unwrap();
    format!("{scheme}://{userinfo}@{hostport}{tail}")
}

/// A loopback port where nothing listens (bound, then released).
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[track_caller]
fn assert_no_secret(what: &str, run: &Run) {
    run.expect_no_panic();
    for needle in NEEDLES {
        assert!(
            !run.stdout.contains(needle) && !run.stderr.contains(needle),
            "{what}: `{needle}` leaked\n--- stdout ---\n{}\n--- stderr ---\n{}",
            run.stdout,
            run.stderr
        );
    }
}

#[test]
fn no_command_prints_the_password() {
    let role = Role::create_named("sweep");
    let db = TestDb::new_blocking("cli_password_sweep");
    let url = with_credentials(&db.url(), &role.name, PASSWORD_ENCODED);
    let project = Project::new();
    project
        .migration("V1__create_a.sql", "CREATE TABLE a (id int);\n")
        .migration("V2__create_b.sql", "CREATE TABLE b (id int);\n");

    let sweep: &[(&[&str], i32)] = &[
        (&["status"], 0),
        (&["status", "--json"], 0),
        (&["status", "-v"], 0),
        (&["validate"], 0),
        (&["validate", "--json"], 0),
        (&["verify"], 3),
        (&["verify", "--json"], 3),
        (&["migrate", "--dry-run", "-v"], 0),
        (&["migrate", "-v"], 0),
        (&["migrate", "--json"], 0),
        (&["status", "-v"], 0),
        (&["verify", "-v"], 0),
        (&["verify", "--json"], 0),
    ];
    for (args, code) in sweep {
        let run = project.run(&url, args);
        run.expect_code(*code);
        assert_no_secret(&args.join(" "), &run);
    }

    // The redacted URL is shown, with `***` where the password was.
    let run = project.run(&url, &["status"]);
    let redacted = format!("{}:***@", role.name);
    assert!(run.stdout.contains(&redacted), "{}", run.stdout);
    let run = project.run(&url, &["status", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let shown = doc["databases"][0]["url"].as_str().unwrap();
    assert!(shown.contains(&redacted), "{shown}");

    // A failing migration: the SQL error path.
    project.migration("V3__broken.sql", "SELECT * FROM no_such_table;\n");
    for args in [&["migrate", "-v"][..], &["migrate", "--json"]] {
        let run = project.run(&url, args);
        run.expect_code(1);
        assert!(run.stderr.contains("no_such_table"), "{}", run.stderr);
        assert_no_secret(&args.join(" "), &run);
    }
    project.remove_migration("V3__broken.sql");

    // The raw (not percent-encoded) password in the URL.
    let raw = with_credentials(&db.url(), &role.name, PASSWORD);
    for args in [&["status", "-v"][..], &["migrate", "-v"], &["verify"]] {
        let run = project.run(&raw, args);
        run.expect_code(0);
        assert_no_secret(&format!("raw password: {}", args.join(" ")), &run);
    }

    // A wrong password (the test cluster trusts local connections, so it
    // still connects; a real server would refuse it).
    let wrong = with_credentials(&db.url(), &role.name, WRONG_PASSWORD);
    let run = project.run(&wrong, &["status", "-v"]);
    assert_no_secret("wrong password", &run);

    // The server refuses: a database that does not exist.
    let missing_db = url.replace(db.name(), "strata_no_such_database");
    let run = project.run(&missing_db, &["migrate", "-v"]);
    run.expect_code(1);
    assert!(run.stderr.contains("does not exist"), "{}", run.stderr);
    assert_no_secret("missing database", &run);

    // Nothing listens: the connection-failure path, with and without --wait.
    let refused = with_host(&url, &format!("127.0.0.1:{}", closed_port()));
    for args in [
        &["status", "-v"][..],
        &["migrate", "-v", "--wait", "1"],
        &["verify", "--json"],
    ] {
        let run = project.run(&refused, args);
        run.expect_code(1);
        assert!(run.stderr.contains(":***@"), "{}", run.stderr);
        assert_no_secret(&format!("refused: {}", args.join(" ")), &run);
    }

    // URLs strata rejects before connecting.
    for bad in [
        url.replace("postgres://", "mysql://"),
        with_host(&url, "127.0.0.1:notaport"),
        format!("{url}?sslmode=sometimes"),
        with_credentials(&db.url(), &role.name, "Sup3r%ZZecret%21pw"),
    ] {
        let run = project.run(&bad, &["migrate", "-v"]);
        assert_no_secret(
            &format!("bad URL {}", bad.replace(PASSWORD_ENCODED, "…")),
            &run,
        );
    }
}

#[test]
fn a_policy_violation_shows_the_url_redacted() {
    let role = Role::create_named("policy");
    let db = TestDb::new_blocking("cli_password_policy");
    let url = with_credentials(&db.url(), &role.name, PASSWORD_ENCODED);
    let project = Project::with_toml(
        "[databases.main]\nmigrations = \"migrations\"\nurl_env = \"DATABASE_URL\"\n\n\
         [environments.prod]\nenv_files = [\".env.prod\"]\nallowed_hosts = [\"db.internal\"]\n",
    );
    project.migration("V1__create_a.sql", "CREATE TABLE a (id int);\n");
    // The URL comes from an env file this time, not the process.
    std::fs::write(
        project.path().join(".env.prod"),
        format!("DATABASE_URL={url}\n"),
    )
    .unwrap();

    for args in [
        &["--env", "prod", "migrate", "-v"][..],
        &["--env", "prod", "status", "--json"],
    ] {
        let run = support::Run::of(project.cmd(None, args).output().unwrap());
        run.expect_code(2);
        assert!(run.stderr.contains("allowed_hosts"), "{}", run.stderr);
        assert!(run.stderr.contains("prod"), "{}", run.stderr);
        assert!(run.stderr.contains(":***@"), "{}", run.stderr);
        assert_no_secret(&args.join(" "), &run);
    }
    assert!(support::history(&db).is_empty(), "nothing ran");
}

/// A raw `?`, `#`, `@` or `/` in a password: the URL either parses (the
/// user info ends at the last `@` before the query) and shows `***`, or it
/// does not and the error, the JSON and `strata env` show no part of the
/// password.
#[test]
fn a_raw_special_character_in_a_password_never_shows_it() {
    let project = Project::new();
    project.migration("V1__create_a.sql", "CREATE TABLE a (id int);\n");
    let port = closed_port();
    let urls = [
        format!("postgres://app:Hunter2LEAK?x@127.0.0.1:{port}/db"),
        format!("postgres://app:Hunter2LEAK#x@127.0.0.1:{port}/db"),
        format!("postgres://app:Hunter2LEAK@x@127.0.0.1:{port}/db"),
        format!("postgres://app:Hunter2LEAK/x@127.0.0.1:{port}/db"),
        // These do not parse at all.
        format!("postgres://app:Hunter2LEAK?x=1@127.0.0.1:{port}/db"),
        "postgres://app:Hunter2LEAK?x@127.0.0.1:notaport/db".to_owned(),
        format!("postgres://app:Hunter2LEAK/x@127.0.0.1:{port}/db?nosuch=1"),
        format!("postgres://app:Hunter2LEAK#x@[::1:{port}/db"),
    ];
    for url in &urls {
        for args in [
            &["status"][..],
            &["status", "--json"],
            &["migrate", "-v"],
            &["migrate", "--json"],
            &["env"],
            &["env", "--json"],
        ] {
            let run = project.run(url, args);
            run.expect_no_panic();
            // Nothing listens there (or the URL is refused): never a success.
            if args[0] != "env" {
                assert_ne!(run.code, 0, "{url} {args:?}");
            }
            for needle in ["Hunter2", "LEAK"] {
                assert!(
                    !run.stdout.contains(needle) && !run.stderr.contains(needle),
                    "{url} {args:?}: `{needle}` leaked\n--- stdout ---\n{}\n--- stderr ---\n{}",
                    run.stdout,
                    run.stderr
                );
            }
        }
    }
}

/// The same sweep for a libpq key=value string (quoted and bare password)
/// and for a password that comes from a service file: never shown, on
/// success, on a refused connection, on an unsupported parameter and in
/// `strata env`.
#[test]
fn key_value_strings_and_service_files_never_show_the_password() {
    let role = Role::create_named("kv");
    let db = TestDb::new_blocking("cli_password_kv");
    let port = strata_testkit::server().port();
    let project = Project::new();
    project.migration("V1__create_a.sql", "CREATE TABLE a (id int);\n");
    let closed = closed_port();
    let kv = |port: u16, password: &str| {
        format!(
            "host=127.0.0.1 port={port} user={} dbname={} sslmode=disable password={password}",
            role.name,
            db.name()
        )
    };
    let quoted = format!("'{}'", PASSWORD.replace('\\', "\\\\"));
    let cases: Vec<(String, i32)> = vec![
        (kv(port, PASSWORD), 0),
        (kv(port, &quoted), 0),
        (kv(closed, PASSWORD), 1),
        (format!("{} sslcrl=/x", kv(port, &quoted)), 2),
    ];
    for (url, code) in &cases {
        for args in [
            &["status", "-v"][..],
            &["migrate", "--json"],
            &["verify"],
            &["env"],
            &["env", "--json"],
        ] {
            let run = project.run(url, args);
            if args[0] != "env" {
                run.expect_code(*code);
            }
            assert_no_secret(&format!("key=value {args:?}"), &run);
        }
    }
    let run = project.run(&cases[0].0, &["env"]);
    assert!(run.stdout.contains("password=***"), "{}", run.stdout);

    // A service file holding the password.
    let services = project.path().join("services.conf");
    let write = |port: u16| {
        std::fs::write(
            &services,
            format!(
                "[sweep]\nhost=127.0.0.1\nport={port}\nuser={}\npassword={PASSWORD}\nsslmode=disable\n",
                role.name
            ),
        )
        .unwrap();
    };
    let url = format!("service=sweep dbname={}", db.name());
    for (port, code) in [(port, 0), (closed, 1)] {
        write(port);
        for args in [
            &["status", "-v"][..],
            &["migrate", "--json"],
            &["env", "--json"],
        ] {
            let mut cmd = project.cmd(Some(&url), args);
            cmd.env("PGSERVICEFILE", &services);
            let run = support::Run::of(cmd.output().unwrap());
            if args[0] != "env" {
                run.expect_code(code);
            }
            assert_no_secret(&format!("service file {args:?}"), &run);
        }
    }
}
