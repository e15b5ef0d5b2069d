//! [`Problem`]: why `migrate`, `verify` or `rollback` cannot proceed, as data
//! (a [`ProblemKind`] with typed fields), and its one rendering.
//!
//! This module depends on nothing that can fail (no [`crate::error`]), so the
//! error type can carry problems without an import circle.

use std::fmt;

use crate::migration::checksum::Checksum;
use crate::migration::version::Version;

use super::state::State;

/// Why a run cannot proceed, or why `verify` fails.
///
/// Displayed as `script: message`, the message naming the command that
/// resolves it:
///
/// ```
/// use strata::plan::{Check, Plan, PlanOptions, ProblemKind, State};
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
/// // V2 was added after V3 had been applied.
/// let history = [applied(1, &files[0]), applied(2, &files[2])];
/// let plan = Plan::new(&files, &history, &PlanOptions::default());
/// let p = &plan.blockers[0];
/// assert_eq!((p.state(), p.version.clone()), (State::OutOfOrder, Some("2".parse()?)));
/// assert_eq!(p.kind, ProblemKind::OutOfOrder { highest: Some("3".parse()?) });
/// assert_eq!(p.check, Check::Migrate);
/// assert_eq!(
///     p.to_string(),
///     "V2__b.sql: pending, but version 3 is already applied; \
///      run `strata migrate --allow-out-of-order` to apply it anyway"
/// );
/// // `message` is the same text without the script.
/// assert!(p.to_string().ends_with(&p.message().to_string()));
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The file (or the history's script name; empty when no migration is
    /// concerned).
    pub script: String,
    /// The version, if any (None for repeatables).
    pub version: Option<Version>,
    /// What is wrong.
    pub kind: ProblemKind,
    /// The command it keeps from proceeding, which decides the advice.
    pub check: Check,
}

/// What is wrong with one migration (or with a request), with the values
/// that say so.
///
/// ```
/// use strata::migration::Checksum;
/// use strata::plan::{Check, Problem, ProblemKind, State};
/// let p = Problem {
///     script: "V2__orders.sql".into(),
///     version: Some("2".parse()?),
///     kind: ProblemKind::Modified {
///         applied: Some(Checksum::of(b"CREATE TABLE orders (id int);")),
///         on_disk: Checksum::of(b"CREATE TABLE orders (id bigint);"),
///     },
///     check: Check::Verify,
/// };
/// assert_eq!(p.state(), State::Modified);
/// assert!(p.to_string().starts_with("V2__orders.sql: checksum differs from the applied one ("));
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProblemKind {
    /// Applied, but the file's checksum differs from the recorded one.
    Modified {
        /// The checksum in the history (None when the row has none).
        applied: Option<Checksum>,
        /// The file's checksum.
        on_disk: Checksum,
    },
    /// Not applied, but a higher version is.
    OutOfOrder {
        /// The highest applied version.
        highest: Option<Version>,
    },
    /// Applied, but the file is gone.
    Missing,
    /// The latest history row says it failed. A failed versioned row is
    /// always a no-transaction migration (a transactional one leaves no row).
    Failed {
        /// The file is gone too.
        file_gone: bool,
        /// Statements the history recorded as applied before the failure, when
        /// it recorded them (`migrate --resume` continues after them).
        statements_applied: Option<usize>,
    },
    /// Not applied yet (`verify`).
    Pending {
        /// Beyond `--target`.
        above_target: bool,
    },
    /// A repeatable migration changed since it ran (`verify`).
    RepeatableChanged,
    /// The version is the baseline: nothing strata ran (`rollback`).
    Baseline,
    /// The migration has no down part (`rollback`).
    NoDownPart {
        /// Its description, for the name of the down file to add.
        description: String,
    },
    /// Applied under another file name; version and checksum unchanged (a
    /// warning: [`Plan::warnings`](super::Plan::warnings)).
    Renamed {
        /// The script the history recorded.
        applied_as: String,
    },
    /// `rollback --steps` asked for more versions than are applied.
    TooManySteps {
        /// Steps asked for.
        steps: usize,
        /// Versions applied.
        applied: usize,
    },
}

/// The command a [`Problem`] stops: the same fact calls for different next
/// steps in each.
///
/// ```
/// use strata::plan::Check;
/// assert_ne!(Check::Migrate, Check::Verify);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Check {
    /// `migrate` refuses to start ([`Plan::blockers`](super::Plan::blockers)).
    Migrate,
    /// The database is not compatible with the build
    /// ([`Plan::incompatibilities`](super::Plan::incompatibilities)).
    Verify,
    /// `rollback` refuses to start.
    Rollback,
}

impl Problem {
    /// The state the problem is about (how `--json` names it).
    ///
    /// ```
    /// use strata::plan::{Check, Problem, ProblemKind, State};
    /// let p = Problem {
    ///     script: "V3__orders.sql".into(),
    ///     version: Some("3".parse()?),
    ///     kind: ProblemKind::Pending { above_target: false },
    ///     check: Check::Verify,
    /// };
    /// assert_eq!(p.state(), State::Pending);
    /// # Ok::<(), String>(())
    /// ```
    pub fn state(&self) -> State {
        match self.kind {
            ProblemKind::Modified { .. } => State::Modified,
            ProblemKind::OutOfOrder { .. } => State::OutOfOrder,
            ProblemKind::Missing => State::Missing,
            ProblemKind::Failed { .. } => State::Failed,
            ProblemKind::Pending { above_target: true } => State::AboveTarget,
            ProblemKind::Pending {
                above_target: false,
            }
            | ProblemKind::RepeatableChanged
            | ProblemKind::TooManySteps { .. } => State::Pending,
            ProblemKind::Baseline => State::Baseline,
            ProblemKind::NoDownPart { .. } => State::Applied,
            ProblemKind::Renamed { .. } => State::Renamed,
        }
    }

    /// What is wrong and what resolves it: the [`Display`](fmt::Display)
    /// text without the leading `script: `.
    ///
    /// ```
    /// use strata::plan::{Check, Problem, ProblemKind};
    /// let p = Problem {
    ///     script: "V3__orders.sql".into(),
    ///     version: Some("3".parse()?),
    ///     kind: ProblemKind::Pending { above_target: false },
    ///     check: Check::Verify,
    /// };
    /// assert_eq!(p.message().to_string(), "not applied; run `strata migrate`");
    /// assert_eq!(p.to_string(), "V3__orders.sql: not applied; run `strata migrate`");
    /// # Ok::<(), String>(())
    /// ```
    pub fn message(&self) -> Message<'_> {
        Message(self)
    }
}

/// The text of a [`Problem`] after its script name; see [`Problem::message`].
#[derive(Clone, Copy, Debug)]
pub struct Message<'a>(&'a Problem);

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.script, self.message())
    }
}

impl fmt::Display for Message<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Check::{Migrate, Rollback, Verify};
        let p = self.0;
        match (&p.kind, p.check) {
            (ProblemKind::Modified { applied, on_disk }, Migrate) => write!(
                f,
                "modified after it was applied (checksum {} in history, {} on disk); restore the file, \
                 or run `strata repair --accept-checksums` if the change is intended",
                Short(applied.as_ref()),
                Short(Some(on_disk))
            ),
            (ProblemKind::Modified { applied, on_disk }, Verify) => write!(
                f,
                "checksum differs from the applied one ({} applied, {} on disk); restore the file or run \
                 `strata repair --accept-checksums`",
                Short(applied.as_ref()),
                Short(Some(on_disk))
            ),
            (ProblemKind::Modified { .. }, Rollback) => f.write_str(
                "modified since it was applied, so its down part may not match what ran; restore the file, \
                 or run `strata repair --accept-checksums` if the change is intended",
            ),
            (ProblemKind::OutOfOrder { .. }, Verify) => {
                f.write_str("not applied, and a higher version is; run `strata migrate --allow-out-of-order`")
            }
            (ProblemKind::OutOfOrder { highest }, _) => {
                f.write_str("pending, but version ")?;
                if let Some(h) = highest {
                    write!(f, "{h}")?;
                }
                f.write_str(" is already applied; run `strata migrate --allow-out-of-order` to apply it anyway")
            }
            (ProblemKind::Missing, Rollback) => {
                write!(f, "applied, but the file is gone; restore {} to roll it back", p.script)
            }
            (ProblemKind::Missing, _) => write!(
                f,
                "applied, but the file is gone; restore {} (e.g. from version control)",
                p.script
            ),
            (ProblemKind::Failed { .. }, Rollback) => {
                f.write_str("failed; resolve it first (`strata migrate --resume` or `strata repair`)")
            }
            (ProblemKind::Failed { .. }, Verify) => {
                f.write_str("failed; fix it, run `strata repair`, then `strata migrate`")
            }
            (ProblemKind::Failed { file_gone: true, .. }, Migrate) => f.write_str(
                "failed, and the file is gone; restore it, or run `strata repair` to remove the failed row",
            ),
            // A repeatable (no version).
            (ProblemKind::Failed { .. }, Migrate) if p.version.is_none() => f.write_str(
                "failed; fix the file, then run `strata repair` to remove the failed row, then `strata migrate`",
            ),
            (
                ProblemKind::Failed {
                    statements_applied: Some(n),
                    ..
                },
                Migrate,
            ) => write!(
                f,
                "failed (no-transaction migration; {n} statement(s) applied before the failure); fix the file, then \
                 run `strata migrate --resume` to continue at the failed statement, or `strata repair` to remove the \
                 failed row and re-run the whole file"
            ),
            (ProblemKind::Failed { .. }, Migrate) => f.write_str(
                "failed (no-transaction migration); fix the file, then run `strata repair` to remove the failed row, \
                 then `strata migrate`",
            ),
            (ProblemKind::Pending { .. }, _) => f.write_str("not applied; run `strata migrate`"),
            (ProblemKind::RepeatableChanged, _) => {
                f.write_str("changed since it was applied (repeatable); run `strata migrate`")
            }
            (ProblemKind::Baseline, _) => {
                f.write_str("version ")?;
                if let Some(v) = &p.version {
                    write!(f, "{v}")?;
                }
                f.write_str(" is the baseline: there is nothing strata ran to roll back")
            }
            (ProblemKind::NoDownPart { description }, _) => {
                f.write_str("has no down part; add a `-- migrate:down` section, a U")?;
                if let Some(v) = &p.version {
                    write!(f, "{v}")?;
                }
                write!(f, "__{}.sql file or a .down.sql file", description.replace(' ', "_"))
            }
            (ProblemKind::Renamed { applied_as }, _) => write!(
                f,
                "renamed: applied as {applied_as} (same version and checksum); the history keeps the old name"
            ),
            (ProblemKind::TooManySteps { steps, applied }, _) => {
                write!(f, "--steps {steps}, but only {applied} version(s) are applied")
            }
        }
    }
}

/// A checksum's first 12 hex digits, `none` without one.
struct Short<'a>(Option<&'a Checksum>);

impl fmt::Display for Short<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(c) => f.write_str(&c.to_hex()[..12]),
            None => f.write_str("none"),
        }
    }
}
