//! Lock waits (SPEC §4.2 step 4): another session holds `ACCESS SHARE` on a
//! table in an open transaction, so a migration that needs `ACCESS
//! EXCLUSIVE` fails on `lock_timeout`. strata retries it `lock_retries`
//! times with backoff and names the blocking session (pid,
//! application_name, state, its query's first line) in every wait and in
//! the final error.
//!
//! `lock_timeout` is 1s here rather than less: the session that looks for
//! blockers connects a quarter of it into the wait, and a loaded test
//! machine must not make it miss the wait.

#![allow(clippy::unwrap_used)] // tests may panic

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use strata_testkit::TestDb;

use crate::support::{Project, Run, history};

fn toml(retries: u32) -> String {
    format!(
        "[databases.main]\nmigrations = \"migrations\"\nurl_env = \"DATABASE_URL\"\n\n\
         [environments.dev]\nlock_timeout = \"1s\"\nlock_retries = {retries}\n"
    )
}

/// A test session named `blocker` holding ACCESS SHARE on `t` in an open
/// transaction (its last query is the LOCK).
struct Blocker {
    rt: tokio::runtime::Runtime,
    client: tokio_postgres::Client,
    pid: i32,
}

impl Blocker {
    fn hold(db: &TestDb) -> Blocker {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let client = rt.block_on(db.client());
        rt.block_on(client.batch_execute("SET application_name = 'blocker'"))
            .unwrap();
        let pid: i32 = rt
            .block_on(client.query_one("SELECT pg_backend_pid()", &[]))
            .unwrap()
            .get(0);
        rt.block_on(client.batch_execute("BEGIN")).unwrap();
        rt.block_on(client.batch_execute("LOCK TABLE t IN ACCESS SHARE MODE"))
            .unwrap();
        Blocker { rt, client, pid }
    }

    fn commit(self) {
        self.rt
            .block_on(self.client.batch_execute("COMMIT"))
            .unwrap();
    }
}

/// A project whose V1 (applied here) creates `t`, with V2 pending: it adds
/// a column, so it needs ACCESS EXCLUSIVE on `t`.
fn project_with_t(db: &TestDb, retries: u32) -> Project {
    let project = Project::with_toml(&toml(retries));
    project.migration("V1__t.sql", "CREATE TABLE t (id int);\n");
    project
        .run(&db.url(), &["--env", "dev", "migrate"])
        .expect_code(0);
    project.migration("V2__add_c.sql", "ALTER TABLE t ADD COLUMN c int;\n");
    project
}

fn column_c_exists(db: &TestDb) -> bool {
    !db.query_strings_blocking(
        "SELECT 1 FROM information_schema.columns WHERE table_name = 't' AND column_name = 'c'",
    )
    .is_empty()
}

fn v2_rows(db: &TestDb) -> usize {
    history(db)
        .iter()
        .filter(|(v, _, _)| v.as_deref() == Some("2"))
        .count()
}

#[test]
fn a_migration_blocked_once_is_retried_and_names_its_blocker() {
    let db = TestDb::new_blocking("cli_lock_retry_succeeds");
    let project = project_with_t(&db, 3);
    let blocker = Blocker::hold(&db);
    let mut child = project
        .std_cmd(&db.url(), &["--env", "dev", "migrate"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read stderr as it comes; let the blocker go once the first failed
    // attempt is reported.
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines() {
            let line = line.unwrap();
            if line.contains("waiting for a lock") {
                let _ = tx.send(line.clone());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let first = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("a wait reported");
    let pid = blocker.pid;
    blocker.commit();
    let status = child.wait().unwrap();
    let stderr = reader.join().unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(first.contains("V2__add_c.sql"), "{first}");
    assert!(first.contains("attempt 2 of 4"), "{first}");
    assert!(first.contains("app \"blocker\""), "{first}");
    assert_eq!(blocker_pid(&first), pid, "{first}");
    assert!(
        first.contains("idle in transaction")
            && first.contains("LOCK TABLE t IN ACCESS SHARE MODE"),
        "{first}"
    );
    assert!(column_c_exists(&db));
    assert_eq!(v2_rows(&db), 1);
}

/// The pid after "blocked by pid " in `line` (checked against the real one
/// by the callers that know it).
fn blocker_pid(line: &str) -> i32 {
    let at = line.find("blocked by pid ").expect("a blocker named") + "blocked by pid ".len();
    line[at..]
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

fn migrate(project: &Project, db: &TestDb, args: &[&str]) -> Run {
    let mut all = vec!["--env", "dev", "migrate"];
    all.extend_from_slice(args);
    project.run(&db.url(), &all)
}

#[test]
fn without_retries_the_error_names_the_blocker() {
    let db = TestDb::new_blocking("cli_lock_retry_none");
    let project = project_with_t(&db, 0);
    let blocker = Blocker::hold(&db);
    let run = migrate(&project, &db, &[]);
    run.expect_code(1);
    assert!(run.stderr.contains("55P03"), "{}", run.stderr);
    assert!(!run.stderr.contains("waiting for a lock"), "{}", run.stderr);
    assert!(run.stderr.contains("not retried"), "{}", run.stderr);
    assert_eq!(blocker_pid(&run.stderr), blocker.pid, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("(app \"blocker\", idle in transaction since ")
            && run.stderr.contains("): LOCK TABLE t IN ACCESS SHARE MODE"),
        "{}",
        run.stderr
    );
    // --json carries the same in the error.
    let run = migrate(&project, &db, &["--json"]);
    run.expect_code(1);
    let json = run.json().to_string();
    assert!(
        json.contains(&format!("blocked by pid {}", blocker.pid)) && json.contains("blocker"),
        "{json}"
    );
    blocker.commit();
    assert!(!column_c_exists(&db));
    assert_eq!(v2_rows(&db), 0);
}

#[test]
fn retries_exhausted_name_the_attempts_and_the_blocker() {
    let db = TestDb::new_blocking("cli_lock_retry_exhausted");
    let project = project_with_t(&db, 3);
    let blocker = Blocker::hold(&db);
    // The flag overrides the environment's 3.
    let run = migrate(&project, &db, &["--lock-retries", "2"]);
    run.expect_code(1);
    let err = &run.stderr;
    assert!(
        err.contains("attempt 2 of 3") && err.contains("attempt 3 of 3"),
        "{err}"
    );
    assert!(!err.contains("attempt 4"), "{err}");
    assert!(
        err.contains("gave up after 3 attempts (lock_retries = 2)"),
        "{err}"
    );
    let last = err
        .lines()
        .find(|l| l.trim_start().starts_with("blocked by pid"))
        .expect("the error names the blocker");
    assert_eq!(blocker_pid(last), blocker.pid, "{err}");
    assert!(last.contains("app \"blocker\""), "{err}");
    blocker.commit();
    assert!(!column_c_exists(&db));
    assert_eq!(v2_rows(&db), 0);
}

#[test]
fn no_transaction_and_single_transaction_runs_are_not_retried() {
    let db = TestDb::new_blocking("cli_lock_retry_not_for_all");
    let project = project_with_t(&db, 3);
    let blocker = Blocker::hold(&db);
    // One transaction for the whole run: no retry.
    let run = migrate(&project, &db, &["--single-transaction"]);
    run.expect_code(1);
    assert!(run.stderr.contains("55P03"), "{}", run.stderr);
    assert!(!run.stderr.contains("waiting for a lock"), "{}", run.stderr);
    // A no-transaction file: a statement may have committed, no retry.
    project.remove_migration("V2__add_c.sql");
    project.migration(
        "V2__add_c.sql",
        "-- strata:no-transaction\nALTER TABLE t ADD COLUMN c int;\n",
    );
    let run = migrate(&project, &db, &[]);
    run.expect_code(1);
    assert!(run.stderr.contains("55P03"), "{}", run.stderr);
    assert!(!run.stderr.contains("waiting for a lock"), "{}", run.stderr);
    blocker.commit();
    assert!(!column_c_exists(&db));
}

#[test]
fn sigterm_during_the_backoff_stops_the_run() {
    let db = TestDb::new_blocking("cli_lock_retry_sigterm");
    let project = project_with_t(&db, 5);
    let blocker = Blocker::hold(&db);
    let mut child = project
        .std_cmd(&db.url(), &["--env", "dev", "migrate"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines() {
            let line = line.unwrap();
            if line.contains("attempt 3 of 6, next in 2s") {
                let _ = tx.send(());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("the second wait reported");
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    // Bounded: a run that ignored the signal is killed by the test.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("strata did not end after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = child.wait().unwrap();
    let stderr = reader.join().unwrap();
    assert_eq!(status.code(), Some(143), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(!stderr.contains("attempt 4 of 6"), "{stderr}");
    assert_eq!(
        crate::support::advisory_locks(&db),
        0,
        "the migration lock is free"
    );
    blocker.commit();
    assert!(!column_c_exists(&db));
    assert_eq!(v2_rows(&db), 0);
}
