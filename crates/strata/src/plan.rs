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
use std::fmt;

use crate::history::{AppliedMigration, RowKind};
use crate::migration::{Migration, MigrationKind, Version};

/// The state of one migration (SPEC §4.1).
///
/// ```
/// use strata::plan::State;
/// // How `status` and `--json` name it:
/// assert_eq!(State::OutOfOrder.to_string(), "out_of_order");
/// // The states that keep `migrate` from running:
/// let blocks = |s| {
///     matches!(s, State::Failed | State::Modified | State::Missing | State::OutOfOrder)
/// };
/// assert!(blocks(State::Modified) && !blocks(State::BelowBaseline));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// Applied, checksum matches.
    Applied,
    /// Not applied yet (or rolled back), or a new/changed repeatable.
    Pending,
    /// The latest row has success = false.
    Failed,
    /// Applied, but the file's checksum differs.
    Modified,
    /// Applied, but the file is gone.
    Missing,
    /// Pending, but a higher version is already applied.
    OutOfOrder,
    /// The baseline version itself.
    Baseline,
    /// Below the baseline: never applied, and never will be.
    BelowBaseline,
    /// Pending, but beyond `--target`.
    AboveTarget,
}

impl State {
    /// The name used in output and JSON.
    ///
    /// ```
    /// use strata::plan::State;
    /// assert_eq!(State::Applied.as_str(), "applied");
    /// assert_eq!(State::BelowBaseline.as_str(), "below_baseline");
    /// assert_eq!(State::AboveTarget.as_str(), "above_target");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            State::Applied => "applied",
            State::Pending => "pending",
            State::Failed => "failed",
            State::Modified => "modified",
            State::Missing => "missing",
            State::OutOfOrder => "out_of_order",
            State::Baseline => "baseline",
            State::BelowBaseline => "below_baseline",
            State::AboveTarget => "above_target",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// One line of `status`: a file, a history row, or both.
///
/// ```
/// use strata::plan::{Plan, PlanOptions, State};
/// # use strata::{history::{AppliedMigration, RowKind}, migration::{Content, Migration}, source::Migrations};
/// # fn from_files(list: &[(&str, &'static str)]) -> Vec<Migration> {
/// #     let list = list.iter().map(|(n, t)| (n.to_string(), Content::Static(t.as_bytes())));
/// #     Migrations::from_files("migrations".as_ref(), list.collect()).unwrap().list
/// # }
/// # fn applied(rank: i32, m: &Migration) -> AppliedMigration {
/// #     let kind = if m.version.is_some() { RowKind::Versioned } else { RowKind::Repeatable };
/// #     AppliedMigration { installed_rank: rank, version: m.version.as_ref().map(ToString::to_string),
/// #         description: m.description.clone(), kind, script: m.script.clone(),
/// #         checksum: Some(m.checksum.to_hex()), applied_by: "app".into(),
/// #         applied_at: "2025-01-01T00:00:00Z".into(), execution_ms: 3, success: true, progress: None }
/// # }
/// let files = from_files(&[
///     ("V1__users.sql", "CREATE TABLE users (id int);"),
///     ("V2__roles.sql", "CREATE TABLE roles (id int);"),
/// ]);
/// let history = [applied(1, &files[0]), applied(2, &files[1])];
/// // Since then, V2's file was deleted.
/// let plan = Plan::new(&files[..1], &history, &PlanOptions::default());
/// let users = &plan.entries[0];
/// assert_eq!(users.state, State::Applied);
/// assert_eq!((users.version.as_deref(), users.kind), (Some("1"), "versioned"));
/// assert_eq!(users.migration, Some(0)); // index into `files`
/// assert_eq!(users.applied.as_ref().map(|row| row.installed_rank), Some(1));
/// let roles = &plan.entries[1];
/// assert_eq!((roles.state, roles.script.as_str()), (State::Missing, "V2__roles.sql"));
/// assert_eq!(roles.migration, None);
/// ```
#[derive(Clone, Debug)]
pub struct Entry {
    /// Its state.
    pub state: State,
    /// Normalized version (None for repeatables).
    pub version: Option<String>,
    /// Description.
    pub description: String,
    /// `versioned` or `repeatable` (or `baseline` for a baseline row).
    pub kind: &'static str,
    /// File name (from the history when the file is missing).
    pub script: String,
    /// Index into the migration list, when the file exists.
    pub migration: Option<usize>,
    /// The file's checksum.
    pub checksum: Option<String>,
    /// The latest relevant history row.
    pub applied: Option<AppliedMigration>,
}

impl Entry {
    /// The checksum recorded in the latest history row, if there is one. It
    /// differs from the file's [`checksum`](Entry::checksum) when the entry is
    /// [`State::Modified`]; `status` shows both then.
    ///
    /// ```
    /// use strata::plan::{Plan, PlanOptions, State};
    /// # use strata::{history::{AppliedMigration, RowKind}, migration::{Content, Migration}, source::Migrations};
    /// # fn from_files(list: &[(&str, &'static str)]) -> Vec<Migration> {
    /// #     let list = list.iter().map(|(n, t)| (n.to_string(), Content::Static(t.as_bytes())));
    /// #     Migrations::from_files("migrations".as_ref(), list.collect()).unwrap().list
    /// # }
    /// # fn applied(rank: i32, m: &Migration) -> AppliedMigration {
    /// #     let kind = if m.version.is_some() { RowKind::Versioned } else { RowKind::Repeatable };
    /// #     AppliedMigration { installed_rank: rank, version: m.version.as_ref().map(ToString::to_string),
    /// #         description: m.description.clone(), kind, script: m.script.clone(),
    /// #         checksum: Some(m.checksum.to_hex()), applied_by: "app".into(),
    /// #         applied_at: "2025-01-01T00:00:00Z".into(), execution_ms: 3, success: true, progress: None }
    /// # }
    /// let before = from_files(&[("V1__users.sql", "CREATE TABLE users (id int);")]);
    /// let history = [applied(1, &before[0])];
    /// // The file was edited after it ran.
    /// let now = from_files(&[("V1__users.sql", "CREATE TABLE users (id bigint);")]);
    /// let plan = Plan::new(&now, &history, &PlanOptions::default());
    /// let e = &plan.entries[0];
    /// assert_eq!(e.state, State::Modified);
    /// assert_eq!(e.applied_checksum(), Some(before[0].checksum.to_hex().as_str()));
    /// assert_eq!(e.checksum, Some(now[0].checksum.to_hex()));
    /// ```
    pub fn applied_checksum(&self) -> Option<&str> {
        self.applied.as_ref().and_then(|a| a.checksum.as_deref())
    }
}

/// Why a run cannot proceed, or why `verify` fails.
///
/// Displayed as `script: message`, the message naming the command that
/// resolves it:
///
/// ```
/// use strata::plan::{Plan, PlanOptions, State};
/// # use strata::{history::{AppliedMigration, RowKind}, migration::{Content, Migration}, source::Migrations};
/// # fn from_files(list: &[(&str, &'static str)]) -> Vec<Migration> {
/// #     let list = list.iter().map(|(n, t)| (n.to_string(), Content::Static(t.as_bytes())));
/// #     Migrations::from_files("migrations".as_ref(), list.collect()).unwrap().list
/// # }
/// # fn applied(rank: i32, m: &Migration) -> AppliedMigration {
/// #     let kind = if m.version.is_some() { RowKind::Versioned } else { RowKind::Repeatable };
/// #     AppliedMigration { installed_rank: rank, version: m.version.as_ref().map(ToString::to_string),
/// #         description: m.description.clone(), kind, script: m.script.clone(),
/// #         checksum: Some(m.checksum.to_hex()), applied_by: "app".into(),
/// #         applied_at: "2025-01-01T00:00:00Z".into(), execution_ms: 3, success: true, progress: None }
/// # }
/// let files = from_files(&[
///     ("V1__a.sql", "SELECT 1;"),
///     ("V2__b.sql", "SELECT 2;"),
///     ("V3__c.sql", "SELECT 3;"),
/// ]);
/// // V2 was added after V3 had been applied.
/// let history = [applied(1, &files[0]), applied(2, &files[2])];
/// let plan = Plan::new(&files, &history, &PlanOptions::default());
/// let p = &plan.blockers[0];
/// assert_eq!((p.state, p.version.as_deref()), (State::OutOfOrder, Some("2")));
/// assert_eq!(
///     p.to_string(),
///     "V2__b.sql: pending, but version 3 is already applied; \
///      run `strata migrate --allow-out-of-order` to apply it anyway"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The state that is a problem.
    pub state: State,
    /// The file (or the history's script name).
    pub script: String,
    /// The version, if any.
    pub version: Option<String>,
    /// What is wrong and what resolves it.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.script, self.message)
    }
}

/// Options that change the plan.
///
/// ```
/// use strata::plan::{Plan, PlanOptions, State};
/// # use strata::{history::{AppliedMigration, RowKind}, migration::{Content, Migration}, source::Migrations};
/// # fn from_files(list: &[(&str, &'static str)]) -> Vec<Migration> {
/// #     let list = list.iter().map(|(n, t)| (n.to_string(), Content::Static(t.as_bytes())));
/// #     Migrations::from_files("migrations".as_ref(), list.collect()).unwrap().list
/// # }
/// # fn applied(rank: i32, m: &Migration) -> AppliedMigration {
/// #     let kind = if m.version.is_some() { RowKind::Versioned } else { RowKind::Repeatable };
/// #     AppliedMigration { installed_rank: rank, version: m.version.as_ref().map(ToString::to_string),
/// #         description: m.description.clone(), kind, script: m.script.clone(),
/// #         checksum: Some(m.checksum.to_hex()), applied_by: "app".into(),
/// #         applied_at: "2025-01-01T00:00:00Z".into(), execution_ms: 3, success: true, progress: None }
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
/// use strata::history::{AppliedMigration, RowKind};
/// use strata::migration::Migration;
///
/// // The history row a successful run of `m` records.
/// fn applied(rank: i32, m: &Migration) -> AppliedMigration {
///     AppliedMigration {
///         installed_rank: rank,
///         version: m.version.as_ref().map(ToString::to_string),
///         description: m.description.clone(),
///         kind: RowKind::Versioned,
///         script: m.script.clone(),
///         checksum: Some(m.checksum.to_hex()),
///         applied_by: "app".into(),
///         applied_at: "2025-01-01T00:00:00Z".into(),
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
    /// Failed no-transaction migrations that `migrate --resume` continues
    /// (filled by [`Plan::allow_resume`]).
    pub resumable: Vec<Resumable>,
}

/// A failed no-transaction migration that can continue at its failed
/// statement: the history recorded the statements that succeeded.
///
/// ```
/// use strata::plan::{Plan, PlanOptions};
/// # use strata::{history::{AppliedMigration, RowKind}, migration::{Content, Migration}, source::Migrations};
/// # fn from_files(list: &[(&str, &'static str)]) -> Vec<Migration> {
/// #     let list = list.iter().map(|(n, t)| (n.to_string(), Content::Static(t.as_bytes())));
/// #     Migrations::from_files("migrations".as_ref(), list.collect()).unwrap().list
/// # }
/// # fn applied(rank: i32, m: &Migration) -> AppliedMigration {
/// #     let kind = if m.version.is_some() { RowKind::Versioned } else { RowKind::Repeatable };
/// #     AppliedMigration { installed_rank: rank, version: m.version.as_ref().map(ToString::to_string),
/// #         description: m.description.clone(), kind, script: m.script.clone(),
/// #         checksum: Some(m.checksum.to_hex()), applied_by: "app".into(),
/// #         applied_at: "2025-01-01T00:00:00Z".into(), execution_ms: 3, success: true, progress: None }
/// # }
/// let files = from_files(&[(
///     "V1__index.sql",
///     "-- strata:no-transaction\n\
///      CREATE INDEX CONCURRENTLY a ON t (a);\n\
///      CREATE INDEX CONCURRENTLY b ON t (b);",
/// )]);
/// let mut failed = applied(1, &files[0]);
/// failed.success = false;
/// failed.progress = Some(serde_json::json!({
///     "statements_succeeded": 1,
///     "statement_hashes": ["5d41402a"],
/// }));
/// let mut plan = Plan::new(&files, &[failed], &PlanOptions::default());
/// plan.allow_resume(&files);
/// assert_eq!(plan.resumable[0].script, "V1__index.sql");
/// assert_eq!(plan.resumable[0].statement_hashes, ["5d41402a"]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resumable {
    /// The file.
    pub script: String,
    /// SHA-256 of each statement that succeeded, in order; resuming skips
    /// exactly these, after checking the file still has them.
    pub statement_hashes: Vec<String>,
}

impl Resumable {
    /// Reads the `progress` of a failed history row: `None` for a row that
    /// succeeded or recorded no statement hashes.
    ///
    /// ```
    /// use strata::history::{AppliedMigration, RowKind};
    /// use strata::plan::Resumable;
    /// let mut row = AppliedMigration {
    ///     installed_rank: 4,
    ///     version: Some("4".into()),
    ///     description: "indexes".into(),
    ///     kind: RowKind::Versioned,
    ///     script: "V4__indexes.sql".into(),
    ///     checksum: None,
    ///     applied_by: "app".into(),
    ///     applied_at: "2025-01-01T00:00:00Z".into(),
    ///     execution_ms: 250,
    ///     success: false,
    ///     progress: Some(serde_json::json!({
    ///         "statements_succeeded": 2,
    ///         "statement_hashes": ["aa", "bb"],
    ///     })),
    /// };
    /// let r = Resumable::from_row(&row).expect("progress recorded");
    /// assert_eq!((r.script.as_str(), r.statement_hashes.len()), ("V4__indexes.sql", 2));
    /// row.success = true;
    /// assert_eq!(Resumable::from_row(&row), None);
    /// ```
    pub fn from_row(row: &AppliedMigration) -> Option<Resumable> {
        if row.success {
            return None;
        }
        let hashes = row.progress.as_ref()?.get("statement_hashes")?.as_array()?;
        Some(Resumable {
            script: row.script.clone(),
            statement_hashes: hashes
                .iter()
                .map(|h| h.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()?,
        })
    }
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
    /// # use strata::{history::{AppliedMigration, RowKind}, migration::{Content, Migration}, source::Migrations};
    /// # fn from_files(list: &[(&str, &'static str)]) -> Vec<Migration> {
    /// #     let list = list.iter().map(|(n, t)| (n.to_string(), Content::Static(t.as_bytes())));
    /// #     Migrations::from_files("migrations".as_ref(), list.collect()).unwrap().list
    /// # }
    /// # fn applied(rank: i32, m: &Migration) -> AppliedMigration {
    /// #     let kind = if m.version.is_some() { RowKind::Versioned } else { RowKind::Repeatable };
    /// #     AppliedMigration { installed_rank: rank, version: m.version.as_ref().map(ToString::to_string),
    /// #         description: m.description.clone(), kind, script: m.script.clone(),
    /// #         checksum: Some(m.checksum.to_hex()), applied_by: "app".into(),
    /// #         applied_at: "2025-01-01T00:00:00Z".into(), execution_ms: 3, success: true, progress: None }
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
    /// assert!(plan.blockers[0].message.contains("strata repair --accept-checksums"));
    /// ```
    pub fn new(migrations: &[Migration], history: &[AppliedMigration], opts: &PlanOptions) -> Plan {
        // The latest row per version decides its state; repeatables go by description.
        let mut latest: Vec<(Version, &AppliedMigration)> = Vec::with_capacity(history.len());
        let mut latest_repeatable: HashMap<&str, &AppliedMigration> = HashMap::new();
        let mut baseline: Option<(Version, &AppliedMigration)> = None;
        for row in history {
            match (
                row.kind,
                row.version
                    .as_deref()
                    .and_then(|v| v.parse::<Version>().ok()),
            ) {
                (RowKind::Repeatable, _) => {
                    latest_repeatable.insert(row.description.as_str(), row);
                }
                (kind, Some(v)) => {
                    if kind == RowKind::Baseline {
                        baseline = Some((v.clone(), row));
                    }
                    latest.push((v, row));
                }
                (_, None) => {}
            }
        }
        // Rows come in rank order, which is nearly always version order: the
        // stable sort is then a single pass, and keeps each version's rows
        // in rank order, so the last one of a run is the latest.
        latest.sort_by(|a, b| a.0.cmp(&b.0));
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
            .map(|(v, _)| v);

        let mut entries = Vec::with_capacity(migrations.len().max(latest.len()));
        let mut to_apply = Vec::new();
        let mut blockers = Vec::new();
        // Blockers for rows whose file is gone come after the files' own.
        let mut missing_blockers = Vec::new();

        let problem =
            |state: State, script: &str, version: Option<String>, message: String| Problem {
                state,
                script: script.to_owned(),
                version,
                message,
            };
        // A history row whose version has no file: `missing`, `failed`, or
        // the baseline row itself; undo rows (rolled back) show nothing.
        let mut history_only = |v: &Version, r: &AppliedMigration, entries: &mut Vec<Entry>| {
            if r.kind == RowKind::Baseline {
                if baseline.as_ref().is_some_and(|(b, _)| b == v) {
                    entries.push(Entry {
                        state: State::Baseline,
                        version: Some(v.to_string()),
                        description: r.description.clone(),
                        kind: "baseline",
                        script: r.script.clone(),
                        migration: None,
                        checksum: None,
                        applied: Some(r.clone()),
                    });
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
                state,
                &r.script,
                Some(v.to_string()),
                if r.success {
                    format!("applied, but the file is gone; restore {} (e.g. from version control)", r.script)
                } else {
                    "failed, and the file is gone; restore it, or run `strata repair` to remove the failed row".into()
                },
            ));
            entries.push(Entry {
                state,
                version: Some(v.to_string()),
                description: r.description.clone(),
                kind: "versioned",
                script: r.script.clone(),
                migration: None,
                checksum: None,
                applied: Some(r.clone()),
            });
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
            while let Some((rv, r)) = rows.next_if(|(rv, _)| rv < v) {
                // A row of the previous file's version is that file's, not history-only.
                if previous != Some(rv) {
                    history_only(rv, r, &mut entries);
                }
            }
            previous = Some(v);
            let row = rows.peek().filter(|(rv, _)| rv == v).map(|(_, r)| *r);
            let checksum = m.checksum.to_hex();
            let vs = v.to_string();
            let state = match row {
                Some(r) if r.kind == RowKind::Baseline => State::Baseline,
                Some(r) if r.kind == RowKind::Versioned && !r.success => State::Failed,
                Some(r) if r.kind == RowKind::Versioned => {
                    if r.checksum.as_deref() == Some(checksum.as_str()) {
                        State::Applied
                    } else {
                        State::Modified
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
            match state {
                State::Failed => blockers.push(problem(
                    state,
                    &m.script,
                    Some(vs.clone()),
                    failed_message(row),
                )),
                State::Modified => blockers.push(problem(
                    state,
                    &m.script,
                    Some(vs.clone()),
                    format!(
                        "modified after it was applied (checksum {} in history, {} on disk); restore the file, \
                         or run `strata repair --accept-checksums` if the change is intended",
                        short(row.and_then(|r| r.checksum.as_deref()).unwrap_or("none")),
                        short(&checksum)
                    ),
                )),
                State::OutOfOrder if !opts.allow_out_of_order => blockers.push(problem(
                    state,
                    &m.script,
                    Some(vs.clone()),
                    format!(
                        "pending, but version {} is already applied; run `strata migrate --allow-out-of-order` to apply it anyway",
                        highest_applied.map(ToString::to_string).unwrap_or_default()
                    ),
                )),
                _ => {}
            }
            if matches!(state, State::Pending)
                || (state == State::OutOfOrder && opts.allow_out_of_order)
            {
                to_apply.push(i);
            }
            entries.push(Entry {
                state,
                version: Some(vs),
                description: m.description.clone(),
                kind: m.kind.as_str(),
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
            let checksum = m.checksum.to_hex();
            let row = latest_repeatable.get(m.description.as_str()).copied();
            let state = match row {
                Some(r) if !r.success => State::Failed,
                Some(r) if r.checksum.as_deref() == Some(checksum.as_str()) => State::Applied,
                _ => State::Pending,
            };
            if state == State::Failed {
                blockers.push(problem(
                    state,
                    &m.script,
                    None,
                    "failed; fix the file, then run `strata repair` to remove the failed row, then `strata migrate`".to_string(),
                ));
            }
            if state == State::Pending {
                to_apply.push(i);
            }
            entries.push(Entry {
                state,
                version: None,
                description: m.description.clone(),
                kind: m.kind.as_str(),
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
            resumable: Vec::new(),
        }
    }

    /// `migrate --resume`: failed no-transaction migrations whose history
    /// row recorded their progress stop being blockers and are applied (in
    /// their place in version order), continuing at the failed statement.
    /// Other blockers stay.
    ///
    /// ```
    /// use strata::plan::{Plan, PlanOptions, State};
    /// # use strata::{history::{AppliedMigration, RowKind}, migration::{Content, Migration}, source::Migrations};
    /// # fn from_files(list: &[(&str, &'static str)]) -> Vec<Migration> {
    /// #     let list = list.iter().map(|(n, t)| (n.to_string(), Content::Static(t.as_bytes())));
    /// #     Migrations::from_files("migrations".as_ref(), list.collect()).unwrap().list
    /// # }
    /// # fn applied(rank: i32, m: &Migration) -> AppliedMigration {
    /// #     let kind = if m.version.is_some() { RowKind::Versioned } else { RowKind::Repeatable };
    /// #     AppliedMigration { installed_rank: rank, version: m.version.as_ref().map(ToString::to_string),
    /// #         description: m.description.clone(), kind, script: m.script.clone(),
    /// #         checksum: Some(m.checksum.to_hex()), applied_by: "app".into(),
    /// #         applied_at: "2025-01-01T00:00:00Z".into(), execution_ms: 3, success: true, progress: None }
    /// # }
    /// let files = from_files(&[
    ///     ("V1__a.sql", "SELECT 1;"),
    ///     (
    ///         "V2__index.sql",
    ///         "-- strata:no-transaction\n\
    ///          CREATE INDEX CONCURRENTLY a ON t (a);\n\
    ///          CREATE INDEX CONCURRENTLY b ON t (b);",
    ///     ),
    /// ]);
    /// // V2 failed at its second statement; the history kept the first one's hash.
    /// let mut failed = applied(2, &files[1]);
    /// failed.success = false;
    /// failed.progress = Some(serde_json::json!({
    ///     "statements_succeeded": 1,
    ///     "statement_hashes": ["5d41402a"],
    /// }));
    /// let mut plan = Plan::new(&files, &[applied(1, &files[0]), failed], &PlanOptions::default());
    /// assert!(plan.blockers[0].message.contains("strata migrate --resume"));
    /// plan.allow_resume(&files);
    /// assert!(plan.blockers.is_empty());
    /// assert_eq!(plan.to_apply, [1]);
    /// assert_eq!(plan.entries[1].state, State::Failed); // until it succeeds
    /// ```
    pub fn allow_resume(&mut self, migrations: &[Migration]) {
        for e in &self.entries {
            let (State::Failed, Some(i), Some(row)) = (e.state, e.migration, &e.applied) else {
                continue;
            };
            let Some(r) = Resumable::from_row(row) else {
                continue;
            };
            self.blockers
                .retain(|b| !(b.state == State::Failed && b.script == e.script));
            self.to_apply.push(i);
            self.resumable.push(r);
        }
        self.to_apply.sort_by(|a, b| {
            let (ma, mb) = (&migrations[*a], &migrations[*b]);
            (ma.kind, &ma.version, &ma.description).cmp(&(mb.kind, &mb.version, &mb.description))
        });
        self.to_apply.dedup();
    }

    /// The plan as it stands after `applied` — `(script, execution_ms)` pairs —
    /// ran at `applied_at`: those entries become `applied`; nothing else
    /// changes. Lets a run report final states without re-reading the history.
    ///
    /// ```
    /// use strata::plan::{Plan, PlanOptions, State};
    /// # use strata::{history::{AppliedMigration, RowKind}, migration::{Content, Migration}, source::Migrations};
    /// # fn from_files(list: &[(&str, &'static str)]) -> Vec<Migration> {
    /// #     let list = list.iter().map(|(n, t)| (n.to_string(), Content::Static(t.as_bytes())));
    /// #     Migrations::from_files("migrations".as_ref(), list.collect()).unwrap().list
    /// # }
    /// # fn applied(rank: i32, m: &Migration) -> AppliedMigration {
    /// #     let kind = if m.version.is_some() { RowKind::Versioned } else { RowKind::Repeatable };
    /// #     AppliedMigration { installed_rank: rank, version: m.version.as_ref().map(ToString::to_string),
    /// #         description: m.description.clone(), kind, script: m.script.clone(),
    /// #         checksum: Some(m.checksum.to_hex()), applied_by: "app".into(),
    /// #         applied_at: "2025-01-01T00:00:00Z".into(), execution_ms: 3, success: true, progress: None }
    /// # }
    /// let files = from_files(&[
    ///     ("V1__users.sql", "CREATE TABLE users (id int);"),
    ///     ("V2__roles.sql", "CREATE TABLE roles (id int);"),
    /// ]);
    /// let plan = Plan::new(&files, &[], &PlanOptions::default());
    /// let after = plan.after_applied([("V1__users.sql", 12)], "2025-01-01T10:00:00Z");
    /// assert_eq!(after.entries[0].state, State::Applied);
    /// let row = after.entries[0].applied.as_ref().expect("a row");
    /// assert_eq!((row.execution_ms, row.applied_at.as_str()), (12, "2025-01-01T10:00:00Z"));
    /// assert_eq!(after.entries[1].state, State::Pending);
    /// ```
    pub fn after_applied<'a>(
        mut self,
        applied: impl IntoIterator<Item = (&'a str, i32)>,
        applied_at: &str,
    ) -> Plan {
        // By file name: a run applying a thousand files on top of a thousand
        // applied ones must not compare a million names.
        let targets: Vec<(usize, i32)> = {
            let by_script: HashMap<&str, usize> = self
                .entries
                .iter()
                .enumerate()
                .filter(|(_, e)| e.migration.is_some())
                .map(|(i, e)| (e.script.as_str(), i))
                .collect();
            applied
                .into_iter()
                .filter_map(|(script, ms)| Some((*by_script.get(script)?, ms)))
                .collect()
        };
        for (i, ms) in targets {
            let e = &mut self.entries[i];
            e.state = State::Applied;
            e.applied = Some(AppliedMigration {
                installed_rank: 0,
                version: e.version.clone(),
                description: e.description.clone(),
                kind: if e.kind == "repeatable" {
                    RowKind::Repeatable
                } else {
                    RowKind::Versioned
                },
                script: e.script.clone(),
                checksum: e.checksum.clone(),
                applied_by: String::new(),
                applied_at: applied_at.to_owned(),
                execution_ms: ms,
                success: true,
                progress: None,
            });
        }
        self
    }

    /// Entries in a given state.
    ///
    /// ```
    /// use strata::plan::{Plan, PlanOptions, State};
    /// # use strata::{history::{AppliedMigration, RowKind}, migration::{Content, Migration}, source::Migrations};
    /// # fn from_files(list: &[(&str, &'static str)]) -> Vec<Migration> {
    /// #     let list = list.iter().map(|(n, t)| (n.to_string(), Content::Static(t.as_bytes())));
    /// #     Migrations::from_files("migrations".as_ref(), list.collect()).unwrap().list
    /// # }
    /// # fn applied(rank: i32, m: &Migration) -> AppliedMigration {
    /// #     let kind = if m.version.is_some() { RowKind::Versioned } else { RowKind::Repeatable };
    /// #     AppliedMigration { installed_rank: rank, version: m.version.as_ref().map(ToString::to_string),
    /// #         description: m.description.clone(), kind, script: m.script.clone(),
    /// #         checksum: Some(m.checksum.to_hex()), applied_by: "app".into(),
    /// #         applied_at: "2025-01-01T00:00:00Z".into(), execution_ms: 3, success: true, progress: None }
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

    /// What `verify` reports: every file applied with a matching checksum and
    /// nothing failed. Rows whose file is gone do not fail `verify` — the
    /// database may legitimately be ahead of an application during a rolling
    /// deploy — but they are reported by `status` and block `migrate`.
    ///
    /// ```
    /// use strata::plan::{Plan, PlanOptions, State};
    /// # use strata::{history::{AppliedMigration, RowKind}, migration::{Content, Migration}, source::Migrations};
    /// # fn from_files(list: &[(&str, &'static str)]) -> Vec<Migration> {
    /// #     let list = list.iter().map(|(n, t)| (n.to_string(), Content::Static(t.as_bytes())));
    /// #     Migrations::from_files("migrations".as_ref(), list.collect()).unwrap().list
    /// # }
    /// # fn applied(rank: i32, m: &Migration) -> AppliedMigration {
    /// #     let kind = if m.version.is_some() { RowKind::Versioned } else { RowKind::Repeatable };
    /// #     AppliedMigration { installed_rank: rank, version: m.version.as_ref().map(ToString::to_string),
    /// #         description: m.description.clone(), kind, script: m.script.clone(),
    /// #         checksum: Some(m.checksum.to_hex()), applied_by: "app".into(),
    /// #         applied_at: "2025-01-01T00:00:00Z".into(), execution_ms: 3, success: true, progress: None }
    /// # }
    /// let old = from_files(&[("V1__a.sql", "SELECT 1;"), ("V3__c.sql", "SELECT 3;")]);
    /// let history = [applied(1, &old[0]), applied(2, &old[1])];
    /// // An application built with V1 and a new V2, but without V3.
    /// let build = from_files(&[("V1__a.sql", "SELECT 1;"), ("V2__b.sql", "SELECT 2;")]);
    /// let problems = Plan::new(&build, &history, &PlanOptions::default()).incompatibilities();
    /// assert_eq!(problems.len(), 1); // V3 missing is fine, V2 is not
    /// assert_eq!(problems[0].state, State::OutOfOrder);
    /// assert_eq!(
    ///     problems[0].to_string(),
    ///     "V2__b.sql: not applied, and a higher version is; \
    ///      run `strata migrate --allow-out-of-order`"
    /// );
    /// ```
    pub fn incompatibilities(&self) -> Vec<Problem> {
        self.entries
            .iter()
            .filter_map(|e| {
                let message = match e.state {
                    State::Applied | State::Baseline | State::BelowBaseline | State::Missing => return None,
                    State::Pending if e.kind == "repeatable" && e.applied.is_some() => {
                        "changed since it was applied (repeatable); run `strata migrate`".to_owned()
                    }
                    State::Pending | State::AboveTarget => "not applied; run `strata migrate`".to_owned(),
                    State::OutOfOrder => {
                        "not applied, and a higher version is; run `strata migrate --allow-out-of-order`".to_owned()
                    }
                    State::Failed => "failed; fix it, run `strata repair`, then `strata migrate`".to_owned(),
                    State::Modified => format!(
                        "checksum differs from the applied one ({} applied, {} on disk); restore the file or run `strata repair --accept-checksums`",
                        short(e.applied_checksum().unwrap_or("none")),
                        short(e.checksum.as_deref().unwrap_or("none"))
                    ),
                };
                Some(Problem { state: e.state, script: e.script.clone(), version: e.version.clone(), message })
            })
            .collect()
    }
}

fn failed_message(row: Option<&AppliedMigration>) -> String {
    match row.and_then(Resumable::from_row) {
        Some(r) => format!(
            "failed (no-transaction migration; {} statement(s) applied before the failure); fix the file, then run \
             `strata migrate --resume` to continue at the failed statement, or `strata repair` to remove the failed \
             row and re-run the whole file",
            r.statement_hashes.len()
        ),
        None => "failed (no-transaction migration); fix the file, then run `strata repair` to remove the failed row, \
                 then `strata migrate`"
            .into(),
    }
}

fn short(checksum: &str) -> &str {
    checksum.get(..12).unwrap_or(checksum)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migration::{Checksum, Content, Part};

    fn file(name: &str, body: &str) -> Migration {
        let kind = if name.starts_with('R') {
            MigrationKind::Repeatable
        } else {
            MigrationKind::Versioned
        };
        let version = name
            .strip_prefix('V')
            .and_then(|r| r.split_once("__"))
            .map(|(v, _)| v.parse().unwrap());
        let description = name
            .split_once("__")
            .unwrap()
            .1
            .trim_end_matches(".sql")
            .to_owned();
        Migration {
            script: name.into(),
            content: Content::Static(b""),
            kind,
            version,
            description,
            checksum: Checksum::of(body.as_bytes()),
            up: Part {
                start: 0,
                end: 0,
                line: 1,
                no_transaction: false,
            },
            down: None,
            allow: vec![],
            size: 0,
        }
    }

    fn row(rank: i32, kind: RowKind, m: &Migration, success: bool) -> AppliedMigration {
        AppliedMigration {
            installed_rank: rank,
            version: m.version.as_ref().map(ToString::to_string),
            description: m.description.clone(),
            kind,
            script: m.script.clone(),
            checksum: Some(m.checksum.to_string()),
            applied_by: "me".into(),
            applied_at: "2026-11-21T10:00:00Z".into(),
            execution_ms: 1,
            success,
            progress: None,
        }
    }

    fn states(p: &Plan) -> Vec<(String, State)> {
        p.entries
            .iter()
            .map(|e| (e.script.clone(), e.state))
            .collect()
    }

    #[test]
    fn states_honour_width_and_alignment() {
        assert_eq!(format!("[{:<10}]", State::Applied), "[applied   ]");
        assert_eq!(format!("[{:>9}]", State::Pending), "[  pending]");
    }

    #[test]
    fn fresh_database_everything_pending_in_order() {
        let files = vec![
            file("V1__a.sql", "a"),
            file("V2__b.sql", "b"),
            file("R__v.sql", "v"),
        ];
        let p = Plan::new(&files, &[], &PlanOptions::default());
        assert_eq!(p.to_apply, vec![0, 1, 2]);
        assert!(p.blockers.is_empty());
        assert_eq!(p.count(State::Pending), 3);
    }

    #[test]
    fn applied_modified_missing() {
        let a = file("V1__a.sql", "a");
        let b = file("V2__b.sql", "b");
        let gone = file("V3__gone.sql", "c");
        let history = vec![
            row(1, RowKind::Versioned, &a, true),
            row(2, RowKind::Versioned, &b, true),
            row(3, RowKind::Versioned, &gone, true),
        ];
        let edited_b = file("V2__b.sql", "b edited");
        let p = Plan::new(&[a, edited_b], &history, &PlanOptions::default());
        assert_eq!(
            states(&p),
            vec![
                ("V1__a.sql".into(), State::Applied),
                ("V2__b.sql".into(), State::Modified),
                ("V3__gone.sql".into(), State::Missing)
            ]
        );
        assert_eq!(p.blockers.len(), 2);
        assert!(
            p.blockers[0]
                .message
                .contains("strata repair --accept-checksums")
        );
        assert!(p.blockers[1].message.contains("restore"));
        // verify: modified is a problem, missing is not
        assert_eq!(p.incompatibilities().len(), 1);
    }

    #[test]
    fn failed_blocks_and_names_repair() {
        let a = file("V1__a.sql", "a");
        let p = Plan::new(
            std::slice::from_ref(&a),
            &[row(1, RowKind::Versioned, &a, false)],
            &PlanOptions::default(),
        );
        assert_eq!(p.entries[0].state, State::Failed);
        assert!(p.blockers[0].message.contains("strata repair"));
        assert!(p.to_apply.is_empty());
    }

    #[test]
    fn out_of_order_refused_unless_allowed() {
        let a = file("V1__a.sql", "a");
        let b = file("V2__b.sql", "b");
        let c = file("V3__c.sql", "c");
        let history = vec![
            row(1, RowKind::Versioned, &a, true),
            row(2, RowKind::Versioned, &c, true),
        ];
        let files = [a, b, c];
        let p = Plan::new(&files, &history, &PlanOptions::default());
        assert_eq!(p.entries[1].state, State::OutOfOrder);
        assert_eq!(p.blockers.len(), 1);
        assert!(p.blockers[0].message.contains("--allow-out-of-order"));
        let p = Plan::new(
            &files,
            &history,
            &PlanOptions {
                allow_out_of_order: true,
                ..Default::default()
            },
        );
        assert!(p.blockers.is_empty());
        assert_eq!(p.to_apply, vec![1]);
    }

    #[test]
    fn target_and_above_target() {
        let files = vec![
            file("V1__a.sql", "a"),
            file("V2__b.sql", "b"),
            file("V10__c.sql", "c"),
        ];
        let opts = PlanOptions {
            target: Some("2".parse().unwrap()),
            ..Default::default()
        };
        let p = Plan::new(&files, &[], &opts);
        assert_eq!(p.to_apply, vec![0, 1]);
        assert_eq!(p.entries[2].state, State::AboveTarget);
    }

    #[test]
    fn undo_makes_a_version_pending_again() {
        let a = file("V1__a.sql", "a");
        let history = vec![
            row(1, RowKind::Versioned, &a, true),
            row(2, RowKind::Undo, &a, true),
        ];
        let p = Plan::new(&[a], &history, &PlanOptions::default());
        assert_eq!(p.entries[0].state, State::Pending);
        assert_eq!(p.to_apply, vec![0]);
    }

    #[test]
    fn baseline_and_below_baseline() {
        let files = vec![
            file("V1__a.sql", "a"),
            file("V2__b.sql", "b"),
            file("V3__c.sql", "c"),
        ];
        let mut base = row(1, RowKind::Baseline, &files[1], true);
        base.checksum = None;
        let p = Plan::new(&files, &[base], &PlanOptions::default());
        assert_eq!(
            states(&p).into_iter().map(|s| s.1).collect::<Vec<_>>(),
            vec![State::BelowBaseline, State::Baseline, State::Pending]
        );
        assert_eq!(p.to_apply, vec![2]);
        assert!(p.blockers.is_empty());
    }

    #[test]
    fn repeatables_rerun_when_changed() {
        let v = file("R__views.sql", "v1");
        let history = vec![row(1, RowKind::Repeatable, &v, true)];
        let p = Plan::new(std::slice::from_ref(&v), &history, &PlanOptions::default());
        assert_eq!(p.entries[0].state, State::Applied);
        assert!(p.to_apply.is_empty());
        let changed = file("R__views.sql", "v2");
        let p = Plan::new(&[changed], &history, &PlanOptions::default());
        assert_eq!(p.entries[0].state, State::Pending);
        assert_eq!(p.incompatibilities().len(), 1);
    }

    #[test]
    fn resume_turns_a_recorded_failure_into_work() {
        let a = file("V1__a.sql", "a");
        let b = file("V2__b.sql", "b");
        let mut failed = row(2, RowKind::Versioned, &b, false);
        failed.progress =
            Some(serde_json::json!({"statements_succeeded": 1, "statement_hashes": ["ab"]}));
        let history = vec![row(1, RowKind::Versioned, &a, true), failed];
        let files = [a, b];
        let mut p = Plan::new(&files, &history, &PlanOptions::default());
        assert_eq!(p.blockers.len(), 1);
        assert!(
            p.blockers[0].message.contains("--resume"),
            "{}",
            p.blockers[0].message
        );
        p.allow_resume(&files);
        assert!(p.blockers.is_empty());
        assert_eq!(p.to_apply, vec![1]);
        assert_eq!(p.resumable[0].statement_hashes, vec!["ab".to_owned()]);
        // Without recorded progress there is nothing to resume from.
        let history = vec![row(1, RowKind::Versioned, &files[1], false)];
        let mut p = Plan::new(&files[1..], &history, &PlanOptions::default());
        p.allow_resume(&files[1..]);
        assert_eq!(p.blockers.len(), 1);
    }

    #[test]
    fn versions_normalize_across_naming_styles() {
        // V001 applied, then the file renamed to V1: the same version.
        let old = file("V001__a.sql", "a");
        let new = file("V1__a.sql", "a");
        let p = Plan::new(
            &[new],
            &[row(1, RowKind::Versioned, &old, true)],
            &PlanOptions::default(),
        );
        assert_eq!(p.entries.len(), 1);
        assert_eq!(p.entries[0].state, State::Applied);
    }
}
