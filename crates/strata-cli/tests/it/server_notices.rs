//! SPEC §4.2 step 4: server WARNINGs raised by a migration are shown on
//! stderr, NOTICEs only with `-v`; `--json` lists both as `notices` of the
//! migration that raised them.

#![allow(clippy::unwrap_used)]

use crate::support::Project;
use strata_testkit::TestDb;

fn project() -> Project {
    let project = Project::new();
    project
        .migration(
            "V1__raise.sql",
            "DO $$ BEGIN RAISE WARNING 'w1'; RAISE NOTICE 'n1'; END $$;\nCREATE TABLE t (id int);\n",
        )
        .migration("V2__quiet.sql", "CREATE TABLE u (id int);\n");
    project
}

#[test]
fn warnings_show_on_stderr_and_notices_with_verbose() {
    let project = project();
    let db = TestDb::new_blocking("cli_notices_plain");
    let run = project.run(&db.url(), &["migrate"]);
    run.expect_code(0);
    assert!(
        run.stderr.contains("main: V1__raise.sql: WARNING: w1"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("n1"), "{}", run.stderr);
    assert!(
        !run.stdout.contains("w1"),
        "results only on stdout: {}",
        run.stdout
    );

    let db = TestDb::new_blocking("cli_notices_verbose");
    let run = project.run(&db.url(), &["migrate", "-v"]);
    run.expect_code(0);
    assert!(
        run.stderr.contains("main: V1__raise.sql: WARNING: w1"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("main: V1__raise.sql: NOTICE: n1"),
        "{}",
        run.stderr
    );

    let db = TestDb::new_blocking("cli_notices_single");
    let run = project.run(&db.url(), &["migrate", "--single-transaction"]);
    run.expect_code(0);
    assert!(
        run.stderr.contains("main: V1__raise.sql: WARNING: w1"),
        "{}",
        run.stderr
    );
}

#[test]
fn json_lists_the_notices_of_each_executed_migration() {
    let project = project();
    let db = TestDb::new_blocking("cli_notices_json");
    let run = project.run(&db.url(), &["migrate", "--json"]);
    run.expect_code(0);
    let doc = run.json();
    let executed = doc["databases"][0]["executed"].as_array().unwrap();
    assert_eq!(
        executed[0]["notices"],
        serde_json::json!([
            {"severity": "WARNING", "message": "w1", "script": "V1__raise.sql"},
            {"severity": "NOTICE", "message": "n1", "script": "V1__raise.sql"},
        ])
    );
    assert!(executed[1].get("notices").is_none(), "{}", executed[1]);
}

/// A migration that fails has no result line, but what it raised before it
/// failed is shown with the failure: WARNINGs always, NOTICEs with `-v`.
#[test]
fn warnings_of_a_failed_migration_show_with_the_failure() {
    for (case, header, args) in [
        ("tx", "", &["migrate"][..]),
        ("notx", "-- strata:no-transaction\n", &["migrate", "-v"][..]),
        ("single", "", &["migrate", "--single-transaction"][..]),
    ] {
        let project = Project::new();
        project
            .migration("V1__ok.sql", "CREATE TABLE ok (id int);\n")
            .migration(
                "V2__fails.sql",
                format!(
                    "{header}DO $$ BEGIN RAISE WARNING 'w-before'; RAISE NOTICE 'n-before'; END $$;\nSELECT 1/0;\n"
                ),
            );
        let db = TestDb::new_blocking(&format!("cli_notices_failed_{case}"));
        let run = project.run(&db.url(), args);
        run.expect_code(1);
        let script = if case == "single" {
            "--single-transaction"
        } else {
            "V2__fails.sql"
        };
        assert!(
            run.stderr
                .contains(&format!("main: {script}: WARNING: w-before")),
            "{case}: {}",
            run.stderr
        );
        assert!(
            run.stderr.contains("division by zero"),
            "{case}: {}",
            run.stderr
        );
        assert_eq!(
            run.stderr.contains("NOTICE: n-before"),
            case == "notx",
            "{case}: NOTICEs only with -v: {}",
            run.stderr
        );
        assert_eq!(
            run.stderr.matches("WARNING").count(),
            1,
            "{case}: {}",
            run.stderr
        );
    }
}
