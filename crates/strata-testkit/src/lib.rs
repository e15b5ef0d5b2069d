//! strata's test kit: a throwaway PostgreSQL server and a fresh database per
//! test, so integration tests run on real PostgreSQL, in parallel (the idea
//! of sqlx's `#[sqlx::test]`).
//!
//! ```no_run
//! # async fn example() {
//! let db = strata_testkit::fresh_db("migrate_applies_pending").await;
//! let client = db.client().await;
//! client.batch_execute("CREATE TABLE t (id int)").await.unwrap();
//! assert_eq!(db.query_strings("SELECT count(*) FROM t").await, vec![vec![Some("0".to_owned())]]);
//! // `db.url()` is a full URL: pass it as DATABASE_URL to the strata binary.
//! # }
//! ```
//!
//! Where the server comes from ([`server`]):
//!
//! - `STRATA_TEST_DATABASE_URL` set: that server. Its role must be allowed
//!   to `CREATE DATABASE`; PostgreSQL 13 or newer (databases are dropped
//!   `WITH (FORCE)`).
//! - Otherwise one private cluster per test process, started lazily by the
//!   first test that asks and shared by all of them: `initdb` into a temp
//!   dir via [`strata::cluster`], fsync off, 200 connections, 127.0.0.1 on a
//!   free port, run as the `postgres` system user when the tests run as
//!   root. Missing server binaries **fail** the test with the install hint;
//!   nothing is ever skipped.
//!
//! Nothing is left behind. Rust's test harness never runs static
//! destructors, so each private cluster gets a detached watchdog (`sh`)
//! whose stdin is a pipe held by the test process: when the process ends —
//! normally, by panic, or by `kill -9` — the pipe closes, and the watchdog
//! stops the server (immediate shutdown) and removes the temp dir. Each
//! [`TestDb`] drops its database when dropped (`DROP DATABASE … WITH
//! (FORCE)`, on a thread with its own runtime, so it works inside and
//! outside tokio).

mod db;
mod server;
mod url;
mod watchdog;

pub use db::TestDb;
pub use server::{
    DATABASE_URL_ENV, ExtraCluster, TestServer, server, start_extra_cluster,
    start_extra_cluster_with,
};
pub use strata::cluster::{ClusterInfo, LocalCluster, PgBinaries, StartOptions};

/// A fresh database on the shared test [`server`], named from `hint`
/// (sanitized to `[a-z0-9_]`, plus the process id and a counter, at most 63
/// bytes). Use the test's name as the hint, so a leftover is easy to trace.
///
/// # Panics
///
/// When there is no server (with the install hint) or the database cannot
/// be created.
pub async fn fresh_db(hint: &str) -> TestDb {
    server().fresh_db(hint).await
}
