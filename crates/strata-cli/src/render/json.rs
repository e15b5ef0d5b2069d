//! The `--json` documents (SPEC §10) of the migration commands, as serde
//! structs: one document per run on stdout, `{"env": …, "databases": [ … ]}`,
//! with a per-database shape per command family (`db`'s in [`super::db`],
//! `env`'s and `dev`'s in [`super::env`]). Keys come out in field order, so the order of
//! the fields here is the order of the keys in the document (and a JSON
//! schema can be derived from these types later).

use serde::Serialize;
use strata::history::{AppliedMigration, NewRow};
use strata::migrator::Executed;
use strata::plan::{Entry, State};
use strata::repair::{ChecksumChange, RepairReport};

use super::{DbReport, applied_state};

/// The document of every per-database command: the environment and one
/// entry per database, in the order they ran.
#[derive(Debug, Serialize)]
pub struct Document<'a, D> {
    /// The environment's name.
    pub env: &'a str,
    /// One entry per database.
    pub databases: Vec<D>,
}

/// The keys every per-database entry of `schema dump` and `drift` opens
/// with (flattened into it): the name, the redacted URL, `ok` /
/// `problems` / `failed`, and the error when it failed.
#[derive(Debug, Serialize)]
pub struct DbEntry<'a> {
    pub name: &'a str,
    pub url: Option<&'a str>,
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'a str>,
}

impl<'a> DbEntry<'a> {
    /// The entry's opening keys for a database's report.
    pub fn of(r: &'a DbReport) -> DbEntry<'a> {
        DbEntry {
            name: &r.name,
            url: r.url.as_deref(),
            status: r.outcome(),
            error: r.error.as_deref(),
        }
    }
}

/// A database in the document of `status`, `validate`, `verify`,
/// `migrate` (and, flattened, `rollback`).
#[derive(Debug, Serialize)]
pub struct Database<'a> {
    pub name: &'a str,
    pub url: Option<&'a str>,
    pub history_table: &'a str,
    pub migrations: Vec<Migration<'a>>,
    pub applied: usize,
    pub pending: usize,
    pub problems: Vec<Problem<'a>>,
    /// `ok`, `problems`, `failed` or `skipped`.
    pub status: &'static str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub warnings: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<&'a str>,
    /// `migrate` only: what this run applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub executed: Option<Vec<Ran<'a>>>,
}

/// One entry of the plan: a file, a history row, or both.
#[derive(Debug, Serialize)]
pub struct Migration<'a> {
    pub version: Option<String>,
    pub description: &'a str,
    pub kind: &'static str,
    pub script: &'a str,
    pub state: &'static str,
    pub checksum: Option<String>,
    pub applied_at: Option<String>,
    pub execution_ms: Option<i32>,
    /// Only for a modified migration: the checksum in the history.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied_checksum: Option<Option<String>>,
}

/// A problem found, or a file that cannot be read (`state: invalid`).
#[derive(Debug, Serialize)]
pub struct Problem<'a> {
    pub script: Option<&'a str>,
    pub version: Option<String>,
    pub state: &'static str,
    pub message: String,
}

/// A migration that ran (applied, or rolled back).
#[derive(Debug, Serialize)]
pub struct Ran<'a> {
    pub version: Option<&'a str>,
    pub script: &'a str,
    pub execution_ms: u64,
    /// The server's WARNINGs, NOTICEs … while it ran (absent when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<RanNotice<'a>>,
}

/// A notice the server raised while a migration ran.
#[derive(Debug, Serialize)]
pub struct RanNotice<'a> {
    pub severity: &'a str,
    pub message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<&'a str>,
    pub script: &'a str,
}

impl<'a> From<&'a Executed> for Ran<'a> {
    fn from(x: &'a Executed) -> Ran<'a> {
        Ran {
            version: x.version.as_deref(),
            script: &x.script,
            execution_ms: x.execution_ms,
            notices: x
                .notices
                .iter()
                .map(|n| RanNotice {
                    severity: &n.severity,
                    message: &n.message,
                    detail: n.detail.as_deref(),
                    hint: n.hint.as_deref(),
                    script: &x.script,
                })
                .collect(),
        }
    }
}

/// The document of `status`, `validate`, `verify` and `migrate`
/// (`executed[]` only for `migrate`).
pub fn document<'a>(
    env: &'a str,
    reports: impl IntoIterator<Item = &'a DbReport>,
    with_executed: bool,
) -> Document<'a, Database<'a>> {
    Document {
        env,
        databases: reports
            .into_iter()
            .map(|r| database(r, with_executed))
            .collect(),
    }
}

/// One database of [`document`].
pub fn database(r: &DbReport, with_executed: bool) -> Database<'_> {
    let (applied, pending) = r.counts();
    let migrations = r
        .plan
        .as_ref()
        .map(|p| p.entries.iter().map(migration).collect())
        .unwrap_or_default();
    let problems = r
        .problems
        .iter()
        .map(|p| Problem {
            script: Some(&p.script),
            version: p.version.as_ref().map(ToString::to_string),
            state: p.state().as_str(),
            message: p.message().to_string(),
        })
        .chain(r.file_errors.iter().map(|e| Problem {
            script: None,
            version: None,
            state: "invalid",
            message: e.clone(),
        }))
        .collect();
    Database {
        name: &r.name,
        url: r.url.as_deref(),
        history_table: &r.table,
        migrations,
        applied,
        pending,
        problems,
        status: r.outcome(),
        warnings: &r.warnings,
        error: r.error.as_deref(),
        skipped: r.skipped.as_deref(),
        executed: with_executed.then(|| r.executed.iter().map(Ran::from).collect()),
    }
}

fn migration(e: &Entry) -> Migration<'_> {
    let shown: Option<&AppliedMigration> = e.applied.as_ref().filter(|_| applied_state(e.state));
    Migration {
        version: e.version.as_ref().map(ToString::to_string),
        description: &e.description,
        kind: e.kind_name(),
        script: &e.script,
        state: e.state.as_str(),
        checksum: e.checksum.map(|c| c.to_hex()),
        applied_at: shown.map(|a| a.applied_at.to_string()),
        execution_ms: shown.map(|a| a.execution_ms),
        applied_checksum: (e.state == State::Modified)
            .then(|| e.applied_checksum().map(|c| c.to_hex())),
    }
}

/// A database in `rollback`'s document: the status of [`Database`] after
/// the rollback, and what was (or would be) rolled back.
#[derive(Debug, Serialize)]
pub struct RolledBack<'a> {
    #[serde(flatten)]
    pub database: Database<'a>,
    pub rolled_back: Vec<Ran<'a>>,
    /// `--dry-run` only: the scripts a rollback would undo.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub would_roll_back: Option<&'a [String]>,
}

/// A database in `repair`'s or `baseline`'s document: where it is, then
/// what was done or why it failed.
#[derive(Debug, Serialize)]
pub struct Changed<'a, T> {
    pub name: &'a str,
    pub url: Option<&'a str>,
    pub history_table: &'a str,
    /// `ok`, `failed` or `skipped`.
    pub status: &'static str,
    #[serde(flatten)]
    pub outcome: Outcome<'a, T>,
}

/// What a database's change came to.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Outcome<'a, T> {
    /// It failed (the error as printed).
    Failed { error: Option<&'a str> },
    /// It ran.
    Done(T),
}

impl<'a, T> Changed<'a, T> {
    /// The entry of `r`, with `done` when it did not fail.
    pub fn new(r: &'a DbReport, done: Option<T>) -> Changed<'a, T> {
        Changed {
            name: &r.name,
            url: r.url.as_deref(),
            history_table: &r.table,
            status: r.outcome(),
            outcome: match done {
                Some(d) => Outcome::Done(d),
                None => Outcome::Failed {
                    error: r.error.as_deref(),
                },
            },
        }
    }
}

/// What `repair` changed (or would change).
#[derive(Debug, Serialize)]
pub struct Repaired<'a> {
    pub dry_run: bool,
    pub removed: Vec<RemovedRow<'a>>,
    pub accepted: Vec<Accepted<'a>>,
    pub still_modified: &'a [String],
}

/// A failed history row `repair` removed.
#[derive(Debug, Serialize)]
pub struct RemovedRow<'a> {
    pub installed_rank: i32,
    pub version: Option<String>,
    pub script: &'a str,
}

/// A checksum `repair` recorded.
#[derive(Debug, Serialize)]
pub struct Accepted<'a> {
    pub version: String,
    pub script: &'a str,
    pub old: Option<String>,
    pub new: String,
}

impl<'a> From<&'a RepairReport> for Repaired<'a> {
    fn from(rep: &'a RepairReport) -> Repaired<'a> {
        Repaired {
            dry_run: rep.dry_run,
            removed: rep
                .removed
                .iter()
                .map(|x| RemovedRow {
                    installed_rank: x.installed_rank,
                    version: x.version.as_ref().map(ToString::to_string),
                    script: &x.script,
                })
                .collect(),
            accepted: rep.accepted.iter().map(Accepted::from).collect(),
            still_modified: &rep.still_modified,
        }
    }
}

impl<'a> From<&'a ChecksumChange> for Accepted<'a> {
    fn from(c: &'a ChecksumChange) -> Accepted<'a> {
        Accepted {
            version: c.version.to_string(),
            script: &c.script,
            old: c.old.map(|c| c.to_hex()),
            new: c.new.to_hex(),
        }
    }
}

/// What `baseline` recorded (or would record).
#[derive(Debug, Serialize)]
pub struct Baselined<'a> {
    pub baseline: Option<String>,
    pub from: Option<&'static str>,
    pub recorded: Vec<Recorded<'a>>,
    pub dry_run: bool,
}

/// A history row `baseline` wrote.
#[derive(Debug, Serialize)]
pub struct Recorded<'a> {
    pub version: Option<String>,
    pub kind: &'static str,
    pub script: &'a str,
    pub checksum: Option<String>,
}

impl<'a> From<&'a NewRow> for Recorded<'a> {
    fn from(x: &'a NewRow) -> Recorded<'a> {
        Recorded {
            version: x.version.as_ref().map(ToString::to_string),
            kind: x.kind.as_str(),
            script: &x.script,
            checksum: x.checksum.map(|c| c.to_hex()),
        }
    }
}

/// The document of a run that failed before it had results (SPEC §10):
/// `{"error": {"exit_code": N, "message": "…", "causes": […]}}`.
#[derive(Debug, Serialize)]
pub struct ErrorDocument {
    pub error: ErrorBody,
}

/// What [`ErrorDocument`] says: the exit code, the error and its causes,
/// as stderr shows them.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    pub exit_code: u8,
    pub message: String,
    pub causes: Vec<String>,
}

impl ErrorDocument {
    /// The document of `chain` (outermost first), ending the run with `exit_code`.
    pub fn new(exit_code: u8, mut chain: Vec<String>) -> ErrorDocument {
        let message = if chain.is_empty() {
            String::new()
        } else {
            chain.remove(0)
        };
        ErrorDocument {
            error: ErrorBody {
                exit_code,
                message,
                causes: chain,
            },
        }
    }
}

/// A result document with the run's exit code added as its last key, so a
/// reader of the document alone knows how the run ended.
#[derive(Debug, Serialize)]
pub struct WithExitCode<T> {
    #[serde(flatten)]
    pub document: T,
    pub exit_code: u8,
}

/// The document of `init` and `new`: the files and folders written.
#[derive(Debug, Serialize)]
pub struct Created {
    /// The paths written, in order.
    pub created: Vec<String>,
    pub exit_code: u8,
}
