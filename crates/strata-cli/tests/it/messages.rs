//! What strata tells a person besides results: the banner line naming the
//! database before anything talks to it (SPEC §4), driver errors without
//! empty causes, the ignored password file named, errors bounded in size
//! on huge lines, and file names escaped for the terminal.

#![allow(clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt;

use crate::support::{Project, Run};
use strata_testkit::{TestDb, server};

/// The banner `db`'s URL should give: host, port and database, no user.
fn banner_of(db: &TestDb, env: &str) -> String {
    format!(
        "strata: env {env}, database main → 127.0.0.1:{}/{}",
        server().port(),
        db.name()
    )
}

#[test]
fn every_command_that_talks_to_a_database_names_it_first() {
    let db = TestDb::new_blocking("cli_banner");
    let project = Project::new();
    project.migration("V1__a.sql", "CREATE TABLE a (id int);\n");
    let banner = banner_of(&db, "dev");

    for args in [
        &["status"][..],
        &["migrate"],
        &["verify"],
        &["db", "create"],
        &["validate"],
    ] {
        let run = project.run(&db.url(), args);
        run.expect_code(0);
        let first = run.stderr.lines().next().unwrap_or_default();
        assert_eq!(first, banner, "{args:?}:\n{}", run.stderr);
        assert_eq!(
            run.stderr.matches("strata: env").count(),
            1,
            "{}",
            run.stderr
        );
    }

    // With --json the banner stays on stderr; stdout is the document.
    let run = project.run(&db.url(), &["status", "--json"]);
    run.expect_code(0);
    assert!(run.stderr.starts_with(&banner), "{}", run.stderr);
    run.json();

    // A failed connection is named too, before its error.
    let run = project.run(&format!("{}_missing", db.url()), &["status"]);
    run.expect_code(1);
    assert!(
        run.stderr
            .starts_with(&format!("{}_missing\nerror:", banner_of(&db, "dev"))),
        "{}",
        run.stderr
    );

    // --quiet prints only errors, and no banner.
    let run = project.run(&db.url(), &["status", "-q"]);
    run.expect_code(0);
    assert_eq!(run.stderr, "");

    // Nothing that only reads files prints it.
    let run = project.run(&db.url(), &["validate", "--offline"]);
    run.expect_code(0);
    assert!(!run.stderr.contains("strata: env"), "{}", run.stderr);
}

#[test]
fn driver_errors_show_the_server_message_without_an_empty_cause() {
    let db = TestDb::new_blocking("cli_db_error_cause");
    let project = Project::new();
    let run = project.run(&format!("{}_nope", db.url()), &["status", "--json"]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("does not exist"),
        "the server's message is shown:\n{}",
        run.stderr
    );
    assert!(!run.stderr.contains("db error"), "{}", run.stderr);
    assert!(!run.stdout.contains("db error"), "{}", run.stdout);
}

#[test]
fn a_password_file_ignored_for_its_mode_is_named() {
    let db = TestDb::new_blocking("cli_pgpass_mode");
    let project = Project::new();
    let passfile = project.path().join("pgpass");
    std::fs::write(&passfile, "*:*:*:*:secret\n").unwrap();
    std::fs::set_permissions(&passfile, std::fs::Permissions::from_mode(0o644)).unwrap();
    let run = |project: &Project| {
        Run::of(
            project
                .cmd(Some(&db.url()), &["status"])
                .env("PGPASSFILE", &passfile)
                .output()
                .unwrap(),
        )
    };

    let out = run(&project);
    out.expect_code(0);
    let warning = format!("warning: password file {} is ignored", passfile.display());
    assert!(out.stderr.contains(&warning), "{}", out.stderr);
    assert!(out.stderr.contains("0600"), "{}", out.stderr);

    std::fs::set_permissions(&passfile, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = run(&project);
    out.expect_code(0);
    assert!(!out.stderr.contains("password file"), "{}", out.stderr);
}

#[test]
fn an_error_on_a_huge_line_is_cut_around_its_column() {
    let db = TestDb::new_blocking("cli_huge_line");
    let project = Project::new();
    // One line of 2 MB whose error is near its end.
    let mut sql = String::from("SELECT ");
    while sql.len() < 2_000_000 {
        sql.push_str("1, ");
    }
    sql.push_str("no_such_column_here FROM (SELECT 1) AS s;\n");
    project.migration("V1__huge.sql", &sql);

    let run = project.run(&db.url(), &["migrate"]);
    run.expect_code(1);
    assert!(
        run.stderr.len() < 4096,
        "stderr is {} bytes:\n{}",
        run.stderr.len(),
        &run.stderr[..run.stderr.len().min(2000)]
    );
    assert!(
        run.stderr
            .contains("1, 1, no_such_column_here FROM (SELECT 1) AS s;"),
        "{}",
        run.stderr
    );
    let shown = run
        .stderr
        .lines()
        .find(|l| l.contains("no_such_column_here FROM"))
        .unwrap();
    assert!(shown.contains('…'), "the cut is marked: {shown}");
    // The caret is under the column of the error.
    let caret = run
        .stderr
        .lines()
        .find(|l| l.trim_end().ends_with('^'))
        .unwrap();
    let column = caret.chars().count() - 1;
    let under: String = shown.chars().skip(column).take(19).collect();
    assert_eq!(under, "no_such_column_here", "{shown}\n{caret}");

    // A server message that echoes a huge value is bounded too.
    project.remove_migration("V1__huge.sql");
    let value = "x".repeat(2_000_000);
    project.migration("V1__echo.sql", format!("SELECT '{value}'::int;\n"));
    let run = project.run(&db.url(), &["migrate", "--json"]);
    run.expect_code(1);
    assert!(
        run.stderr.len() < 16 * 1024,
        "stderr is {} bytes",
        run.stderr.len()
    );
    assert!(
        run.stdout.len() < 32 * 1024,
        "stdout is {} bytes",
        run.stdout.len()
    );
    assert!(
        run.stderr.contains("invalid input syntax"),
        "{}",
        &run.stderr[..1000]
    );
    run.json();
}

#[test]
fn control_characters_in_file_names_are_escaped() {
    let db = TestDb::new_blocking("cli_escape_names");
    let project = Project::new();
    let name = "V1__a\x1b[31mred.sql";
    project.migration(name, "");
    let escaped = "V1__a\\x1b[31mred";

    let run = project.run(&db.url(), &["validate", "--offline"]);
    run.expect_code(3);
    for text in [&run.stdout, &run.stderr] {
        assert!(
            !text.contains('\x1b'),
            "a raw ESC reached the terminal: {text:?}"
        );
    }
    assert!(run.stdout.contains(escaped), "{}", run.stdout);

    project.migration(name, "CREATE TABLE a (id int);\n");
    for args in [&["migrate"][..], &["status"], &["validate"]] {
        let run = project.run(&db.url(), args);
        run.expect_code(0);
        for text in [&run.stdout, &run.stderr] {
            assert!(!text.contains('\x1b'), "{args:?}: raw ESC in {text:?}");
        }
        if args[0] != "validate" {
            assert!(
                run.stdout.contains("a\\x1b[31mred"),
                "{args:?}: {}",
                run.stdout
            );
        }
    }
    // JSON escapes it its own way.
    let run = project.run(&db.url(), &["status", "--json"]);
    assert!(!run.stdout.contains('\x1b'));
    assert_eq!(run.json()["databases"][0]["migrations"][0]["script"], name);
}
