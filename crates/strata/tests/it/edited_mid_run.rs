//! A file edited while `migrate` runs (SPEC §2.1 "each file is read once per
//! command"): the run waits on an advisory lock the test holds, the test
//! rewrites files meanwhile, then lets it go. What ran is what is recorded:
//! a transactional migration whose bytes changed under it is rolled back
//! and refused; a no-transaction one, read whole before its first
//! statement, runs the text it was scanned with and records that checksum;
//! a later file is read when its turn comes, and refused if it changed.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::time::Duration;

use strata::error::Error;
use strata::history::TableName;
use strata::migration::Checksum;
use strata::migrator::{Migrator, Report};
use strata::source::Migrations;
use strata_testkit::{TestDb, fresh_db};
use tokio_postgres::Client;

use crate::copy_from_stdin::folder;

async fn migrate(db: &TestDb, migrations: &Migrations) -> Result<Report, Error> {
    Migrator::new(migrations, TableName::default())
        .run(&db.client().await, &mut |_| {})
        .await
}

/// Waits (bounded) until a session waits for advisory lock `key`.
async fn until_waiting(holder: &Client, key: i64) {
    for _ in 0..1200 {
        let waiting: i64 = holder
            .query_one(
                "SELECT count(*) FROM pg_locks \
                 WHERE locktype = 'advisory' AND objid = $1::bigint::oid AND NOT granted",
                &[&key],
            )
            .await
            .unwrap()
            .get(0);
        if waiting > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("migrate never waited for advisory lock {key}");
}

/// Holds advisory lock `key` until `edit` has run while `migrate` waits for
/// it; returns what the run gave.
async fn run_while_editing(
    db: &TestDb,
    migrations: &Migrations,
    key: i64,
    edit: impl FnOnce(),
) -> Result<Report, Error> {
    let holder = db.client().await;
    holder
        .execute("SELECT pg_advisory_lock($1)", &[&key])
        .await
        .unwrap();
    let driver = async {
        until_waiting(&holder, key).await;
        edit();
        holder
            .execute("SELECT pg_advisory_unlock($1)", &[&key])
            .await
            .unwrap();
    };
    let (result, ()) = tokio::join!(migrate(db, migrations), driver);
    result
}

async fn exists(db: &TestDb, relation: &str) -> bool {
    db.client()
        .await
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&relation])
        .await
        .unwrap()
        .get(0)
}

/// (version, success, checksum) of every history row.
async fn history(db: &TestDb) -> Vec<(String, bool, String)> {
    if !exists(db, "strata_schema_history").await {
        return Vec::new();
    }
    db.query_strings(
        "SELECT version, success::text, checksum FROM strata_schema_history ORDER BY installed_rank",
    )
    .await
    .into_iter()
    .map(|r| {
        (
            r[0].clone().unwrap(),
            r[1].as_deref() == Some("true"),
            r[2].clone().unwrap(),
        )
    })
    .collect()
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// A transactional migration is streamed; its COPY waits for the lock, and
/// its data rows (far past the read buffer) are rewritten meanwhile. The
/// bytes sent are not the bytes scanned: rolled back, nothing recorded.
#[tokio::test]
async fn a_transactional_file_rewritten_while_it_runs_is_rolled_back() {
    let db = fresh_db("edited_mid_run_tx").await;
    let with_rows = |row: &str| {
        format!(
            "CREATE TABLE t (a text);\nSELECT pg_advisory_xact_lock(4242);\nCOPY t (a) FROM stdin;\n{}\\.\n",
            format!("{row}\n").repeat(100_000)
        )
    };
    let d = folder(&[("V1__t.sql", &with_rows("old"))]);
    let migrations = Migrations::from_dir(d.path()).unwrap();
    let result = run_while_editing(&db, &migrations, 4242, || {
        write(d.path(), "V1__t.sql", &with_rows("new"));
    })
    .await;
    let err = result.unwrap_err();
    assert!(
        matches!(err.without_report(), Error::ChangedWhileRunning { applied: false, script } if script == "V1__t.sql"),
        "{err:?}"
    );
    assert!(!exists(&db, "t").await, "nothing of it applied");
    assert_eq!(history(&db).await, [], "no row with either checksum");
}

/// A no-transaction migration is read whole before its first statement:
/// rewritten while it waits, it still runs the text it was scanned with,
/// and records that text's checksum. The next file is read when its turn
/// comes: rewritten meanwhile, it is refused before anything of it runs.
#[tokio::test]
async fn a_no_transaction_file_runs_and_records_the_text_it_was_read_with() {
    let db = fresh_db("edited_mid_run_notx").await;
    let v1 = "-- strata:no-transaction\nSELECT pg_advisory_lock(4243);\nCREATE TABLE one (id int);\nSELECT pg_advisory_unlock(4243);\n";
    let d = folder(&[
        ("V1__one.sql", v1),
        ("V2__two.sql", "CREATE TABLE two (id int);\n"),
    ]);
    let migrations = Migrations::from_dir(d.path()).unwrap();
    let result = run_while_editing(&db, &migrations, 4243, || {
        write(d.path(), "V1__one.sql", &v1.replace("one", "uno"));
        write(d.path(), "V2__two.sql", "CREATE TABLE dos (id int);\n");
    })
    .await;
    let err = result.unwrap_err();
    assert!(
        matches!(err.without_report(), Error::ChangedWhileRunning { applied: false, script } if script == "V2__two.sql"),
        "{err:?}"
    );
    assert!(exists(&db, "one").await && !exists(&db, "uno").await);
    assert!(!exists(&db, "two").await && !exists(&db, "dos").await);
    assert_eq!(
        history(&db).await,
        [(
            "1".to_owned(),
            true,
            Checksum::of(v1.as_bytes()).to_hex().to_string()
        )]
    );
}
