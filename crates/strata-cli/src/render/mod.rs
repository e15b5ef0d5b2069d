//! Every output shape of the CLI, human and JSON: commands build one
//! [`DbReport`] per database (plus what is particular to them) and hand it
//! to these functions; nothing here touches a database or writes a stream.
//!
//! - [`status`]: the `status` table and its summary line;
//! - [`lines`]: the one-line results of the other commands;
//! - [`env`]: `strata env`'s lines and document (and `dev status`'s);
//! - [`db`]: the document of `strata db …`;
//! - [`lint`]: `lint`'s findings and document;
//! - [`json`]: the documents of the migration commands (SPEC §10).
//!
//! Every `--json` document is a serde-derived struct: field order is key
//! order, and a JSON schema can be derived from them.

pub mod db;
pub mod env;
pub mod json;
pub mod lines;
pub mod lint;
pub mod status;
#[cfg(test)]
mod tests;

use strata::migrator::Executed;
use strata::plan::{Plan, Problem, State};

pub use status::status_table;

/// What a command learnt about one database.
#[derive(Debug, Default)]
pub struct DbReport {
    /// Logical name from strata.toml.
    pub name: String,
    /// Redacted URL, when known.
    pub url: Option<String>,
    /// History table, `schema.table`.
    pub table: String,
    /// The plan, when the database was reached.
    pub plan: Option<Plan>,
    /// Migrations applied by this run.
    pub executed: Vec<Executed>,
    /// Problems found (verify/validate/refusals).
    pub problems: Vec<Problem>,
    /// File-level problems (validate).
    pub file_errors: Vec<String>,
    /// Warnings.
    pub warnings: Vec<String>,
    /// Why this database failed, if it did.
    pub error: Option<String>,
    /// Skipped because a database it depends on failed.
    pub skipped: Option<String>,
    /// The command's checks found problems here (its exit code is 3).
    pub found_problems: bool,
}

impl DbReport {
    /// Counts of applied (incl. baseline) and pending entries.
    pub fn counts(&self) -> (usize, usize) {
        match &self.plan {
            Some(p) => (
                p.count(State::Applied) + p.count(State::Renamed) + p.count(State::Baseline),
                p.count(State::Pending) + p.count(State::OutOfOrder) + p.count(State::AboveTarget),
            ),
            None => (0, 0),
        }
    }

    /// `ok`, `problems` (the checks found some), `failed` or `skipped`,
    /// for summaries.
    pub fn outcome(&self) -> &'static str {
        if self.skipped.is_some() {
            "skipped"
        } else if self.error.is_some() {
            "failed"
        } else if self.found_problems {
            "problems"
        } else {
            "ok"
        }
    }
}

/// Whether an entry's history row is shown (applied at, time): only for
/// states that stand for a row in the history.
pub(crate) fn applied_state(s: State) -> bool {
    matches!(
        s,
        State::Applied
            | State::Renamed
            | State::Modified
            | State::Baseline
            | State::Missing
            | State::Failed
    )
}

/// The header line naming a database.
pub fn header(r: &DbReport) -> String {
    match &r.url {
        Some(u) => format!("{}  {}  ({})", r.name, u, r.table),
        None => format!("{}  ({})", r.name, r.table),
    }
}
