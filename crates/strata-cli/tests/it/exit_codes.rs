//! Exit codes of SPEC §9, one scenario each, with what the user reads on
//! stderr/stdout to fix the problem.

#![allow(clippy::unwrap_used)]

use crate::support;
use crate::support::{Project, history, table_exists};
use strata_testkit::TestDb;

#[test]
fn an_unknown_key_in_strata_toml_is_exit_2_naming_key_and_line() {
    let project = Project::with_toml(
        "[databases.main]\nmigrations = \"migrations\"\n\nmigratons = \"typo\"\nurl_env = \"DATABASE_URL\"\n",
    );
    let run = support::Run::of(
        project
            .cmd(Some("postgres://u@127.0.0.1:1/x"), &["status"])
            .output()
            .unwrap(),
    );
    run.expect_code(2).expect_no_panic();
    assert!(run.stderr.contains("migratons"), "{}", run.stderr);
    assert!(run.stderr.contains("strata.toml:4"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

#[test]
fn a_bad_version_names_the_flag_it_was_given_to() {
    let project = Project::new();
    let url = "postgres://u@127.0.0.1:1/x";
    for (args, flag) in [
        (&["rollback", "--to", "abc"][..], "--to abc"),
        (&["migrate", "--target", "abc"][..], "--target abc"),
        (&["status", "--target", "abc"][..], "--target abc"),
    ] {
        let run = project.run(url, args);
        run.expect_code(2).expect_no_panic();
        assert!(run.stderr.contains(flag), "{args:?}: {}", run.stderr);
    }
    let run = project.run(url, &["rollback", "--to", "abc"]);
    assert!(!run.stderr.contains("--target"), "{}", run.stderr);
}

#[test]
fn a_missing_strata_toml_is_exit_2() {
    let project = Project::empty();
    let run = support::Run::of(project.cmd(None, &["status"]).output().unwrap());
    run.expect_code(2).expect_no_panic();
    assert!(run.stderr.contains("strata.toml"), "{}", run.stderr);
    assert!(run.stderr.contains("strata init"), "{}", run.stderr);
}

#[test]
fn a_mysql_url_is_exit_2() {
    let project = Project::new();
    let run = project.run("mysql://app@127.0.0.1:3306/app", &["status"]);
    run.expect_code(2).expect_no_panic();
    assert!(run.stderr.contains("mysql"), "{}", run.stderr);
    assert!(run.stderr.contains("postgres://"), "{}", run.stderr);
}

#[test]
fn an_unset_database_url_is_exit_2() {
    let project = Project::new();
    for command in ["status", "migrate", "verify", "validate"] {
        let run = support::Run::of(project.cmd(None, &[command]).output().unwrap());
        run.expect_code(2).expect_no_panic();
        assert!(
            run.stderr.contains("DATABASE_URL is not set"),
            "{command}: {}",
            run.stderr
        );
    }
}

#[test]
fn an_unknown_flag_is_exit_2() {
    let project = Project::new();
    let run = support::Run::of(
        project
            .cmd(None, &["migrate", "--no-such-flag"])
            .output()
            .unwrap(),
    );
    run.expect_code(2);
    assert!(run.stderr.contains("--no-such-flag"), "{}", run.stderr);
}

#[test]
fn migrate_refuses_a_modified_migration_with_exit_3_and_applies_nothing() {
    let db = TestDb::new_blocking("cli_refused_modified");
    let project = Project::new();
    project.migration("V1__create_a.sql", "CREATE TABLE a (id int);\n");
    project.run(&db.url(), &["migrate"]).expect_code(0);
    project
        .migration("V1__create_a.sql", "CREATE TABLE a (id bigint);\n")
        .migration("V2__create_b.sql", "CREATE TABLE b (id int);\n");

    let run = project.run(&db.url(), &["migrate"]);

    run.expect_code(3).expect_no_panic();
    assert!(run.stderr.contains("V1__create_a.sql"), "{}", run.stderr);
    assert!(
        run.stderr.contains("strata repair --accept-checksums"),
        "{}",
        run.stderr
    );
    assert_eq!(history(&db).len(), 1, "nothing more applied");
    assert!(!table_exists(&db, "b"));
}

#[test]
fn verify_is_exit_3_with_one_line_per_problem_then_0_when_applied() {
    let db = TestDb::new_blocking("cli_verify");
    let project = Project::new();
    project
        .migration("V1__create_a.sql", "CREATE TABLE a (id int);\n")
        .migration("V2__create_b.sql", "CREATE TABLE b (id int);\n")
        .migration("V3__create_c.sql", "CREATE TABLE c (id int);\n");
    project
        .run(&db.url(), &["migrate", "--target", "1"])
        .expect_code(0);

    let run = project.run(&db.url(), &["verify"]);

    run.expect_code(3).expect_no_panic();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "one line per problem:\n{}", run.stdout);
    assert!(lines[0].contains("V2__create_b.sql"), "{}", run.stdout);
    assert!(lines[1].contains("V3__create_c.sql"), "{}", run.stdout);
    assert_eq!(history(&db).len(), 1, "verify never changes anything");

    project.run(&db.url(), &["migrate"]).expect_code(0);
    let run = project.run(&db.url(), &["verify"]);
    run.expect_code(0);
    assert!(run.stdout.contains("ok"), "{}", run.stdout);
}

#[test]
fn validate_offline_names_a_misnamed_file_with_exit_3() {
    let project = Project::new();
    project
        .migration("V1__create_a.sql", "CREATE TABLE a (id int);\n")
        .migration("init.sql", "CREATE TABLE b (id int);\n");
    let run = support::Run::of(
        project
            .cmd(None, &["validate", "--offline"])
            .output()
            .unwrap(),
    );
    run.expect_code(3).expect_no_panic();
    assert!(run.stdout.contains("init.sql"), "{}", run.stdout);
    assert!(!run.stdout.contains("V1__create_a.sql"), "{}", run.stdout);

    project.remove_migration("init.sql");
    let run = support::Run::of(
        project
            .cmd(None, &["validate", "--offline"])
            .output()
            .unwrap(),
    );
    run.expect_code(0);
}

#[test]
fn validate_offline_names_both_files_of_a_duplicate_version() {
    let project = Project::new();
    project
        .migration("V1__create_a.sql", "CREATE TABLE a (id int);\n")
        .migration("V001__create_b.sql", "CREATE TABLE b (id int);\n");
    let run = support::Run::of(
        project
            .cmd(None, &["validate", "--offline"])
            .output()
            .unwrap(),
    );
    run.expect_code(3).expect_no_panic();
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(all.contains("V1__create_a.sql"), "{all}");
    assert!(all.contains("V001__create_b.sql"), "{all}");
    assert!(all.contains("duplicate"), "{all}");
}

#[test]
fn a_sql_error_is_exit_1_with_position_sqlstate_and_the_line() {
    let db = TestDb::new_blocking("cli_sql_error");
    let project = Project::new();
    project.migration(
        "V1__broken.sql",
        "-- a comment first\nCREATE TABLE a (id int);\n\nINSERT INTO a VALUES (1);\nSELECT nme FROM a;\n",
    );

    let run = project.run(&db.url(), &["migrate"]);

    run.expect_code(1).expect_no_panic();
    assert!(run.stderr.contains("V1__broken.sql:5:8"), "{}", run.stderr);
    assert!(run.stderr.contains("42703"), "{}", run.stderr);
    assert!(run.stderr.contains("SELECT nme FROM a;"), "{}", run.stderr);
    assert!(history(&db).is_empty(), "rolled back, no row");
    assert!(!table_exists(&db, "a"), "rolled back, no table");
}

#[test]
fn init_twice_is_exit_5_the_second_time() {
    let project = Project::empty();
    let first = support::Run::of(project.cmd(None, &["init"]).output().unwrap());
    first.expect_code(0);
    assert!(project.path().join("strata.toml").is_file());
    assert!(project.path().join("migrations").is_dir());
    let written = std::fs::read_to_string(project.path().join("strata.toml")).unwrap();

    let second = support::Run::of(project.cmd(None, &["init"]).output().unwrap());
    second.expect_code(5).expect_no_panic();
    assert!(
        second.stderr.contains("already exists"),
        "{}",
        second.stderr
    );
    assert_eq!(
        std::fs::read_to_string(project.path().join("strata.toml")).unwrap(),
        written,
        "nothing overwritten"
    );
}

#[test]
fn help_and_version_are_exit_0() {
    let project = Project::empty();
    let help = support::Run::of(project.cmd(None, &["--help"]).output().unwrap());
    help.expect_code(0);
    assert!(help.stdout.contains("migrate"), "{}", help.stdout);
    let help = support::Run::of(project.cmd(None, &["migrate", "--help"]).output().unwrap());
    help.expect_code(0);
    assert!(help.stdout.contains("--lock-wait"), "{}", help.stdout);
    let version = support::Run::of(project.cmd(None, &["--version"]).output().unwrap());
    version.expect_code(0);
    assert!(
        version.stdout.starts_with("strata ") && version.stdout.contains(env!("CARGO_PKG_VERSION")),
        "{}",
        version.stdout
    );
}
