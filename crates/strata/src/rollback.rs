//! `rollback`: run the down parts of the newest applied versions.
//!
//! Which versions: the highest applied versions by version number (not by
//! the order they were applied in), so what stays applied is always "every
//! version up to some point" and `migrate` re-applies the rest in order.
//! `--steps N` takes the N highest; `--to VERSION` takes every applied
//! version above VERSION (VERSION itself stays applied).
//!
//! Everything is checked before anything runs ([`select`] is pure): a version
//! in range without a down part (in-file `-- migrate:down` section,
//! `U<version>__` file or `.down.sql`), whose file is missing or modified, or
//! that is the baseline, refuses the whole rollback. Then, newest first, each
//! down part runs in one transaction together with its `undo` history row;
//! the history stays append-only and the version is `pending` again.
//! Repeatable migrations are left alone.

use std::time::Instant;

use tokio_postgres::Client;

use crate::error::{Error, LockHolder, Partial};
use crate::history::{self, AppliedMigration, NewRow, RowKind, TableName};
use crate::lock::{MigrationLock, Session};
use crate::migration::{Checksum, DownPart, Migration, Version};
use crate::migrator::{Event, Executed, Script, SessionReset, run_in_transaction, run_statements};
use crate::plan::{Check, Plan, PlanOptions, Problem, ProblemKind, State};
use crate::source::Migrations;

mod report;
pub use report::RollbackReport;

/// How far to roll back.
///
/// ```
/// use std::path::Path;
/// use strata::migration::Content;
/// use strata::rollback::{RollbackTarget, select};
/// use strata::source::Migrations;
/// # use strata::{history::{AppliedMigration, RowKind}, migration::Migration};
/// # fn applied(rank: i32, m: &Migration) -> AppliedMigration {
/// #     AppliedMigration { installed_rank: rank, version: m.version.clone(),
/// #         description: m.description.clone(), kind: RowKind::Versioned, script: m.script.clone(),
/// #         checksum: Some(m.checksum), applied_by: "app".into(),
/// #         applied_at: strata::history::Timestamp::from_unix_secs(1_735_689_600), execution_ms: 3, success: true, progress: None }
/// # }
/// let m = Migrations::from_files(Path::new("migrations"), vec![
///     ("V1__a.sql".into(), Content::Static(b"CREATE TABLE a (id int);")),
///     ("V2__b.sql".into(), Content::Static(b"CREATE TABLE b (id int);")),
///     ("U2__b.sql".into(), Content::Static(b"DROP TABLE b;")),
///     (
///         "V3__c.sql".into(),
///         Content::Static(b"CREATE TABLE c (id int);\n-- migrate:down\nDROP TABLE c;"),
///     ),
/// ])?;
/// // All three are applied (`applied` builds each history row).
/// let history: Vec<_> = m.list.iter().zip(1..).map(|(m, rank)| applied(rank, m)).collect();
/// let (_, steps) = select(&m.list, &history, &RollbackTarget::Steps(2))?;
/// let (_, to) = select(&m.list, &history, &RollbackTarget::To("1".parse()?))?;
/// assert_eq!(steps, [2, 1]); // V3, then V2
/// assert_eq!(to, steps);
///
/// let refused = select(&m.list, &history, &RollbackTarget::Steps(3)).unwrap_err();
/// assert_eq!(
///     refused.to_string(),
///     "rollback refused, nothing was rolled back:\n  V1__a.sql: has no down part; \
///      add a `-- migrate:down` section, a U1__a.sql file or a .down.sql file"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RollbackTarget {
    /// The N highest applied versions (`--steps N`).
    Steps(usize),
    /// Every applied version above this one (`--to VERSION`).
    To(Version),
}

/// Options of a `rollback` run.
///
/// ```
/// use std::time::Duration;
/// use strata::rollback::{RollbackOptions, RollbackTarget};
/// // `strata rollback --to 3 --dry-run`
/// let opts = RollbackOptions {
///     target: RollbackTarget::To("3".parse()?),
///     dry_run: true,
///     ..RollbackOptions::default()
/// };
/// assert_eq!(opts.session.lock_wait, Duration::from_secs(60));
/// assert_eq!(opts.session.lock_timeout.map(|t| t.to_string()).as_deref(), Some("10s"));
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, Debug)]
pub struct RollbackOptions {
    /// How far.
    pub target: RollbackTarget,
    /// Check and list what would run; change nothing, take no lock.
    pub dry_run: bool,
    /// The lock wait and the session's `lock_timeout` / `statement_timeout`.
    pub session: Session,
    /// The database's placeholders, replaced in down parts as they run.
    pub placeholders: Option<crate::migration::Placeholders>,
}

impl Default for RollbackOptions {
    /// One step, 60 s lock wait, `lock_timeout` 10 s.
    ///
    /// ```
    /// use strata::rollback::{RollbackOptions, RollbackTarget};
    /// assert_eq!(RollbackOptions::default().target, RollbackTarget::Steps(1));
    /// ```
    fn default() -> Self {
        RollbackOptions {
            target: RollbackTarget::Steps(1),
            dry_run: false,
            session: Session::default(),
            placeholders: None,
        }
    }
}

/// Picks the versions to roll back, newest first, or refuses with every
/// problem found. Pure: no database.
///
/// ```
/// use std::path::Path;
/// use strata::migration::Content;
/// use strata::rollback::{RollbackTarget, select};
/// use strata::source::Migrations;
/// let m = Migrations::from_files(Path::new("migrations"), vec![
///     ("V1__a.sql".into(), Content::Static(b"CREATE TABLE a (id int);")),
/// ]).unwrap();
/// // Nothing applied: `--to 0` has nothing to roll back, `--steps 1` is refused.
/// let (_, picked) = select(&m.list, &[], &RollbackTarget::To("0".parse().unwrap())).unwrap();
/// assert!(picked.is_empty());
/// assert!(select(&m.list, &[], &RollbackTarget::Steps(1)).is_err());
/// ```
///
/// # Errors
/// [`Error::RollbackRefused`] listing every version in range that cannot be
/// rolled back, or a failed migration that must be resolved first.
pub fn select(
    migrations: &[Migration],
    history: &[AppliedMigration],
    target: &RollbackTarget,
) -> Result<(Plan, Vec<usize>), Error> {
    let plan = Plan::new(migrations, history, &PlanOptions::default());
    let mut problems: Vec<Problem> = plan
        .entries
        .iter()
        .filter(|e| e.state == State::Failed)
        .map(|e| Problem {
            script: e.script.clone(),
            version: e.version.clone(),
            kind: ProblemKind::Failed {
                file_gone: e.migration.is_none(),
                statements_applied: None,
            },
            check: Check::Rollback,
        })
        .collect();
    let mut applied: Vec<(Version, &crate::plan::Entry)> = plan
        .entries
        .iter()
        .filter(|e| {
            matches!(
                e.state,
                State::Applied
                    | State::Renamed
                    | State::Modified
                    | State::Missing
                    | State::Baseline
            )
        })
        .filter_map(|e| Some((e.version.clone()?, e)))
        .collect();
    applied.sort_by(|a, b| b.0.cmp(&a.0));
    let in_range: Vec<&(Version, &crate::plan::Entry)> = match target {
        RollbackTarget::Steps(n) => {
            if *n > applied.len() {
                problems.push(Problem {
                    script: String::new(),
                    version: None,
                    kind: ProblemKind::TooManySteps {
                        steps: *n,
                        applied: applied.len(),
                    },
                    check: Check::Rollback,
                });
            }
            applied.iter().take(*n).collect()
        }
        RollbackTarget::To(v) => applied.iter().filter(|(av, _)| av > v).collect(),
    };
    let mut selected = Vec::with_capacity(in_range.len());
    for (v, e) in in_range {
        let kind = match (e.state, e.migration) {
            (State::Baseline, _) => Some(ProblemKind::Baseline),
            (State::Missing, _) | (_, None) => Some(ProblemKind::Missing),
            (State::Modified, Some(i)) => Some(ProblemKind::Modified {
                applied: e.applied_checksum(),
                on_disk: migrations[i].checksum,
            }),
            (_, Some(i)) if migrations[i].down.is_none() => Some(ProblemKind::NoDownPart {
                description: migrations[i].description.clone(),
            }),
            (_, Some(i)) => {
                selected.push(i);
                None
            }
        };
        if let Some(kind) = kind {
            problems.push(Problem {
                script: e.script.clone(),
                version: Some(v.clone()),
                kind,
                check: Check::Rollback,
            });
        }
    }
    if problems.is_empty() {
        Ok((plan, selected))
    } else {
        Err(Error::RollbackRefused { problems })
    }
}

/// The down part of `m` as a script of its own: the `U`/`.down.sql` file,
/// or the in-file section; None without one.
///
/// ```
/// use std::path::Path;
/// use strata::migration::Content;
/// use strata::rollback::down_script;
/// use strata::source::Migrations;
/// let m = Migrations::from_files(Path::new("migrations"), vec![
///     (
///         "V1__a.sql".into(),
///         Content::Static(b"CREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n"),
///     ),
///     ("V2__b.sql".into(), Content::Static(b"CREATE TABLE b (id int);")),
/// ])?;
/// let down = down_script(&m.list[0]).expect("an in-file down section");
/// assert_eq!(down.read()?, "-- migrate:down\nDROP TABLE a;\n");
/// assert_eq!(down.name, "V1__a.sql");
/// assert!(down_script(&m.list[1]).is_none());
/// # Ok::<(), strata::Error>(())
/// ```
pub fn down_script(m: &Migration) -> Option<Script<'_>> {
    Script::down(m)
}

/// The checksum recorded in an `undo` row: the down file's, or that of the
/// in-file section's text.
fn down_checksum(m: &Migration, down: &Script<'_>) -> Result<Checksum, Error> {
    Ok(match &m.down {
        Some(DownPart::File(f)) => f.checksum,
        _ => Checksum::of(down.read()?.as_bytes()),
    })
}

/// Rolls back applied versions of one database.
///
/// ```no_run
/// use strata::migrator::Event;
/// use strata::rollback::{Rollback, RollbackOptions, RollbackTarget};
/// use strata::TableName;
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// # let url = std::env::var("DATABASE_URL")?;
/// let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
/// tokio::spawn(connection);
/// let migrations = strata::Migrations::from_dir("migrations".as_ref())?;
/// // `strata rollback --to 3`: every applied version above 3.
/// let to_3 = RollbackOptions { target: RollbackTarget::To("3".parse()?), ..Default::default() };
/// Rollback::new(&migrations, TableName::default())
///     .with_options(to_3)
///     .run(&client, &mut |event| {
///         if let Event::RolledBack(e) = event {
///             eprintln!("rolled back {} ({} ms)", e.script, e.execution_ms);
///         }
///     })
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Rollback<'m> {
    migrations: &'m Migrations,
    table: TableName,
    options: RollbackOptions,
}

impl<'m> Rollback<'m> {
    /// A rollback of `migrations` recorded in `table`, one step by default.
    ///
    /// ```
    /// use strata::history::TableName;
    /// use strata::rollback::{Rollback, RollbackOptions, RollbackTarget};
    /// use strata::source::Migrations;
    /// let migrations = Migrations::default();
    /// let r = Rollback::new(&migrations, TableName::default()).with_options(RollbackOptions {
    ///     target: RollbackTarget::Steps(2),
    ///     ..Default::default()
    /// });
    /// # let _ = r;
    /// ```
    pub fn new(migrations: &'m Migrations, table: TableName) -> Self {
        Rollback {
            migrations,
            table,
            options: RollbackOptions::default(),
        }
    }

    /// Sets the options.
    ///
    /// ```
    /// use strata::rollback::{Rollback, RollbackOptions};
    /// use strata::TableName;
    /// let migrations = strata::embed_migrations!("$CARGO_MANIFEST_DIR/tests/fixtures/embedded")?;
    /// let dry_run = RollbackOptions { dry_run: true, ..RollbackOptions::default() };
    /// let rollback = Rollback::new(&migrations, TableName::default()).with_options(dry_run);
    /// # let _ = rollback;
    /// # Ok::<(), strata::Error>(())
    /// ```
    pub fn with_options(mut self, options: RollbackOptions) -> Self {
        self.options = options;
        self
    }

    /// Runs the rollback on `client`, holding the migration lock on its
    /// session, as [`crate::migrator::Migrator::run`] does.
    ///
    /// ```no_run
    /// # async fn f(client: tokio_postgres::Client) -> Result<(), strata::Error> {
    /// use strata::rollback::Rollback;
    /// let migrations = strata::Migrations::from_dir("migrations".as_ref())?;
    /// let report = Rollback::new(&migrations, strata::TableName::default())
    ///     .run(&client, &mut |_| {})
    ///     .await?;
    /// for r in &report.rolled_back {
    ///     println!("rolled back {}", r.script);
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::RollbackRefused`] before anything ran; [`Error::LockTimeout`];
    /// [`Error::Sql`] when a down part fails (that version's transaction was
    /// rolled back and it stays applied; versions rolled back before it stay
    /// rolled back, and the error, an [`Error::Partial`], carries the
    /// report of them: [`Error::rollback_report`]); [`Error::Db`].
    pub async fn run(
        &self,
        client: &Client,
        on_event: &mut dyn FnMut(Event<'_>),
    ) -> Result<RollbackReport, Error> {
        if self.options.dry_run {
            let history = history::read(client, &self.table)
                .await?
                .unwrap_or_default();
            let (before, selected) = select(&self.migrations.list, &history, &self.options.target)?;
            on_event(Event::Planned(&before));
            return Ok(RollbackReport {
                before,
                selected,
                rolled_back: Vec::new(),
                dry_run: true,
            });
        }
        let mut on_wait = |h: &LockHolder| on_event(Event::LockWaiting(h));
        let session = &self.options.session;
        let lock = MigrationLock::acquire(client, &self.table, session, &mut on_wait).await?;
        on_event(Event::LockAcquired);
        let result = self.locked(client, on_event).await;
        lock.release_after_reporting(client, result).await
    }

    async fn locked(
        &self,
        client: &Client,
        on_event: &mut dyn FnMut(Event<'_>),
    ) -> Result<RollbackReport, Error> {
        let history = history::read(client, &self.table)
            .await?
            .unwrap_or_default();
        let (before, selected) = select(&self.migrations.list, &history, &self.options.target)?;
        on_event(Event::Planned(&before));
        // Read every down part before running the first one.
        let mut downs = Vec::with_capacity(selected.len());
        for i in &selected {
            let m = &self.migrations.list[*i];
            let Some(d) = down_script(m) else {
                continue;
            };
            let d = d.with_placeholders(self.options.placeholders.as_ref());
            let checksum = down_checksum(m, &d)?;
            downs.push((m, d, checksum));
        }
        let mut rolled_back = Vec::with_capacity(downs.len());
        let reset = SessionReset::new(&self.options.session);
        for (m, down, checksum) in &downs {
            on_event(Event::Started(m));
            let row = NewRow {
                version: m.version.clone(),
                description: m.description.clone(),
                kind: RowKind::Undo,
                script: down.name.to_owned(),
                checksum: Some(*checksum),
                execution_ms: None,
                success: true,
                progress: None,
            };
            let start = Instant::now();
            let ran = if down.no_transaction() {
                run_statements(client, &self.table, down, row, &reset).await
            } else {
                run_in_transaction(client, &self.table, down, row, false, &reset).await
            };
            let statements = match ran {
                Ok(n) => n,
                // Versions rolled back before this one stay rolled back: say which.
                Err(e) if rolled_back.is_empty() => return Err(e),
                Err(e) => {
                    let so_far = RollbackReport {
                        before,
                        selected,
                        rolled_back,
                        dry_run: false,
                    };
                    return Err(Partial::wrap(e, so_far));
                }
            };
            let done = Executed {
                version: m.version.as_ref().map(ToString::to_string),
                script: down.name.to_owned(),
                description: m.description.clone(),
                kind: "undo",
                execution_ms: u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX),
                statements,
                no_transaction: down.no_transaction(),
                notices: Vec::new(),
            };
            on_event(Event::RolledBack(&done));
            rolled_back.push(done);
        }
        Ok(RollbackReport {
            before,
            selected,
            rolled_back,
            dry_run: false,
        })
    }
}

#[cfg(test)]
mod tests;
