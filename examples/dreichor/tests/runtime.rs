//! The Dreichor runtime against a real server: it refuses to start until an
//! operator has migrated, never creates anything itself, and refuses again
//! when the history no longer matches the files it was built with.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

use strata::history::TableName;
use strata::migrator::Migrator;
use strata::source::Migrations;
use strata_testkit::TestDb;

fn start(db: &TestDb, url: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dreichor-runtime"))
        .env("DATABASE_URL", url)
        .env("DREICHOR_DATABASE", db.name())
        .env_remove("DREICHOR_ENV")
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The operator's one-shot run, with the same files and history table as
/// `strata migrate` with this example's strata.toml.
fn operator_migrates(db: &TestDb) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("infra/db/migrations");
    let migrations = Migrations::from_dir(&dir).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let report = Migrator::new(
            &migrations,
            TableName::parse("public.dreichor_schema_migrations").unwrap(),
        )
        .run(&db.client().await, &mut |_| {})
        .await
        .unwrap();
        assert_eq!(report.executed.len(), 3);
    });
}

#[test]
fn refuses_to_start_until_migrated_and_after_an_edit() {
    let db = TestDb::new_blocking("dreichor_runtime");
    let url = db.url();

    let out = start(&db, &url);
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
    let t = db
        .query_strings_blocking("SELECT to_regclass('public.dreichor_schema_migrations') IS NULL");
    assert_eq!(t[0][0].as_deref(), Some("t"));

    operator_migrates(&db);
    let out = start(&db, &url);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(
        "schema compatible (3 migrations verified in public.dreichor_schema_migrations)"
    ));

    // Someone edited an applied file (simulated on the history side): refused.
    db.query_strings_blocking(
        "UPDATE dreichor_schema_migrations SET checksum = repeat('0', 64) WHERE version = '2'",
    );
    let out = start(&db, &url);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("002_add_shadow_ledger.sql: checksum differs"),
        "{err}"
    );
}

#[test]
fn a_url_that_breaks_the_rules_is_refused_before_connecting() {
    let db = TestDb::new_blocking("dreichor_bad_url");
    for (url, why) in [
        (
            "postgresql://u@localhost:5432/x".to_owned(),
            "must start with postgres://",
        ),
        (
            format!("postgres://u@db.example.com:5432/{}", db.name()),
            "must point to localhost",
        ),
        (
            "postgres://u@localhost:5432/dreichor_prod".to_owned(),
            "this environment's is",
        ),
    ] {
        let out = start(&db, &url);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{url}: {err}");
        assert!(err.contains(why), "{url}: {err}");
    }
}
