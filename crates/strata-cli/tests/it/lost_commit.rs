//! The connection lost around a migration's COMMIT (SPEC §4.2 step 5):
//! strata reconnects once and reports from the history whether that
//! migration committed. A loopback TCP proxy written here forwards to the
//! real server and cuts the link at the COMMIT: either right after the
//! server answered it (it committed, the reply never arrives) or right
//! before forwarding it (the server sees the link end mid-transaction).

#![allow(clippy::unwrap_used)] // tests may panic

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use strata_testkit::TestDb;

use crate::support::{Project, history, table_exists};

/// The simple-query message `COMMIT` (client to server).
const COMMIT_QUERY: &[u8] = b"Q\0\0\0\x0bCOMMIT\0";
/// Its CommandComplete reply (server to client), sent once it committed.
const COMMIT_DONE: &[u8] = b"C\0\0\0\x0bCOMMIT\0";

#[derive(Clone, Copy)]
enum Cut {
    /// Drop the server's reply to COMMIT and everything after it.
    AfterCommitted,
    /// Drop COMMIT itself: the server never receives it.
    BeforeCommit,
}

/// A proxy on a free loopback port to `upstream`; cuts the first
/// connection whose traffic shows the pattern of `cut`, forwards the later
/// ones untouched. Returns its port.
fn proxy(upstream: String, cut: Cut) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let armed = Arc::new(AtomicBool::new(true));
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { return };
            let Ok(server) = TcpStream::connect(&upstream) else {
                return;
            };
            let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            let (up, down) = match cut {
                Cut::BeforeCommit => (Some((COMMIT_QUERY, armed.clone())), None),
                Cut::AfterCommitted => (None, Some((COMMIT_DONE, armed.clone()))),
            };
            std::thread::spawn(move || pump(client, server, up));
            std::thread::spawn(move || pump(s2, c2, down));
        }
    });
    port
}

/// Copies `from` to `to`; with `cut` armed, stops at its pattern: what came
/// before it is forwarded, then both sockets are closed.
fn pump(mut from: TcpStream, mut to: TcpStream, cut: Option<(&'static [u8], Arc<AtomicBool>)>) {
    let mut held: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        held.extend_from_slice(&buf[..n]);
        if let Some((pattern, armed)) = &cut
            && armed.load(Ordering::SeqCst)
        {
            if let Some(i) = held.windows(pattern.len()).position(|w| w == *pattern) {
                armed.store(false, Ordering::SeqCst);
                let _ = to.write_all(&held[..i]);
                let _ = to.shutdown(Shutdown::Both);
                let _ = from.shutdown(Shutdown::Both);
                return;
            }
            // Keep back only a tail that starts the pattern (the rest of
            // it may be in the next read); forward everything else now.
            let partial = (1..pattern.len())
                .rev()
                .find(|k| held.ends_with(&pattern[..*k]))
                .unwrap_or(0);
            let send = held.len() - partial;
            if to.write_all(&held[..send]).is_err() {
                break;
            }
            held.drain(..send);
            continue;
        }
        if to.write_all(&held).is_err() {
            break;
        }
        held.clear();
    }
    let _ = to.write_all(&held);
    let _ = to.shutdown(Shutdown::Write);
}

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
    let through = proxy(host.clone(), cut);
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
