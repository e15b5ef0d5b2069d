//! The pure heart of strata: migration files + history rows → states and a plan.
//!
//! No I/O happens here. `status`, `validate`, `verify`, `migrate --dry-run` and
//! `migrate` all read the same [`Plan`], so what `status` shows is exactly
//! what `migrate` would do. States are those of SPEC §4.1.
//!
//! The examples below need no database. To stay short they use two helpers:
//! `from_files(&[(name, text)])` is [`Migrations::from_files`] over texts
//! in memory, returning its `list`, and `applied(rank, &migration)` is the
//! [`AppliedMigration`] a successful run of that migration records (the
//! [`Plan`] example spells it out).
//!
//! [`Migrations::from_files`]: crate::source::Migrations::from_files

use std::collections::HashMap;

use crate::history::{AppliedMigration, RowKind};
use crate::migration::{Migration, MigrationKind, Version};

mod after_run;
mod compatible;
mod entry;
pub(crate) mod problem;
mod resumable;
mod state;
#[cfg(test)]
mod tests;

pub use entry::Entry;
pub use problem::{Check, Message, Problem, ProblemKind};
pub use resumable::Resumable;
pub use state::State;

/// Options that change the plan.
///
/// ```
/// use strata::plan::{Plan, PlanOptions, State};
/// # use strata::{history::{AppliedMigration, RowKind, Timestamp}, migration::{Content, Migration}, source::Migrations};
/// # fn from_files(list: &[(&str, &'static str)]) -> Vec<Migration> {
/// #     let list = list.iter().map(|(n, t)| (n.to_string(), Content::Static(t.as_bytes())));
/// #     Migrations::from_files("migrations".as_ref(), list.collect()).unwrap().list
/// # }
/// # fn applied(rank: i32, m: &Migration) -> AppliedMigration {
/// #     let kind = if m.version.is_some() { RowKind::Versioned } else { RowKind::Repeatable };
/// #     AppliedMigration { installed_rank: rank, version: m.version.clone(),
/// #         description: m.description.clone(), kind, script: m.script.clone(),
/// #         checksum: Some(m.checksum), applied_by: "app".into(),
/// #         applied_at: Timestamp::from_unix_secs(1_735_689_600), execution_ms: 3, success: true, progress: None }
/// # }
/// let files = from_files(&[
///     ("V1__a.sql", "SELECT 1;"),
///     ("V2__b.sql", "SELECT 2;"),
///     ("V3__c.sql", "SELECT 3;"),
/// ]);
/// let history = [applied(1, &files[0]), applied(2, &files[2])];
/// // `migrate --allow-out-of-order --target 2`
/// let opts = PlanOptions { target: Some("2".parse()?), allow_out_of_order: true };
/// let plan = Plan::new(&files, &history, &opts);
/// assert!(plan.blockers.is_empty());
/// assert_eq!(plan.to_apply, [1]);
///
/// let opts = PlanOptions { target: Some("1".parse()?), ..PlanOptions::default() };
/// let plan = Plan::new(&files[..2], &[], &opts);
/// assert_eq!(plan.entries[1].state, State::AboveTarget);
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct PlanOptions {
    /// Apply nothing beyond this version.
    pub target: Option<Version>,
    /// Apply pending versions below the highest applied one.
    pub allow_out_of_order: bool,
}

/// States of every migration and what `migrate` would run.
///
/// Pure: built from the files and the history rows, without a database.
///
/// ```
/// use std::path::Path;
/// use strata::migration::Content;
/// use strata::plan::{Plan, PlanOptions, State};
/// use strata::source::Migrations;
/// use strata::history::{AppliedMigration, RowKind, Timestamp};
/// use strata::migration::Migration;
///
/// // The history row a successful run of `m` records.
/// fn applied(rank: i32, m: &Migration) -> AppliedMigration {
///     AppliedMigration {
///         installed_rank: rank,
///         version: m.version.clone(),
///         description: m.description.clone(),
///         kind: RowKind::Versioned,
///         script: m.script.clone(),
///         checksum: Some(m.checksum),
///         applied_by: "app".into(),
///         applied_at: Timestamp::from_unix_secs(1_735_689_600), // 2025-01-01
///         execution_ms: 3,
///         success: true,
///         progress: None,
///     }
/// }
///
/// let migrations = Migrations::from_files(Path::new("migrations"), vec![
///     ("V1__users.sql".into(), Content::Static(b"CREATE TABLE users (id int);")),
///     ("V2__roles.sql".into(), Content::Static(b"CREATE TABLE roles (id int);")),
///     ("R__views.sql".into(), Content::Static(b"CREATE OR REPLACE VIEW v AS SELECT 1;")),
/// ])?;
/// // The history says V1 ran (`applied` builds its row).
/// let history = [applied(1, &migrations.list[0])];
/// let plan = Plan::new(&migrations.list, &history, &PlanOptions::default());
/// let states: Vec<_> = plan.entries.iter().map(|e| (e.script.as_str(), e.state)).collect();
/// assert_eq!(states, [
///     ("V1__users.sql", State::Applied),
///     ("V2__roles.sql", State::Pending),
///     ("R__views.sql", State::Pending),
/// ]);
/// assert_eq!(plan.to_apply, [1, 2]); // indices into `migrations.list`
/// assert!(plan.blockers.is_empty());
/// # Ok::<(), strata::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Plan {
    /// Every file and every history-only version, in execution order.
    pub entries: Vec<Entry>,
    /// Indices into the migration list, in the order `migrate` runs them.
    pub to_apply: Vec<usize>,
    /// What keeps `migrate` from running (empty when it may run).
    pub blockers: Vec<Problem>,
    /// What is worth saying but blocks nothing: applied files that were
    /// renamed ([`ProblemKind::Renamed`]).
    pub warnings: Vec<Problem>,
    /// Failed no-transaction migrations that `migrate --resume` continues
    /// (filled by [`Plan::allow_resume`]).
    pub resumable: Vec<Resumable>,
}

impl Plan {
    /// Compares files with history rows.
    ///
    /// `history` is every row in `installed_rank` order, as
    /// [`history::read`](crate::history::read) returns it: the latest row of
    /// a version decides its state.
    ///
    /// Linear in the number of files and rows: the history is sorted by
    /// version once and merged with the (version-ordered) files, so
    /// `status` on ten thousand migrations hashes nothing and sorts nothing
    /// it did not have to.
    ///
    /// ```
    /// use strata::plan::{Plan, PlanOptions, State};
    /// # use strata::{history::{AppliedMigration, RowKind, Timestamp}, migration::{Content, Migration}, source::Migrations};
    /// # fn from_files(list: &[(&str, &'static str)]) -> Vec<Migration> {
    /// #     let list = list.iter().map(|(n, t)| (n.to_string(), Content::Static(t.as_bytes())));
    /// #     Migrations::from_files("migrations".as_ref(), list.collect()).unwrap().list
    /// # }
    /// # fn applied(rank: i32, m: &Migration) -> AppliedMigration {
    /// #     let kind = if m.version.is_some() { RowKind::Versioned } else { RowKind::Repeatable };
    /// #     AppliedMigration { installed_rank: rank, version: m.version.clone(),
    /// #         description: m.description.clone(), kind, script: m.script.clone(),
    /// #         checksum: Some(m.checksum), applied_by: "app".into(),
    /// #         applied_at: Timestamp::from_unix_secs(1_735_689_600), execution_ms: 3, success: true, progress: None }
    /// # }
    /// let before = from_files(&[
    ///     ("V1__users.sql", "CREATE TABLE users (id int);"),
    ///     ("V2__gone.sql", "SELECT 1;"),
    /// ]);
    /// let history = [applied(1, &before[0]), applied(2, &before[1])];
    /// // Since then V1 was edited and V2 deleted.
    /// let now = from_files(&[("V1__users.sql", "CREATE TABLE users (id bigint);")]);
    /// let plan = Plan::new(&now, &history, &PlanOptions::default());
    /// assert_eq!(plan.entries[0].state, State::Modified);
    /// assert_eq!(plan.entries[1].state, State::Missing);
    /// assert!(plan.to_apply.is_empty());
    /// assert_eq!(plan.blockers.len(), 2);
    /// assert!(plan.blockers[0].to_string().contains("strata repair --accept-checksums"));
    /// ```
    pub fn new(migrations: &[Migration], history: &[AppliedMigration], opts: &PlanOptions) -> Plan {
        // The latest row per version decides its state; repeatables go by description.
        let mut latest: Vec<(&Version, &AppliedMigration)> = Vec::with_capacity(history.len());
        let mut latest_repeatable: HashMap<&str, &AppliedMigration> = HashMap::new();
        let mut baseline: Option<(&Version, &AppliedMigration)> = None;
        for row in history {
            match (row.kind, &row.version) {
                (RowKind::Repeatable, _) => {
                    latest_repeatable.insert(row.description.as_str(), row);
                }
                (kind, Some(v)) => {
                    if kind == RowKind::Baseline {
                        baseline = Some((v, row));
                    }
                    latest.push((v, row));
                }
                // A versioned, undo or baseline row without a version: no
                // version for it to decide.
                (_, None) => {}
            }
        }
        // Rows come in rank order, which is nearly always version order: the
        // stable sort is then a single pass, and keeps each version's rows
        // in rank order, so the last one of a run is the latest.
        latest.sort_by(|a, b| a.0.cmp(b.0));
        // `dedup_by` keeps the first of a run; swapping keeps the last (latest).
        latest.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                std::mem::swap(later, kept);
            }
            same
        });

        let is_applied = |row: &AppliedMigration| {
            row.success && matches!(row.kind, RowKind::Versioned | RowKind::Baseline)
        };
        let highest_applied: Option<&Version> = latest
            .iter()
            .rev()
            .find(|(_, r)| is_applied(r))
            .map(|(v, _)| *v);

        let mut entries = Vec::with_capacity(migrations.len().max(latest.len()));
        let mut to_apply = Vec::new();
        let mut blockers = Vec::new();
        let mut warnings = Vec::new();
        // Blockers for rows whose file is gone come after the files' own.
        let mut missing_blockers = Vec::new();

        let problem = |script: &str, version: Option<&Version>, kind: ProblemKind| Problem {
            script: script.to_owned(),
            version: version.cloned(),
            kind,
            check: Check::Migrate,
        };
        // A history row whose version has no file: `missing`, `failed`, or
        // the baseline row itself; undo rows (rolled back) show nothing.
        let mut history_only = |v: &Version, r: &AppliedMigration, entries: &mut Vec<Entry>| {
            if r.kind == RowKind::Baseline {
                if baseline.as_ref().is_some_and(|(b, _)| *b == v) {
                    entries.push(history_only_entry(State::Baseline, v, r));
                }
                return;
            }
            if r.kind == RowKind::Undo {
                return;
            }
            let state = if r.success {
                State::Missing
            } else {
                State::Failed
            };
            missing_blockers.push(problem(
                &r.script,
                Some(v),
                if r.success {
                    ProblemKind::Missing
                } else {
                    ProblemKind::Failed {
                        file_gone: true,
                        statements_applied: None,
                    }
                },
            ));
            entries.push(history_only_entry(state, v, r));
        };

        // Versioned files, in version order, merged with the history.
        // `Migrations` lists them in version order; a hand-made list may not.
        let mut versioned: Vec<(usize, &Version)> = migrations
            .iter()
            .enumerate()
            .filter(|(_, m)| m.kind != MigrationKind::Repeatable)
            .filter_map(|(i, m)| Some((i, m.version.as_ref()?)))
            .collect();
        if !versioned.is_sorted_by(|a, b| a.1 <= b.1) {
            versioned.sort_by(|a, b| a.1.cmp(b.1));
        }
        let mut rows = latest.iter().peekable();
        let mut previous: Option<&Version> = None;
        for &(i, v) in &versioned {
            let m = &migrations[i];
            while let Some((rv, r)) = rows.next_if(|(rv, _)| *rv < v) {
                // A row of the previous file's version is that file's, not history-only.
                if previous != Some(rv) {
                    history_only(rv, r, &mut entries);
                }
            }
            previous = Some(v);
            let row = rows.peek().filter(|(rv, _)| *rv == v).map(|(_, r)| *r);
            let checksum = m.checksum;
            let state = match row {
                Some(r) if r.kind == RowKind::Baseline => State::Baseline,
                Some(r) if r.kind == RowKind::Versioned && !r.success => State::Failed,
                Some(r) if r.kind == RowKind::Versioned => {
                    if r.checksum != Some(checksum) {
                        State::Modified
                    } else if r.script != m.script {
                        State::Renamed
                    } else {
                        State::Applied
                    }
                }
                // Never applied, or rolled back (latest row is an undo).
                _ => match &baseline {
                    Some((b, _)) if v < b => State::BelowBaseline,
                    _ if opts.target.as_ref().is_some_and(|t| v > t) => State::AboveTarget,
                    _ if highest_applied.is_some_and(|h| v < h) => State::OutOfOrder,
                    _ => State::Pending,
                },
            };
            let kind = match state {
                State::Failed => Some(ProblemKind::Failed {
                    file_gone: false,
                    statements_applied: row
                        .and_then(Resumable::from_row)
                        .map(|r| r.statement_hashes.len()),
                }),
                State::Modified => Some(ProblemKind::Modified {
                    applied: row.and_then(|r| r.checksum),
                    on_disk: checksum,
                }),
                State::OutOfOrder if !opts.allow_out_of_order => Some(ProblemKind::OutOfOrder {
                    highest: highest_applied.cloned(),
                }),
                _ => None,
            };
            if let Some(kind) = kind {
                blockers.push(problem(&m.script, Some(v), kind));
            }
            if let (State::Renamed, Some(r)) = (state, row) {
                let applied_as = r.script.clone();
                warnings.push(problem(
                    &m.script,
                    Some(v),
                    ProblemKind::Renamed { applied_as },
                ));
            }
            if matches!(state, State::Pending)
                || (state == State::OutOfOrder && opts.allow_out_of_order)
            {
                to_apply.push(i);
            }
            entries.push(Entry {
                state,
                version: Some(v.clone()),
                description: m.description.clone(),
                kind: m.kind,
                script: m.script.clone(),
                migration: Some(i),
                checksum: Some(checksum),
                applied: row.cloned(),
            });
        }
        for (rv, r) in rows {
            if previous != Some(rv) {
                history_only(rv, r, &mut entries);
            }
        }

        // Repeatables, in description order, after every versioned one.
        let first_repeatable = entries.len();
        for (i, m) in migrations.iter().enumerate() {
            if m.kind != MigrationKind::Repeatable {
                continue;
            }
            let checksum = m.checksum;
            let row = latest_repeatable.get(m.description.as_str()).copied();
            let state = match row {
                Some(r) if !r.success => State::Failed,
                Some(r) if r.checksum == Some(checksum) => State::Applied,
                _ => State::Pending,
            };
            if state == State::Failed {
                blockers.push(problem(
                    &m.script,
                    None,
                    ProblemKind::Failed {
                        file_gone: false,
                        statements_applied: None,
                    },
                ));
            }
            if state == State::Pending {
                to_apply.push(i);
            }
            entries.push(Entry {
                state,
                version: None,
                description: m.description.clone(),
                kind: m.kind,
                script: m.script.clone(),
                migration: Some(i),
                checksum: Some(checksum),
                applied: row.cloned(),
            });
        }
        // `from_dir` lists repeatables in description order already; other
        // callers may not.
        entries[first_repeatable..].sort_by(|a, b| a.description.cmp(&b.description));
        blockers.append(&mut missing_blockers);
        // Versioned first in version order, then repeatables in description order.
        to_apply.sort_by(|a, b| {
            let (ma, mb) = (&migrations[*a], &migrations[*b]);
            (ma.kind, &ma.version, &ma.description).cmp(&(mb.kind, &mb.version, &mb.description))
        });
        Plan {
            entries,
            to_apply,
            blockers,
            warnings,
            resumable: Vec::new(),
        }
    }

    /// Entries in a given state.
    ///
    /// ```
    /// use strata::plan::{Plan, PlanOptions, State};
    /// # use strata::{history::{AppliedMigration, RowKind, Timestamp}, migration::{Content, Migration}, source::Migrations};
    /// # fn from_files(list: &[(&str, &'static str)]) -> Vec<Migration> {
    /// #     let list = list.iter().map(|(n, t)| (n.to_string(), Content::Static(t.as_bytes())));
    /// #     Migrations::from_files("migrations".as_ref(), list.collect()).unwrap().list
    /// # }
    /// # fn applied(rank: i32, m: &Migration) -> AppliedMigration {
    /// #     let kind = if m.version.is_some() { RowKind::Versioned } else { RowKind::Repeatable };
    /// #     AppliedMigration { installed_rank: rank, version: m.version.clone(),
    /// #         description: m.description.clone(), kind, script: m.script.clone(),
    /// #         checksum: Some(m.checksum), applied_by: "app".into(),
    /// #         applied_at: Timestamp::from_unix_secs(1_735_689_600), execution_ms: 3, success: true, progress: None }
    /// # }
    /// let files = from_files(&[
    ///     ("V1__a.sql", "SELECT 1;"),
    ///     ("V2__b.sql", "SELECT 2;"),
    ///     ("R__v.sql", "SELECT 3;"),
    /// ]);
    /// let plan = Plan::new(&files, &[applied(1, &files[0])], &PlanOptions::default());
    /// assert_eq!(plan.count(State::Applied), 1);
    /// assert_eq!(plan.count(State::Pending), 2);
    /// assert_eq!(plan.count(State::Failed), 0);
    /// ```
    pub fn count(&self, state: State) -> usize {
        self.entries.iter().filter(|e| e.state == state).count()
    }
}

/// The entry of a history row whose version has no file (missing, failed,
/// or the baseline row itself).
fn history_only_entry(state: State, v: &Version, r: &AppliedMigration) -> Entry {
    Entry {
        state,
        version: Some(v.clone()),
        description: r.description.clone(),
        kind: MigrationKind::Versioned,
        script: r.script.clone(),
        migration: None,
        checksum: None,
        applied: Some(r.clone()),
    }
}
