//! [`Plan::incompatibilities`]: what `verify` reports, the start-up check
//! of SPEC §7 as a question about a plan.

use crate::history::RowKind;
use crate::migration::MigrationKind;

use super::{Check, Plan, Problem, ProblemKind, Resumable, State};

impl Plan {
    /// What `verify` reports: every file applied with a matching checksum and
    /// nothing failed. Rows whose file is gone do not fail `verify` — the
    /// database may legitimately be ahead of an application during a rolling
    /// deploy — but they are reported by `status` and block `migrate`.
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
    /// let old = from_files(&[("V1__a.sql", "SELECT 1;"), ("V3__c.sql", "SELECT 3;")]);
    /// let history = [applied(1, &old[0]), applied(2, &old[1])];
    /// // An application built with V1 and a new V2, but without V3.
    /// let build = from_files(&[("V1__a.sql", "SELECT 1;"), ("V2__b.sql", "SELECT 2;")]);
    /// let problems = Plan::new(&build, &history, &PlanOptions::default()).incompatibilities();
    /// assert_eq!(problems.len(), 1); // V3 missing is fine, V2 is not
    /// assert_eq!(problems[0].state(), State::OutOfOrder);
    /// assert_eq!(
    ///     problems[0].to_string(),
    ///     "V2__b.sql: not applied, and a higher version is; \
    ///      run `strata migrate --allow-out-of-order`"
    /// );
    /// ```
    pub fn incompatibilities(&self) -> Vec<Problem> {
        // As in `new`: the highest version whose latest row applied it.
        let highest = self
            .entries
            .iter()
            .filter(|e| {
                e.applied.as_ref().is_some_and(|r| {
                    r.success && matches!(r.kind, RowKind::Versioned | RowKind::Baseline)
                })
            })
            .filter_map(|e| e.version.as_ref())
            .max();
        self.entries
            .iter()
            .filter_map(|e| {
                let kind = match e.state {
                    State::Applied
                    | State::Renamed
                    | State::Baseline
                    | State::BelowBaseline
                    | State::Missing => {
                        return None;
                    }
                    State::Pending
                        if e.kind == MigrationKind::Repeatable && e.applied.is_some() =>
                    {
                        ProblemKind::RepeatableChanged
                    }
                    State::Pending | State::AboveTarget => ProblemKind::Pending {
                        above_target: e.state == State::AboveTarget,
                    },
                    State::OutOfOrder => ProblemKind::OutOfOrder {
                        highest: highest.cloned(),
                    },
                    State::Failed => ProblemKind::Failed {
                        file_gone: e.migration.is_none(),
                        statements_applied: e
                            .applied
                            .as_ref()
                            .and_then(Resumable::from_row)
                            .map(|r| r.statement_hashes.len()),
                    },
                    // A modified entry has its file, so its checksum.
                    State::Modified => ProblemKind::Modified {
                        applied: e.applied_checksum(),
                        on_disk: e.checksum?,
                    },
                };
                Some(Problem {
                    script: e.script.clone(),
                    version: e.version.clone(),
                    kind,
                    check: Check::Verify,
                })
            })
            .collect()
    }
}
