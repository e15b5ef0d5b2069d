//! The migration lock as users meet it: several `strata migrate` racing on
//! one database, a lock held by someone else (exit 4), a strata killed with
//! `kill -9` in the middle of a migration, and the lock being free again
//! right after a failed migration (the sqlx bug).

#![allow(clippy::unwrap_used)]

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::{Project, Run, advisory_locks, history, table_exists};
use strata::history::TableName;
use strata_testkit::TestDb;

/// The versions and scripts of `tests/fixtures/concurrent_runners`.
const RACE_SCRIPTS: &[&str] = &[
    "V001__create_accounts.sql",
    "V002__create_orders.sql",
    "V003__add_created_at.sql",
    "V004__create_audit.sql",
    "R__account_orders.sql",
];

#[test]
fn six_processes_racing_apply_each_migration_exactly_once() {
    let db = TestDb::new_blocking("cli_six_racing");
    let project = Project::new();
    project.fixture("concurrent_runners");
    let children: Vec<_> = (0..6)
        .map(|_| {
            project
                .std_cmd(&db.url(), &["migrate", "--lock-wait", "60"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let runs: Vec<Run> = children
        .into_iter()
        .map(|c| Run::of(c.wait_with_output().unwrap()))
        .collect();
    for run in &runs {
        run.expect_code(0).expect_no_panic();
    }
    // Exactly one process did the work; the others found it done.
    let appliers = runs
        .iter()
        .filter(|r| r.stdout.contains("applied V1 create accounts"))
        .count();
    assert_eq!(appliers, 1, "{runs:#?}");
    let rows = history(&db);
    let scripts: Vec<&str> = rows.iter().map(|(_, s, _)| s.as_str()).collect();
    assert_eq!(
        scripts, RACE_SCRIPTS,
        "each migration exactly once, in order"
    );
    assert!(rows.iter().all(|(_, _, ok)| *ok));
    for table in ["accounts", "orders", "audit", "account_orders"] {
        assert!(table_exists(&db, table), "{table} is missing");
    }
    assert_eq!(
        db.query_strings_blocking("SELECT count(*) FROM audit"),
        vec![vec![Some("1".to_owned())]]
    );
    assert_eq!(advisory_locks(&db), 0, "a runner left its lock behind");
}

/// Holds strata's migration lock from a test connection whose
/// application_name says who it is, for as long as it lives.
pub(crate) struct LockHolder {
    rt: tokio::runtime::Runtime,
    client: tokio_postgres::Client,
    pid: i32,
}

impl LockHolder {
    pub(crate) fn take(db: &TestDb, application_name: &str) -> LockHolder {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let mut config: tokio_postgres::Config = db.url().parse().unwrap();
        config.application_name(application_name);
        let (client, pid) = rt.block_on(async {
            let (client, conn) = config.connect(tokio_postgres::NoTls).await.unwrap();
            tokio::spawn(conn);
            let (k1, k2) = strata::lock::lock_key(&TableName::default());
            client
                .execute("SELECT pg_advisory_lock($1, $2)", &[&k1, &k2])
                .await
                .unwrap();
            let pid: i32 = client
                .query_one("SELECT pg_backend_pid()", &[])
                .await
                .unwrap()
                .get(0);
            (client, pid)
        });
        LockHolder { rt, client, pid }
    }
}

impl Drop for LockHolder {
    fn drop(&mut self) {
        let _ = self
            .rt
            .block_on(self.client.batch_execute("SELECT pg_advisory_unlock_all()"));
    }
}

#[test]
fn a_held_lock_times_out_with_exit_4_naming_the_holder() {
    let db = TestDb::new_blocking("cli_lock_timeout");
    let project = Project::new();
    project.migration("V1__create_t.sql", "CREATE TABLE t (id int);\n");
    let holder = LockHolder::take(&db, "deploy-bot-7");

    let run = project.run(&db.url(), &["migrate", "--lock-wait", "1"]);

    run.expect_code(4).expect_no_panic();
    assert!(
        run.stderr.contains(&format!("pid {}", holder.pid)),
        "the holder's pid is named:\n{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("deploy-bot-7"),
        "the holder's application_name is named:\n{}",
        run.stderr
    );
    assert!(run.stderr.contains("migration lock"), "{}", run.stderr);
    assert!(history(&db).is_empty(), "nothing may be applied");
    assert!(!table_exists(&db, "t"));

    // Once the holder lets go, the same command succeeds.
    drop(holder);
    project
        .run(&db.url(), &["migrate", "--lock-wait", "10"])
        .expect_code(0);
    assert!(table_exists(&db, "t"));
}

#[test]
fn kill_9_mid_migration_then_a_clean_rerun() {
    let db = TestDb::new_blocking("cli_kill_9");
    let project = Project::new();
    project.migration(
        "V1__slow_create.sql",
        "CREATE TABLE t (id int);\nSELECT pg_sleep(3);\n",
    );
    let mut child = project
        .std_cmd(&db.url(), &["migrate"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    // Wait until the migration is inside pg_sleep on the server.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let sleeping = db.query_strings_blocking(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid() \
               AND query LIKE '%pg_sleep(3)%'",
        );
        if sleeping[0][0].as_deref() != Some("0") {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "strata ended before the migration was seen running"
        );
        assert!(
            Instant::now() < deadline,
            "the migration never showed up in pg_stat_activity"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(status.code().is_none(), "strata was killed by the signal");

    let run = project.run(&db.url(), &["migrate", "--lock-wait", "30"]);

    run.expect_code(0).expect_no_panic();
    let rows = history(&db);
    let v1: Vec<_> = rows
        .iter()
        .filter(|(v, _, _)| v.as_deref() == Some("1"))
        .collect();
    assert_eq!(v1.len(), 1, "exactly one history row for V1: {rows:?}");
    assert!(v1[0].2, "and it is a success");
    assert!(table_exists(&db, "t"));
    project.run(&db.url(), &["verify"]).expect_code(0);
}

#[test]
fn the_lock_is_released_after_a_failed_migration() {
    let db = TestDb::new_blocking("cli_lock_after_failure");
    let project = Project::new();
    project
        .migration("V1__ok.sql", "CREATE TABLE ok (id int);\n")
        .migration("V2__broken.sql", "SELECT * FROM no_such_table;\n");

    let first = project.run(&db.url(), &["migrate"]);
    first.expect_code(1).expect_no_panic();
    assert!(first.stderr.contains("no_such_table"), "{}", first.stderr);

    // Not blocked by a leaked lock: the same SQL error again, not exit 4.
    let second = project.run(&db.url(), &["migrate", "--lock-wait", "2"]);
    second.expect_code(1);
    assert!(second.stderr.contains("42P01"), "{}", second.stderr);
    assert!(
        !second.stderr.contains("migration lock"),
        "{}",
        second.stderr
    );

    assert_eq!(advisory_locks(&db), 0, "no advisory lock may remain");
    let rows = history(&db);
    assert_eq!(rows.len(), 1, "V1 applied, V2 rolled back: {rows:?}");
    assert_eq!(rows[0].1, "V1__ok.sql");
}

#[test]
fn the_lock_is_released_after_a_failure_within_the_same_process() {
    // Two logical databases on one real database and one history table:
    // `b` needs the lock `a` took, in the same strata process, right after
    // `a` failed. A lock leaked on a connection the process still holds
    // would make `b` wait and time out.
    let db = TestDb::new_blocking("cli_lock_same_process");
    let project = Project::with_toml(
        "[databases.a]\nmigrations = \"migrations/a\"\n\n\
         [databases.b]\nmigrations = \"migrations/b\"\n",
    );
    for (dir, name, sql) in [
        ("a", "V1__broken.sql", "SELECT * FROM no_such_table;\n"),
        ("b", "V1__create_b.sql", "CREATE TABLE b (id int);\n"),
    ] {
        let dir = project.path().join("migrations").join(dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), sql).unwrap();
    }

    let run = project.run(&db.url(), &["migrate", "--lock-wait", "3"]);

    run.expect_code(1).expect_no_panic();
    assert!(run.stderr.contains("no_such_table"), "{}", run.stderr);
    assert!(
        !run.stderr.contains("migration lock"),
        "b waited for a lock a should have released:\n{}",
        run.stderr
    );
    assert!(table_exists(&db, "b"), "b ran after a failed");
    assert_eq!(history(&db).len(), 1);
}
