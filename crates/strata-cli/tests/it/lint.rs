//! `strata lint` as a user runs it: the pending migrations (with a
//! database), `--offline` (every file) and FILES; human and JSON output
//! (snapshotted); exit codes; severities from strata.toml; `-- strata:allow`;
//! the existing-object logic across the files of a run; and `migrate`
//! refusing on an error-level finding before it touches the database,
//! unless `--no-lint`.

#![allow(clippy::unwrap_used)]

use crate::support::{Project, Run, STRATA_TOML, table_exists};
use strata_testkit::TestDb;

fn offline(project: &Project, args: &[&str]) -> Run {
    let mut all = vec!["lint", "--offline"];
    all.extend_from_slice(args);
    Run::of(project.cmd(None, &all).output().unwrap())
}

fn rules(run: &Run) -> Vec<String> {
    run.json()["databases"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_owned())
        .collect()
}

#[track_caller]
fn snapshot(name: &str, run: &Run, project: &Project) {
    let mut text = format!(
        "exit: {}\n--- stdout ---\n{}--- stderr ---\n{}",
        run.code, run.stdout, run.stderr
    );
    let root = project.path();
    for path in [root.canonicalize().unwrap(), root.to_owned()] {
        text = text.replace(path.to_str().unwrap(), "[PROJECT]");
    }
    insta::assert_snapshot!(name, text);
}

#[test]
fn offline_human_output() {
    let project = Project::new();
    project.fixture("lint_hazards");
    let run = offline(&project, &[]);
    run.expect_code(3).expect_no_panic();
    snapshot("lint_offline_human", &run, &project);
}

#[test]
fn offline_json_output() {
    let project = Project::new();
    project.fixture("lint_hazards");
    let run = offline(&project, &["--json"]);
    run.expect_code(3);
    let doc = run.json();
    insta::assert_json_snapshot!("lint_offline_json", doc);
}

#[test]
fn a_clean_folder_exits_0() {
    let project = Project::new();
    project.migration(
        "V1__users.sql",
        "CREATE TABLE users (id bigint, email text);\n",
    );
    let run = offline(&project, &[]);
    run.expect_code(0);
    assert!(
        run.stdout
            .contains("main: ok, 1 migration(s) linted, no findings"),
        "{}",
        run.stdout
    );
}

#[test]
fn warnings_alone_exit_0() {
    let project = Project::new();
    project.migration("V1__wipe.sql", "TRUNCATE sessions;\n");
    let run = offline(&project, &[]);
    run.expect_code(0);
    assert!(
        run.stdout.contains(
            "migrations/V1__wipe.sql:1:1: warning[ban-truncate]: TRUNCATE deletes every row"
        ),
        "{}",
        run.stdout
    );
}

#[test]
fn files_given_are_linted_without_a_database() {
    let project = Project::new();
    project.migration("V1__ok.sql", "CREATE TABLE t (id int);\n");
    std::fs::write(
        project.path().join("draft.sql"),
        "BEGIN;\nCREATE TABLE u (id int);\nCOMMIT;\n",
    )
    .unwrap();
    let run = Run::of(
        project
            .cmd(None, &["lint", "draft.sql", "--json"])
            .output()
            .unwrap(),
    );
    run.expect_code(3);
    assert_eq!(rules(&run), ["transaction-control", "transaction-control"]);
    assert_eq!(
        run.json()["databases"][0]["findings"][0]["script"],
        "draft.sql"
    );
}

#[test]
fn severities_come_from_strata_toml() {
    let toml = format!(
        "{STRATA_TOML}\n[lint]\nrules = {{ \"ban-truncate\" = \"error\", \"require-concurrent-index-creation\" = \"off\" }}\n"
    );
    let project = Project::with_toml(&toml);
    project.migration(
        "V1__x.sql",
        "CREATE INDEX ON orders (at);\nTRUNCATE sessions;\n",
    );
    let run = offline(&project, &["--json"]);
    run.expect_code(3);
    let doc = run.json();
    let findings = doc["databases"][0]["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["rule"], "ban-truncate");
    assert_eq!(findings[0]["severity"], "error");
}

#[test]
fn an_unknown_rule_or_severity_in_strata_toml_is_a_config_error() {
    let toml = format!("{STRATA_TOML}[lint]\nrules = {{ \"ban-drop-colum\" = \"error\" }}\n");
    let project = Project::with_toml(&toml);
    let run = offline(&project, &[]);
    run.expect_code(2);
    assert!(run.stderr.contains("strata.toml:5"), "{}", run.stderr);
    assert!(
        run.stderr.contains("unknown lint rule `ban-drop-colum`"),
        "{}",
        run.stderr
    );

    let toml = format!("{STRATA_TOML}[lint]\nrules = {{ \"ban-truncate\" = \"fatal\" }}\n");
    let project = Project::with_toml(&toml);
    let run = offline(&project, &[]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("`fatal` for lint rule `ban-truncate`"),
        "{}",
        run.stderr
    );

    let toml = format!("{STRATA_TOML}[lint]\nrulez = {{}}\n");
    let run = offline(&Project::with_toml(&toml), &[]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("unknown key `lint.rulez`"),
        "{}",
        run.stderr
    );
}

#[test]
fn allow_suppresses_and_an_unknown_rule_in_it_is_an_error() {
    let project = Project::new();
    project.migration(
        "V1__wipe.sql",
        "-- strata:allow ban-truncate\nTRUNCATE sessions;\n",
    );
    offline(&project, &[]).expect_code(0);

    project.migration(
        "V2__wipe.sql",
        "-- strata:allow ban-truncat\nTRUNCATE sessions;\n",
    );
    let run = offline(&project, &[]);
    run.expect_code(3);
    assert!(run.stdout.contains("V2__wipe.sql:1"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("`-- strata:allow ban-truncat` names no lint rule"),
        "{}",
        run.stdout
    );
}

#[test]
fn pending_only_and_tables_of_earlier_pending_files_are_new() {
    let db = TestDb::new_blocking("lint_pending");
    let project = Project::new();
    project.migration(
        "V1__users.sql",
        "CREATE TABLE users (id int, email text);\nTRUNCATE users;\n",
    );
    project
        .run(&db.url(), &["migrate", "--no-lint"])
        .expect_code(0);
    // V1 is applied: its TRUNCATE is not reported. users exists: an index on
    // it blocks writes. V2 creates posts: V3's index on it is harmless.
    project.migration(
        "V2__index.sql",
        "CREATE INDEX users_email ON users (email);\nCREATE TABLE posts (id int, author int);\n",
    );
    project.migration(
        "V3__posts.sql",
        "CREATE INDEX posts_author ON posts (author);\n",
    );
    let run = project.run(&db.url(), &["lint", "--json"]);
    run.expect_code(0);
    assert_eq!(rules(&run), ["require-concurrent-index-creation"]);
    assert_eq!(
        run.json()["databases"][0]["findings"][0]["script"],
        "V2__index.sql"
    );
    // Offline, every file is linted, each as if it were deployed on its
    // own: V1's table exists for V2, V2's for V3.
    let run = offline(&project, &["--json"]);
    assert_eq!(
        rules(&run),
        [
            "ban-truncate",
            "require-concurrent-index-creation",
            "require-concurrent-index-creation"
        ],
        "{}",
        run.stdout
    );
}

#[test]
fn migrate_refuses_on_an_error_before_touching_the_database() {
    let db = TestDb::new_blocking("lint_migrate_refuses");
    let toml = format!("{STRATA_TOML}[lint]\nrules = {{ \"ban-drop-table\" = \"error\" }}\n");
    let project = Project::with_toml(&toml);
    project.migration("V1__t.sql", "CREATE TABLE t (id int);\n");
    project.migration(
        "V2__drop.sql",
        "CREATE TABLE u (id int);\nDROP TABLE IF EXISTS legacy;\n",
    );
    // A dry run is refused as the real run would be.
    let dry = project.run(&db.url(), &["migrate", "--dry-run"]);
    dry.expect_code(3);
    assert!(
        dry.stderr
            .contains("V2__drop.sql:2:1: error[ban-drop-table]: a table dropped"),
        "{}",
        dry.stderr
    );
    project
        .run(&db.url(), &["migrate", "--dry-run", "--no-lint"])
        .expect_code(0);
    let run = project.run(&db.url(), &["migrate"]);
    run.expect_code(3);
    assert!(
        run.stderr
            .contains("migrate refused by lint, nothing was applied"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("V2__drop.sql:2:1: error[ban-drop-table]: a table dropped"),
        "{}",
        run.stderr
    );
    assert!(
        !table_exists(&db, "strata_schema_history"),
        "the history table was created"
    );
    assert!(!table_exists(&db, "t"));

    let run = project.run(&db.url(), &["migrate", "--no-lint"]);
    run.expect_code(0);
    assert!(table_exists(&db, "t") && table_exists(&db, "u"));
}

#[test]
fn migrate_refuses_a_transactional_enum_value_use_in_json_too() {
    let db = TestDb::new_blocking("lint_migrate_enum");
    let project = Project::new();
    project.migration(
        "V1__mood.sql",
        "CREATE TYPE mood AS ENUM ('ok');\nCREATE TABLE people (mood mood);\n",
    );
    project.run(&db.url(), &["migrate"]).expect_code(0);
    project.migration(
        "V2__meh.sql",
        "ALTER TYPE mood ADD VALUE 'meh';\nINSERT INTO people VALUES ('meh');\n",
    );
    let run = project.run(&db.url(), &["migrate", "--json"]);
    run.expect_code(3);
    let doc = run.json();
    let message = doc["databases"][0]["error"].as_str().unwrap_or_default();
    assert!(
        message.contains("V2__meh.sql:2:28: error[enum-value-used-in-transaction]"),
        "{message}"
    );
    assert_eq!(
        crate::support::history(&db).len(),
        1,
        "nothing was recorded"
    );
}

/// `migrate`'s check lints the text that runs: a placeholder's value that
/// makes a statement non-transactional is caught before the database is
/// touched, as the same text written out would be.
#[test]
fn migrate_lints_with_the_placeholders_replaced() {
    let db = TestDb::new_blocking("lint_migrate_placeholders");
    let toml = format!("{STRATA_TOML}[databases.main.placeholders]\nhow = \"CONCURRENTLY\"\n");
    let project = Project::with_toml(&toml);
    project.migration(
        "V1__t.sql",
        "CREATE TABLE t (x int);\nCREATE INDEX ${how} t_x ON t (x);\n",
    );
    let run = project.run(&db.url(), &["migrate"]);
    run.expect_code(3);
    assert!(
        run.stderr
            .contains("V1__t.sql:2:1: error[concurrently-in-transaction]"),
        "{}",
        run.stderr
    );
    assert!(!table_exists(&db, "strata_schema_history"));
}
