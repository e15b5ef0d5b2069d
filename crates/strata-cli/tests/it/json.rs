//! SPEC §10: with `--json`, stdout is exactly one JSON document (messages go
//! to stderr) with `env` and per database `name`, `url`, `migrations[]`,
//! `applied`, `pending`, `problems`; `migrate` adds `executed[]`.

#![allow(clippy::unwrap_used)]

use crate::support::{Project, Run};
use serde_json::Value;
use strata_testkit::TestDb;

/// stdout parsed as exactly one JSON document (serde_json rejects anything
/// but whitespace after it).
#[track_caller]
fn document(run: &Run) -> Value {
    match serde_json::from_str(&run.stdout) {
        Ok(v) => v,
        Err(e) => panic!(
            "stdout is not one JSON document: {e}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            run.stdout, run.stderr
        ),
    }
}

fn project() -> Project {
    let project = Project::new();
    project
        .migration("V001__create_users.sql", "CREATE TABLE users (id int);\n")
        .migration("V002__create_roles.sql", "CREATE TABLE roles (id int);\n");
    project
}

fn states(db: &Value) -> Vec<&str> {
    db["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["state"].as_str().unwrap())
        .collect()
}

#[test]
fn status_json_lists_pending_migrations() {
    let db = TestDb::new_blocking("cli_json_status");
    let project = project();

    let run = project.run(&db.url(), &["status", "--json"]);

    run.expect_code(0);
    let doc = document(&run);
    assert_eq!(doc["env"], "dev");
    let dbs = doc["databases"].as_array().unwrap();
    assert_eq!(dbs.len(), 1);
    let main = &dbs[0];
    assert_eq!(main["name"], "main");
    assert!(
        main["url"].as_str().unwrap().ends_with(db.name()),
        "{}",
        main["url"]
    );
    assert_eq!(main["applied"], 0);
    assert_eq!(main["pending"], 2);
    assert_eq!(main["problems"], serde_json::json!([]));
    assert_eq!(states(main), ["pending", "pending"]);
    let first = &main["migrations"][0];
    assert_eq!(first["version"], "1");
    assert_eq!(first["description"], "create users");
    assert_eq!(first["kind"], "versioned");
    assert_eq!(first["script"], "V001__create_users.sql");
    assert_eq!(first["checksum"].as_str().unwrap().len(), 64);
    assert!(first["applied_at"].is_null());
    assert!(
        main.get("executed").is_none(),
        "only migrate has executed[]"
    );
}

#[test]
fn migrate_json_reports_what_it_executed_and_the_state_after() {
    let db = TestDb::new_blocking("cli_json_migrate");
    let project = project();

    let run = project.run(&db.url(), &["migrate", "--json"]);

    run.expect_code(0);
    let doc = document(&run);
    let main = &doc["databases"][0];
    let executed = main["executed"].as_array().unwrap();
    let versions: Vec<&str> = executed
        .iter()
        .map(|e| e["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["1", "2"]);
    assert_eq!(executed[1]["script"], "V002__create_roles.sql");
    assert!(executed.iter().all(|e| e["execution_ms"].is_u64()));
    // The document describes the database after the run.
    assert_eq!(states(main), ["applied", "applied"]);
    assert_eq!(main["applied"], 2);
    assert_eq!(main["pending"], 0);
    assert!(main["migrations"][0]["applied_at"].is_string());

    // Up to date: nothing executed, still one document.
    let run = project.run(&db.url(), &["migrate", "--json"]);
    run.expect_code(0);
    let doc = document(&run);
    assert_eq!(doc["databases"][0]["executed"], serde_json::json!([]));
    assert_eq!(doc["databases"][0]["applied"], 2);

    let run = project.run(&db.url(), &["status", "--json"]);
    let doc = document(&run);
    assert_eq!(states(&doc["databases"][0]), ["applied", "applied"]);
}

#[test]
fn migrate_json_on_failure_is_still_one_document_with_what_ran() {
    let db = TestDb::new_blocking("cli_json_migrate_fail");
    let project = project();
    project.migration("V003__broken.sql", "SELECT * FROM no_such_table;\n");

    let run = project.run(&db.url(), &["migrate", "--json"]);

    run.expect_code(1);
    let doc = document(&run);
    let main = &doc["databases"][0];
    let executed: Vec<&str> = main["executed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["script"].as_str().unwrap())
        .collect();
    assert_eq!(
        executed,
        ["V001__create_users.sql", "V002__create_roles.sql"],
        "the migrations applied before the failure are reported"
    );
    assert_eq!(states(main), ["applied", "applied", "pending"]);
    assert_eq!(main["status"], "failed");
    assert!(
        main["error"].as_str().unwrap().contains("42P01"),
        "{}",
        main["error"]
    );
    // The error is also told to the human, on stderr.
    assert!(
        run.stderr.contains("V003__broken.sql:1:15"),
        "{}",
        run.stderr
    );
}

#[test]
fn verify_and_validate_json_are_one_document_with_problems() {
    let db = TestDb::new_blocking("cli_json_problems");
    let project = project();

    for args in [&["verify", "--json"][..], &["validate", "--json"]] {
        let run = project.run(&db.url(), args);
        let doc = document(&run);
        let main = &doc["databases"][0];
        assert_eq!(main["name"], "main");
        if args[0] == "verify" {
            run.expect_code(3);
            let problems = main["problems"].as_array().unwrap();
            assert_eq!(problems.len(), 2, "{problems:?}");
            assert_eq!(problems[0]["script"], "V001__create_users.sql");
            assert_eq!(problems[0]["state"], "pending");
        } else {
            run.expect_code(0);
            assert_eq!(main["problems"], serde_json::json!([]));
        }
    }

    project.migration("init.sql", "SELECT 1;\n");
    let run = project.run(&db.url(), &["validate", "--json"]);
    run.expect_code(3);
    let doc = document(&run);
    let problems = doc["databases"][0]["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0]["message"]
            .as_str()
            .unwrap()
            .contains("init.sql"),
        "{problems:?}"
    );
}
