//! What strata refuses before it writes a history row: another tool's
//! history table given as `history_table` (SPEC §3), a database that
//! already holds tables but has no history (SPEC §4.1, with
//! `baseline_on_migrate` as the way through), and an applied file that
//! was renamed (`renamed`, a warning that does not block).

#![allow(clippy::unwrap_used)]

use crate::support::{Project, history, table_exists};
use strata_testkit::TestDb;

/// The shape of Flyway's history table, as its PostgreSQL DDL creates it.
const FLYWAY_TABLE: &str = "CREATE TABLE flyway_schema_history (
    installed_rank integer PRIMARY KEY, version varchar(50), description varchar(200) NOT NULL,
    type varchar(20) NOT NULL, script varchar(1000) NOT NULL, checksum integer,
    installed_by varchar(100) NOT NULL, installed_on timestamp NOT NULL DEFAULT now(),
    execution_time integer NOT NULL, success boolean NOT NULL);
INSERT INTO flyway_schema_history VALUES
    (1, '1', 'init', 'SQL', 'V1__init.sql', 123, 'app', now(), 5, true);
CREATE TABLE users (id int);";

#[test]
fn a_flyway_history_table_is_refused_by_every_command_naming_its_columns() {
    let db = TestDb::new_blocking("cli_foreign_history");
    db.query_strings_blocking(FLYWAY_TABLE);
    let url = db.url();
    let project = Project::with_toml(
        "history_table = \"public.flyway_schema_history\"\n[databases.main]\nurl_env = \"DATABASE_URL\"\n",
    );
    project.migration("V1__init.sql", "CREATE TABLE users (id int);\n");
    for args in [
        &["migrate"][..],
        &["migrate", "--dry-run"],
        &["status"],
        &["verify"],
        &["validate"],
        &["rollback"],
        &["repair"],
        &["baseline", "1"],
    ] {
        let run = project.run(&url, args);
        run.expect_code(3).expect_no_panic();
        assert!(
            run.stderr.contains(
                "public.flyway_schema_history is not a strata history table (its columns: \
                 installed_rank, version, description, type, script, checksum, installed_by, \
                 installed_on, execution_time, success); it looks like flyway's history"
            ) && run.stderr.contains(
                "`strata baseline --from flyway --from-table public.flyway_schema_history`"
            ),
            "{args:?}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("does not exist"), "{}", run.stderr);
    }
    // Nothing was written into the other tool's table.
    let rows = db.query_strings_blocking("SELECT count(*) FROM flyway_schema_history");
    assert_eq!(rows[0][0].as_deref(), Some("1"));
}

#[test]
fn an_unknown_shape_is_refused_without_a_tool_name() {
    let db = TestDb::new_blocking("cli_foreign_history_unknown");
    db.query_strings_blocking("CREATE TABLE app_versions (id int, label text)");
    let url = db.url();
    let project = Project::with_toml(
        "history_table = \"public.app_versions\"\n[databases.main]\nurl_env = \"DATABASE_URL\"\n",
    );
    project.migration("V1__a.sql", "SELECT 1;\n");
    let run = project.run(&url, &["status"]);
    run.expect_code(3);
    assert!(
        run.stderr.contains(
            "public.app_versions is not a strata history table (its columns: id, label); \
             it looks like another tool's history"
        ) && run.stderr.contains("`strata baseline --from TOOL"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_renamed_applied_file_is_reported_and_blocks_nothing() {
    let db = TestDb::new_blocking("cli_renamed");
    let url = db.url();
    let project = Project::new();
    project.migration("V1__create_users.sql", "CREATE TABLE users (id int);\n");
    project.run(&url, &["migrate"]).expect_code(0);
    project.remove_migration("V1__create_users.sql");
    project
        .migration("V001__users.sql", "CREATE TABLE users (id int);\n")
        .migration("V2__roles.sql", "CREATE TABLE roles (id int);\n");
    let warning = "main: V001__users.sql: renamed: applied as V1__create_users.sql \
                   (same version and checksum); the history keeps the old name";

    let status = project.run(&url, &["status"]);
    status.expect_code(0);
    assert!(status.stderr.contains(warning), "{}", status.stderr);
    assert!(status.stdout.contains("renamed"), "{}", status.stdout);
    assert!(
        status.stdout.contains("1 applied, 1 pending"),
        "{}",
        status.stdout
    );

    let json = project.run(&url, &["status", "--json"]).json();
    assert_eq!(json["databases"][0]["migrations"][0]["state"], "renamed");

    let validate = project.run(&url, &["validate"]);
    validate.expect_code(0);
    assert!(validate.stderr.contains(warning), "{}", validate.stderr);

    let migrate = project.run(&url, &["migrate"]);
    migrate.expect_code(0);
    assert!(migrate.stderr.contains(warning), "{}", migrate.stderr);
    assert!(
        migrate.stdout.contains("applied V2 roles"),
        "{}",
        migrate.stdout
    );
    project.run(&url, &["verify"]).expect_code(0);
    // The history keeps the name it ran under.
    let scripts: Vec<String> = history(&db).into_iter().map(|(_, s, _)| s).collect();
    assert_eq!(scripts, ["V1__create_users.sql", "V2__roles.sql"]);
}

#[test]
fn a_database_with_tables_but_no_history_is_refused_until_baselined() {
    let db = TestDb::new_blocking("cli_not_empty");
    db.query_strings_blocking(
        "CREATE TABLE legacy_users (id int); CREATE VIEW legacy_v AS SELECT 1",
    );
    let url = db.url();
    let project = Project::new();
    project
        .migration("V1__users.sql", "CREATE TABLE users (id int);\n")
        .migration("V2__roles.sql", "CREATE TABLE roles (id int);\n");
    let expected = "the database already holds tables (public.legacy_users, public.legacy_v) but has \
                    no history table public.strata_schema_history: run `strata baseline VERSION`";
    for args in [&["migrate"][..], &["migrate", "--dry-run"]] {
        let run = project.run(&url, args);
        run.expect_code(3).expect_no_panic();
        assert!(run.stderr.contains(expected), "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("baseline_on_migrate = true"),
            "{}",
            run.stderr
        );
    }
    assert!(!table_exists(&db, "users") && !table_exists(&db, "strata_schema_history"));

    // `strata baseline 1` says what the database holds: V2 then applies.
    project.run(&url, &["baseline", "1"]).expect_code(0);
    project.run(&url, &["migrate"]).expect_code(0);
    assert!(table_exists(&db, "roles") && !table_exists(&db, "users"));
}

#[test]
fn baseline_on_migrate_records_version_0_then_migrates() {
    let db = TestDb::new_blocking("cli_baseline_on_migrate");
    db.query_strings_blocking("CREATE TABLE legacy_users (id int)");
    let url = db.url();
    let project = Project::with_toml(
        "[databases.main]\nurl_env = \"DATABASE_URL\"\nbaseline_on_migrate = true\n",
    );
    project.migration("V1__users.sql", "CREATE TABLE users (id int);\n");
    let run = project.run(&url, &["migrate"]);
    run.expect_code(0).expect_no_panic();
    assert!(
        run.stderr.contains(
            "main: the database already held tables but no history (baseline_on_migrate): \
             recorded a baseline at version 0 in public.strata_schema_history"
        ),
        "{}",
        run.stderr
    );
    assert!(table_exists(&db, "users"));
    let rows = db.query_strings_blocking(
        "SELECT installed_rank::text, version, kind, script FROM strata_schema_history ORDER BY 1",
    );
    let rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|r| r.into_iter().map(Option::unwrap_or_default).collect())
        .collect();
    assert_eq!(
        rows,
        [
            ["1", "0", "baseline", "<< baseline >>"],
            ["2", "1", "versioned", "V1__users.sql"],
        ]
    );
    // An empty database gets no baseline row, even with the key set.
    let empty = TestDb::new_blocking("cli_baseline_on_migrate_empty");
    project.run(&empty.url(), &["migrate"]).expect_code(0);
    assert_eq!(history(&empty).len(), 1);
}

#[test]
fn two_databases_of_a_project_in_one_server_database_migrate_in_turn() {
    let db = TestDb::new_blocking("cli_shared_server_db");
    let url = db.url();
    // `app` depends on `core`; both live in the same server database, each
    // with its own history table. Tables outside `schemas` count for nothing.
    db.query_strings_blocking("CREATE SCHEMA scratch; CREATE TABLE scratch.notes (id int)");
    let project = Project::with_toml(
        "[databases.core]\nurl_env = \"DATABASE_URL\"\nhistory_table = \"public.core_history\"\n\
         [databases.app]\nurl_env = \"DATABASE_URL\"\nhistory_table = \"public.app_history\"\n\
         depends_on = [\"core\"]\n",
    );
    std::fs::create_dir_all(project.path().join("migrations/core")).unwrap();
    std::fs::create_dir_all(project.path().join("migrations/app")).unwrap();
    std::fs::write(
        project.path().join("migrations/core/V1__accounts.sql"),
        "CREATE TABLE accounts (id int);\n",
    )
    .unwrap();
    std::fs::write(
        project.path().join("migrations/app/V1__orders.sql"),
        "CREATE TABLE orders (id int);\n",
    )
    .unwrap();
    let run = project.run(&url, &["migrate"]);
    run.expect_code(0).expect_no_panic();
    assert!(
        table_exists(&db, "accounts") && table_exists(&db, "orders"),
        "{}",
        run.stderr
    );
}
