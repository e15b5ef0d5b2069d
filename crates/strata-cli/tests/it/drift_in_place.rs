//! `drift` building its expected schema in one transaction on the shadow
//! server's own database, rolled back afterwards, instead of in a scratch
//! database: when that database is as a new one would be, when no replayed
//! file runs outside a transaction, and when no other run builds there.
//! Each test gives the shadow URL a database of its own made from
//! `template0`, so which way the run takes is certain.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use strata_testkit::TestDb;

use crate::support::{Project, Run, db_exists, drop_db, scalar, unique};

const TOML: &str = "[databases.main]\nmigrations = \"migrations\"\nurl_env = \"DATABASE_URL\"\n\
                    shadow_url_env = \"SHADOW_DATABASE_URL\"\n";

/// A database made from `template0` on the test server for the shadow URL
/// to name; dropped at the end.
struct ShadowDb(String);

impl ShadowDb {
    fn new(hint: &str) -> ShadowDb {
        let name = unique(hint);
        scalar(
            strata_testkit::server().base_url(),
            &format!("CREATE DATABASE {name} TEMPLATE template0"),
        );
        ShadowDb(name)
    }

    fn url(&self) -> String {
        strata_testkit::server().url(&self.0)
    }

    /// Objects made after initdb that another session sees (committed).
    fn objects(&self) -> i64 {
        crate::support::objects(&self.url())
    }
}

impl Drop for ShadowDb {
    fn drop(&mut self) {
        drop_db(strata_testkit::server().base_url(), &self.0);
    }
}

fn run(p: &Project, db: &TestDb, shadow: &ShadowDb, args: &[&str]) -> Run {
    let out = p
        .cmd(Some(&db.url()), args)
        .env("SHADOW_DATABASE_URL", shadow.url())
        .output()
        .unwrap();
    let run = Run::of(out);
    run.expect_no_panic();
    run
}

/// The scratch database a run named on stderr, if any.
fn scratch(run: &Run) -> Option<&str> {
    run.stderr
        .split_whitespace()
        .find(|w| w.starts_with("strata_shadow_"))
}

/// The run named a scratch database, and it is gone.
fn assert_scratch_dropped(run: &Run) {
    let name = scratch(run).unwrap_or_else(|| panic!("no scratch database:\n{}", run.stderr));
    assert!(!db_exists(strata_testkit::server().base_url(), name));
}

#[test]
fn drift_replays_in_one_rolled_back_transaction_on_a_pristine_database() {
    let shadow = ShadowDb::new("drift_in_place");
    let db = TestDb::new_blocking("cli_drift_in_place");
    let p = Project::with_toml(TOML);
    p.migration(
        "V1__users.sql",
        "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n\
         SET search_path = nowhere;\n",
    )
    // A session setting of V1 does not reach V2, as in `migrate`.
    .migration(
        "V2__orders.sql",
        "CREATE TABLE orders (id serial PRIMARY KEY, customer bigint REFERENCES users);\n",
    );
    run(&p, &db, &shadow, &["migrate"]).expect_code(0);

    let clean = run(&p, &db, &shadow, &["drift"]);
    clean.expect_code(0);
    let expected = format!(
        "database main: replaying in one transaction in database {} on the server of \
         SHADOW_DATABASE_URL, rolled back afterwards",
        shadow.0
    );
    assert!(clean.stderr.contains(&expected), "{}", clean.stderr);
    assert_eq!(scratch(&clean), None, "{}", clean.stderr);
    assert!(clean.stdout.contains("no drift"), "{}", clean.stdout);
    assert_eq!(shadow.objects(), 0, "the replay committed something");

    scalar(
        &db.url(),
        "CREATE INDEX orders_customer_idx ON orders (customer)",
    );
    let dirty = run(&p, &db, &shadow, &["drift"]);
    dirty.expect_code(3);
    assert!(
        dirty.stdout.contains("  + index orders_customer_idx"),
        "{}",
        dirty.stdout
    );
    assert_eq!(shadow.objects(), 0, "the replay committed something");
}

/// A migration that needs the one before it committed — a default using
/// an enum label the previous file added is an "unsafe use of new value"
/// in the same transaction — fails in the one transaction; the replay is
/// done again file by file in a scratch database, and drift is clean.
#[test]
fn a_replay_that_fails_in_one_transaction_is_done_again_in_a_scratch_database() {
    let shadow = ShadowDb::new("drift_enum");
    let db = TestDb::new_blocking("cli_drift_enum");
    let p = Project::with_toml(TOML);
    p.migration("V1__mood.sql", "CREATE TYPE mood AS ENUM ('ok');\n")
        .migration("V2__glad.sql", "ALTER TYPE mood ADD VALUE 'glad';\n")
        .migration(
            "V3__people.sql",
            "CREATE TABLE people (id int, m mood NOT NULL DEFAULT 'glad');\n",
        );
    run(&p, &db, &shadow, &["migrate"]).expect_code(0);
    let r = run(&p, &db, &shadow, &["drift"]);
    r.expect_code(0);
    assert!(
        r.stderr.contains("the replay in one transaction failed ("),
        "{}",
        r.stderr
    );
    assert_scratch_dropped(&r);
    assert!(
        r.stdout.contains("its 3 applied migration(s)"),
        "{}",
        r.stdout
    );
    assert_eq!(shadow.objects(), 0, "the failed replay committed something");
}

/// A file that runs outside a transaction cannot be replayed inside one.
#[test]
fn a_no_transaction_file_sends_the_replay_to_a_scratch_database() {
    let shadow = ShadowDb::new("drift_no_tx");
    let db = TestDb::new_blocking("cli_drift_no_tx");
    let p = Project::with_toml(TOML);
    p.migration("V1__t.sql", "CREATE TABLE t (id int);\n")
        .migration(
            "V2__idx.sql",
            "-- strata:no-transaction\nCREATE INDEX CONCURRENTLY t_id_idx ON t (id);\n",
        );
    run(&p, &db, &shadow, &["migrate"]).expect_code(0);
    let r = run(&p, &db, &shadow, &["drift"]);
    r.expect_code(0);
    assert!(!r.stderr.contains("rolled back"), "{}", r.stderr);
    assert!(!r.stderr.contains("failed"), "{}", r.stderr);
    assert_scratch_dropped(&r);
}

/// A shadow database that already holds something is not built in: what
/// it holds would show up, or change what the files make. It is left as
/// it was.
#[test]
fn a_database_that_holds_objects_is_left_alone() {
    let cases = [
        "CREATE TABLE users (id int)",
        "CREATE SCHEMA app",
        "CREATE FUNCTION one() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        "DO $$BEGIN EXECUTE format('ALTER DATABASE %I SET search_path = app', current_database()); END$$",
        "COMMENT ON SCHEMA public IS 'ours'",
    ];
    for change in cases {
        let shadow = ShadowDb::new("drift_used");
        scalar(&shadow.url(), change);
        let before = shadow.objects();
        let db = TestDb::new_blocking("cli_drift_used");
        let p = Project::with_toml(TOML);
        p.migration("V1__users.sql", "CREATE TABLE users (id int);\n");
        run(&p, &db, &shadow, &["migrate"]).expect_code(0);
        let r = run(&p, &db, &shadow, &["drift"]);
        assert_eq!(r.code, 0, "{change}:\n{}", r.stderr);
        assert!(!r.stderr.contains("rolled back"), "{change}:\n{}", r.stderr);
        assert!(scratch(&r).is_some(), "{change}:\n{}", r.stderr);
        assert_eq!(shadow.objects(), before, "{change}");
    }
}

/// While one run builds in the database (its migration sleeps there), a
/// second run takes a scratch database; SIGINT then stops the first (exit
/// 130) and the database holds nothing and no lock. kill -9 of a run
/// leaves nothing committed either: the server rolls back for it once its
/// backend ends.
#[test]
fn a_second_run_meanwhile_takes_a_scratch_database_and_an_interrupt_leaves_nothing() {
    let shadow = ShadowDb::new("drift_busy");
    let db = TestDb::new_blocking("cli_drift_busy");
    let p = Project::with_toml(TOML);
    p.migration(
        "V1__slow.sql",
        format!(
            "CREATE TABLE s (id int);\n\
             SELECT pg_sleep(CASE WHEN current_database() = '{}' THEN 60 ELSE 0 END);\n",
            shadow.0
        ),
    );
    run(&p, &db, &shadow, &["migrate"]).expect_code(0);
    for signal in ["INT", "KILL"] {
        let mut child = p
            .std_cmd(&db.url(), &["drift"])
            .env("SHADOW_DATABASE_URL", shadow.url())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let sleeping = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() \
                        AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE '%pg_sleep(%60%'";
        let deadline = Instant::now() + Duration::from_secs(60);
        let backend = loop {
            if let Some(pid) = scalar(&shadow.url(), sleeping) {
                break pid;
            }
            assert!(child.try_wait().unwrap().is_none(), "strata ended first");
            assert!(Instant::now() < deadline, "the slow statement never ran");
            std::thread::sleep(Duration::from_millis(50));
        };
        // The first run's table is not visible, not committed.
        assert_eq!(shadow.objects(), 0);

        let second = run(&p, &db, &shadow, &["drift"]);
        second.expect_code(0);
        assert!(scratch(&second).is_some(), "{}", second.stderr);
        assert!(!second.stderr.contains("rolled back"), "{}", second.stderr);

        let status = std::process::Command::new("kill")
            .args([format!("-{signal}"), child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(60);
        while child.try_wait().unwrap().is_none() {
            assert!(
                Instant::now() < deadline,
                "strata did not end after SIG{signal}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let out = Run::of(child.wait_with_output().unwrap());
        out.expect_no_panic();
        if signal == "INT" {
            out.expect_code(130);
            // The statement was cancelled and the transaction rolled back.
            let deadline = Instant::now() + Duration::from_secs(30);
            while scalar(&shadow.url(), sleeping).is_some() {
                assert!(Instant::now() < deadline, "the replay still runs");
                std::thread::sleep(Duration::from_millis(50));
            }
        } else {
            // Its backend sleeps on, alone, until it is told to stop.
            scalar(
                &shadow.url(),
                &format!("SELECT pg_terminate_backend({backend})"),
            );
        }
        assert_eq!(shadow.objects(), 0, "SIG{signal} left objects behind");
        let locks = scalar(
            &shadow.url(),
            "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database \
             WHERE l.locktype = 'advisory' AND d.datname = current_database() \
             AND l.pid <> pg_backend_pid()",
        );
        // A terminated backend's locks go with it, at once or shortly.
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut locks = locks.unwrap();
        while locks != "0" {
            assert!(
                Instant::now() < deadline,
                "SIG{signal}: an advisory lock stays"
            );
            std::thread::sleep(Duration::from_millis(50));
            locks = scalar(
                &shadow.url(),
                "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database \
                 WHERE l.locktype = 'advisory' AND d.datname = current_database() \
                 AND l.pid <> pg_backend_pid()",
            )
            .unwrap();
        }
    }
}

/// Every example project's migration folder, migrated and then checked by
/// `drift` built in place: the one transaction builds what `migrate` built
/// file by file (a folder with a no-transaction file takes a scratch
/// database, and is clean too).
#[test]
fn every_example_folder_is_clean_after_migrate_when_built_in_place() {
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let folders = [
        "app-migrate-on-start/migrations",
        "atriz/migrations/atriz",
        "atriz/migrations/core",
        "atriz/migrations/mextrack",
        "atriz/migrations/pshop",
        "capsule/infrastructure/migrations/auth-service",
        "capsule/infrastructure/migrations/deploy-service",
        "capsule/infrastructure/migrations/project-service",
        "cogni-template/migrations",
        "dreichor/infra/db/migrations",
        "quickstart/migrations",
    ];
    let mut in_place = 0;
    for folder in folders {
        let dir = examples.join(folder).canonicalize().unwrap();
        let p = Project::with_toml(&format!(
            "[databases.main]\nmigrations = {:?}\nurl_env = \"DATABASE_URL\"\n\
             shadow_url_env = \"SHADOW_DATABASE_URL\"\n",
            dir.display().to_string()
        ));
        let db = TestDb::new_blocking("cli_drift_example");
        let shadow = ShadowDb::new("drift_example");
        let m = run(&p, &db, &shadow, &["migrate"]);
        assert_eq!(m.code, 0, "{folder}: {}", m.stderr);
        let r = run(&p, &db, &shadow, &["drift"]);
        assert_eq!(r.code, 0, "{folder}:\n{}\n{}", r.stdout, r.stderr);
        assert!(!r.stderr.contains("failed"), "{folder}:\n{}", r.stderr);
        if r.stderr.contains("rolled back afterwards") {
            in_place += 1;
        } else {
            assert!(scratch(&r).is_some(), "{folder}:\n{}", r.stderr);
        }
        assert_eq!(shadow.objects(), 0, "{folder}");
    }
    assert!(in_place >= 8, "only {in_place} folder(s) built in place");
}
