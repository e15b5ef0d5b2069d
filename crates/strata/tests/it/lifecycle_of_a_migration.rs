//! The whole life of a migration on a real PostgreSQL server: every state of
//! SPEC §4.1, rollback through each form of down part, repair, resuming a
//! failed no-transaction migration, baseline, repeatables, out of order, and
//! the start-up check of the library API.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use strata::error::Error;
use strata::history::TableName;
use strata::migrator::{MigrateOptions, Migrator, Report};
use strata::plan::{PlanOptions, State};
use strata::repair::{RepairOptions, repair};
use strata::rollback::{Rollback, RollbackOptions, RollbackReport, RollbackTarget};
use strata::source::Migrations;
use strata::{Incompatible, verify};
use strata_testkit::{TestDb, fresh_db};

fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for (name, body) in files {
        write(d.path(), name, body);
    }
    d
}

fn write(dir: &Path, name: &str, body: &str) {
    std::fs::write(dir.join(name), body).unwrap();
}

async fn migrate_with(db: &TestDb, dir: &Path, opts: MigrateOptions) -> Result<Report, Error> {
    let migrations = Migrations::from_dir(dir)?;
    Migrator::new(&migrations, TableName::default())
        .with_options(opts)
        .run(&db.client().await, &mut |_| {})
        .await
}

async fn migrate(db: &TestDb, dir: &Path) -> Result<Report, Error> {
    migrate_with(db, dir, MigrateOptions::default()).await
}

async fn resume(db: &TestDb, dir: &Path) -> Result<Report, Error> {
    migrate_with(
        db,
        dir,
        MigrateOptions {
            resume: true,
            ..Default::default()
        },
    )
    .await
}

async fn rollback(
    db: &TestDb,
    dir: &Path,
    target: RollbackTarget,
) -> Result<RollbackReport, Error> {
    let migrations = Migrations::from_dir(dir)?;
    Rollback::new(&migrations, TableName::default())
        .with_options(RollbackOptions {
            target,
            ..Default::default()
        })
        .run(&db.client().await, &mut |_| {})
        .await
}

async fn states(db: &TestDb, dir: &Path, opts: PlanOptions) -> Vec<(String, State)> {
    let migrations = Migrations::from_dir(dir).unwrap();
    let (plan, _) = Migrator::new(&migrations, TableName::default())
        .with_options(MigrateOptions {
            plan: opts,
            ..Default::default()
        })
        .plan(&db.client().await)
        .await
        .unwrap();
    plan.entries
        .into_iter()
        .map(|e| (e.script, e.state))
        .collect()
}

async fn exists(db: &TestDb, relation: &str) -> bool {
    db.query_strings(&format!("SELECT to_regclass('{relation}') IS NOT NULL"))
        .await[0][0]
        .as_deref()
        == Some("t")
}

async fn kinds(db: &TestDb) -> Vec<(String, String, String)> {
    db.query_strings(
        "SELECT coalesce(version, 'R'), kind, script FROM strata_schema_history ORDER BY installed_rank",
    )
    .await
    .into_iter()
    .map(|r| {
        (
            r[0].clone().unwrap(),
            r[1].clone().unwrap(),
            r[2].clone().unwrap(),
        )
    })
    .collect()
}

fn st(list: &[(String, State)], script: &str) -> State {
    list.iter()
        .find(|(s, _)| s == script)
        .unwrap_or_else(|| panic!("{script} not in {list:?}"))
        .1
}

#[tokio::test]
async fn every_state_of_section_4_1_on_a_real_database() {
    let db = fresh_db("every_state").await;
    let d = folder(&[
        ("V1__a.sql", "CREATE TABLE a (id int);"),
        ("V2__b.sql", "CREATE TABLE b (id int);"),
        ("V4__d.sql", "CREATE TABLE d (id int);"),
        (
            "V5__e.sql",
            "-- strata:no-transaction\nCREATE TABLE e (id int);\nSELECT * FROM nope;\n",
        ),
    ]);
    assert!(
        states(&db, d.path(), PlanOptions::default())
            .await
            .iter()
            .all(|(_, s)| *s == State::Pending)
    );
    migrate(&db, d.path()).await.unwrap_err(); // V5 fails half-way
    write(d.path(), "V2__b.sql", "CREATE TABLE b (id bigint);"); // modified
    std::fs::remove_file(d.path().join("V4__d.sql")).unwrap(); // missing
    write(d.path(), "V3__c.sql", "CREATE TABLE c (id int);"); // out of order
    write(d.path(), "V9__z.sql", "CREATE TABLE z (id int);"); // pending / above target
    let s = states(
        &db,
        d.path(),
        PlanOptions {
            target: Some("8".parse().unwrap()),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(st(&s, "V1__a.sql"), State::Applied);
    assert_eq!(st(&s, "V2__b.sql"), State::Modified);
    assert_eq!(st(&s, "V3__c.sql"), State::OutOfOrder);
    assert_eq!(st(&s, "V4__d.sql"), State::Missing);
    assert_eq!(st(&s, "V5__e.sql"), State::Failed);
    assert_eq!(st(&s, "V9__z.sql"), State::AboveTarget);
    let s = states(&db, d.path(), PlanOptions::default()).await;
    assert_eq!(st(&s, "V9__z.sql"), State::Pending);

    // baseline and below_baseline, on a second database
    let db2 = fresh_db("every_state_baseline").await;
    strata::baseline::baseline(
        &db2.client().await,
        &TableName::default(),
        &"2".parse().unwrap(),
        &strata::lock::Session {
            lock_wait: std::time::Duration::from_secs(5),
            ..Default::default()
        },
        &mut |_| {},
    )
    .await
    .unwrap();
    let s = states(&db2, d.path(), PlanOptions::default()).await;
    assert_eq!(st(&s, "V1__a.sql"), State::BelowBaseline);
    assert_eq!(st(&s, "V2__b.sql"), State::Baseline);
    assert_eq!(st(&s, "V3__c.sql"), State::Pending);
}

const IN_FILE: &str =
    "-- migrate:up\nCREATE TABLE one (id int);\n-- migrate:down\nDROP TABLE one;\n";

fn three_down_forms() -> tempfile::TempDir {
    folder(&[
        ("001_one.sql", IN_FILE),
        ("V2__two.sql", "CREATE TABLE two (id int);"),
        ("U2__two.sql", "DROP TABLE two;"),
        ("003_three.up.sql", "CREATE TABLE three (id int);"),
        ("003_three.down.sql", "DROP TABLE three;"),
        ("R__view.sql", "CREATE OR REPLACE VIEW v AS SELECT 1 AS x;"),
    ])
}

#[tokio::test]
async fn rollback_runs_each_form_of_down_part_newest_first() {
    let db = fresh_db("rollback_three_forms").await;
    let d = three_down_forms();
    migrate(&db, d.path()).await.unwrap();

    // One step by default: the .down.sql of version 3.
    let r = rollback(&db, d.path(), RollbackTarget::Steps(1))
        .await
        .unwrap();
    assert_eq!(r.rolled_back.len(), 1);
    assert_eq!(r.rolled_back[0].script, "003_three.down.sql");
    assert!(!exists(&db, "three").await);
    assert!(exists(&db, "two").await);

    // --to 0: the U file of 2, then the in-file section of 1.
    let r = rollback(&db, d.path(), RollbackTarget::To("0".parse().unwrap()))
        .await
        .unwrap();
    let scripts: Vec<&str> = r.rolled_back.iter().map(|e| e.script.as_str()).collect();
    assert_eq!(scripts, ["U2__two.sql", "001_one.sql"]);
    assert!(!exists(&db, "two").await && !exists(&db, "one").await);
    assert!(exists(&db, "v").await, "repeatables are left alone");

    // The history is append-only: one undo row per version, after the rest.
    let k = kinds(&db).await;
    assert_eq!(
        k[4..],
        [
            ("3".into(), "undo".into(), "003_three.down.sql".into()),
            ("2".into(), "undo".into(), "U2__two.sql".into()),
            ("1".into(), "undo".into(), "001_one.sql".into()),
        ]
    );
    // Rolled-back versions are pending again, and migrate re-applies them.
    let s = states(&db, d.path(), PlanOptions::default()).await;
    assert!(
        s.iter()
            .filter(|(n, _)| n != "R__view.sql")
            .all(|(_, st)| *st == State::Pending),
        "{s:?}"
    );
    let again = migrate(&db, d.path()).await.unwrap();
    assert_eq!(again.executed.len(), 3);
    assert!(exists(&db, "one").await && exists(&db, "three").await);
    // Versions whose files are gone cannot be rolled back.
    let empty = folder(&[]);
    let none = rollback(&db, empty.path(), RollbackTarget::Steps(1)).await;
    assert!(
        none.is_err(),
        "applied versions whose files are gone cannot be rolled back"
    );
}

#[tokio::test]
async fn rollback_is_refused_before_anything_runs() {
    let db = fresh_db("rollback_refused").await;
    let d = folder(&[
        ("V1__a.sql", "CREATE TABLE a (id int);"),
        ("V2__b.sql", "CREATE TABLE b (id int);"),
        ("V3__c.sql", IN_FILE.replace("one", "c").as_str()),
    ]);
    migrate(&db, d.path()).await.unwrap();
    let before = kinds(&db).await;
    let err = rollback(&db, d.path(), RollbackTarget::Steps(2))
        .await
        .unwrap_err();
    let Error::RollbackRefused { problems } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].script, "V2__b.sql");
    assert!(err.to_string().contains("no down part"), "{err}");
    assert!(
        exists(&db, "c").await,
        "V3 has a down part but must not run"
    );
    assert_eq!(kinds(&db).await, before);
    // A modified file in range is refused too: its down may not match.
    write(
        d.path(),
        "V3__c.sql",
        "-- migrate:up\nCREATE TABLE c (id bigint);\n-- migrate:down\nDROP TABLE c;\n",
    );
    let err = rollback(&db, d.path(), RollbackTarget::Steps(1))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("modified"), "{err}");
    assert!(err.is_check_failure());
    assert!(exists(&db, "c").await);
}

#[tokio::test]
async fn repair_removes_failed_rows_and_accepts_checksums_only_when_asked() {
    let db = fresh_db("repair").await;
    let d = folder(&[
        ("V1__a.sql", "CREATE TABLE a (id int);"),
        (
            "V2__b.sql",
            "-- strata:no-transaction\nCREATE TABLE b (id int);\nSELECT nope FROM b;\n",
        ),
    ]);
    migrate(&db, d.path()).await.unwrap_err();
    write(d.path(), "V1__a.sql", "CREATE TABLE a (id int); -- edited");
    let m = Migrations::from_dir(d.path()).unwrap();
    let client = db.client().await;
    let table = TableName::default();

    let dry = repair(
        &client,
        &table,
        &m,
        &RepairOptions {
            dry_run: true,
            ..Default::default()
        },
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(dry.removed.len(), 1);
    assert_eq!(kinds(&db).await.len(), 2, "a dry run changes nothing");

    let r = repair(&client, &table, &m, &RepairOptions::default(), &mut |_| {})
        .await
        .unwrap();
    assert_eq!(r.removed[0].script, "V2__b.sql");
    assert!(r.accepted.is_empty());
    assert_eq!(r.still_modified, ["V1__a.sql"]);
    let s = states(&db, d.path(), PlanOptions::default()).await;
    assert_eq!(st(&s, "V1__a.sql"), State::Modified);
    assert_eq!(st(&s, "V2__b.sql"), State::Pending);

    let r = repair(
        &client,
        &table,
        &m,
        &RepairOptions {
            accept_checksums: true,
            ..Default::default()
        },
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(r.accepted.len(), 1);
    assert_eq!(r.accepted[0].script, "V1__a.sql");
    assert_ne!(r.accepted[0].old, Some(r.accepted[0].new));
    let recorded = db
        .query_strings("SELECT checksum FROM strata_schema_history WHERE version = '1'")
        .await;
    assert_eq!(
        recorded[0][0].as_deref(),
        Some(r.accepted[0].new.to_hex().as_str())
    );
    let s = states(&db, d.path(), PlanOptions::default()).await;
    assert_eq!(st(&s, "V1__a.sql"), State::Applied);
    // Fixed and re-run from the start (b was created by the failed run, so
    // the fix makes the file idempotent).
    write(
        d.path(),
        "V2__b.sql",
        "-- strata:no-transaction\nCREATE TABLE IF NOT EXISTS b (id int);\nSELECT id FROM b;\n",
    );
    migrate(&db, d.path()).await.unwrap();
    let again = repair(&client, &table, &m, &RepairOptions::default(), &mut |_| {})
        .await
        .unwrap();
    assert!(again.is_noop());
}

#[tokio::test]
async fn resume_continues_at_the_failed_statement_after_a_fix() {
    let db = fresh_db("resume").await;
    let d = folder(&[
        ("V1__a.sql", "CREATE TABLE a (id int);"),
        (
            "V2__idx.sql",
            "-- strata:no-transaction\nCREATE TABLE b (id int);\nINSERT INTO b VALUES (1);\nSELECT nope FROM b;\nCREATE TABLE c (id int);\n",
        ),
        ("V3__d.sql", "CREATE TABLE d (id int);"),
    ]);
    let err = migrate(&db, d.path()).await.unwrap_err();
    let sql = err.as_sql().unwrap();
    assert_eq!(sql.statements_succeeded, Some(2));
    assert!(err.to_string().contains("strata migrate --resume"), "{err}");
    // Plain migrate refuses and names --resume.
    let refused = migrate(&db, d.path()).await.unwrap_err();
    assert!(refused.to_string().contains("--resume"), "{refused}");

    // Fixed: the two statements that ran are not run again (the INSERT
    // would duplicate the row), the run continues, and V3 follows.
    write(
        d.path(),
        "V2__idx.sql",
        "-- strata:no-transaction\nCREATE TABLE b (id int);\nINSERT INTO b VALUES (1);\nSELECT id FROM b;\nCREATE TABLE c (id int);\n",
    );
    let r = resume(&db, d.path()).await.unwrap();
    assert_eq!(r.executed.len(), 2);
    assert_eq!(
        r.executed[0].statements, 2,
        "only the remaining statements ran"
    );
    assert_eq!(
        db.query_strings("SELECT count(*) FROM b").await[0][0].as_deref(),
        Some("1")
    );
    assert!(exists(&db, "c").await && exists(&db, "d").await);
    let s = states(&db, d.path(), PlanOptions::default()).await;
    assert!(s.iter().all(|(_, st)| *st == State::Applied), "{s:?}");
}

#[tokio::test]
async fn resume_is_refused_when_an_applied_statement_changed() {
    let db = fresh_db("resume_refused").await;
    let d = folder(&[(
        "V1__a.sql",
        "-- strata:no-transaction\nCREATE TABLE a (id int);\nSELECT nope FROM a;\n",
    )]);
    migrate(&db, d.path()).await.unwrap_err();
    write(
        d.path(),
        "V1__a.sql",
        "-- strata:no-transaction\nCREATE TABLE a (id bigint);\nSELECT id FROM a;\n",
    );
    let err = resume(&db, d.path()).await.unwrap_err();
    assert!(matches!(err, Error::ResumeRefused { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("statement 1 (line 2)") && msg.contains("CREATE TABLE a (id bigint)"),
        "{msg}"
    );
    assert!(err.is_check_failure());
    // Nothing ran: the failed row is still the latest.
    let s = states(&db, d.path(), PlanOptions::default()).await;
    assert_eq!(st(&s, "V1__a.sql"), State::Failed);
}

#[tokio::test]
async fn a_failed_create_index_concurrently_names_the_invalid_index() {
    let db = fresh_db("invalid_index").await;
    let d = folder(&[
        (
            "V1__t.sql",
            "CREATE TABLE t (email text);\nINSERT INTO t VALUES ('a'), ('a');",
        ),
        (
            "V2__idx.sql",
            "-- strata:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY t_email_key ON t (email);\n",
        ),
    ]);
    let err = migrate(&db, d.path()).await.unwrap_err();
    let sql = err.as_sql().unwrap();
    assert_eq!(sql.code, "23505");
    assert_eq!(sql.invalid_index.as_deref(), Some("public.t_email_key"));
    let msg = err.to_string();
    assert!(
        msg.contains("INVALID index public.t_email_key")
            && msg.contains("DROP INDEX CONCURRENTLY IF EXISTS public.t_email_key;"),
        "{msg}"
    );
    // Following the advice: drop it, fix the data, resume.
    db.query_strings("DROP INDEX CONCURRENTLY public.t_email_key")
        .await;
    db.query_strings("DELETE FROM t WHERE ctid = (SELECT max(ctid) FROM t)")
        .await;
    resume(&db, d.path()).await.unwrap();
    assert_eq!(
        db.query_strings(
            "SELECT indisvalid::text FROM pg_index WHERE indexrelid = 't_email_key'::regclass"
        )
        .await[0][0]
            .as_deref(),
        Some("true")
    );
}

#[tokio::test]
async fn baseline_writes_one_row_and_is_refused_on_a_used_history() {
    let db = fresh_db("baseline").await;
    db.query_strings("CREATE TABLE legacy (id int)").await;
    let d = folder(&[
        ("V1__legacy.sql", "CREATE TABLE legacy (id int);"),
        ("V2__more.sql", "ALTER TABLE legacy ADD COLUMN x int;"),
        ("V3__new.sql", "CREATE TABLE fresh (id int);"),
    ]);
    let client = db.client().await;
    let table = TableName::default();
    let wait = strata::lock::Session {
        lock_wait: std::time::Duration::from_secs(5),
        ..Default::default()
    };
    let rows =
        strata::baseline::baseline(&client, &table, &"2".parse().unwrap(), &wait, &mut |_| {})
            .await
            .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].checksum, None);
    let r = migrate(&db, d.path()).await.unwrap();
    assert_eq!(
        r.executed.len(),
        1,
        "only the version above the baseline runs"
    );
    assert_eq!(r.executed[0].script, "V3__new.sql");
    let err =
        strata::baseline::baseline(&client, &table, &"3".parse().unwrap(), &wait, &mut |_| {})
            .await
            .unwrap_err();
    assert!(
        matches!(err, Error::HistoryNotEmpty { rows: 2, .. }),
        "{err:?}"
    );
    assert!(err.is_check_failure());
    assert_eq!(kinds(&db).await.len(), 2);
    // verify is happy with a baselined database.
    verify(&client, &Migrations::from_dir(d.path()).unwrap())
        .await
        .unwrap();
}

#[tokio::test]
async fn repeatables_run_after_versioned_in_description_order_and_rerun_when_changed() {
    let db = fresh_db("repeatables").await;
    let d = folder(&[
        (
            "R__b_view.sql",
            "CREATE OR REPLACE VIEW vb AS SELECT * FROM va;",
        ),
        (
            "R__a_view.sql",
            "CREATE OR REPLACE VIEW va AS SELECT id FROM t;",
        ),
        ("V1__t.sql", "CREATE TABLE t (id int, name text);"),
    ]);
    let r = migrate(&db, d.path()).await.unwrap();
    let order: Vec<&str> = r.executed.iter().map(|e| e.script.as_str()).collect();
    assert_eq!(order, ["V1__t.sql", "R__a_view.sql", "R__b_view.sql"]);
    let client = db.client().await;
    // Unchanged: nothing to do, verify passes.
    assert!(migrate(&db, d.path()).await.unwrap().executed.is_empty());
    verify(&client, &Migrations::from_dir(d.path()).unwrap())
        .await
        .unwrap();
    // Changed: verify reports it, migrate re-runs only that one.
    write(
        d.path(),
        "R__b_view.sql",
        "CREATE OR REPLACE VIEW vb AS SELECT id, 1 AS one FROM va;",
    );
    let err = verify(&client, &Migrations::from_dir(d.path()).unwrap())
        .await
        .unwrap_err();
    let Incompatible::Problems { problems, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].script, "R__b_view.sql");
    assert!(
        problems[0].message().to_string().contains("changed"),
        "{err}"
    );
    let r = migrate(&db, d.path()).await.unwrap();
    assert_eq!(r.executed.len(), 1);
    assert_eq!(r.executed[0].script, "R__b_view.sql");
    verify(&client, &Migrations::from_dir(d.path()).unwrap())
        .await
        .unwrap();
}

#[tokio::test]
async fn out_of_order_refused_then_allowed_and_recorded() {
    let db = fresh_db("out_of_order_lifecycle").await;
    let d = folder(&[
        ("V1__a.sql", "CREATE TABLE a (id int);"),
        ("V3__c.sql", "CREATE TABLE c (id int);"),
    ]);
    migrate(&db, d.path()).await.unwrap();
    write(d.path(), "V2__b.sql", "CREATE TABLE b (id int);");
    let err = migrate(&db, d.path()).await.unwrap_err();
    assert!(err.is_check_failure());
    assert!(err.to_string().contains("V2__b.sql"), "{err}");
    let client = db.client().await;
    let e = verify(&client, &Migrations::from_dir(d.path()).unwrap())
        .await
        .unwrap_err();
    assert_eq!(e.problems()[0].state(), State::OutOfOrder);
    let r = migrate_with(
        &db,
        d.path(),
        MigrateOptions {
            plan: PlanOptions {
                allow_out_of_order: true,
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(r.executed[0].script, "V2__b.sql");
    assert_eq!(kinds(&db).await[2].2, "V2__b.sql");
    verify(&client, &Migrations::from_dir(d.path()).unwrap())
        .await
        .unwrap();
}

#[tokio::test]
async fn embedded_migrations_verify_and_migrate_from_code() {
    let db = fresh_db("embedded").await;
    let migrations =
        strata::embed_migrations!("$CARGO_MANIFEST_DIR/tests/fixtures/embedded").unwrap();
    let client = db.client().await;
    let err = verify(&client, &migrations).await.unwrap_err();
    assert_eq!(err.problems().len(), 2, "{err}");
    assert!(err.to_string().contains("not applied"), "{err}");
    let report = Migrator::new(&migrations, TableName::default())
        .run(&client, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(report.executed.len(), 2);
    verify(&client, &migrations).await.unwrap();
    // The same checksums as the files on disk: the CLI agrees with the binary.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/embedded");
    let on_disk = Migrations::from_dir(&dir).unwrap();
    assert_eq!(on_disk.list[0].checksum, migrations.list[0].checksum);
    // And an embedded down part rolls back.
    let r = Rollback::new(&migrations, TableName::default())
        .run(&client, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(r.rolled_back[0].script, "V1__create_users.sql");
    assert!(!exists(&db, "users").await);
}

async fn history_rows(db: &TestDb) -> usize {
    if !exists(db, "strata_schema_history").await {
        return 0;
    }
    db.query_strings("SELECT script FROM strata_schema_history")
        .await
        .len()
}

#[tokio::test]
async fn a_file_rewritten_between_scan_and_run_is_refused_not_run_with_the_old_checksum() {
    let db = fresh_db("rewritten_after_scan").await;
    let d = folder(&[("V1__a.sql", "CREATE TABLE a (id int);\n")]);
    let run = |migrations: Migrations| {
        let db = &db;
        async move {
            Migrator::new(&migrations, TableName::default())
                .run(&db.client().await, &mut |_| {})
                .await
        }
    };

    // Transactional: scanned, then rewritten (same size) before it runs.
    let scanned = Migrations::from_dir(d.path()).unwrap();
    write(d.path(), "V1__a.sql", "CREATE TABLE b (id int);\n");
    let err = run(scanned).await.unwrap_err();
    assert!(
        matches!(err, Error::ChangedWhileRunning { applied: false, ref script } if script == "V1__a.sql"),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("V1__a.sql changed while strata was running; nothing of it was applied"),
        "{err}"
    );
    assert!(!exists(&db, "a").await && !exists(&db, "b").await);
    assert_eq!(history_rows(&db).await, 0);

    // Scanned again, the new bytes run and their own checksum is recorded.
    let report = run(Migrations::from_dir(d.path()).unwrap()).await.unwrap();
    assert_eq!(report.executed.len(), 1);
    assert!(exists(&db, "b").await);
    let recorded = db
        .query_strings("SELECT checksum FROM strata_schema_history WHERE version = '1'")
        .await;
    assert_eq!(
        recorded[0][0].as_deref(),
        Some(
            strata::migration::Checksum::of(b"CREATE TABLE b (id int);\n")
                .to_hex()
                .as_str()
        )
    );

    // No transaction: the file is read whole and checked before its first statement.
    write(
        d.path(),
        "V2__index.sql",
        "-- strata:no-transaction\nCREATE INDEX CONCURRENTLY b_id ON b (id);\n",
    );
    let scanned = Migrations::from_dir(d.path()).unwrap();
    write(
        d.path(),
        "V2__index.sql",
        "-- strata:no-transaction\nCREATE INDEX CONCURRENTLY b_ix ON b (id);\n",
    );
    let err = run(scanned).await.unwrap_err();
    assert!(
        matches!(err, Error::ChangedWhileRunning { applied: false, .. }),
        "{err:?}"
    );
    assert!(!exists(&db, "b_id").await && !exists(&db, "b_ix").await);
    assert_eq!(history_rows(&db).await, 1);
}
