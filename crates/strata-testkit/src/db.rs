//! One fresh database per test: created with a unique name on the server of
//! an admin URL (the shared server or an extra cluster passes its own),
//! dropped (with `FORCE`, so leftover connections do not keep it alive) when
//! the [`TestDb`] is dropped.

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, NoTls, SimpleQueryMessage};

use strata::config::quote_ident;

use crate::url;

/// PostgreSQL's identifier limit (NAMEDATALEN - 1).
const MAX_NAME_LEN: usize = 63;

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A database that exists for one test. Dropping it drops the database.
#[derive(Debug)]
pub struct TestDb {
    name: String,
    url: String,
    admin_url: String,
    external: bool,
}

impl TestDb {
    /// The full URL of the database, usable as `DATABASE_URL`.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The database name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A new connection to the database; its connection task is spawned on
    /// the current tokio runtime (so call this inside one).
    ///
    /// # Panics
    ///
    /// When the connection fails.
    pub async fn client(&self) -> Client {
        connect(&self.url).await
    }

    /// Runs `sql` (one or more statements, simple-query protocol) on a new
    /// connection and returns every row as text, `None` for NULL: handy for
    /// assertions without caring about column types.
    ///
    /// # Panics
    ///
    /// When the connection or the SQL fails.
    pub async fn query_strings(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        query_strings(&self.url, sql).await
    }

    /// [`TestDb::query_strings`] for synchronous tests; works inside or
    /// outside a tokio runtime.
    ///
    /// # Panics
    ///
    /// When the connection or the SQL fails.
    pub fn query_strings_blocking(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        let url = self.url.clone();
        let sql = sql.to_owned();
        block_on(async move { query_strings(&url, &sql).await })
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let admin = self.admin_url.clone();
        let name = self.name.clone();
        let dropped = block_on(async move { drop_database(&admin, &name).await });
        // On a private cluster a leftover database vanishes with the
        // cluster; on an external server it would stay, so say so.
        if let Err(e) = dropped
            && self.external
        {
            eprintln!(
                "strata-testkit: warning: could not drop test database {}: {e}",
                self.name
            );
        }
    }
}

/// Creates a database named after `hint` on the server of `admin_url`.
pub(crate) async fn create(admin_url: &str, hint: &str, external: bool) -> TestDb {
    let client = connect(admin_url).await;
    let mut attempts = 0;
    loop {
        let name = unique_name(hint);
        let sql = format!("CREATE DATABASE {}", quote_ident(&name));
        match client.batch_execute(&sql).await {
            Ok(()) => {
                return TestDb {
                    url: url::with_database(admin_url, &name),
                    admin_url: admin_url.to_owned(),
                    name,
                    external,
                };
            }
            // A leftover of an earlier run with the same pid: next number.
            Err(e) if e.code() == Some(&SqlState::DUPLICATE_DATABASE) && attempts < 20 => {}
            // Someone is connected to template1 on a shared server: wait.
            Err(e) if e.code() == Some(&SqlState::OBJECT_IN_USE) && attempts < 20 => {
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(e) => panic!(
                "strata-testkit: could not create test database {name}: {}",
                chain(&e)
            ),
        }
        attempts += 1;
    }
}

async fn drop_database(admin_url: &str, name: &str) -> Result<(), tokio_postgres::Error> {
    let (client, conn) = tokio_postgres::connect(admin_url, NoTls).await?;
    let conn = tokio::spawn(conn);
    let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_ident(name));
    let result = client.batch_execute(&sql).await;
    drop(client);
    let _ = conn.await;
    result
}

async fn connect(url: &str) -> Client {
    match tokio_postgres::connect(url, NoTls).await {
        Ok((client, conn)) => {
            tokio::spawn(async move {
                let _ = conn.await;
            });
            client
        }
        Err(e) => panic!(
            "strata-testkit: could not connect to {}: {}",
            redact(url),
            chain(&e)
        ),
    }
}

async fn query_strings(url: &str, sql: &str) -> Vec<Vec<Option<String>>> {
    let client = connect(url).await;
    let messages = match client.simple_query(sql).await {
        Ok(m) => m,
        Err(e) => panic!("strata-testkit: query failed: {sql}\n{}", chain(&e)),
    };
    messages
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(row) => Some(
                (0..row.len())
                    .map(|i| row.get(i).map(str::to_owned))
                    .collect(),
            ),
            _ => None,
        })
        .collect()
}

/// Runs `fut` to completion on a fresh current-thread runtime in its own
/// thread, so it works whether or not the caller is inside a runtime
/// (`block_on` inside a runtime would panic).
pub(crate) fn block_on<F>(fut: F) -> F::Output
where
    F: Future + Send,
    F::Output: Send,
{
    std::thread::scope(|scope| {
        let handle = scope.spawn(|| {
            match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt.block_on(fut),
                Err(e) => panic!("strata-testkit: could not build a tokio runtime: {e}"),
            }
        });
        match handle.join() {
            Ok(out) => out,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// `<sanitized hint>_<pid>_<counter>`, at most 63 bytes, `[a-z0-9_]` only,
/// starting with a letter.
pub(crate) fn unique_name(hint: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let suffix = format!("_{}_{n}", std::process::id());
    let mut base = String::new();
    for c in hint.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            base.push(c);
        } else if !base.ends_with('_') && !base.is_empty() {
            base.push('_');
        }
    }
    let mut base = base.trim_end_matches('_').to_owned();
    if !base.starts_with(|c: char| c.is_ascii_lowercase()) {
        base.insert_str(0, "t_");
    }
    base.truncate(MAX_NAME_LEN - suffix.len());
    let base = base.trim_end_matches('_');
    format!("{base}{suffix}")
}

/// `e` and its sources, joined by `: ` (tokio-postgres puts the server's
/// message and the I/O cause in the sources).
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        source = cause.source();
    }
    s
}

/// `url` with any password shown as `***`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_sanitized_unique_and_short() {
        let a = unique_name("migrate::Applies V1 — ok!");
        let b = unique_name("migrate::Applies V1 — ok!");
        assert_ne!(a, b);
        assert!(a.starts_with("migrate_applies_v1_ok_"), "{a}");
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
        );
        assert!(unique_name("123").starts_with("t_123_"));
        assert!(unique_name("").starts_with("t_"));
        let long = unique_name(&"x".repeat(200));
        assert!(long.len() <= MAX_NAME_LEN, "{long}");
        assert!(long.ends_with(&format!("_{}", std::process::id())) || long.contains('_'));
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://u:secret@h:1/db?x=1"),
            "postgres://u:***@h:1/db?x=1"
        );
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
    }
}
