//! `COPY … FROM STDIN` with inline data (SPEC §2.2), through the COPY
//! protocol: in a transactional migration, a no-transaction one,
//! `--single-transaction` and a down part; a bad data row fails the
//! migration naming its file line; data without its `\.` is refused at load.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use strata::error::Error;
use strata::history::TableName;
use strata::migration::FileProblem;
use strata::migrator::{MigrateOptions, Migrator, Report};
use strata::rollback::{Rollback, RollbackOptions, RollbackTarget};
use strata::source::Migrations;
use strata::sql::ScriptProblem;
use strata_testkit::{TestDb, fresh_db};

/// A folder holding `files` (name, text).
pub(crate) fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

async fn migrate(db: &TestDb, dir: &Path, single: bool) -> Result<Report, Error> {
    let migrations = Migrations::from_dir(dir)?;
    Migrator::new(&migrations, TableName::default())
        .with_options(MigrateOptions {
            single_transaction: single,
            ..MigrateOptions::default()
        })
        .run(&db.client().await, &mut |_| {})
        .await
}

/// (version, success) of every history row, in order.
async fn history(db: &TestDb) -> Vec<(String, bool)> {
    db.query_strings(
        "SELECT version, success::text FROM strata_schema_history ORDER BY installed_rank",
    )
    .await
    .into_iter()
    .map(|r| (r[0].clone().unwrap(), r[1].as_deref() == Some("true")))
    .collect()
}

const PEOPLE: &str = "CREATE TABLE people (id int PRIMARY KEY, name text, note text);\n\
    COPY public.people (id, name, note) FROM stdin;\n\
    1\tO'Brien\tsemi; colon\n\
    2\tZoë\t\\N\n\
    3\t$$ not a quote\t/* nor a comment\n\
    \\.\n\
    CREATE INDEX people_name ON people (name);\n";

async fn people(db: &TestDb) -> Vec<Vec<Option<String>>> {
    db.query_strings("SELECT id::text, name, note FROM people ORDER BY id")
        .await
}

fn expected_people() -> Vec<Vec<Option<String>>> {
    let s = |v: &str| Some(v.to_owned());
    vec![
        vec![s("1"), s("O'Brien"), s("semi; colon")],
        vec![s("2"), s("Zoë"), None],
        vec![s("3"), s("$$ not a quote"), s("/* nor a comment")],
    ]
}

#[tokio::test]
async fn copy_data_loads_in_a_transactional_migration_and_in_a_single_transaction() {
    for single in [false, true] {
        let db = fresh_db(&format!("copy_tx_{single}")).await;
        let dir = folder(&[
            ("V1__people.sql", PEOPLE),
            (
                "V2__more.sql",
                "COPY people (id, name) FROM STDIN;\n4\tfour\n\\.\nUPDATE people SET note = 'x' WHERE id = 4;\n",
            ),
        ]);
        let report = migrate(&db, dir.path(), single).await.unwrap();
        assert_eq!(report.executed.len(), 2);
        assert_eq!(report.executed[0].statements, 3);
        let mut want = expected_people();
        want.push(vec![
            Some("4".into()),
            Some("four".into()),
            Some("x".into()),
        ]);
        assert_eq!(people(&db).await, want, "single = {single}");
        assert_eq!(history(&db).await, [("1".into(), true), ("2".into(), true)]);
    }
}

#[tokio::test]
async fn a_bad_data_row_fails_the_migration_at_its_file_line() {
    for single in [false, true] {
        let db = fresh_db(&format!("copy_bad_{single}")).await;
        let dir = folder(&[
            ("V1__ok.sql", "CREATE TABLE ok (id int);\n"),
            (
                "V2__bad.sql",
                "CREATE TABLE n (id int);\n\n-- the numbers\nCOPY n (id)\n  FROM stdin;\n1\n2\nthree\n4\n\\.\nSELECT 1;\n",
            ),
        ]);
        let err = migrate(&db, dir.path(), single).await.unwrap_err();
        let sql = err.as_sql().unwrap_or_else(|| panic!("{err:?}"));
        assert_eq!(sql.script, "V2__bad.sql");
        assert_eq!(sql.code.as_str(), "22P02", "{err}");
        // Rows start on line 6: `three` is on line 8 (COPY n, line 3).
        assert_eq!(sql.line, Some(8), "{err}");
        assert!(err.to_string().contains("V2__bad.sql:8"), "{err}");
        // Rolled back: no table, no row.
        let n = db
            .query_strings("SELECT to_regclass('public.n')::text")
            .await;
        assert_eq!(n[0][0], None);
        let want: Vec<(String, bool)> = if single {
            vec![]
        } else {
            vec![("1".into(), true)]
        };
        assert_eq!(history(&db).await, want, "single = {single}");
    }
}

#[tokio::test]
async fn copy_runs_in_a_no_transaction_migration_and_a_bad_row_records_it_failed() {
    let db = fresh_db("copy_notx").await;
    let dir = folder(&[(
        "V1__people.sql",
        &format!("-- strata:no-transaction\n{PEOPLE}"),
    )]);
    let report = migrate(&db, dir.path(), false).await.unwrap();
    assert!(report.executed[0].no_transaction);
    assert_eq!(people(&db).await, expected_people());

    let db = fresh_db("copy_notx_bad").await;
    let dir = folder(&[(
        "V1__bad.sql",
        "-- strata:no-transaction\nCREATE TABLE n (id int);\nCOPY n FROM stdin;\n1\nx\n\\.\nSELECT 1;\n",
    )]);
    let err = migrate(&db, dir.path(), false).await.unwrap_err();
    let sql = err.as_sql().unwrap_or_else(|| panic!("{err:?}"));
    assert_eq!((sql.line, sql.statements_succeeded), (Some(5), Some(1)));
    assert_eq!(history(&db).await, [("1".into(), false)]);
    // The statement before the COPY ran (no transaction); the COPY did not.
    assert_eq!(
        db.query_strings("SELECT count(*)::text FROM n").await[0][0].as_deref(),
        Some("0")
    );
    // The session is usable afterwards: a COPY aborted mid-way left COPY mode.
    assert_eq!(
        db.query_strings("SELECT 1::text").await[0][0].as_deref(),
        Some("1")
    );
}

#[tokio::test]
async fn a_down_part_may_copy_data_back() {
    let db = fresh_db("copy_down").await;
    let dir = folder(&[(
        "V1__move.sql",
        "-- migrate:up\nCREATE TABLE t (id int);\nCOPY t FROM stdin;\n1\n2\n\\.\n\
         -- migrate:down\nDELETE FROM t;\nCOPY t FROM stdin;\n7\n\\.\n",
    )]);
    migrate(&db, dir.path(), false).await.unwrap();
    let migrations = Migrations::from_dir(dir.path()).unwrap();
    Rollback::new(&migrations, TableName::default())
        .with_options(RollbackOptions {
            target: RollbackTarget::To("0".parse().unwrap()),
            ..Default::default()
        })
        .run(&db.client().await, &mut |_| {})
        .await
        .unwrap();
    let rows = db.query_strings("SELECT id::text FROM t").await;
    assert_eq!(rows, [[Some("7".to_owned())]]);
}

#[test]
fn copy_data_without_its_end_is_refused_at_load_naming_the_copy() {
    let dir = folder(&[
        ("V1__ok.sql", "CREATE TABLE t (id int);\n"),
        (
            "V2__cut.sql",
            "SELECT 1;\n\nCOPY t (id) FROM stdin;\n1\n2\n",
        ),
    ]);
    let err = Migrations::from_dir(dir.path()).unwrap_err();
    let found = match &err {
        Error::InvalidMigrations(all) => all.iter().collect::<Vec<_>>(),
        one => vec![one],
    };
    assert!(
        matches!(
            found.as_slice(),
            [Error::FileRule {
                line: 3,
                problem: FileProblem::Script(ScriptProblem::UnterminatedCopy),
                ..
            }]
        ),
        "{found:?}"
    );
    assert!(err.to_string().contains("V2__cut.sql:3"), "{err}");
}
