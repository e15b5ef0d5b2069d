//! `strata rollback`, `repair`, `baseline` and `migrate --resume`, through
//! the real binary on a real server: what the user reads, the exit codes of
//! SPEC §9, and the `--json` document of `rollback` (SPEC §10).

#![allow(clippy::unwrap_used)]

use crate::support::{Project, history, table_exists};
use strata_testkit::TestDb;

fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout)
        .unwrap_or_else(|e| panic!("not one JSON document ({e}):\n{stdout}"))
}

fn reversible(project: &Project) {
    project
        .migration(
            "001_one.sql",
            "-- migrate:up\nCREATE TABLE one (id int);\n-- migrate:down\nDROP TABLE one;\n",
        )
        .migration("V2__two.sql", "CREATE TABLE two (id int);")
        .migration("U2__two.sql", "DROP TABLE two;")
        .migration("003_three.up.sql", "CREATE TABLE three (id int);")
        .migration("003_three.down.sql", "DROP TABLE three;");
}

#[test]
fn rollback_one_step_then_to_a_version_then_migrate_again() {
    let db = TestDb::new_blocking("cli_rollback");
    let url = db.url();
    let project = Project::new();
    reversible(&project);
    project.run(&url, &["migrate"]).expect_code(0);

    let run = project.run(&url, &["rollback"]);
    run.expect_code(0).expect_no_panic();
    assert!(
        run.stdout.contains("main: rolled back V3 three"),
        "{}",
        run.stdout
    );
    assert!(!table_exists(&db, "three") && table_exists(&db, "two"));

    let dry = project.run(&url, &["rollback", "--to", "0", "--dry-run"]);
    dry.expect_code(0);
    assert!(
        dry.stdout.contains("would roll back V2 two  [U2__two.sql]")
            && dry.stdout.contains("would roll back V1 one  [001_one.sql]"),
        "{}",
        dry.stdout
    );
    assert!(table_exists(&db, "two"), "a dry run changes nothing");

    let run = project.run(&url, &["rollback", "--to", "0", "--json"]);
    run.expect_code(0);
    let doc = json(&run.stdout);
    let d = &doc["databases"][0];
    let rolled: Vec<&str> = d["rolled_back"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["script"].as_str().unwrap())
        .collect();
    assert_eq!(rolled, ["U2__two.sql", "001_one.sql"]);
    assert!(
        d["migrations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["state"] == "pending"),
        "{d}"
    );
    assert_eq!(d["pending"], 3);
    let undo =
        db.query_strings_blocking("SELECT count(*) FROM strata_schema_history WHERE kind = 'undo'");
    assert_eq!(undo[0][0].as_deref(), Some("3"));

    let status = project.run(&url, &["status"]);
    assert!(
        status.stdout.contains("0 applied, 3 pending"),
        "{}",
        status.stdout
    );
    project.run(&url, &["migrate"]).expect_code(0);
    assert!(table_exists(&db, "one") && table_exists(&db, "three"));
}

#[test]
fn rollback_without_a_down_part_is_exit_3_and_runs_nothing() {
    let db = TestDb::new_blocking("cli_rollback_refused");
    let url = db.url();
    let project = Project::new();
    project
        .migration("V1__a.sql", "CREATE TABLE a (id int);")
        .migration(
            "V2__b.sql",
            "-- migrate:up\nCREATE TABLE b (id int);\n-- migrate:down\nDROP TABLE b;\n",
        );
    project.run(&url, &["migrate"]).expect_code(0);
    let run = project.run(&url, &["rollback", "--steps", "2"]);
    run.expect_code(3).expect_no_panic();
    assert!(
        run.stderr
            .contains("rollback refused, nothing was rolled back")
            && run.stderr.contains("V1__a.sql: has no down part"),
        "{}",
        run.stderr
    );
    assert!(table_exists(&db, "b"));
    project
        .run(&url, &["rollback", "--steps", "0"])
        .expect_code(2);
    project
        .run(&url, &["rollback", "--steps", "1", "--to", "1"])
        .expect_code(2);
}

#[test]
fn repair_prints_what_it_changes_and_accepts_checksums_only_when_asked() {
    let db = TestDb::new_blocking("cli_repair");
    let url = db.url();
    let project = Project::new();
    project
        .migration("V1__a.sql", "CREATE TABLE a (id int);")
        .migration(
            "V2__b.sql",
            "-- strata:no-transaction\nCREATE TABLE b (id int);\nSELECT nope FROM b;\n",
        );
    project.run(&url, &["migrate"]).expect_code(1);

    let dry = project.run(&url, &["repair", "--dry-run"]);
    dry.expect_code(0);
    assert!(
        dry.stdout
            .contains("main: would remove failed row #2 V2 (V2__b.sql"),
        "{}",
        dry.stdout
    );
    assert_eq!(history(&db).len(), 2);

    let run = project.run(&url, &["repair"]);
    run.expect_code(0);
    assert!(
        run.stdout
            .contains("main: removed failed row #2 V2 (V2__b.sql"),
        "{}",
        run.stdout
    );
    assert_eq!(history(&db).len(), 1);

    project.migration("V1__a.sql", "CREATE TABLE a (id int); -- reviewed");
    project.migration(
        "V2__b.sql",
        "-- strata:no-transaction\nCREATE TABLE IF NOT EXISTS b (id int);\nSELECT id FROM b;\n",
    );
    project.run(&url, &["migrate"]).expect_code(3);
    let run = project.run(&url, &["repair"]);
    run.expect_code(0);
    assert!(run.stdout.contains("nothing to repair"), "{}", run.stdout);
    assert!(
        run.stderr.contains("V1__a.sql is modified"),
        "{}",
        run.stderr
    );
    let run = project.run(&url, &["repair", "--accept-checksums", "--json"]);
    run.expect_code(0);
    let doc = json(&run.stdout);
    let accepted = &doc["databases"][0]["accepted"][0];
    assert_eq!(accepted["script"], "V1__a.sql");
    assert_ne!(accepted["old"], accepted["new"]);
    project.run(&url, &["migrate"]).expect_code(0);
    project.run(&url, &["verify"]).expect_code(0);
}

#[test]
fn resume_after_a_failed_create_index_concurrently() {
    let db = TestDb::new_blocking("cli_resume");
    let url = db.url();
    let project = Project::new();
    project
        .migration(
            "V1__t.sql",
            "CREATE TABLE t (email text);\nINSERT INTO t VALUES ('a'), ('a');\n",
        )
        .migration(
            "V2__idx.sql",
            "-- strata:no-transaction\nCREATE TABLE audit (id int);\nCREATE UNIQUE INDEX CONCURRENTLY t_email_key ON t (email);\n",
        );
    let run = project.run(&url, &["migrate"]);
    run.expect_code(1).expect_no_panic();
    assert!(
        run.stderr.contains("INVALID index public.t_email_key")
            && run
                .stderr
                .contains("DROP INDEX CONCURRENTLY IF EXISTS public.t_email_key;")
            && run.stderr.contains("strata migrate --resume"),
        "{}",
        run.stderr
    );
    let refused = project.run(&url, &["migrate"]);
    refused.expect_code(3);
    assert!(refused.stderr.contains("--resume"), "{}", refused.stderr);

    db.query_strings_blocking("DROP INDEX CONCURRENTLY public.t_email_key");
    db.query_strings_blocking("DELETE FROM t WHERE ctid = (SELECT max(ctid) FROM t)");
    let run = project.run(&url, &["migrate", "--resume"]);
    run.expect_code(0).expect_no_panic();
    assert!(
        run.stderr
            .contains("resuming V2__idx.sql after the 1 statement(s)"),
        "{}",
        run.stderr
    );
    project.run(&url, &["verify"]).expect_code(0);
}

#[test]
fn baseline_and_adoption_from_the_command_line() {
    let db = TestDb::new_blocking("cli_baseline");
    let url = db.url();
    let project = Project::new();
    project
        .migration("V1__a.sql", "CREATE TABLE a (id int);")
        .migration("V2__b.sql", "CREATE TABLE b (id int);")
        .migration("V3__c.sql", "CREATE TABLE c (id int);");
    project.run(&url, &["baseline", "V2"]).expect_code(0);
    let status = project.run(&url, &["status", "--json"]);
    let doc = json(&status.stdout);
    let states: Vec<&str> = doc["databases"][0]["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["below_baseline", "baseline", "pending"]);
    let again = project.run(&url, &["baseline", "3"]);
    again.expect_code(3);
    assert!(
        again.stderr.contains("already has 1 row(s)"),
        "{}",
        again.stderr
    );

    // Adoption, on a database sqlx managed.
    let db2 = TestDb::new_blocking("cli_adopt_sqlx");
    db2.query_strings_blocking(
        "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, \
         installed_on TIMESTAMPTZ NOT NULL DEFAULT now(), success BOOLEAN NOT NULL, checksum BYTEA NOT NULL, \
         execution_time BIGINT NOT NULL);
         INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (1, 'a', true, '\\x00', 1), (2, 'b', true, '\\x00', 1);
         CREATE TABLE a (id int); CREATE TABLE b (id int);",
    );
    let run = project.run(&db2.url(), &["baseline", "--from", "sqlx"]);
    run.expect_code(0).expect_no_panic();
    assert!(
        run.stdout
            .contains("main: recorded versioned V1 (V1__a.sql)")
            && run
                .stdout
                .contains("main: recorded versioned V2 (V2__b.sql)"),
        "{}",
        run.stdout
    );
    let run = project.run(&db2.url(), &["migrate"]);
    run.expect_code(0);
    assert!(run.stdout.contains("applied V3 c"), "{}", run.stdout);
    let unknown = project.run(&db2.url(), &["baseline", "--from", "liquibase"]);
    unknown.expect_code(2);
    assert!(
        unknown.stderr.contains("flyway, dbmate, golang-migrate"),
        "{}",
        unknown.stderr
    );
}
