//! [`Entry`]: one line of `status`, a file and its latest history row.

use crate::history::AppliedMigration;
use crate::migration::{Checksum, MigrationKind, Version};

use super::State;

/// One line of `status`: a file, a history row, or both.
///
/// ```
/// use strata::migration::MigrationKind;
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
///     ("V1__users.sql", "CREATE TABLE users (id int);"),
///     ("V2__roles.sql", "CREATE TABLE roles (id int);"),
/// ]);
/// let history = [applied(1, &files[0]), applied(2, &files[1])];
/// // Since then, V2's file was deleted.
/// let plan = Plan::new(&files[..1], &history, &PlanOptions::default());
/// let users = &plan.entries[0];
/// assert_eq!(users.state, State::Applied);
/// assert_eq!(users.version, Some("1".parse()?));
/// assert_eq!((users.kind, users.kind_name()), (MigrationKind::Versioned, "versioned"));
/// assert_eq!(users.migration, Some(0)); // index into `files`
/// assert_eq!(users.applied.as_ref().map(|row| row.installed_rank), Some(1));
/// let roles = &plan.entries[1];
/// assert_eq!((roles.state, roles.script.as_str()), (State::Missing, "V2__roles.sql"));
/// assert_eq!(roles.migration, None);
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, Debug)]
pub struct Entry {
    /// Its state.
    pub state: State,
    /// The version (None for repeatables).
    pub version: Option<Version>,
    /// Description.
    pub description: String,
    /// Versioned or repeatable; a baseline row is versioned (see
    /// [`kind_name`](Entry::kind_name)).
    pub kind: MigrationKind,
    /// File name (from the history when the file is missing).
    pub script: String,
    /// Index into the migration list, when the file exists.
    pub migration: Option<usize>,
    /// The file's checksum.
    pub checksum: Option<Checksum>,
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
    /// let before = from_files(&[("V1__users.sql", "CREATE TABLE users (id int);")]);
    /// let history = [applied(1, &before[0])];
    /// // The file was edited after it ran.
    /// let now = from_files(&[("V1__users.sql", "CREATE TABLE users (id bigint);")]);
    /// let plan = Plan::new(&now, &history, &PlanOptions::default());
    /// let e = &plan.entries[0];
    /// assert_eq!(e.state, State::Modified);
    /// assert_eq!(e.applied_checksum(), Some(before[0].checksum));
    /// assert_eq!(e.checksum, Some(now[0].checksum));
    /// ```
    pub fn applied_checksum(&self) -> Option<Checksum> {
        self.applied.as_ref().and_then(|a| a.checksum)
    }

    /// The kind as `status --json` names it: `versioned` or `repeatable`,
    /// or `baseline` for a baseline row that has no file.
    ///
    /// ```
    /// use strata::history::{AppliedMigration, RowKind, Timestamp};
    /// use strata::plan::{Plan, PlanOptions, State};
    /// let baseline = AppliedMigration {
    ///     installed_rank: 1, version: Some("5".parse()?), description: "<< baseline >>".into(),
    ///     kind: RowKind::Baseline, script: "<< baseline >>".into(), checksum: None,
    ///     applied_by: "app".into(), applied_at: Timestamp::from_unix_secs(1_735_689_600),
    ///     execution_ms: 0, success: true, progress: None,
    /// };
    /// let plan = Plan::new(&[], &[baseline], &PlanOptions::default());
    /// assert_eq!((plan.entries[0].state, plan.entries[0].kind_name()), (State::Baseline, "baseline"));
    /// # Ok::<(), String>(())
    /// ```
    pub fn kind_name(&self) -> &'static str {
        if self.state == State::Baseline && self.migration.is_none() {
            "baseline"
        } else {
            self.kind.as_str()
        }
    }
}
