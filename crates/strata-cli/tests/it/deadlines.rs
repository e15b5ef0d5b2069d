//! Bounded waits (SPEC §4, §4.2 step 1): duration flags with units, values
//! too large to represent refused as usage errors, a server that never
//! answers ending in exit 1, and `db wait` reporting the real cause.

#![allow(clippy::unwrap_used)]

use strata_testkit::TestDb;

use crate::support::Project;

#[test]
fn duration_flags_take_units() {
    let db = TestDb::new_blocking("durations");
    let project = Project::new();
    project.migration("V1__a.sql", "CREATE TABLE a (id int);");
    for args in [
        &["migrate", "--wait", "30s", "--lock-wait", "1m"][..],
        &["status", "--wait", "500ms"],
        &["verify", "--wait", "5min"],
        &["db", "wait", "--timeout", "5s"],
        &["db", "wait", "--timeout", "1h"],
        &["repair", "--lock-wait", "2", "--wait", "0"],
        // The largest values: deadlines far away, computed without overflow.
        &["db", "wait", "--timeout", "2147483647"],
        &[
            "migrate",
            "--lock-wait",
            "2147483647",
            "--wait",
            "2147483647s",
        ],
    ] {
        project
            .run(&db.url(), args)
            .expect_code(0)
            .expect_no_panic();
    }
}

#[test]
fn a_duration_too_large_is_a_usage_error_naming_the_flag() {
    let project = Project::new();
    let url = "postgres://app@127.0.0.1:1/app";
    for (args, flag) in [
        (&["migrate", "--wait", "18446744073709551615"][..], "--wait"),
        (&["status", "--wait", "18446744073709551615"], "--wait"),
        (&["migrate", "--lock-wait", "99999999999h"], "--lock-wait"),
        (
            &["db", "wait", "--timeout", "18446744073709551615"],
            "--timeout",
        ),
        (&["db", "wait", "--timeout", "99999999999h"], "--timeout"),
        (
            &["db", "create", "--wait", "9999999999999999999999"],
            "--wait",
        ),
        (&["db", "reset", "--lock-wait", "3000000000"], "--lock-wait"),
    ] {
        let run = project.run(url, args);
        run.expect_code(2).expect_no_panic();
        assert!(run.stderr.contains(flag), "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("too large"), "{args:?}: {}", run.stderr);
    }
    let run = project.run(url, &["db", "wait", "--timeout", "5 seconds"]);
    run.expect_code(2).expect_no_panic();
    assert!(run.stderr.contains("is not a duration"), "{}", run.stderr);
}

#[test]
fn the_largest_duration_is_accepted_and_does_not_panic() {
    // Nothing listens on port 1: refused is retried for --wait, so use a
    // command that fails for another reason first: a database that is
    // missing fails at once whatever the wait.
    let db = TestDb::new_blocking("maxwait");
    let url = db.url().replace(db.name(), "no_such_database_here");
    let project = Project::new();
    let run = project.run(&url, &["status", "--wait", "2147483647"]);
    run.expect_code(1).expect_no_panic();
}

/// A server that accepts connections and never writes a byte, for as long
/// as the returned listener lives.
fn silent_server() -> (u16, std::thread::JoinHandle<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let mut held = Vec::new();
        // Hold every accepted socket open, never answering; the thread ends
        // with the test process.
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    (port, handle)
}

#[test]
fn a_server_that_never_answers_is_exit_1_within_connect_timeout() {
    let (port, _server) = silent_server();
    let project = Project::new();
    let url = format!("postgres://app:pw@127.0.0.1:{port}/app?sslmode=disable&connect_timeout=3");

    let start = std::time::Instant::now();
    let run = project.run(&url, &["status"]);
    let took = start.elapsed();
    eprintln!("status, silent server ({took:?}):\n{}", run.stderr);
    run.expect_code(1).expect_no_panic();
    assert!(
        took < std::time::Duration::from_secs(6),
        "status took {took:?}"
    );
    assert!(
        took >= std::time::Duration::from_secs(3),
        "status took {took:?}"
    );
    assert!(
        run.stderr.contains("did not answer within 3s"),
        "{}",
        run.stderr
    );

    let start = std::time::Instant::now();
    let run = project.run(&url, &["db", "wait", "--timeout", "4"]);
    let took = start.elapsed();
    eprintln!("db wait, silent server ({took:?}):\n{}", run.stderr);
    run.expect_code(1).expect_no_panic();
    assert!(
        took < std::time::Duration::from_secs(7),
        "db wait took {took:?}"
    );
    assert!(
        run.stderr.contains("did not answer within 3s"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("gave up"), "{}", run.stderr);
}

#[test]
fn without_connect_timeout_the_default_is_10s() {
    let (port, _server) = silent_server();
    let project = Project::new();
    let url = format!("postgres://app@127.0.0.1:{port}/app?sslmode=disable");
    let start = std::time::Instant::now();
    let run = project.run(&url, &["migrate", "--json"]);
    let took = start.elapsed();
    run.expect_code(1).expect_no_panic();
    assert!(
        took < std::time::Duration::from_secs(14),
        "migrate took {took:?}"
    );
    assert!(
        run.stderr.contains("did not answer within 10s"),
        "{}",
        run.stderr
    );
}

#[test]
fn db_wait_with_a_wrong_password_fails_at_once_saying_why() {
    // A cluster that asks for passwords over TCP (its superuser excepted,
    // for the setup).
    let hba_dir = tempfile::tempdir().unwrap();
    let hba = hba_dir.path().join("pg_hba.conf");
    let superuser = strata::cluster::SUPERUSER;
    std::fs::write(
        &hba,
        format!(
            "local all all trust\nhost all {superuser} 127.0.0.1/32 trust\n\
             host all all 127.0.0.1/32 scram-sha-256\nhost all all ::1/128 scram-sha-256\n"
        ),
    )
    .unwrap();
    let mut opts = strata::cluster::StartOptions::for_tests();
    opts.settings
        .push(("hba_file".to_owned(), hba.display().to_string()));
    let cluster = strata_testkit::start_extra_cluster_with(&opts);
    let db = cluster.fresh_db_blocking("wrong_password");
    db.query_strings_blocking("CREATE ROLE strata_wait_app LOGIN PASSWORD 'right-one'");

    let project = Project::new();
    let wrong = format!(
        "postgres://strata_wait_app:wrong-one@127.0.0.1:{}/{}?sslmode=disable",
        cluster.port(),
        db.name()
    );
    let start = std::time::Instant::now();
    let run = project.run(&wrong, &["db", "wait", "--timeout", "10"]);
    let took = start.elapsed();
    eprintln!("db wait, wrong password ({took:?}):\n{}", run.stderr);
    run.expect_code(1).expect_no_panic();
    assert!(
        took < std::time::Duration::from_secs(3),
        "db wait took {took:?}"
    );
    assert!(
        run.stderr.contains("password authentication failed"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("gave up"), "{}", run.stderr);
    assert!(!run.stderr.contains("wrong-one"), "{}", run.stderr);

    // The right password: ready.
    let right = wrong.replace("wrong-one", "right-one");
    project
        .run(&right, &["db", "wait", "--timeout", "10"])
        .expect_code(0);
    db.query_strings_blocking("DROP ROLE strata_wait_app");
}

#[test]
fn db_wait_on_a_refused_port_gives_up_after_the_timeout() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let project = Project::new();
    let url = format!("postgres://app@127.0.0.1:{port}/app?sslmode=disable");
    let start = std::time::Instant::now();
    let run = project.run(&url, &["db", "wait", "--timeout", "1500ms"]);
    let took = start.elapsed();
    run.expect_code(1).expect_no_panic();
    assert!(took >= std::time::Duration::from_millis(1500), "{took:?}");
    assert!(
        run.stderr.contains("gave up after 1500ms (--timeout)"),
        "{}",
        run.stderr
    );
    // The cause is the refusal, not a server that "did not answer".
    assert!(
        run.stderr.contains("Connection refused") && !run.stderr.contains("did not answer"),
        "{}",
        run.stderr
    );
}

#[test]
fn db_wait_timeout_bounds_an_attempt_connect_timeout_would_let_run() {
    let (port, _server) = silent_server();
    let project = Project::new();
    // connect_timeout defaults to 10 s; --timeout 2 wins.
    let url = format!("postgres://app@127.0.0.1:{port}/app?sslmode=disable");
    let start = std::time::Instant::now();
    let run = project.run(&url, &["db", "wait", "--timeout", "2"]);
    let took = start.elapsed();
    run.expect_code(1).expect_no_panic();
    assert!(
        took < std::time::Duration::from_secs(5),
        "db wait took {took:?}"
    );
    assert!(
        run.stderr.contains("gave up after 2s (--timeout)"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("did not answer"), "{}", run.stderr);
}

#[test]
fn a_read_only_database_is_refused_before_the_lock_with_no_history_table() {
    let db = TestDb::new_blocking("read_only");
    db.query_strings_blocking(&format!(
        "ALTER DATABASE \"{}\" SET default_transaction_read_only = on",
        db.name()
    ));
    let project = Project::new();
    project.migration(
        "V1__a.sql",
        "CREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n",
    );
    for args in [
        &["migrate"][..],
        &["migrate", "--json"],
        &["rollback"],
        &["repair"],
        &["baseline", "1"],
    ] {
        let run = project.run(&db.url(), args);
        run.expect_code(1).expect_no_panic();
        assert!(
            run.stderr
                .contains(&format!("database `{}` is read-only", db.name())),
            "{args:?}: {}",
            run.stderr
        );
        assert!(
            run.stderr.contains("default_transaction_read_only"),
            "{}",
            run.stderr
        );
        assert!(
            !crate::support::table_exists(&db, "strata_schema_history"),
            "{args:?}"
        );
        assert_eq!(
            crate::support::advisory_locks(&db),
            0,
            "{args:?}: the lock is released"
        );
    }
    // Reading still works.
    project.run(&db.url(), &["status"]).expect_code(0);
    // From the maintenance database: this one only runs read-only transactions.
    crate::support::scalar(
        &strata_testkit::server().url("postgres"),
        &format!(
            "ALTER DATABASE \"{}\" RESET default_transaction_read_only",
            db.name()
        ),
    );
    project.run(&db.url(), &["migrate"]).expect_code(0);
}

/// A hot standby of an extra cluster (`pg_basebackup -R`), stopped at drop.
struct Standby {
    cluster: strata::cluster::LocalCluster,
    _dir: tempfile::TempDir,
}

impl Drop for Standby {
    fn drop(&mut self) {
        let _ = self
            .cluster
            .stop_with(strata::cluster::ShutdownMode::Immediate);
    }
}

fn standby_of(primary: &strata_testkit::ExtraCluster) -> Standby {
    let bins = primary.cluster().binaries().clone();
    let dir = tempfile::tempdir().unwrap();
    let cluster =
        strata::cluster::LocalCluster::new(dir.path().join("standby"), bins.clone()).unwrap();
    let data = cluster.data_dir();
    std::fs::create_dir_all(data.parent().unwrap()).unwrap();
    let out = std::process::Command::new(bins.program("pg_basebackup"))
        .args(["-h", "127.0.0.1", "-p", &primary.port().to_string()])
        .args([
            "-U",
            strata::cluster::SUPERUSER,
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
            "-D",
        ])
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    if let Some(user) = cluster.server_user() {
        let out = std::process::Command::new("chown")
            .args(["-R", &format!("{user}:{user}")])
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    cluster
        .start(&strata::cluster::StartOptions::for_tests())
        .unwrap();
    Standby { cluster, _dir: dir }
}

#[test]
fn a_hot_standby_is_refused_before_the_lock() {
    let primary = strata_testkit::start_extra_cluster();
    let db = primary.fresh_db_blocking("standby");
    let standby = standby_of(&primary);
    let url = standby.cluster.url(db.name()).unwrap();
    assert_eq!(
        crate::support::scalar(&url, "SELECT pg_is_in_recovery()").as_deref(),
        Some("t")
    );
    let project = Project::new();
    project.migration("V1__a.sql", "CREATE TABLE a (id int);\n");
    for args in [&["migrate"][..], &["repair"], &["baseline", "1"]] {
        let run = project.run(&url, args);
        run.expect_code(1).expect_no_panic();
        assert!(
            run.stderr.contains(&format!(
                "database `{}` is in recovery (a hot standby)",
                db.name()
            )),
            "{args:?}: {}",
            run.stderr
        );
    }
    project.run(&url, &["status"]).expect_code(0);
}
