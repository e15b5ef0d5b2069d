//! Guards speed without timing: counts the statements strata sends, from the
//! server's own `pg_stat_statements`, so a change that adds a statement per
//! migration or per run fails here.
//!
//! Budget (issue "Performance"): per migration one commit and one round
//! trip; besides BEGIN/COMMIT and its own statements, the history INSERT and
//! the session reset (SPEC §4.2 step 4: `RESET ROLE; RESET SESSION
//! AUTHORIZATION; RESET ALL` and one `set_config` of strata's settings, in
//! one simple-query message), all pipelined in the same flush as
//! the script — 5 statements more than the script, counted exactly. Per run
//! a fixed overhead of at most 5 statements. A request awaited on its own
//! (an extra round trip) is an extra statement here, so it fails.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use strata::history::TableName;
use strata::migrator::{MigrateOptions, Migrator};
use strata::source::Migrations;
use strata_testkit::{ExtraCluster, StartOptions, TestDb, start_extra_cluster_with};

fn cluster() -> ExtraCluster {
    let opts = StartOptions {
        settings: vec![
            (
                "shared_preload_libraries".into(),
                "pg_stat_statements".into(),
            ),
            ("pg_stat_statements.track".into(), "top".into()),
            ("pg_stat_statements.track_utility".into(), "on".into()),
        ],
        ..StartOptions::for_tests()
    };
    start_extra_cluster_with(&opts)
}

/// Calls per normalized statement text, for this database only.
async fn counts(db: &TestDb) -> BTreeMap<String, i64> {
    let rows = db
        .query_strings(
            "SELECT query, sum(calls)::text FROM pg_stat_statements \
             WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) \
               AND query !~* 'pg_stat_statements' GROUP BY query",
        )
        .await;
    rows.into_iter()
        .map(|r| {
            (
                r[0].clone().unwrap_or_default(),
                r[1].as_deref().unwrap_or("0").parse().unwrap(),
            )
        })
        .collect()
}

async fn reset(db: &TestDb) {
    db.query_strings("SELECT pg_stat_statements_reset()").await;
}

fn total(c: &BTreeMap<String, i64>) -> i64 {
    c.values().sum()
}

fn calls_like(c: &BTreeMap<String, i64>, prefix: &str) -> i64 {
    c.iter()
        .filter(|(q, _)| q.trim_start().to_uppercase().starts_with(prefix))
        .map(|(_, n)| n)
        .sum()
}

async fn run(db: &TestDb, dir: &std::path::Path) -> strata::migrator::Report {
    let migrations = Migrations::from_dir(dir).unwrap();
    let client = db.client().await;
    Migrator::new(&migrations, TableName::default())
        .with_options(MigrateOptions::default())
        .run(&client, &mut |_| {})
        .await
        .unwrap()
}

/// The session reset ran once per migration: each RESET, and the
/// set_config laying strata's timeouts over the defaults again.
fn assert_reset_per_migration(c: &BTreeMap<String, i64>, n: i64) {
    for reset in ["RESET ROLE", "RESET SESSION AUTHORIZATION", "RESET ALL"] {
        assert_eq!(calls_like(c, reset), n, "{reset}: {c:#?}");
    }
    let set_config: i64 = c
        .iter()
        .filter(|(q, _)| q.starts_with("SELECT pg_catalog.set_config("))
        .map(|(_, n)| n)
        .sum();
    // (The run's first set_config travels in the statement that checks the
    // database is writable, counted in the fixed overhead.)
    assert_eq!(set_config, n, "{c:#?}");
}

#[tokio::test]
async fn statements_per_migration_and_per_run_stay_within_budget() {
    let cluster = cluster();
    let db = cluster.fresh_db("statement_budget").await;
    db.query_strings("CREATE EXTENSION pg_stat_statements")
        .await;

    const N: i64 = 10;
    let dir = tempfile::tempdir().unwrap();
    for i in 1..=N {
        // The benchmark's shape: two statements per migration.
        let body = if i == 1 {
            "CREATE TABLE t1 (id int);\nCREATE INDEX t1_id ON t1 (id);\n".to_owned()
        } else {
            format!(
                "ALTER TABLE t1 ADD COLUMN c{i} int DEFAULT 0;\nCREATE INDEX t1_c{i} ON t1 (c{i});\n"
            )
        };
        std::fs::write(dir.path().join(format!("V{i:03}__m{i}.sql")), body).unwrap();
    }

    reset(&db).await;
    let report = run(&db, dir.path()).await;
    assert_eq!(report.executed.len() as i64, N);
    let c = counts(&db).await;
    // Per migration: BEGIN, 2 statements, the reset (3 RESETs and one
    // set_config), the history INSERT, COMMIT.
    assert_eq!(calls_like(&c, "BEGIN"), N, "{c:#?}");
    assert_reset_per_migration(&c, N);
    assert_eq!(
        calls_like(&c, "COMMIT"),
        N,
        "one commit per migration: {c:#?}"
    );
    let history_inserts: i64 = c
        .iter()
        .filter(|(q, _)| q.contains("INSERT INTO"))
        .map(|(_, n)| n)
        .sum();
    assert_eq!(history_inserts, N, "{c:#?}");
    let per_migration = 2 + 3 + 4;
    let fixed = total(&c) - N * per_migration;
    // The first statement (the check that the database is writable, the
    // backend pid that tells a pooler, the timeouts' set_config and the
    // first pg_try_advisory_lock, in one), the history read, the check that
    // the database holds no tables strata never recorded and CREATE TABLE
    // (both first run only: no history table yet), unlock: 5 sent. The first
    // read fails (no table yet) and pg_stat_statements counts only completed
    // statements: 4 seen.
    assert_eq!(fixed, 4, "fixed overhead per run: {c:#?}");

    // A run with nothing to do: the first statement (with the lock), read, unlock.
    reset(&db).await;
    assert!(run(&db, dir.path()).await.executed.is_empty());
    let c = counts(&db).await;
    assert_eq!(total(&c), 3, "no-op run: {c:#?}");
}

#[tokio::test]
async fn a_no_transaction_migration_sends_its_statements_and_one_insert() {
    let cluster = cluster();
    let db = cluster.fresh_db("statement_budget_no_tx").await;
    db.query_strings("CREATE EXTENSION pg_stat_statements")
        .await;
    let dir = tempfile::tempdir().unwrap();
    // The table comes from a first migration: a database that holds tables
    // but no history is refused (SPEC §4.1), and a first run counts more.
    std::fs::write(
        dir.path().join("V0__t.sql"),
        "CREATE TABLE t (a int, b int);\n",
    )
    .unwrap();
    run(&db, dir.path()).await;
    std::fs::write(
        dir.path().join("V1__idx.sql"),
        "-- strata:no-transaction\nCREATE INDEX CONCURRENTLY t_a ON t (a);\nCREATE INDEX CONCURRENTLY t_b ON t (b);\n",
    )
    .unwrap();
    reset(&db).await;
    run(&db, dir.path()).await;
    let c = counts(&db).await;
    assert_eq!(calls_like(&c, "CREATE INDEX"), 2, "{c:#?}");
    // The in-flight row (SPEC §3), each in a short transaction of its own
    // (BEGIN READ WRITE, two SET LOCAL, the write, COMMIT): committed before
    // the first statement, its progress updated after each statement but
    // the last, and replaced by the success row (DELETE + INSERT).
    assert_eq!(calls_like(&c, "BEGIN READ WRITE"), 3, "{c:#?}");
    assert_eq!(calls_like(&c, "COMMIT"), 3, "{c:#?}");
    assert_eq!(calls_like(&c, "SET LOCAL"), 2 * 3, "{c:#?}");
    assert_eq!(calls_like(&c, "UPDATE"), 1, "{c:#?}");
    assert_eq!(calls_like(&c, "WITH S AS"), 2, "{c:#?}");
    // After each statement, whether a transaction block is open.
    assert_eq!(
        calls_like(&c, "SELECT PG_CATALOG.STATEMENT_TIMESTAMP()"),
        2,
        "{c:#?}"
    );
    // The session reset after the last statement (SPEC §4.2 step 4): the
    // three RESETs in one message, and strata's timeouts set again.
    for reset in ["RESET ROLE", "RESET SESSION AUTHORIZATION", "RESET ALL"] {
        assert_eq!(calls_like(&c, reset), 1, "{reset}: {c:#?}");
    }
    // 2 statements; the in-flight row: 6 (its rank read back), the
    // client_connection_check_interval set_config, 2 probes, one update (5),
    // the reset (4), the success row (6); and the fixed overhead as counted
    // above (3).
    assert_eq!(total(&c), 2 + 6 + 1 + 2 + 5 + 4 + 6 + 3, "{c:#?}");
}
