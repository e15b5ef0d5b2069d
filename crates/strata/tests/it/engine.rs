//! The migration engine on a real PostgreSQL server: every state and refusal,
//! rollback of failed migrations, no-transaction runs, the lock, encodings.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::time::Duration;

use strata::error::Error;
use strata::history::TableName;
use strata::migration::Checksum;
use strata::migrator::{MigrateOptions, Migrator, Report};
use strata::plan::{PlanOptions, State};
use strata::source::Migrations;
use strata_testkit::{TestDb, fresh_db};

fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for (name, body) in files {
        std::fs::write(d.path().join(name), body).unwrap();
    }
    d
}

fn write(dir: &Path, name: &str, body: &str) {
    std::fs::write(dir.join(name), body).unwrap();
}

async fn migrate_with(db: &TestDb, dir: &Path, opts: MigrateOptions) -> Result<Report, Error> {
    let migrations = Migrations::from_dir(dir)?;
    let client = db.client().await;
    Migrator::new(&migrations, TableName::default())
        .with_options(opts)
        .run(&client, &mut |_| {})
        .await
}

async fn migrate(db: &TestDb, dir: &Path) -> Result<Report, Error> {
    migrate_with(db, dir, MigrateOptions::default()).await
}

async fn history(db: &TestDb) -> Vec<Vec<Option<String>>> {
    db.query_strings(
        "SELECT installed_rank::text, version, kind, script, success::text FROM public.strata_schema_history ORDER BY installed_rank",
    )
    .await
}

async fn exists(db: &TestDb, table: &str) -> bool {
    db.query_strings(&format!("SELECT to_regclass('{table}') IS NOT NULL"))
        .await[0][0]
        .as_deref()
        == Some("t")
}

fn s(v: &str) -> Option<String> {
    Some(v.to_owned())
}

#[tokio::test]
async fn applies_in_version_order_once_and_records_history() {
    let db = fresh_db("applies_in_order").await;
    let d = folder(&[
        (
            "V10__add_col.sql",
            "ALTER TABLE a ADD COLUMN c int DEFAULT 0;",
        ),
        ("V2__seed.sql", "INSERT INTO a (id) VALUES (1);"),
        ("V1__create.sql", "CREATE TABLE a (id int PRIMARY KEY);"),
        (
            "R__view.sql",
            "CREATE OR REPLACE VIEW va AS SELECT * FROM a;",
        ),
    ]);
    let r = migrate(&db, d.path()).await.unwrap();
    assert!(r.history_created);
    assert_eq!(
        r.executed
            .iter()
            .map(|e| e.script.as_str())
            .collect::<Vec<_>>(),
        [
            "V1__create.sql",
            "V2__seed.sql",
            "V10__add_col.sql",
            "R__view.sql"
        ]
    );
    assert_eq!(
        history(&db).await,
        vec![
            vec![
                s("1"),
                s("1"),
                s("versioned"),
                s("V1__create.sql"),
                s("true")
            ],
            vec![s("2"), s("2"), s("versioned"), s("V2__seed.sql"), s("true")],
            vec![
                s("3"),
                s("10"),
                s("versioned"),
                s("V10__add_col.sql"),
                s("true")
            ],
            vec![s("4"), None, s("repeatable"), s("R__view.sql"), s("true")],
        ]
    );
    let rows = db
        .query_strings(
            "SELECT checksum, applied_by = current_user, execution_ms >= 0, description FROM strata_schema_history WHERE installed_rank = 1",
        )
        .await;
    assert_eq!(
        rows[0][0],
        Some(Checksum::of(b"CREATE TABLE a (id int PRIMARY KEY);").to_string())
    );
    assert_eq!(&rows[0][1..], &[s("t"), s("t"), s("create")]);
    // A second run applies nothing.
    let again = migrate(&db, d.path()).await.unwrap();
    assert!(again.executed.is_empty());
    assert_eq!(history(&db).await.len(), 4);
    // A changed repeatable runs again.
    write(
        d.path(),
        "R__view.sql",
        "CREATE OR REPLACE VIEW va AS SELECT id, c FROM a;",
    );
    let r = migrate(&db, d.path()).await.unwrap();
    assert_eq!(r.executed.len(), 1);
    assert_eq!(history(&db).await.len(), 5);
}

#[tokio::test]
async fn a_failing_migration_is_rolled_back_with_no_history_row() {
    let db = fresh_db("failing_rolled_back").await;
    let d = folder(&[
        ("V1__a.sql", "CREATE TABLE a (id int);"),
        (
            "V2__b.sql",
            "CREATE TABLE b (id int);\n\n-- the mistake:\nSELECT nme FROM b;\n",
        ),
        ("V3__c.sql", "CREATE TABLE c (id int);"),
    ]);
    let err = migrate(&db, d.path()).await.unwrap_err();
    let sql = err.as_sql().expect("an SQL error");
    assert_eq!(sql.script, "V2__b.sql");
    assert_eq!((sql.line, sql.column), (Some(4), Some(8)));
    assert_eq!(sql.code, "42703");
    assert_eq!(sql.line_text.as_deref(), Some("SELECT nme FROM b;"));
    let shown = err.to_string();
    assert!(
        shown.contains("V2__b.sql:4:8")
            && shown.contains("42703")
            && shown.contains("SELECT nme FROM b;"),
        "{shown}"
    );
    assert!(exists(&db, "a").await);
    assert!(!exists(&db, "b").await, "V2 must be rolled back");
    assert!(!exists(&db, "c").await, "the run stops at the failure");
    assert_eq!(history(&db).await.len(), 1);
    // Fixed, the same run continues.
    write(
        d.path(),
        "V2__b.sql",
        "CREATE TABLE b (id int);\nSELECT id FROM b;\n",
    );
    let r = migrate(&db, d.path()).await.unwrap();
    assert_eq!(r.executed.len(), 2);
}

#[tokio::test]
async fn an_error_without_a_position_names_its_statement() {
    let db = fresh_db("error_without_position").await;
    let d = folder(&[(
        "V1__dupes.sql",
        "CREATE TABLE u (id int PRIMARY KEY);\nINSERT INTO u VALUES (1);\n\n  INSERT INTO u VALUES (1);\n",
    )]);
    let err = migrate(&db, d.path()).await.unwrap_err();
    let sql = err.as_sql().unwrap();
    assert_eq!(sql.code, "23505");
    assert_eq!((sql.line, sql.column), (Some(4), Some(3)));
    assert!(
        sql.detail
            .as_deref()
            .unwrap_or("")
            .contains("already exists"),
        "{sql:?}"
    );
    assert!(!exists(&db, "u").await);
}

#[tokio::test]
async fn modified_and_missing_and_failed_refuse_with_the_resolving_command() {
    let db = fresh_db("refusals").await;
    let d = folder(&[
        ("V1__a.sql", "CREATE TABLE a (id int);"),
        ("V2__b.sql", "CREATE TABLE b (id int);"),
    ]);
    migrate(&db, d.path()).await.unwrap();
    write(d.path(), "V3__c.sql", "CREATE TABLE c (id int);");

    // modified
    write(d.path(), "V1__a.sql", "CREATE TABLE a (id bigint);");
    let err = migrate(&db, d.path()).await.unwrap_err();
    let Error::Refused { problems } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(problems[0].state(), State::Modified);
    assert!(
        err.to_string().contains("strata repair --accept-checksums"),
        "{err}"
    );
    assert!(!exists(&db, "c").await, "nothing applied while refused");
    write(d.path(), "V1__a.sql", "CREATE TABLE a (id int);");

    // missing
    std::fs::remove_file(d.path().join("V2__b.sql")).unwrap();
    let err = migrate(&db, d.path()).await.unwrap_err();
    let Error::Refused { problems } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (problems[0].state(), problems[0].script.as_str()),
        (State::Missing, "V2__b.sql")
    );
    assert!(err.to_string().contains("restore"), "{err}");
    assert!(!exists(&db, "c").await);
    write(d.path(), "V2__b.sql", "CREATE TABLE b (id int);");

    migrate(&db, d.path()).await.unwrap();
    assert!(exists(&db, "c").await);
}

#[tokio::test]
async fn out_of_order_is_refused_unless_allowed() {
    let db = fresh_db("out_of_order").await;
    let d = folder(&[
        ("V1__a.sql", "CREATE TABLE a (id int);"),
        ("V3__c.sql", "CREATE TABLE c (id int);"),
    ]);
    migrate(&db, d.path()).await.unwrap();
    write(d.path(), "V2__b.sql", "CREATE TABLE b (id int);");
    let err = migrate(&db, d.path()).await.unwrap_err();
    assert!(
        err.to_string().contains("--allow-out-of-order") && err.to_string().contains("V2__b.sql"),
        "{err}"
    );
    assert!(!exists(&db, "b").await);
    let opts = MigrateOptions {
        plan: PlanOptions {
            allow_out_of_order: true,
            ..Default::default()
        },
        ..Default::default()
    };
    let r = migrate_with(&db, d.path(), opts).await.unwrap();
    assert_eq!(r.executed[0].script, "V2__b.sql");
    assert_eq!(history(&db).await[2][3], s("V2__b.sql"));
}

#[tokio::test]
async fn target_and_dry_run() {
    let db = fresh_db("target_dry_run").await;
    let d = folder(&[
        ("V1__a.sql", "CREATE TABLE a (id int);"),
        ("V2__b.sql", "CREATE TABLE b (id int);"),
        ("V3__c.sql", "CREATE TABLE c (id int);"),
    ]);
    let dry = MigrateOptions {
        dry_run: true,
        ..Default::default()
    };
    let r = migrate_with(&db, d.path(), dry).await.unwrap();
    assert!(r.dry_run && r.executed.is_empty());
    assert_eq!(r.plan.to_apply.len(), 3);
    assert!(
        !exists(&db, "public.strata_schema_history").await,
        "a dry run creates nothing"
    );
    let opts = MigrateOptions {
        plan: PlanOptions {
            target: Some("2".parse().unwrap()),
            ..Default::default()
        },
        ..Default::default()
    };
    let r = migrate_with(&db, d.path(), opts).await.unwrap();
    assert_eq!(r.executed.len(), 2);
    assert_eq!(r.plan.entries[2].state, State::AboveTarget);
    assert!(!exists(&db, "c").await);
}

#[tokio::test]
async fn no_transaction_migration_builds_indexes_concurrently() {
    let db = fresh_db("no_tx_concurrently").await;
    let d = folder(&[
        (
            "V1__t.sql",
            "CREATE TABLE t (a int, b int);\nINSERT INTO t SELECT g, g FROM generate_series(1, 1000) g;",
        ),
        (
            "V2__idx.sql",
            "\u{feff}\n-- strata:no-transaction\nCREATE INDEX CONCURRENTLY t_a ON t (a);\n\nCREATE INDEX CONCURRENTLY t_b\n  ON t (b);\n",
        ),
    ]);
    let r = migrate(&db, d.path()).await.unwrap();
    assert!(r.executed[1].no_transaction);
    assert_eq!(r.executed[1].statements, 2);
    let valid = db
        .query_strings("SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname IN ('t_a', 't_b') AND i.indisvalid")
        .await;
    assert_eq!(valid[0][0], s("2"));
}

#[tokio::test]
async fn a_failed_no_transaction_statement_records_progress_and_blocks() {
    let db = fresh_db("no_tx_failure").await;
    let d = folder(&[(
        "V1__idx.sql",
        "-- strata:no-transaction\nCREATE TABLE t (a int);\nCREATE INDEX CONCURRENTLY t_a ON nope (a);\n",
    )]);
    let err = migrate(&db, d.path()).await.unwrap_err();
    let sql = err.as_sql().unwrap();
    assert_eq!(
        (sql.code.as_str(), sql.line, sql.statements_succeeded),
        ("42P01", Some(3), Some(1))
    );
    assert!(exists(&db, "t").await, "the first statement stays applied");
    let rows = db
        .query_strings("SELECT success::text, progress->>'statements_succeeded', jsonb_array_length(progress->'statement_hashes')::text FROM strata_schema_history")
        .await;
    assert_eq!(rows, vec![vec![s("false"), s("1"), s("1")]]);
    let err = migrate(&db, d.path()).await.unwrap_err();
    let Error::Refused { problems } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(problems[0].state(), State::Failed);
    assert!(err.to_string().contains("strata repair"));
}

#[tokio::test]
async fn transaction_control_in_a_transactional_migration_is_refused() {
    let db = fresh_db("tx_control").await;
    let d = folder(&[(
        "V1__a.sql",
        "CREATE TABLE a (id int);\nCOMMIT;\nCREATE TABLE b (id int);",
    )]);
    let err = migrate(&db, d.path()).await.unwrap_err();
    assert!(
        err.to_string().contains("V1__a.sql:2:1") && err.to_string().contains("no-transaction"),
        "{err}"
    );
    assert!(!exists(&db, "a").await);
    // The history table is created in the first migration's transaction,
    // so a failed first run leaves none behind.
    assert!(!exists(&db, "public.strata_schema_history").await);
}

#[tokio::test]
async fn single_transaction_is_all_or_nothing() {
    let db = fresh_db("single_tx").await;
    let d = folder(&[
        ("V1__a.sql", "CREATE TABLE a (id int);"),
        ("V2__b.sql", "CREATE TABLE b (id int);"),
        ("V3__bad.sql", "CREATE TABLE c (id int);\nSELECT 1/0;"),
    ]);
    let opts = MigrateOptions {
        single_transaction: true,
        ..Default::default()
    };
    let err = migrate_with(&db, d.path(), opts.clone()).await.unwrap_err();
    let sql = err.as_sql().unwrap();
    assert_eq!(sql.code, "22012");
    // Statements are pipelined across files; the error still names its own.
    assert_eq!((sql.script.as_str(), sql.line), ("V3__bad.sql", Some(2)));
    assert!(!exists(&db, "a").await && !exists(&db, "b").await);
    assert!(!exists(&db, "public.strata_schema_history").await || history(&db).await.is_empty());
    // A failure in the middle: the files after it were already sent, and
    // nothing of any of them stays.
    std::fs::write(
        d.path().join("V2__b.sql"),
        "CREATE TABLE b (id int);\nSELECT nope;",
    )
    .unwrap();
    std::fs::write(d.path().join("V3__bad.sql"), "CREATE TABLE c (id int);").unwrap();
    let err = migrate_with(&db, d.path(), opts.clone()).await.unwrap_err();
    let sql = err.as_sql().unwrap();
    assert_eq!(
        (sql.script.as_str(), sql.line, sql.code.as_str()),
        ("V2__b.sql", Some(2), "42703")
    );
    assert!(!exists(&db, "a").await && !exists(&db, "c").await);
    std::fs::write(d.path().join("V2__b.sql"), "CREATE TABLE b (id int);").unwrap();
    let r = migrate_with(&db, d.path(), opts).await.unwrap();
    assert_eq!(r.executed.len(), 3);
    let rows = history(&db).await;
    let scripts: Vec<_> = rows.iter().map(|r| r[3].clone().unwrap()).collect();
    assert_eq!(scripts, ["V1__a.sql", "V2__b.sql", "V3__bad.sql"]);
}

#[tokio::test]
async fn lock_wait_times_out_naming_the_holder() {
    let db = fresh_db("lock_timeout").await;
    let d = folder(&[("V1__a.sql", "CREATE TABLE a (id int);")]);
    let holder = db.client().await;
    let (k1, k2) = strata::lock::lock_key(&TableName::default());
    holder
        .batch_execute("SET application_name = 'other-strata'")
        .await
        .unwrap();
    holder
        .execute("SELECT pg_advisory_lock($1, $2)", &[&k1, &k2])
        .await
        .unwrap();
    let pid: i32 = holder
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    let opts = MigrateOptions {
        session: strata::lock::Session {
            lock_wait: Duration::from_millis(700),
            ..Default::default()
        },
        ..Default::default()
    };
    let migrations = Migrations::from_dir(d.path()).unwrap();
    let client = db.client().await;
    let mut waited_on = Vec::new();
    let err = Migrator::new(&migrations, TableName::default())
        .with_options(opts)
        .run(&client, &mut |e| {
            if let strata::migrator::Event::LockWaiting(h) = e {
                waited_on.push(h.clone());
            }
        })
        .await
        .unwrap_err();
    assert!(err.is_lock_timeout(), "{err:?}");
    assert_eq!(waited_on.len(), 1);
    assert_eq!(
        (waited_on[0].pid, waited_on[0].application_name.as_str()),
        (pid, "other-strata")
    );
    assert!(err.to_string().contains(&format!("pid {pid}")), "{err}");
    assert!(!exists(&db, "a").await);
}

#[tokio::test]
async fn the_lock_is_released_after_a_failed_migration() {
    let db = fresh_db("lock_released").await;
    let d = folder(&[("V1__bad.sql", "SELECT 1/0;")]);
    migrate(&db, d.path()).await.unwrap_err();
    // The failure path releases the lock on the migrating session.
    let key = strata::lock::lock_key(&TableName::default());
    let probe = db.client().await;
    let mut free = false;
    for _ in 0..50 {
        let got: bool = probe
            .query_one("SELECT pg_try_advisory_lock($1, $2)", &[&key.0, &key.1])
            .await
            .unwrap()
            .get(0);
        if got {
            free = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(free, "the migration lock leaked after a failure");
}

#[tokio::test]
async fn a_session_lock_is_released_on_success_and_failure_with_the_connection_still_open() {
    // The CLI's path: one connection, the lock on its own session.
    let db = fresh_db("session_lock").await;
    let d = folder(&[("V1__a.sql", "CREATE TABLE a (id int);")]);
    let key = strata::lock::lock_key(&TableName::default());
    let client = db.client().await;
    let probe = db.client().await;
    let free = || async {
        let got: bool = probe
            .query_one("SELECT pg_try_advisory_lock($1, $2)", &[&key.0, &key.1])
            .await
            .unwrap()
            .get(0);
        if got {
            probe
                .query_one("SELECT pg_advisory_unlock($1, $2)", &[&key.0, &key.1])
                .await
                .unwrap();
        }
        got
    };
    let migrations = Migrations::from_dir(d.path()).unwrap();
    let options = MigrateOptions::default();
    let table = TableName::default();
    let locked = strata::migrator::lock_and_read(&client, &table, &options, &mut |_| {})
        .await
        .unwrap();
    assert!(!free().await, "held while the run goes on");
    let report = Migrator::new(&migrations, table.clone())
        .run_locked(&client, locked, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(report.executed.len(), 1);
    assert!(free().await, "released after success");
    write(d.path(), "V2__bad.sql", "SELECT 1/0;");
    let migrations = Migrations::from_dir(d.path()).unwrap();
    let err = Migrator::new(&migrations, table)
        .run(&client, &mut |_| {})
        .await
        .unwrap_err();
    assert_eq!(err.as_sql().unwrap().code, "22012");
    assert!(
        free().await,
        "released after a failure, connection still open"
    );
}

#[tokio::test]
async fn crlf_and_bom_files_apply_with_the_lf_checksum() {
    let db = fresh_db("crlf_bom").await;
    let lf = "CREATE TABLE a (\n  id int\n);\nINSERT INTO a VALUES (1);\n";
    let crlf_bom = format!("\u{feff}{}", lf.replace('\n', "\r\n"));
    let d = folder(&[("V1__a.sql", &crlf_bom)]);
    migrate(&db, d.path()).await.unwrap();
    let rows = db
        .query_strings("SELECT checksum FROM strata_schema_history")
        .await;
    assert_eq!(rows[0][0], Some(Checksum::of(lf.as_bytes()).to_string()));
    // The same content with LF endings is not "modified".
    write(d.path(), "V1__a.sql", lf);
    assert!(migrate(&db, d.path()).await.unwrap().executed.is_empty());
}

#[tokio::test]
async fn nasty_lexical_cases_run_as_written() {
    let db = fresh_db("nasty_lexical").await;
    let body = r#"CREATE TABLE "semi;colon" ("a""b" text);
INSERT INTO "semi;colon" VALUES (E'it\'s; fine'), ('double '' quote;');
/* outer /* nested; */ still comment; */
CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM 1; -- a ; in a comment
  RETURN 1;
END
$fn$;
CREATE FUNCTION g(x int) RETURNS int LANGUAGE sql
BEGIN ATOMIC
  SELECT CASE WHEN x > 0 THEN x ELSE 0 END;
END;
SELECT f(), g(2)"#;
    let d = folder(&[("V1__nasty.sql", body)]);
    let r = migrate(&db, d.path()).await.unwrap();
    assert_eq!(r.executed[0].statements, 5);
    let rows = db
        .query_strings(r#"SELECT count(*)::text, g(5)::text FROM "semi;colon""#)
        .await;
    assert_eq!(rows, vec![vec![s("2"), s("5")]]);
}

#[tokio::test]
async fn a_custom_history_table_and_schema_are_created() {
    let db = fresh_db("custom_history").await;
    let d = folder(&[("001_init.sql", "CREATE TABLE a (id int);")]);
    let migrations = Migrations::from_dir(d.path()).unwrap();
    let table = TableName::parse("ops.dreichor_schema_migrations").unwrap();
    let client = db.client().await;
    Migrator::new(&migrations, table)
        .run(&client, &mut |_| {})
        .await
        .unwrap();
    let rows = db
        .query_strings("SELECT version, script FROM ops.dreichor_schema_migrations")
        .await;
    assert_eq!(rows, vec![vec![s("1"), s("001_init.sql")]]);
}

#[tokio::test]
async fn a_200k_statement_file_runs_in_one_migration() {
    let db = fresh_db("big_file").await;
    let mut body = String::from("CREATE TABLE big (i int);\n");
    for i in 0..200_000 {
        body.push_str(&format!("INSERT INTO big VALUES ({i});\n"));
    }
    let d = folder(&[("V1__big.sql", &body)]);
    let r = migrate(&db, d.path()).await.unwrap();
    assert_eq!(r.executed[0].statements, 200_001);
    assert_eq!(
        db.query_strings("SELECT count(*)::text FROM big").await[0][0],
        s("200000")
    );
}

/// Runs `sql` on the history, then reads it: the error it must give.
async fn corrupt(client: &tokio_postgres::Client, sql: &str) -> Error {
    client.batch_execute(sql).await.unwrap();
    strata::history::read(client, &TableName::default())
        .await
        .unwrap_err()
}

#[tokio::test]
async fn a_corrupt_history_row_is_an_error_naming_rank_and_column() {
    let db = fresh_db("corrupt_history_row").await;
    let d = folder(&[
        ("V1__a.sql", "CREATE TABLE a (id int);"),
        ("V2__b.sql", "CREATE TABLE b (id int);"),
    ]);
    migrate(&db, d.path()).await.unwrap();
    let client = db.client().await;

    // A version that does not parse: not dropped.
    let e = corrupt(
        &client,
        "UPDATE strata_schema_history SET version = 'v2.x' WHERE installed_rank = 2",
    )
    .await;
    assert_eq!(
        e.to_string(),
        "the history table public.strata_schema_history has a corrupt row: installed_rank 2, \
         column version holds \"v2.x\", which is not a version like 1, 2.1 or 20250101; \
         correct or delete that row by hand"
    );
    assert!(matches!(
        &e,
        Error::CorruptHistory {
            installed_rank: 2,
            column: "version",
            ..
        }
    ));
    // migrate stops on it too, and applies nothing.
    let err = migrate(&db, d.path()).await.unwrap_err();
    assert!(matches!(err, Error::CorruptHistory { .. }), "{err}");
    assert!(!err.is_check_failure() && !err.is_config());

    // A checksum that is not 64 hex digits.
    let e = corrupt(
        &client,
        "UPDATE strata_schema_history SET version = '2', checksum = 'not-a-checksum' \
         WHERE installed_rank = 2",
    )
    .await;
    assert!(
        e.to_string().contains(
            "installed_rank 2, column checksum holds \"not-a-checksum\", which is not 64 hex digits"
        ),
        "{e}"
    );

    // An unknown kind (the table's CHECK constraint dropped): not read as versioned.
    let e = corrupt(
        &client,
        "UPDATE strata_schema_history SET checksum = NULL WHERE installed_rank = 2; \
         ALTER TABLE strata_schema_history DROP CONSTRAINT strata_schema_history_kind_check; \
         UPDATE strata_schema_history SET kind = 'SQL' WHERE installed_rank = 1",
    )
    .await;
    assert!(
        e.to_string().contains(
            "installed_rank 1, column kind holds \"SQL\", which is not one of versioned, repeatable, undo, baseline"
        ),
        "{e}"
    );
}
