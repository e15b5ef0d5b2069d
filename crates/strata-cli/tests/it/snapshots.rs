//! What a user sees: stdout, stderr and exit code of the common commands,
//! snapshotted with insta (squawk's approach). Durations, timestamps, the
//! server address, the temp project path and the database name are
//! normalized so the snapshots are stable; everything else is verbatim.

#![allow(clippy::unwrap_used)]

use crate::support::{Project, Run};
use strata_testkit::TestDb;

/// The run as one text: exit code, stdout, stderr, with the parts that
/// change from run to run replaced by placeholders.
fn transcript(run: &Run, project: &Project, db: Option<&TestDb>) -> String {
    let mut text = format!(
        "exit: {}\n--- stdout ---\n{}--- stderr ---\n{}",
        run.code, run.stdout, run.stderr
    );
    let root = project.path();
    for path in [root.canonicalize().unwrap(), root.to_owned()] {
        text = text.replace(path.to_str().unwrap(), "[PROJECT]");
    }
    if let Some(db) = db {
        text = text.replace(db.name(), "[DB]");
    }
    text
}

#[track_caller]
fn snapshot(name: &str, text: &str) {
    let mut settings = insta::Settings::clone_current();
    // Whoever the server is: user, host and port.
    settings.add_filter(r"postgres(?:ql)?://\S*?/\[DB\]", "postgres://[SERVER]/[DB]");
    // The banner line's host and port.
    settings.add_filter(r"→ \S*?/\[DB\]", "→ [SERVER]/[DB]");
    settings.add_filter(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}Z?", "[TIMESTAMP]");
    settings.add_filter(r"\b\d+ ms\b", "[N] ms");
    settings.bind(|| insta::assert_snapshot!(name, text));
}

fn project() -> Project {
    let project = Project::new();
    project
        .migration(
            "V001__create_users.sql",
            "CREATE TABLE users (\n  id bigint PRIMARY KEY,\n  email text NOT NULL\n);\n",
        )
        .migration(
            "V002__add_roles.sql",
            "CREATE TABLE roles (id int PRIMARY KEY, name text);\n",
        )
        .migration(
            "R__user_view.sql",
            "CREATE OR REPLACE VIEW user_emails AS SELECT email FROM users;\n",
        );
    project
}

#[test]
fn status_pending() {
    let db = TestDb::new_blocking("snap_status_pending");
    let project = project();
    let run = project.run(&db.url(), &["status"]);
    snapshot("status_pending", &transcript(&run, &project, Some(&db)));
}

#[test]
fn migrate_then_status_applied_then_up_to_date() {
    let db = TestDb::new_blocking("snap_migrate");
    let project = project();
    let run = project.run(&db.url(), &["migrate"]);
    snapshot("migrate", &transcript(&run, &project, Some(&db)));

    let run = project.run(&db.url(), &["status"]);
    snapshot("status_applied", &transcript(&run, &project, Some(&db)));

    let run = project.run(&db.url(), &["migrate"]);
    snapshot("migrate_up_to_date", &transcript(&run, &project, Some(&db)));
}

#[test]
fn migrate_dry_run_verbose() {
    let db = TestDb::new_blocking("snap_dry_run");
    let project = project();
    let run = project.run(&db.url(), &["migrate", "--dry-run", "-v"]);
    snapshot(
        "migrate_dry_run_verbose",
        &transcript(&run, &project, Some(&db)),
    );
}

#[test]
fn verify_failure() {
    let db = TestDb::new_blocking("snap_verify_failure");
    let project = project();
    project.run(&db.url(), &["migrate"]).expect_code(0);
    // One modified, one gone, one new.
    project.migration(
        "V001__create_users.sql",
        "CREATE TABLE users (\n  id bigint PRIMARY KEY,\n  email text\n);\n",
    );
    project.remove_migration("V002__add_roles.sql");
    project.migration("V003__add_orders.sql", "CREATE TABLE orders (id int);\n");

    let run = project.run(&db.url(), &["verify"]);
    snapshot("verify_failure", &transcript(&run, &project, Some(&db)));

    let run = project.run(&db.url(), &["status"]);
    snapshot("status_problems", &transcript(&run, &project, Some(&db)));

    let run = project.run(&db.url(), &["migrate"]);
    snapshot("migrate_refused", &transcript(&run, &project, Some(&db)));
}

#[test]
fn validate_problems() {
    let project = project();
    project
        .migration("init.sql", "SELECT 1;\n")
        .migration("V2__roles_again.sql", "SELECT 1;\n")
        .migration("V3__empty.sql", "\n  \n")
        .migration("notes.txt", "not SQL, ignored\n");
    let run = Run::of(
        project
            .cmd(None, &["validate", "--offline"])
            .output()
            .unwrap(),
    );
    snapshot("validate_problems", &transcript(&run, &project, None));
}

#[test]
fn sql_error() {
    let db = TestDb::new_blocking("snap_sql_error");
    let project = project();
    project.migration(
        "V003__add_orders.sql",
        "CREATE TABLE orders (\n  id int PRIMARY KEY,\n  user_id bigint REFERENCES users (id)\n);\n\
         INSERT INTO orders (id, user_id)\n  VALUES (1, 42);\n",
    );
    let run = project.run(&db.url(), &["migrate"]);
    snapshot("sql_error", &transcript(&run, &project, Some(&db)));
}
