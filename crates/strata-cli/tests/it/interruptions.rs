//! Runs cut short: the real `strata` binary killed with `kill -9`, its
//! backend ended with `pg_terminate_backend`, or sent SIGINT / SIGTERM, in
//! the middle of a statement. Each statement that should block does so on
//! an advisory lock the test holds (or in `pg_sleep`), and the test waits
//! in `pg_stat_activity` until strata's backend is inside it.

#![allow(clippy::unwrap_used)] // tests may panic

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use strata_testkit::TestDb;

use crate::support::{Project, Run, advisory_locks, history, table_exists, unique};

/// The advisory-lock class the gates use (the test's, not strata's).
const GATE: i32 = 7411;

/// A no-transaction file: its own `lock_timeout = 0` (so only a kill or the
/// test ends a wait at a gate), then four statements; the `k`th inserts
/// `k` into `log` once the test lets it pass gate `k`.
fn gated_file() -> String {
    let mut sql = String::from("-- strata:no-transaction\nSET lock_timeout = 0;\n");
    for k in 1..=4 {
        sql.push_str(&format!(
            "INSERT INTO log SELECT {k} FROM (SELECT pg_advisory_xact_lock_shared({GATE}, {k})) g;\n"
        ));
    }
    sql
}

fn gated_project() -> Project {
    let project = Project::new();
    project
        .migration("V1__log.sql", "CREATE TABLE log (i int);\n")
        .migration("V2__fill.sql", gated_file());
    project
}

/// A session of the test holding gate `k` until released or dropped.
struct Gate {
    rt: tokio::runtime::Runtime,
    client: tokio_postgres::Client,
}

impl Gate {
    fn hold(db: &TestDb, k: i32) -> Gate {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let client = rt.block_on(db.client());
        rt.block_on(client.execute("SELECT pg_advisory_lock($1, $2)", &[&GATE, &k]))
            .unwrap();
        Gate { rt, client }
    }

    fn release(self) {
        self.rt
            .block_on(self.client.batch_execute("SELECT pg_advisory_unlock_all()"))
            .unwrap();
    }
}

/// Waits (bounded) until `sql` returns a row whose first column is not
/// NULL, and returns it; fails if `child` ends first.
fn wait_for(db: &TestDb, sql: &str, mut child: Option<&mut Child>, what: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let rows = db.query_strings_blocking(sql);
        if let Some(Some(v)) = rows.first().and_then(|r| r.first()) {
            return v.clone();
        }
        if let Some(c) = child.as_deref_mut() {
            assert!(
                c.try_wait().unwrap().is_none(),
                "strata ended before {what}"
            );
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The pid of strata's backend once it waits at gate `k`.
fn blocked_at(db: &TestDb, k: i32, child: &mut Child) -> String {
    let sql = format!(
        "SELECT pid::text FROM pg_stat_activity WHERE datname = current_database() \
         AND pid <> pg_backend_pid() AND query LIKE '%pg_advisory_xact_lock_shared({GATE}, {k})%' \
         AND wait_event_type = 'Lock'"
    );
    wait_for(
        db,
        &sql,
        Some(child),
        &format!("strata blocked at statement {k}"),
    )
}

/// Waits until backend `pid` is gone.
fn backend_gone(db: &TestDb, pid: &str) {
    let sql =
        format!("SELECT 'gone' WHERE NOT EXISTS (SELECT FROM pg_stat_activity WHERE pid = {pid})");
    wait_for(db, &sql, None, "the killed strata's backend to end");
}

/// `(i, count)` of the rows in `log`.
fn log_rows(db: &TestDb) -> Vec<(String, String)> {
    db.query_strings_blocking("SELECT i::text, count(*)::text FROM log GROUP BY i ORDER BY i")
        .into_iter()
        .map(|r| (r[0].clone().unwrap(), r[1].clone().unwrap()))
        .collect()
}

fn each_once(n: i32) -> Vec<(String, String)> {
    (1..=n).map(|i| (i.to_string(), "1".to_owned())).collect()
}

/// V2's history row: (success, progress state, done).
fn v2_rows(db: &TestDb) -> Vec<Vec<Option<String>>> {
    db.query_strings_blocking(
        "SELECT success::text, progress->>'state', progress->>'done' \
         FROM public.strata_schema_history WHERE version = '2' ORDER BY installed_rank",
    )
}

fn spawn_migrate(project: &Project, db: &TestDb) -> Child {
    project
        .std_cmd(&db.url(), &["migrate"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// kill -9 while insert `k` runs: the in-flight row said the `SET` and
/// `k - 1` inserts were done.
fn kill_at(db: &TestDb, project: &Project, k: i32) {
    let gate = Gate::hold(db, k);
    let mut child = spawn_migrate(project, db);
    let pid = blocked_at(db, k, &mut child);
    let done = k.to_string();
    assert_eq!(
        v2_rows(db),
        vec![vec![
            Some("false".into()),
            Some("running".into()),
            Some(done)
        ]],
        "the in-flight row, committed before statement {k} ran"
    );
    child.kill().unwrap(); // SIGKILL
    assert!(
        child.wait().unwrap().code().is_none(),
        "killed by the signal"
    );
    // The server notices its client is gone and aborts statement k rather
    // than committing it once the gate opens.
    backend_gone(db, &pid);
    gate.release();
}

#[test]
fn kill_9_at_each_statement_of_a_no_transaction_migration_then_resume() {
    for k in 2..=4 {
        let db = TestDb::new_blocking(&format!("cli_kill9_at_{k}"));
        let project = gated_project();
        kill_at(&db, &project, k);
        assert_eq!(log_rows(&db), each_once(k - 1));

        let status = project.run(&db.url(), &["status"]);
        assert!(
            status.stdout.contains("failed") || status.stderr.contains("failed"),
            "{status:?}"
        );
        let refused = project.run(&db.url(), &["migrate"]);
        refused.expect_code(3).expect_no_panic();
        assert!(
            refused.stderr.contains("strata migrate --resume")
                && refused.stderr.contains("strata repair"),
            "{}",
            refused.stderr
        );

        let resumed = project.run(&db.url(), &["migrate", "--resume"]);
        resumed.expect_code(0).expect_no_panic();
        assert_eq!(
            log_rows(&db),
            each_once(4),
            "no statement ran twice (k = {k})"
        );
        assert_eq!(
            history(&db),
            vec![
                (Some("1".into()), "V1__log.sql".into(), true),
                (Some("2".into()), "V2__fill.sql".into(), true),
            ],
            "the in-flight row made way for the success row (k = {k})"
        );
        project.run(&db.url(), &["verify"]).expect_code(0);
        assert_eq!(advisory_locks(&db), 0);
    }
}

#[test]
fn kill_9_at_the_first_statement_then_repair_and_a_clean_rerun() {
    let db = TestDb::new_blocking("cli_kill9_repair");
    let project = gated_project();
    kill_at(&db, &project, 1);
    assert!(
        log_rows(&db).is_empty(),
        "statement 1 was aborted with its client"
    );

    let repaired = project.run(&db.url(), &["repair"]);
    repaired.expect_code(0);
    assert!(
        repaired.stdout.contains("removed failed row"),
        "{}",
        repaired.stdout
    );
    assert!(v2_rows(&db).is_empty());
    project.run(&db.url(), &["migrate"]).expect_code(0);
    assert_eq!(log_rows(&db), each_once(4));
    assert_eq!(v2_rows(&db).len(), 1);
}

#[test]
fn a_terminated_backend_leaves_a_failed_version_that_resumes() {
    let db = TestDb::new_blocking("cli_terminate_no_tx");
    let project = gated_project();
    let gate = Gate::hold(&db, 3);
    let mut child = spawn_migrate(&project, &db);
    let pid = blocked_at(&db, 3, &mut child);
    db.query_strings_blocking(&format!("SELECT pg_terminate_backend({pid})::text"));
    let run = Run::of(child.wait_with_output().unwrap());
    gate.release();

    run.expect_code(1).expect_no_panic();
    assert!(run.stderr.contains("V2__fill.sql"), "{}", run.stderr);
    assert!(run.stderr.contains("--resume"), "{}", run.stderr);
    assert_eq!(
        v2_rows(&db),
        vec![vec![
            Some("false".into()),
            Some("running".into()),
            Some("3".into())
        ]]
    );
    project.run(&db.url(), &["migrate"]).expect_code(3);
    project
        .run(&db.url(), &["migrate", "--resume"])
        .expect_code(0);
    assert_eq!(log_rows(&db), each_once(4));
    assert_eq!(v2_rows(&db), vec![vec![Some("true".into()), None, None]]);
    assert_eq!(advisory_locks(&db), 0);
}

#[test]
fn a_no_transaction_file_that_leaves_a_transaction_open_fails() {
    let db = TestDb::new_blocking("cli_no_tx_open");
    let project = Project::new();
    project.migration(
        "V1__split.sql",
        "-- strata:no-transaction\nBEGIN;\nCREATE TABLE y (a int);\nCOMMIT;\nBEGIN;\nCREATE TABLE z (a int);\n",
    );

    let run = project.run(&db.url(), &["migrate"]);

    run.expect_code(1).expect_no_panic();
    assert!(
        run.stderr.contains("V1__split.sql left a transaction open"),
        "{}",
        run.stderr
    );
    assert!(table_exists(&db, "y"), "the committed transaction stays");
    assert!(!table_exists(&db, "z"), "the open one was rolled back");
    let rows = db.query_strings_blocking(
        "SELECT success::text, progress->>'state', progress->>'done' FROM public.strata_schema_history",
    );
    assert_eq!(
        rows,
        vec![vec![
            Some("false".into()),
            Some("failed".into()),
            Some("3".into())
        ]]
    );
    // No session is left inside that transaction.
    assert_eq!(advisory_locks(&db), 0);

    // Fixed, resumed: the first three statements are not run again.
    project.migration(
        "V1__split.sql",
        "-- strata:no-transaction\nBEGIN;\nCREATE TABLE y (a int);\nCOMMIT;\nBEGIN;\nCREATE TABLE z (a int);\nCOMMIT;\n",
    );
    project
        .run(&db.url(), &["migrate", "--resume"])
        .expect_code(0);
    assert!(table_exists(&db, "z"));
    assert_eq!(history(&db).len(), 1);
}

#[test]
fn a_no_transaction_migration_that_sets_a_role_keeps_it_between_statements() {
    let db = TestDb::new_blocking("cli_no_tx_role");
    let role = unique("strata_no_tx_role");
    let project = Project::new();
    project.migration(
        "V1__as_role.sql",
        format!(
            "-- strata:no-transaction\n\
             CREATE ROLE {role};\n\
             CREATE TABLE who (name text);\n\
             GRANT INSERT ON who TO {role};\n\
             SET ROLE {role};\n\
             INSERT INTO who SELECT current_user;\n\
             INSERT INTO who SELECT current_user;\n"
        ),
    );

    let run = project.run(&db.url(), &["migrate"]);
    let _ = db.query_strings_blocking(&format!(
        "RESET ROLE; DROP OWNED BY {role}; DROP ROLE IF EXISTS {role}"
    ));

    run.expect_code(0).expect_no_panic();
    // Each progress update ran as strata's user, and the role the
    // migration set held for its next statements.
    let who = db.query_strings_blocking("SELECT name FROM who");
    assert_eq!(who, vec![vec![Some(role.clone())], vec![Some(role)]]);
    assert_eq!(history(&db).len(), 1);
    assert!(history(&db)[0].2);
}

/// Sends `signal` (`INT`, `TERM`) to the child.
fn send(child: &Child, signal: &str) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits (bounded) for the child to end; kills it if it does not.
fn ended(mut child: Child) -> Run {
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("strata did not end after the signal");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Run::of(child.wait_with_output().unwrap())
}

/// The backends of `db` still running a statement with `pattern`.
fn running(db: &TestDb, pattern: &str) -> String {
    db.query_strings_blocking(&format!(
        "SELECT count(*)::text FROM pg_stat_activity WHERE datname = current_database() \
         AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE '%{pattern}%'"
    ))[0][0]
        .clone()
        .unwrap()
}

fn sleeping_at(db: &TestDb, child: &mut Child, pattern: &str) {
    let sql = format!(
        "SELECT pid::text FROM pg_stat_activity WHERE datname = current_database() \
         AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE '%{pattern}%'"
    );
    wait_for(db, &sql, Some(child), "strata's statement to run");
}

fn signal_mid_migration(signal: &str, json: bool) -> (TestDb, Run) {
    let db = TestDb::new_blocking(&format!("cli_sig_{}", signal.to_lowercase()));
    let project = Project::new();
    project
        .migration("V1__first.sql", "CREATE TABLE first (id int);\n")
        .migration(
            "V2__slow.sql",
            "CREATE TABLE slow (id int);\nSELECT pg_sleep(60);\n",
        )
        .migration("V3__after.sql", "CREATE TABLE after (id int);\n");
    let args: &[&str] = if json {
        &["migrate", "--json"]
    } else {
        &["migrate"]
    };
    let mut child = project
        .std_cmd(&db.url(), args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    sleeping_at(&db, &mut child, "pg_sleep(60)");
    send(&child, signal);
    let run = ended(child);
    assert!(run.stderr.contains("interrupted"), "{}", run.stderr);
    assert_eq!(
        running(&db, "pg_sleep(60)"),
        "0",
        "the statement was cancelled"
    );
    assert_eq!(advisory_locks(&db), 0, "the migration lock is free");
    assert_eq!(
        history(&db),
        vec![(Some("1".into()), "V1__first.sql".into(), true)],
        "V2 rolled back, V3 never started"
    );
    assert!(!table_exists(&db, "slow") && !table_exists(&db, "after"));
    (db, run)
}

#[test]
fn sigint_mid_statement_cancels_it_rolls_back_and_exits_130() {
    let (_db, run) = signal_mid_migration("INT", false);
    run.expect_code(130).expect_no_panic();
}

#[test]
fn sigterm_mid_statement_exits_143_with_one_json_document() {
    let (_db, run) = signal_mid_migration("TERM", true);
    run.expect_code(143).expect_no_panic();
    let doc = run.json();
    let db = &doc["databases"][0];
    assert!(
        db["error"]
            .as_str()
            .is_some_and(|e| e.contains("V2__slow.sql")),
        "{doc}"
    );
}

#[test]
fn sigint_in_a_no_transaction_migration_leaves_it_failed() {
    let db = TestDb::new_blocking("cli_sig_no_tx");
    let project = Project::new();
    project.migration(
        "V1__slow.sql",
        "-- strata:no-transaction\nCREATE TABLE done (id int);\nSELECT pg_sleep(60);\nCREATE TABLE never (id int);\n",
    );
    let mut child = spawn_migrate(&project, &db);
    sleeping_at(&db, &mut child, "pg_sleep(60)");
    send(&child, "INT");
    let run = ended(child);

    run.expect_code(130).expect_no_panic();
    assert!(run.stderr.contains("interrupted"), "{}", run.stderr);
    assert_eq!(running(&db, "pg_sleep(60)"), "0");
    assert_eq!(advisory_locks(&db), 0);
    assert!(table_exists(&db, "done") && !table_exists(&db, "never"));
    let rows = db.query_strings_blocking(
        "SELECT success::text, progress->>'state', progress->>'done' FROM public.strata_schema_history",
    );
    assert_eq!(
        rows,
        vec![vec![
            Some("false".into()),
            Some("failed".into()),
            Some("1".into())
        ]]
    );
}

#[test]
fn sigterm_during_db_seed_cancels_the_seed() {
    let db = TestDb::new_blocking("cli_sig_seed");
    let project = Project::new();
    let seeds = project.path().join("seeds").join("main");
    std::fs::create_dir_all(&seeds).unwrap();
    std::fs::write(
        seeds.join("001_slow.sql"),
        "CREATE TABLE seeded (id int);\nSELECT pg_sleep(60);\n",
    )
    .unwrap();
    let mut child = project
        .std_cmd(&db.url(), &["db", "seed"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    sleeping_at(&db, &mut child, "pg_sleep(60)");
    send(&child, "TERM");
    let run = ended(child);

    run.expect_code(143).expect_no_panic();
    assert!(run.stderr.contains("interrupted"), "{}", run.stderr);
    assert_eq!(running(&db, "pg_sleep(60)"), "0");
    assert!(
        !table_exists(&db, "seeded"),
        "the seed's transaction rolled back"
    );
}

#[test]
fn sigint_while_db_wait_retries_exits_130() {
    // Nothing listens on port 1: `db wait` keeps retrying until interrupted.
    let project = Project::new();
    let mut child = project
        .std_cmd(
            "postgres://nobody@127.0.0.1:1/none",
            &["db", "wait", "--timeout", "120"],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // No server-side sign of the retry loop to wait for: give the binary a
    // moment to start (the handler is installed before the project loads).
    std::thread::sleep(Duration::from_millis(500));
    assert!(child.try_wait().unwrap().is_none(), "still waiting");
    send(&child, "INT");
    let run = ended(child);

    run.expect_code(130).expect_no_panic();
    assert!(run.stderr.contains("interrupted"), "{}", run.stderr);
}

#[test]
fn sigint_during_rollback_cancels_the_down_part() {
    let db = TestDb::new_blocking("cli_sig_rollback");
    let project = Project::new();
    project
        .migration("V1__keep.sql", "CREATE TABLE keep (id int);\n")
        .migration("U1__keep.sql", "DROP TABLE keep;\nSELECT pg_sleep(60);\n");
    project.run(&db.url(), &["migrate"]).expect_code(0);
    let mut child = project
        .std_cmd(&db.url(), &["rollback"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    sleeping_at(&db, &mut child, "pg_sleep(60)");
    send(&child, "INT");
    let run = ended(child);

    run.expect_code(130).expect_no_panic();
    assert!(run.stderr.contains("interrupted"), "{}", run.stderr);
    assert_eq!(running(&db, "pg_sleep(60)"), "0");
    assert_eq!(advisory_locks(&db), 0);
    assert!(table_exists(&db, "keep"), "the down part rolled back");
    assert_eq!(history(&db).len(), 1, "no undo row");
}

#[test]
fn sigterm_while_db_clean_waits_for_a_table_lock() {
    let db = TestDb::new_blocking("cli_sig_clean");
    let project = Project::new();
    project.migration(
        "V1__t.sql",
        "CREATE TABLE t (id int);\nINSERT INTO t VALUES (1);\n",
    );
    project.run(&db.url(), &["migrate"]).expect_code(0);
    // Another session reads t in an open transaction: TRUNCATE must wait.
    let gate = Gate::hold(&db, 0);
    gate.rt
        .block_on(
            gate.client
                .batch_execute("BEGIN; LOCK TABLE t IN ACCESS SHARE MODE"),
        )
        .unwrap();
    let mut child = project
        .std_cmd(&db.url(), &["db", "clean"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let sql = "SELECT pid::text FROM pg_stat_activity WHERE datname = current_database() \
               AND pid <> pg_backend_pid() AND wait_event_type = 'Lock' AND query ILIKE '%TRUNCATE%'";
    wait_for(
        &db,
        sql,
        Some(&mut child),
        "db clean to wait for the table lock",
    );
    send(&child, "TERM");
    let run = ended(child);
    drop(gate);

    run.expect_code(143).expect_no_panic();
    assert!(run.stderr.contains("interrupted"), "{}", run.stderr);
    assert_eq!(
        db.query_strings_blocking("SELECT count(*)::text FROM t"),
        vec![vec![Some("1".to_owned())]],
        "nothing was truncated"
    );
}

#[test]
fn a_second_signal_exits_at_once_while_the_first_cleans_up() {
    let db = TestDb::new_blocking("cli_sig_twice");
    let project = Project::new();
    project.migration("V1__slow.sql", "SELECT pg_sleep(60);\n");
    let port = strata_testkit::server().port();
    let host = format!("127.0.0.1:{port}");
    let url = db.url();
    assert!(url.contains(&host), "{url}");
    let link = crate::proxy::proxy(host.clone(), crate::proxy::Cut::Never);
    let through = url.replacen(&host, &format!("127.0.0.1:{}", link.port), 1);
    let mut child = project
        .std_cmd(&through, &["migrate"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    sleeping_at(&db, &mut child, "pg_sleep(60)");
    // The server's answers stop arriving: after the first signal the
    // statement is cancelled, but strata never hears of it and waits.
    link.freeze();
    send(&child, "INT");
    wait_for(
        &db,
        "SELECT 'cancelled' WHERE NOT EXISTS (SELECT FROM pg_stat_activity \
         WHERE state = 'active' AND query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid())",
        Some(&mut child),
        "the cancel request to reach the server",
    );
    send(&child, "INT");
    let run = ended(child);

    run.expect_code(130).expect_no_panic();
    assert!(
        run.stderr
            .contains("interrupted again (SIGINT): exiting now"),
        "{}",
        run.stderr
    );
}
