//! What a run tells its caller: [`Event`]s while it goes, an [`Executed`]
//! per script that ran, and the [`Report`] at the end.

use std::time::Instant;

use crate::error::{Error, LockHolder};
use crate::history::TableName;
use crate::migration::Migration;
use crate::notice::Notice;
use crate::plan::Plan;

/// Something that happened during a run, for progress display.
///
/// [`Migrator::run`](super::Migrator::run) calls its `on_event` with each; a renderer picks what
/// it shows:
///
/// ```
/// use strata::migrator::{Event, Executed};
/// fn progress(event: Event<'_>) -> Option<String> {
///     match event {
///         Event::LockWaiting(holder) => Some(format!("waiting for the migration lock ({holder})")),
///         Event::Started(m) => Some(format!("applying {}", m.script)),
///         Event::Applied(e) => Some(format!("applied {} ({} ms)", e.script, e.execution_ms)),
///         _ => None,
///     }
/// }
/// # let executed = Executed { version: Some("4".into()), script: "V004__add_orders.sql".into(),
/// #     description: "add orders".into(), kind: "versioned", execution_ms: 12, statements: 3,
/// #     no_transaction: false, notices: vec![] };
/// // `executed` describes V004__add_orders.sql, which took 12 ms.
/// let line = progress(Event::Applied(&executed));
/// assert_eq!(line.as_deref(), Some("applied V004__add_orders.sql (12 ms)"));
/// assert_eq!(progress(Event::LockAcquired), None);
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Event<'a> {
    /// Another session holds the lock; strata keeps polling.
    LockWaiting(&'a LockHolder),
    /// The lock is held.
    LockAcquired,
    /// The connection goes through a pooler (SPEC §4.2 step 1): no session
    /// lock; each migration's transaction takes the lock itself and skips
    /// a migration another runner applied meanwhile.
    BehindPooler,
    /// The history table did not exist and was created.
    HistoryCreated(&'a TableName),
    /// A database that held tables but no history got a `baseline` row at
    /// version 0 (`baseline_on_migrate`).
    BaselinedOnMigrate(&'a TableName),
    /// The plan is known.
    Planned(&'a Plan),
    /// A migration is about to run (in a rollback: its down part).
    Started(&'a Migration),
    /// A failed no-transaction migration continues after the statements that
    /// already succeeded (`migrate --resume`); the number is how many are skipped.
    Resuming(&'a Migration, usize),
    /// A transactional migration failed on `lock_timeout`, was rolled back,
    /// and runs again after a backoff (`lock_retries`); names who blocked it.
    LockRetry(&'a super::LockRetry),
    /// A migration was applied (in `--single-transaction` mode, after the final commit).
    Applied(&'a Executed),
    /// A version was rolled back (its down part ran with its `undo` row).
    RolledBack(&'a Executed),
}

/// A migration that ran.
///
/// ```no_run
/// use strata::{Migrator, TableName};
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// # let url = std::env::var("DATABASE_URL")?;
/// let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
/// tokio::spawn(connection);
/// let migrations = strata::Migrations::from_dir("migrations".as_ref())?;
/// let migrator = Migrator::new(&migrations, TableName::default());
/// let report = migrator.run(&client, &mut |_| {}).await?;
/// for e in &report.executed {
///     let how = if e.no_transaction { ", no transaction" } else { "" };
///     println!("applied {} {} ({} statements, {} ms{how})",
///         e.version.as_deref().unwrap_or("R"), e.description, e.statements, e.execution_ms);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Executed {
    /// Normalized version (None for repeatables).
    pub version: Option<String>,
    /// File name.
    pub script: String,
    /// Description.
    pub description: String,
    /// `versioned` or `repeatable`.
    pub kind: &'static str,
    /// Wall time measured by strata.
    pub execution_ms: u64,
    /// Statements sent.
    pub statements: usize,
    /// Ran outside a transaction.
    pub no_transaction: bool,
    /// WARNINGs, NOTICEs … the server raised while it ran, oldest first
    /// (collected when the run was given a sink with
    /// [`Migrator::with_notices`](super::Migrator::with_notices)).
    pub notices: Vec<Notice>,
}

/// What a run did.
///
/// ```no_run
/// use strata::{MigrateOptions, Migrator, TableName};
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// # let url = std::env::var("DATABASE_URL")?;
/// let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
/// tokio::spawn(connection);
/// let migrations = strata::Migrations::from_dir("migrations".as_ref())?;
/// let dry = MigrateOptions { dry_run: true, ..Default::default() };
/// let report = Migrator::new(&migrations, TableName::default())
///     .with_options(dry)
///     .run(&client, &mut |_| {})
///     .await?;
/// assert!(report.dry_run && report.executed.is_empty());
/// println!("would apply {} migration(s)", report.plan.to_apply.len());
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Report {
    /// The plan it followed.
    pub plan: Plan,
    /// Migrations applied, in order.
    pub executed: Vec<Executed>,
    /// True for `--dry-run`: nothing was changed.
    pub dry_run: bool,
    /// The history table was created by this run.
    pub history_created: bool,
}

impl Executed {
    /// `m` ran: `statements` sent, timed from `start`.
    pub(crate) fn of(m: &Migration, start: Instant, statements: usize) -> Executed {
        Executed {
            version: m.version.as_ref().map(ToString::to_string),
            script: m.script.clone(),
            description: m.description.clone(),
            kind: m.kind.as_str(),
            execution_ms: u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX),
            statements,
            no_transaction: m.no_transaction(),
            notices: Vec::new(),
        }
    }
}

impl Error {
    /// What a failed `migrate` did before it failed: the migrations it
    /// applied ([`Report::executed`]) and the states after them
    /// ([`Report::plan`]). Some when the run changed the database (the
    /// error is an [`Error::Partial`]); None when it failed before, or
    /// changed nothing.
    ///
    /// ```no_run
    /// use strata::{Migrator, TableName};
    /// # async fn f(client: tokio_postgres::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let migrations = strata::Migrations::from_dir("migrations".as_ref())?;
    /// let migrator = Migrator::new(&migrations, TableName::default());
    /// if let Err(err) = migrator.run(&client, &mut |_| {}).await {
    ///     for e in err.report().map(|r| &r.executed[..]).unwrap_or_default() {
    ///         eprintln!("applied {} before the failure", e.script);
    ///     }
    ///     if let Some(sql) = err.as_sql() {
    ///         eprintln!("{} failed: {}", sql.script, sql.code);
    ///     }
    ///     return Err(err.into());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn report(&self) -> Option<&Report> {
        self.partial_report()
    }
}
