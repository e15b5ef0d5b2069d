//! [`Plan::after_applied`]: the plan once a run applied part of it, so a
//! run reports final states without reading the history again.

use std::collections::HashMap;

use crate::history::{AppliedMigration, RowKind, Timestamp};
use crate::migration::MigrationKind;

use super::{Plan, State};

impl Plan {
    /// The plan as it stands after `applied` — `(script, execution_ms)` pairs —
    /// ran at `applied_at`: those entries become `applied`; nothing else
    /// changes. Lets a run report final states without re-reading the history.
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
    ///     ("V1__users.sql", "CREATE TABLE users (id int);"),
    ///     ("V2__roles.sql", "CREATE TABLE roles (id int);"),
    /// ]);
    /// let plan = Plan::new(&files, &[], &PlanOptions::default());
    /// let at = Timestamp::from_unix_secs(1_735_725_600); // 2025-01-01 10:00 UTC
    /// let after = plan.after_applied([("V1__users.sql", 12)], at);
    /// assert_eq!(after.entries[0].state, State::Applied);
    /// let row = after.entries[0].applied.as_ref().expect("a row");
    /// assert_eq!((row.execution_ms, row.applied_at.to_string()), (12, "2025-01-01T10:00:00Z".into()));
    /// assert_eq!(after.entries[1].state, State::Pending);
    /// ```
    pub fn after_applied<'a>(
        mut self,
        applied: impl IntoIterator<Item = (&'a str, i32)>,
        applied_at: Timestamp,
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
                kind: match e.kind {
                    MigrationKind::Repeatable => RowKind::Repeatable,
                    MigrationKind::Versioned => RowKind::Versioned,
                },
                script: e.script.clone(),
                checksum: e.checksum,
                applied_by: String::new(),
                applied_at,
                execution_ms: ms,
                success: true,
                progress: None,
            });
        }
        self
    }
}
