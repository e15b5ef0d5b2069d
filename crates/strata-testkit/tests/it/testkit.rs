//! The test kit against real PostgreSQL: isolation between tests, cleanup of
//! databases and clusters (also when the test process dies), extra clusters.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use strata_testkit::{TestDb, fresh_db, server, start_extra_cluster};

fn single(rows: Vec<Vec<Option<String>>>) -> String {
    match rows.as_slice() {
        [row] => match row.as_slice() {
            [Some(v)] => v.clone(),
            _ => panic!("expected one non-null column, got {row:?}"),
        },
        _ => panic!("expected one row, got {rows:?}"),
    }
}

fn database_exists(admin_url: &str, name: &str) -> bool {
    let admin = admin_url.to_owned();
    let name = name.to_owned();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let (client, conn) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
                .await
                .expect("connect");
            tokio::spawn(conn);
            let row = client
                .query_one(
                    "SELECT count(*) FROM pg_database WHERE datname = $1",
                    &[&name],
                )
                .await
                .expect("query");
            row.get::<_, i64>(0) == 1
        })
    })
    .join()
    .expect("thread")
}

#[tokio::test]
async fn a_test_database_is_fresh_and_named_after_the_hint() {
    let db = fresh_db("testkit::fresh").await;
    assert!(db.name().starts_with("testkit_fresh_"), "{}", db.name());
    assert!(
        db.url().ends_with(&format!("/{}", db.name())),
        "{}",
        db.url()
    );
    assert_eq!(
        single(db.query_strings("SELECT current_database()").await),
        db.name()
    );
    let tables = db
        .query_strings("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        .await;
    assert_eq!(single(tables), "0");
    let client = db.client().await;
    client
        .batch_execute("CREATE TABLE t (v text); INSERT INTO t VALUES ('a'), (NULL)")
        .await
        .expect("ddl");
    assert_eq!(
        db.query_strings("SELECT v FROM t ORDER BY v NULLS LAST")
            .await,
        vec![vec![Some("a".to_owned())], vec![None]]
    );
}

#[test]
fn parallel_tests_get_distinct_databases() {
    let handles: Vec<_> = (0..4)
        .map(|i| {
            std::thread::spawn(move || {
                let db = TestDb::new_blocking("parallel");
                db.query_strings_blocking(&format!("CREATE TABLE only_in_{i} ()"));
                let tables = db.query_strings_blocking(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
                );
                assert_eq!(tables, vec![vec![Some(format!("only_in_{i}"))]]);
                db
            })
        })
        .collect();
    let dbs: Vec<TestDb> = handles
        .into_iter()
        .map(|h| h.join().expect("thread"))
        .collect();
    let mut names: Vec<&str> = dbs.iter().map(TestDb::name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), 4, "{names:?}");
}

#[tokio::test]
async fn a_database_is_gone_after_its_test_db_is_dropped() {
    let db = fresh_db("dropped").await;
    let name = db.name().to_owned();
    // An open connection must not keep it alive (DROP … WITH (FORCE)).
    let client = db.client().await;
    assert!(database_exists(server().base_url(), &name));
    drop(db);
    assert!(!database_exists(server().base_url(), &name));
    assert!(client.simple_query("SELECT 1").await.is_err());
}

#[tokio::test]
async fn blocking_api_works_inside_a_runtime() {
    let db = TestDb::new_blocking("blocking_in_runtime");
    assert_eq!(single(db.query_strings_blocking("SELECT 40 + 2")), "42");
}

#[test]
fn psql_from_pg_bin_reaches_a_test_database() {
    let db = TestDb::new_blocking("psql");
    let out = Command::new(server().pg_bin().program("psql"))
        .args(["-XAtc", "SELECT current_database()", &db.url()])
        .output()
        .expect("run psql");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), db.name());
}

#[tokio::test]
async fn an_extra_cluster_is_a_separate_server() {
    let extra = start_extra_cluster();
    assert_ne!(extra.port(), server().port());
    let db = extra.fresh_db("on_extra").await;
    assert_eq!(
        single(db.query_strings("SHOW port").await),
        extra.port().to_string()
    );
    assert!(db.url().contains(&format!(":{}/", extra.port())));
    assert!(!database_exists(server().base_url(), db.name()));
    drop(db);

    let dir = extra.cluster().dir().to_path_buf();
    let pid = extra.info().pid;
    drop(extra);
    assert!(!dir.exists(), "extra cluster dir removed on drop");
    assert!(!process_alive(pid), "extra cluster stopped on drop");
}

#[test]
fn an_extra_cluster_starts_again_after_kill_9() {
    let extra = start_extra_cluster();
    let db = extra.fresh_db_blocking("survivor");
    db.query_strings_blocking("CREATE TABLE kept ()");
    // Commits are asynchronous on a test cluster (synchronous_commit=off):
    // make sure the table reached the WAL before the crash.
    db.query_strings_blocking("CHECKPOINT");
    let before = extra.info();
    kill(before.pid, "-9");
    wait_until(Duration::from_secs(10), || !extra.cluster().is_running());

    let after = extra.start();
    assert_ne!(after.pid, before.pid);
    let tables =
        db.query_strings_blocking("SELECT tablename FROM pg_tables WHERE schemaname = 'public'");
    assert_eq!(tables, vec![vec![Some("kept".to_owned())]]);
}

// ---- cleanup when the test process ends -------------------------------------

const CHILD_ENV: &str = "STRATA_TESTKIT_CLEANUP_CHILD";
const CHILD_TEST: &str = "cleanup_child_process";

/// The child test's full name as the harness knows it: its module path
/// without the crate's name, then the function (`testkit::cleanup_child_process`).
fn child_test_name() -> String {
    match module_path!().split_once("::") {
        Some((_crate, module)) => format!("{module}::{CHILD_TEST}"),
        None => CHILD_TEST.to_owned(),
    }
}

/// Not a test of its own: the body of the child process that the two
/// cleanup tests run. It starts the shared cluster and a leaked extra
/// cluster, reports them, and then returns ("exit") or waits to be killed.
#[test]
fn cleanup_child_process() {
    let Ok(mode) = std::env::var(CHILD_ENV) else {
        return;
    };
    let db = TestDb::new_blocking("child");
    let shared = server().cluster().expect("a private cluster");
    let info = shared.status().expect("status");
    let info = info.info().expect("running");
    println!("CLUSTER {} {}", info.pid, shared.dir().display());
    let extra = start_extra_cluster();
    println!(
        "CLUSTER {} {}",
        extra.info().pid,
        extra.cluster().dir().display()
    );
    std::mem::forget(extra); // leaked: only the watchdog can clean it up
    std::mem::forget(db);
    println!("READY");
    if mode == "kill" {
        std::thread::sleep(Duration::from_secs(120));
    }
}

fn run_child(mode: &str) -> Vec<(u32, PathBuf)> {
    let mut child = Command::new(std::env::current_exe().expect("current exe"))
        .args([
            &child_test_name(),
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, mode)
        .env_remove(strata_testkit::DATABASE_URL_ENV)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn child test process");
    let stdout = child.stdout.take().expect("stdout");
    let mut clusters = Vec::new();
    // Read to the end (EOF = the child is gone); the harness may print our
    // lines after its own "test … " prefix.
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("read");
        if let Some(at) = line.find("CLUSTER ") {
            let rest = &line[at + "CLUSTER ".len()..];
            let (pid, dir) = rest.split_once(' ').expect("pid and dir");
            clusters.push((pid.parse().expect("pid"), PathBuf::from(dir)));
        }
        if line.contains("READY") {
            assert_eq!(clusters.len(), 2, "child reported {clusters:?}");
            for (pid, dir) in &clusters {
                assert!(process_alive(*pid) && dir.exists(), "{pid} {dir:?} up");
            }
            if mode == "kill" {
                kill(child.id(), "-9");
            }
        }
    }
    assert_eq!(clusters.len(), 2, "child reported {clusters:?}");
    let status = child.wait().expect("wait");
    assert!(mode == "kill" || status.success(), "child failed: {status}");
    clusters
}

fn assert_cleaned_up(clusters: &[(u32, PathBuf)]) {
    wait_until(Duration::from_secs(20), || {
        clusters
            .iter()
            .all(|(pid, dir)| !process_alive(*pid) && !dir.exists())
    });
    for (_, dir) in clusters {
        assert!(
            !leftover_processes_for(dir),
            "a server process for {dir:?} survived"
        );
    }
}

#[test]
fn clusters_are_removed_when_the_test_process_exits() {
    assert_cleaned_up(&run_child("exit"));
}

#[test]
fn clusters_are_removed_when_the_test_process_is_killed() {
    assert_cleaned_up(&run_child("kill"));
}

// ---- helpers ----------------------------------------------------------------

fn kill(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .expect("kill");
    assert!(status.success(), "kill {signal} {pid}");
}

/// Alive and not a zombie (a container's init may reap dead processes late).
fn process_alive(pid: u32) -> bool {
    let exists = Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
    });
    exists && !zombie
}

/// Any process whose command line names `dir` (e.g. `postgres -D dir/data`).
fn leftover_processes_for(dir: &Path) -> bool {
    let out = Command::new("ps")
        .args(["-eo", "args"])
        .output()
        .expect("ps");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .any(|l| l.contains(&*dir.to_string_lossy()))
}

fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "timed out after {limit:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}
