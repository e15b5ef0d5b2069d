//! [`Resumable`]: a failed no-transaction migration that `migrate --resume`
//! continues at its failed statement, and [`Plan::allow_resume`].

use crate::history::AppliedMigration;
use crate::migration::Migration;

use super::{Plan, State};

/// A failed no-transaction migration that can continue at its failed
/// statement: the history recorded the statements that succeeded.
///
/// ```
/// use strata::plan::{Plan, PlanOptions};
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
    /// use strata::history::{AppliedMigration, RowKind, Timestamp};
    /// use strata::plan::Resumable;
    /// let mut row = AppliedMigration {
    ///     installed_rank: 4,
    ///     version: Some("4".parse()?),
    ///     description: "indexes".into(),
    ///     kind: RowKind::Versioned,
    ///     script: "V4__indexes.sql".into(),
    ///     checksum: None,
    ///     applied_by: "app".into(),
    ///     applied_at: Timestamp::from_unix_secs(1_735_689_600),
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
    /// # Ok::<(), String>(())
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
    /// `migrate --resume`: failed no-transaction migrations whose history
    /// row recorded their progress stop being blockers and are applied (in
    /// their place in version order), continuing at the failed statement.
    /// Other blockers stay.
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
    /// assert!(plan.blockers[0].to_string().contains("strata migrate --resume"));
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
                .retain(|b| !(b.state() == State::Failed && b.script == e.script));
            self.to_apply.push(i);
            self.resumable.push(r);
        }
        self.to_apply.sort_by(|a, b| {
            let (ma, mb) = (&migrations[*a], &migrations[*b]);
            (ma.kind, &ma.version, &ma.description).cmp(&(mb.kind, &mb.version, &mb.description))
        });
        self.to_apply.dedup();
    }
}
