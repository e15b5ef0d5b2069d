//! [`MigrateOptions`]: what a `migrate` run may do (target, dry run,
//! single transaction, resume) and the session it runs in.

use super::FirstRun;
use crate::lock::Session;
use crate::migration::Placeholders;
use crate::plan::PlanOptions;

/// Options of a `migrate` run.
///
/// ```
/// use std::time::Duration;
/// use strata::MigrateOptions;
/// use strata::config::Timeout;
/// use strata::lock::Session;
/// use strata::plan::PlanOptions;
/// // `strata migrate --dry-run --target 3`, with a shorter lock_timeout.
/// let opts = MigrateOptions {
///     plan: PlanOptions { target: Some("3".parse()?), ..PlanOptions::default() },
///     dry_run: true,
///     session: Session { lock_timeout: Some(Timeout::parse("5s")?), ..Session::default() },
///     ..MigrateOptions::default()
/// };
/// assert_eq!(opts.session.lock_wait, Duration::from_secs(60));
/// assert!(!opts.single_transaction && opts.session.statement_timeout.is_none());
/// assert_eq!(opts.lock_retries, 0);
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct MigrateOptions {
    /// Target version and out-of-order policy.
    pub plan: PlanOptions,
    /// Plan only: read the history, touch nothing, take no lock.
    pub dry_run: bool,
    /// The whole run in one transaction.
    pub single_transaction: bool,
    /// The lock wait and the session's `lock_timeout` / `statement_timeout`
    /// (default: 60 s, 10 s, the server's).
    pub session: Session,
    /// Continue failed no-transaction migrations at their failed statement
    /// (`migrate --resume`), after checking that the statements already
    /// applied are unchanged.
    pub resume: bool,
    /// What a first run (no history table yet) checks, and whether it
    /// baselines a database that already holds tables.
    pub first_run: FirstRun,
    /// The database's `${name}` placeholders (SPEC §2.4), replaced in every
    /// script as it runs; None when it declares none.
    pub placeholders: Option<Placeholders>,
    /// How many times a transactional migration that fails on
    /// `lock_timeout` (SQLSTATE 55P03) is rolled back and run again, with
    /// a backoff of 1 s, 2 s, 4 s … (at most 30 s). Not for no-transaction
    /// migrations, nor with `single_transaction`. Default 0.
    pub lock_retries: u32,
}
