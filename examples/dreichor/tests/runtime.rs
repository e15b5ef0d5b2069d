//! The Dreichor runtime against a real server: it refuses to start until an
//! operator has migrated, never creates anything itself, and refuses again
//! when the live schema is not its schema.sql or the history no longer
//! matches the files it was built with. The URL
//! rules are strata.toml's, so the database is `dreichor_dev` on
//! `localhost`, as in the README. (The README's whole walk-through, with
//! the real `strata` binary, is crates/strata-cli/tests/it/example_dreichor.rs.)
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use strata::config::{DbUrl, Libpq, quote_ident};
use strata::connect::Endpoint;
use strata::history::TableName;
use strata::migrator::Migrator;
use strata::source::Migrations;
use strata_testkit::server;
use tokio_postgres::SimpleQueryMessage;

fn start(url: &str, env: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dreichor-runtime"));
    cmd.env("DATABASE_URL", url)
        .env_remove("PGHOST")
        .env_remove("PGDATABASE")
        .env_remove("PGSERVICE");
    match env {
        Some(e) => cmd.env("DREICHOR_ENV", e),
        None => cmd.env_remove("DREICHOR_ENV"),
    };
    cmd.output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The test server's URL for `database`, with host `localhost` (the rule).
fn localhost_url(database: &str) -> String {
    server().url(database).replace("127.0.0.1", "localhost")
}

/// One text value of the first row of `sql` on `url`.
fn scalar(url: &str, sql: &str) -> Option<String> {
    rt().block_on(async {
        let endpoint =
            Endpoint::for_url(&DbUrl::parse(url).unwrap(), &Libpq::from_process_env()).unwrap();
        let client = endpoint.connect(Duration::ZERO).await.unwrap();
        client
            .simple_query(sql)
            .await
            .unwrap()
            .iter()
            .find_map(|m| match m {
                SimpleQueryMessage::Row(r) => r.get(0).map(str::to_owned),
                _ => None,
            })
    })
}

/// `database` dropped and created empty on the test server.
fn fresh(database: &str) -> String {
    let q = quote_ident(database);
    scalar(
        server().base_url(),
        &format!("DROP DATABASE IF EXISTS {q} WITH (FORCE)"),
    );
    scalar(server().base_url(), &format!("CREATE DATABASE {q}"));
    localhost_url(database)
}

/// The operator's one-shot run, with the same files and history table as
/// `strata migrate` with this example's strata.toml.
fn operator_migrates(url: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("infra/db/migrations");
    let migrations = Migrations::from_dir(&dir).unwrap();
    rt().block_on(async {
        let endpoint =
            Endpoint::for_url(&DbUrl::parse(url).unwrap(), &Libpq::from_process_env()).unwrap();
        let client = endpoint.connect(Duration::ZERO).await.unwrap();
        let report = Migrator::new(
            &migrations,
            TableName::parse("public.dreichor_schema_migrations").unwrap(),
        )
        .run(&client, &mut |_| {})
        .await
        .unwrap();
        assert_eq!(report.executed.len(), 3);
    });
}

#[test]
fn refuses_to_start_until_migrated_and_after_an_edit() {
    let url = fresh("dreichor_dev");

    let out = start(&url, None);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    for f in [
        "001_init.sql",
        "002_add_shadow_ledger.sql",
        "003_add_decision_memory.sql",
    ] {
        assert!(err.contains(&format!("{f}: not applied")), "{err}");
    }
    assert!(
        err.contains("3 problem(s)") && err.contains("strata migrate"),
        "{err}"
    );
    // The runtime must not create or alter schemas: not even the history table.
    let t = scalar(
        &url,
        "SELECT to_regclass('public.dreichor_schema_migrations') IS NULL",
    );
    assert_eq!(t.as_deref(), Some("t"));

    operator_migrates(&url);
    let out = start(&url, Some("dev"));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(
        "schema compatible (3 migrations verified in public.dreichor_schema_migrations)"
    ));

    // An index created by hand: the live schema is no longer schema.sql's.
    scalar(
        &url,
        "CREATE INDEX decisions_instrument_idx ON decisions (instrument)",
    );
    let out = start(&url, None);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("(1 difference(s) from the dump of database dreichor):\n  + index decisions_instrument_idx\n"),
        "{err}"
    );
    scalar(&url, "DROP INDEX decisions_instrument_idx");
    assert_eq!(start(&url, None).status.code(), Some(0));

    // Someone edited an applied file (simulated on the history side): refused.
    scalar(
        &url,
        "UPDATE dreichor_schema_migrations SET checksum = repeat('0', 64) WHERE version = '2'",
    );
    let out = start(&url, None);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("002_add_shadow_ledger.sql: checksum differs"),
        "{err}"
    );
}

#[test]
fn a_url_that_breaks_the_rules_is_refused_before_connecting() {
    let port = server().port();
    for (url, env, why) in [
        (
            format!("postgresql://u@localhost:{port}/dreichor_dev"),
            None,
            "must start with postgres://",
        ),
        (
            format!("postgres://u@db.example.com:{port}/dreichor_dev"),
            None,
            "allowed_hosts: host `db.example.com` is not in allowed_hosts [localhost]",
        ),
        (
            format!("postgres://u@127.0.0.1:{port}/dreichor_dev"),
            None,
            "allowed_hosts",
        ),
        (
            format!("postgres://u@localhost:{port}/dreichor_prod"),
            None,
            "database `dreichor_prod` does not match `dreichor_dev`",
        ),
        (
            format!("postgres://u@localhost:{port}/dreichor_dev"),
            Some("prod"),
            "database `dreichor_dev` does not match `dreichor_prod`",
        ),
        (
            format!("postgres://u@localhost:{port}/dreichor_dev"),
            Some("staging"),
            "DREICHOR_ENV=staging is not an environment",
        ),
    ] {
        let out = start(&url, env);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{url}: {err}");
        assert!(err.contains(why), "{url}: {err}");
        assert!(err.contains("invalid configuration"), "{url}: {err}");
    }
}
