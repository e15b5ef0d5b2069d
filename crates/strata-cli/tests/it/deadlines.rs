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
