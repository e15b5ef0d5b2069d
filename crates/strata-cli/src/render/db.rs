//! The `--json` document of `strata db …`: per database what was done
//! (`actions[]`), in order.

use serde::Serialize;

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
