//! The output of `strata db …`: the line for each thing done to a
//! database, and the `--json` document, per database what was done
//! (`actions[]`), in order.

use std::path::Path;
use std::time::Duration;

use serde::Serialize;
use strata::config::AdminSource;
use strata::database::Recreated;
use strata::history::TableName;

use super::DbReport;
use super::json::Ran;

/// The document of `strata db …`: like [`Document`], naming the command.
#[derive(Debug, Serialize)]
pub struct DbDocument<'a> {
    pub env: &'a str,
    /// `db create`, `db drop` …
    pub command: String,
    pub databases: Vec<DbDatabase<'a>>,
}

/// A database in [`DbDocument`].
#[derive(Debug, Serialize)]
pub struct DbDatabase<'a> {
    pub name: &'a str,
    pub url: Option<&'a str>,
    pub status: &'static str,
    pub actions: &'a [Action],
    /// `db reset`: what the migrate step applied (absent when nothing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub executed: Option<Vec<Ran<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<&'a str>,
}

impl<'a> DbDatabase<'a> {
    /// The entry of `r` with the actions done on it.
    pub fn new(r: &'a DbReport, actions: &'a [Action]) -> DbDatabase<'a> {
        DbDatabase {
            name: &r.name,
            url: r.url.as_deref(),
            status: r.outcome(),
            actions,
            executed: (!r.executed.is_empty()).then(|| r.executed.iter().map(Ran::from).collect()),
            error: r.error.as_deref(),
            skipped: r.skipped.as_deref(),
        }
    }
}

/// One thing a `db` command did to a database.
#[derive(Debug, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    Created {
        database: String,
        /// The role made its owner, when not the admin role itself.
        #[serde(skip_serializing_if = "Option::is_none")]
        owner: Option<String>,
    },
    Exists {
        database: String,
    },
    Dropped {
        database: String,
    },
    Absent {
        database: String,
    },
    Cleaned {
        tables: Vec<String>,
    },
    Seeded {
        script: String,
        execution_ms: u128,
    },
    Ready {
        waited_ms: u128,
    },
    Recreated {
        database: String,
        terminated: u64,
        dropped: bool,
    },
    Migrated {
        applied: usize,
    },
}

/// `main: created database app_dev`.
pub fn created(db: &str, database: &str, owner: Option<&str>) -> String {
    match owner {
        Some(owner) => format!("{db}: created database {database} (owner {owner})"),
        None => format!("{db}: created database {database}"),
    }
}

/// `main: database app_dev already exists`.
pub fn exists(db: &str, database: &str) -> String {
    format!("{db}: database {database} already exists")
}

/// `main: dropped database app_dev`.
pub fn dropped(db: &str, database: &str) -> String {
    format!("{db}: dropped database {database}")
}

/// `main: database app_dev does not exist`.
pub fn absent(db: &str, database: &str) -> String {
    format!("{db}: database {database} does not exist")
}

/// `main: cleaned 3 table(s) in app_dev (schemas public; history … kept)`.
pub fn cleaned(
    db: &str,
    tables: usize,
    database: &str,
    schemas: &[String],
    history: &TableName,
) -> String {
    format!(
        "{db}: cleaned {tables} table(s) in {database} (schemas {}; history {history} kept)",
        schemas.join(", ")
    )
}

/// `  truncated public.users`, one per table `db clean` emptied (`--verbose`).
pub fn truncated(table: &str) -> String {
    format!("  truncated {table}")
}

/// `main: no seeds folder, nothing to seed`.
pub fn no_seeds_folder(db: &str) -> String {
    format!("{db}: no seeds folder, nothing to seed")
}

/// `main: no seed files in seeds`.
pub fn no_seed_files(db: &str, dir: &Path) -> String {
    format!("{db}: no seed files in {}", dir.display())
}

/// `main: seeded 001_users.sql (3 ms)`.
pub fn seeded(db: &str, script: &str, execution_ms: u128) -> String {
    format!("{db}: seeded {script} ({execution_ms} ms)")
}

/// `main: dropped and recreated database app_dev (terminated 2 session(s))`.
pub fn recreated(db: &str, database: &str, re: &Recreated) -> String {
    let dropped = if re.dropped { "dropped and " } else { "" };
    let terminated = if re.terminated > 0 {
        format!(" (terminated {} session(s))", re.terminated)
    } else {
        String::new()
    };
    format!("{db}: {dropped}recreated database {database}{terminated}")
}

/// `main: seeds not run: prod is a protected environment` (`db reset`).
pub fn seeds_not_run(db: &str, env: &str) -> String {
    format!("{db}: seeds not run: {env} is a protected environment")
}

/// `main: app_dev accepts connections (0.2s)` (`db wait`).
pub fn ready(db: &str, database: &str, waited: Duration) -> String {
    format!(
        "{db}: {database} accepts connections ({:.1}s)",
        waited.as_secs_f64()
    )
}

/// `main: server-level connection postgres://… (credentials: PGUSER)`
/// (`--verbose`).
pub fn admin_connection(db: &str, url: &str, source: &AdminSource) -> String {
    format!("{db}: server-level connection {url} (credentials: {source})")
}
