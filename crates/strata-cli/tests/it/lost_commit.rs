//! The connection lost around a migration's COMMIT (SPEC §4.2 step 5):
//! strata reconnects once and reports from the history whether that
//! migration committed. A loopback TCP proxy written here forwards to the
//! real server and cuts the link at the COMMIT: either right after the
//! server answered it (it committed, the reply never arrives) or right
//! before forwarding it (the server sees the link end mid-transaction).

#![allow(clippy::unwrap_used)] // tests may panic

use strata_testkit::TestDb;

use crate::proxy::{Cut, proxy};
use crate::support::{Project, history, table_exists};

/// A database with V1 applied directly, V2 pending, and the URL through a
/// proxy that cuts at V2's COMMIT.
fn setup(hint: &str, cut: Cut) -> (TestDb, Project, String) {
    let db = TestDb::new_blocking(hint);
    let project = Project::new();
    project.migration("V1__a.sql", "CREATE TABLE a (id int);\n");
    project.run(&db.url(), &["migrate"]).expect_code(0);
    project.migration(
        "V2__b.sql",
        "CREATE TABLE b (id int);\nINSERT INTO b VALUES (1);\n",
    );
    let port = strata_testkit::server().port();
    let url = db.url();
    let host = format!("127.0.0.1:{port}");
    assert!(url.contains(&host), "the test server is on {host}: {url}");
    let through = proxy(host.clone(), cut).port;
    let proxied = url.replacen(&host, &format!("127.0.0.1:{through}"), 1);
    (db, project, proxied)
}

#[test]
fn link_cut_after_the_commit_reply_reports_it_committed() {
    let (db, project, url) = setup("cli_lost_after_commit", Cut::AfterCommitted);

    let run = project.run(&url, &["migrate"]);

    run.expect_code(1).expect_no_panic();
    assert!(
        run.stderr.contains(
            "V2__b.sql: the connection was lost while its COMMIT may have been in flight"
        ) && run
            .stderr
            .contains("it committed (its history row is there)"),
        "{}",
        run.stderr
    );
    assert!(table_exists(&db, "b"));
    assert_eq!(history(&db).len(), 2);
    project.run(&db.url(), &["verify"]).expect_code(0);
}

#[test]
fn link_cut_before_the_commit_reports_it_did_not_commit() {
    let (db, project, url) = setup("cli_lost_before_commit", Cut::BeforeCommit);

    let run = project.run(&url, &["migrate"]);

    run.expect_code(1).expect_no_panic();
    assert!(
        run.stderr
            .contains("it did not commit, nothing of it was applied"),
        "{}",
        run.stderr
    );
    assert!(!table_exists(&db, "b"));
    assert_eq!(history(&db).len(), 1);
    // The next run applies it.
    project.run(&db.url(), &["migrate"]).expect_code(0);
    assert!(table_exists(&db, "b"));
}
