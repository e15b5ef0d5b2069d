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

/// What a `--json` run must look like on any path (SPEC §10): stdout is
/// exactly one JSON document whose exit code (`error.exit_code`, or the
/// result document's `exit_code`) is the process's; a failure also tells
/// the human on stderr. Returns the document.
#[track_caller]
fn one_document_agreeing(run: &Run, code: i32) -> Value {
    run.expect_code(code).expect_no_panic();
    let doc = document(run);
    let said = doc["error"]["exit_code"]
        .as_i64()
        .or_else(|| doc["exit_code"].as_i64())
        .unwrap_or_else(|| panic!("no exit_code in the document:\n{}", run.stdout));
    assert_eq!(said, i64::from(code), "document:\n{}", run.stdout);
    if let Some(message) = doc["error"]["message"].as_str() {
        assert!(!message.is_empty(), "{}", run.stdout);
        // The same message, for the human, on stderr.
        let head: String = message.chars().take(40).collect();
        assert!(
            run.stderr.contains(&head),
            "stderr lacks {head:?}:\n{}",
            run.stderr
        );
    } else if code != 0 {
        assert!(run.stderr.contains("error"), "{}", run.stderr);
    }
    if let Some(dbs) = doc["databases"].as_array() {
        let statuses: Vec<&str> = dbs.iter().filter_map(|d| d["status"].as_str()).collect();
        match code {
            0 => assert!(
                statuses.iter().all(|s| *s == "ok"),
                "{statuses:?}\n{}",
                run.stdout
            ),
            3 => assert!(
                statuses.iter().any(|s| *s == "problems" || *s == "failed"),
                "{statuses:?}\n{}",
                run.stdout
            ),
            _ => assert!(statuses.contains(&"failed"), "{statuses:?}\n{}", run.stdout),
        }
    }
    doc
}

#[test]
fn every_failure_path_writes_one_document_with_its_exit_code() {
    let db = TestDb::new_blocking("cli_json_every_path");
    let url = db.url();

    // strata.toml that is not TOML, and one with an unknown key (exit 2).
    let broken = Project::with_toml("[databases.main\n");
    let doc = one_document_agreeing(&broken.run(&url, &["status", "--json"]), 2);
    assert!(doc["error"]["message"].is_string());
    let typo = Project::with_toml("[databases.main]\nmigrations = \"migrations\"\nbogus = 1\n");
    for args in [
        &["status", "--json"][..],
        &["migrate", "--json"],
        &["new", "x", "--json"],
        &["db", "create", "--json"],
    ] {
        let doc = one_document_agreeing(&typo.run(&url, args), 2);
        assert!(
            doc["error"]["message"].as_str().unwrap().contains("bogus"),
            "{doc}"
        );
    }

    // Flags clap refuses (exit 2): a bad value, an unknown flag, a missing argument.
    let project = project();
    for args in [
        &["status", "--wait", "abc", "--json"][..],
        &["migrate", "--json", "--no-such-flag"],
        &["--json", "new"],
        &["rollback", "--to", "abc", "--json"],
    ] {
        one_document_agreeing(&project.run(&url, args), 2);
    }

    // An unknown database name, and `new` with no database to pick (exit 2).
    one_document_agreeing(&project.run(&url, &["status", "--db", "nope", "--json"]), 2);

    // `init` where a project exists: refused (exit 5).
    one_document_agreeing(&project.run(&url, &["init", "--json"]), 5);

    // An unreachable database (exit 1), for each command that connects.
    let nowhere = "postgres://app@127.0.0.1:1/nowhere";
    for args in [
        &["status", "--json"][..],
        &["migrate", "--json"],
        &["verify", "--json"],
        &["rollback", "--json"],
        &["repair", "--json"],
        &["baseline", "1", "--json"],
        &["db", "create", "--json"],
        &["db", "wait", "--timeout", "1", "--json"],
    ] {
        let run = project.run(nowhere, args);
        one_document_agreeing(&run, 1);
        assert!(run.stderr.contains("127.0.0.1:1"), "{}", run.stderr);
    }

    // No URL at all (exit 2).
    let run = Run::of(project.cmd(None, &["status", "--json"]).output().unwrap());
    one_document_agreeing(&run, 2);

    // Checks that find problems (exit 3): verify with pending files.
    one_document_agreeing(&project.run(&url, &["verify", "--json"]), 3);

    // A migration that fails (exit 1), then migrate refused by its state (3).
    project.migration("V003__broken.sql", "SELECT * FROM no_such_table;\n");
    one_document_agreeing(&project.run(&url, &["migrate", "--json"]), 1);
    project.remove_migration("V003__broken.sql");
    project.migration(
        "V001__create_users.sql",
        "CREATE TABLE users (id bigint);\n",
    );
    one_document_agreeing(&project.run(&url, &["migrate", "--json"]), 3);
    one_document_agreeing(&project.run(&url, &["verify", "--json"]), 3);
    project.migration("V001__create_users.sql", "CREATE TABLE users (id int);\n");

    // Rollback of a version without a down part: refused before anything runs.
    let run = project.run(&url, &["rollback", "--json"]);
    assert_ne!(run.code, 0);
    one_document_agreeing(&run, run.code);

    // Baseline where there is history already.
    let run = project.run(&url, &["baseline", "1", "--json"]);
    assert_ne!(run.code, 0);
    one_document_agreeing(&run, run.code);

    // db drop without --confirm and without a terminal: refused (exit 5).
    one_document_agreeing(&project.run(&url, &["db", "drop", "--json"]), 5);

    // validate with a misnamed file: problems, exit 3, status "problems".
    project.migration("init.sql", "SELECT 1;\n");
    for args in [
        &["validate", "--json"][..],
        &["validate", "--offline", "--json"],
    ] {
        let doc = one_document_agreeing(&project.run(&url, args), 3);
        assert_eq!(doc["databases"][0]["status"], "problems", "{doc}");
    }
    project.remove_migration("init.sql");

    // The migration lock held by someone else (exit 4).
    let holder = crate::concurrency::LockHolder::take(&db, "json-test");
    project.migration("V003__more.sql", "CREATE TABLE more (id int);\n");
    one_document_agreeing(
        &project.run(&url, &["migrate", "--lock-wait", "0", "--json"]),
        4,
    );
    drop(holder);

    // Success paths too: one document with exit_code 0.
    one_document_agreeing(&project.run(&url, &["migrate", "--json"]), 0);
    one_document_agreeing(&project.run(&url, &["verify", "--json"]), 0);
    let doc = one_document_agreeing(&project.run(&url, &["new", "add", "x", "--json"]), 0);
    assert!(
        doc["created"][0]
            .as_str()
            .unwrap()
            .ends_with("V004__add_x.sql"),
        "{doc}"
    );
    let fresh = Project::empty();
    let doc = one_document_agreeing(&fresh.run(&url, &["init", "--json"]), 0);
    assert_eq!(doc["created"].as_array().unwrap().len(), 2, "{doc}");
}

#[test]
fn protected_and_policy_refusals_write_one_document() {
    let db = TestDb::new_blocking("cli_json_refusals");
    let url = db.url();
    let project = Project::with_toml(
        "default_env = \"prod\"\n\
         [databases.main]\nmigrations = \"migrations\"\n\
         [environments.prod]\nprotected = true\n\
         [environments.strict]\nallowed_hosts = [\"db.example.com\"]\n",
    );
    project.migration("V1__a.sql", "CREATE TABLE a (id int);\n");

    // Refused in a protected environment (exit 5).
    for args in [
        &["db", "clean", "--json"][..],
        &["db", "drop", "--confirm", db.name(), "--json"],
        &["db", "seed", "--json"],
    ] {
        one_document_agreeing(&project.run(&url, args), 5);
    }
    // A URL the environment's policy refuses (exit 2).
    for args in [
        &["--env", "strict", "status", "--json"][..],
        &["--env", "strict", "migrate", "--json"],
        &["--env", "strict", "db", "create", "--json"],
    ] {
        let run = project.run(&url, args);
        one_document_agreeing(&run, 2);
        assert!(run.stderr.contains("allowed_hosts"), "{}", run.stderr);
    }
    assert!(!crate::support::table_exists(&db, "a"));
}
