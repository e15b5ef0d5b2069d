//! A run that fails after it changed the database carries the report of
//! what it did: `Error::report` for migrate, `Error::rollback_report` for
//! rollback; a run that changed nothing returns the plain error.
#![allow(clippy::unwrap_used)]

use std::error::Error as _;

use strata::error::{Conflict, Error};
use strata::history::TableName;
use strata::migrator::{MigrateOptions, Migrator};
use strata::plan::State;
use strata::rollback::{Rollback, RollbackOptions, RollbackTarget};
use strata::source::Migrations;
use strata_testkit::{TestDb, fresh_db};

fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for (name, body) in files {
        std::fs::write(d.path().join(name), body).unwrap();
    }
    d
}

async fn migrate(
    db: &TestDb,
    dir: &std::path::Path,
    opts: MigrateOptions,
) -> Result<strata::Report, Error> {
    let migrations = Migrations::from_dir(dir).unwrap();
    Migrator::new(&migrations, TableName::default())
        .with_options(opts)
        .run(&db.client().await, &mut |_| {})
        .await
}

fn states(report: &strata::Report) -> Vec<(&str, State)> {
    report
        .plan
        .entries
        .iter()
        .map(|e| (e.script.as_str(), e.state))
        .collect()
}

#[tokio::test]
async fn a_failed_migrate_reports_what_ran_before_the_failure() {
    let db = fresh_db("partial_migrate").await;
    let d = folder(&[
        ("V1__a.sql", "CREATE TABLE a (id int);"),
        ("V2__b.sql", "CREATE TABLE b (id int);"),
        ("V3__bad.sql", "SELECT * FROM no_such_table;"),
    ]);
    let err = migrate(&db, d.path(), MigrateOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Partial(_)), "{err:?}");
    let report = err.report().expect("a partial report");
    let ran: Vec<&str> = report.executed.iter().map(|e| e.script.as_str()).collect();
    assert_eq!(ran, ["V1__a.sql", "V2__b.sql"]);
    assert_eq!(
        states(report),
        [
            ("V1__a.sql", State::Applied),
            ("V2__b.sql", State::Applied),
            ("V3__bad.sql", State::Pending)
        ]
    );
    // It prints as the error it carries, and the predicates look through it.
    let sql = err.as_sql().unwrap();
    assert_eq!(sql.code, "42P01");
    assert!(
        err.sqlstate()
            .is_some_and(|c| c == strata::error::SqlState::UNDEFINED_TABLE)
    );
    let Error::Partial(p) = &err else {
        unreachable!()
    };
    assert_eq!(err.to_string(), p.error().to_string());
    assert!(err.source().is_none() && !err.is_config() && !err.is_check_failure());
    assert!(err.rollback_report().is_none());
}

#[tokio::test]
async fn a_failed_no_transaction_migration_is_reported_failed() {
    let db = fresh_db("partial_no_tx").await;
    let d = folder(&[(
        "V1__a.sql",
        "-- strata:no-transaction\nCREATE TABLE a (id int);\nSELECT nope FROM a;\n",
    )]);
    let err = migrate(&db, d.path(), MigrateOptions::default())
        .await
        .unwrap_err();
    let report = err.report().expect("the failed row changed the history");
    assert!(report.executed.is_empty());
    assert_eq!(states(report), [("V1__a.sql", State::Failed)]);
    assert_eq!(err.as_sql().unwrap().statements_succeeded, Some(1));
}

#[tokio::test]
async fn a_run_that_changed_nothing_returns_the_plain_error() {
    let db = fresh_db("partial_nothing").await;
    let d = folder(&[
        ("V1__bad.sql", "SELECT 1/0;"),
        ("V2__index.sql", "-- strata:no-transaction\nSELECT 1;"),
    ]);
    let err = migrate(&db, d.path(), MigrateOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Sql(_)), "{err:?}");
    assert!(err.report().is_none());

    let single = MigrateOptions {
        single_transaction: true,
        ..Default::default()
    };
    let err = migrate(&db, d.path(), single).await.unwrap_err();
    assert!(
        matches!(&err, Error::Conflict { script, conflict: Conflict::NoTransactionInSingleTransaction } if script == "V2__index.sql"),
        "{err:?}"
    );
    assert!(err.is_config() && err.report().is_none());
}

#[tokio::test]
async fn a_failed_rollback_reports_what_was_rolled_back() {
    let db = fresh_db("partial_rollback").await;
    let d = folder(&[
        (
            "V1__a.sql",
            "CREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n",
        ),
        (
            "V2__b.sql",
            "CREATE TABLE b (id int);\n-- migrate:down\nSELECT nope;\n",
        ),
        (
            "V3__c.sql",
            "CREATE TABLE c (id int);\n-- migrate:down\nDROP TABLE c;\n",
        ),
    ]);
    migrate(&db, d.path(), MigrateOptions::default())
        .await
        .unwrap();
    let migrations = Migrations::from_dir(d.path()).unwrap();
    let err = Rollback::new(&migrations, TableName::default())
        .with_options(RollbackOptions {
            target: RollbackTarget::Steps(3),
            ..Default::default()
        })
        .run(&db.client().await, &mut |_| {})
        .await
        .unwrap_err();
    let report = err.rollback_report().expect("V3 was rolled back");
    let done: Vec<&str> = report
        .rolled_back
        .iter()
        .map(|e| e.script.as_str())
        .collect();
    assert_eq!(done, ["V3__c.sql"]);
    assert_eq!(err.as_sql().unwrap().script, "V2__b.sql");
    assert!(err.report().is_none());
}
