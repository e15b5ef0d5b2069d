//! Running migrations: lock → read history → plan → apply → [`Report`].
//!
//! The migrator never prints: it emits [`Event`]s and returns a [`Report`].
//!
//! How a transactional migration runs (SPEC §4.2): `BEGIN`, each statement as
//! its own simple-query message, the history `INSERT` and `COMMIT` are all
//! written to the socket before any reply is awaited — one round trip per
//! migration, and one commit. Sending statements separately (rather than the
//! file as one string) costs nothing in round trips and tells strata exactly
//! which statement failed, so even errors without a position (a unique
//! violation, a lock timeout) name their line. If a statement fails,
//! PostgreSQL rejects the rest of the transaction and the queued `COMMIT`
//! becomes a rollback: nothing of the migration, and no history row, remains.
//! Files are read statement by statement, with a bounded number in flight, so
//! memory does not grow with the file.
//!
//! A no-transaction migration runs statement by statement, each awaited (a
//! failed statement must stop the run); on failure a history row with
//! `success = false` records how many statements succeeded and their hashes.
//!
//! The migration lock lives on the migrating session ([`crate::lock`]): one
//! connection per run, released explicitly on every path. Behind a
//! connection pooler each migration's transaction takes it instead
//! (`pooled.rs`).
//!
//! `lock_timeout` and `statement_timeout` are set for the migrating
//! session, not with `SET LOCAL` in each transaction: the effect on every
//! migration is the same, and it also covers no-transaction migrations
//! (where `SET LOCAL` has no effect). After each migration the session is
//! reset and they are set again, pipelined before its history row
//! (`session.rs`): what a migration changes in the session ends with it.
//! A `COPY … FROM STDIN` streams its data through the COPY protocol
//! (`copy.rs`); the server's notices go to the run's [`Notices`] sink.
//!
//! One file per part: [`options`](MigrateOptions), [`report`](Report) and
//! [`Event`]s, the lock-and-read first half ([`lock_and_read`]), the
//! second half that applies under the lock (`apply.rs`), the
//! [`Script`] a run executes, the request pipeline, transactional runs,
//! no-transaction runs with resume, `--single-transaction`, and the mapping
//! of a failure to its file, line and column.

mod apply;
mod blockers;
mod copy;
mod existing;
mod failure;
mod in_flight;
mod lint;
mod locked;
mod lost_commit;
mod no_transaction;
mod options;
mod pipeline;
mod pooled;
mod report;
mod retry;
mod script;
mod session;
mod single;
mod transaction;
mod uncommitted;

use tokio_postgres::Client;

use crate::error::{Error, LockHolder};
use crate::history::{self, AppliedMigration, HistoryState, NewRow, RowKind, TableName};
use crate::migration::{Migration, MigrationKind};
use crate::notice::Notices;
use crate::plan::Plan;
use crate::source::Migrations;

pub use existing::FirstRun;
pub use locked::{Locked, lock_and_read};
pub(crate) use no_transaction::run_statements;
pub use options::MigrateOptions;
pub use report::{Event, Executed, Report};
pub use retry::LockRetry;
pub use script::Script;
pub(crate) use session::SessionReset;
pub(crate) use transaction::run_in_transaction;

/// Runs the migrations of one database.
///
/// ```no_run
/// use strata::migrator::Event;
/// use strata::{Migrator, TableName};
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// # let url = std::env::var("DATABASE_URL")?;
/// let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
/// tokio::spawn(connection);
/// let migrations = strata::Migrations::from_dir("migrations".as_ref())?;
/// let migrator = Migrator::new(&migrations, TableName::default());
/// let report = migrator
///     .run(&client, &mut |event| {
///         if let Event::Applied(e) = event {
///             eprintln!("applied {} ({} ms)", e.script, e.execution_ms);
///         }
///     })
///     .await?;
/// println!("{} applied", report.executed.len());
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Migrator<'m> {
    migrations: &'m Migrations,
    table: TableName,
    options: MigrateOptions,
    notices: Option<Notices>,
    pub(super) watch: Option<crate::connect::Endpoint>,
    lint: Option<crate::lint::Rules>,
}

impl<'m> Migrator<'m> {
    /// A migrator for `migrations`, recording into `table`, with the default
    /// [`MigrateOptions`].
    ///
    /// ```
    /// use strata::{Migrator, TableName};
    /// let migrations = strata::embed_migrations!("$CARGO_MANIFEST_DIR/tests/fixtures/embedded")?;
    /// let table = TableName::parse("app.schema_history")?;
    /// let migrator = Migrator::new(&migrations, table);
    /// assert!(!migrator.options().dry_run);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(migrations: &'m Migrations, table: TableName) -> Self {
        Migrator {
            migrations,
            table,
            options: MigrateOptions::default(),
            notices: None,
            watch: None,
            lint: None,
        }
    }

    /// Sets the run's options.
    ///
    /// ```
    /// use strata::{MigrateOptions, Migrator, TableName};
    /// let migrations = strata::embed_migrations!("$CARGO_MANIFEST_DIR/tests/fixtures/embedded")?;
    /// let migrator = Migrator::new(&migrations, TableName::default())
    ///     .with_options(MigrateOptions { single_transaction: true, ..Default::default() });
    /// assert!(migrator.options().single_transaction);
    /// # Ok::<(), strata::Error>(())
    /// ```
    pub fn with_options(mut self, options: MigrateOptions) -> Self {
        self.options = options;
        self
    }

    /// Collects the server's notices from `notices` (the sink the
    /// client's connection forwards to, see [`crate::notice`]) into each
    /// migration's [`Executed::notices`].
    ///
    /// ```no_run
    /// use strata::notice::Notices;
    /// use strata::{Migrator, TableName};
    /// # async fn f(url: &str) -> Result<(), Box<dyn std::error::Error>> {
    /// let notices = Notices::new();
    /// let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    /// tokio::spawn(notices.clone().drive(connection));
    /// let migrations = strata::Migrations::from_dir("migrations".as_ref())?;
    /// let report = Migrator::new(&migrations, TableName::default())
    ///     .with_notices(notices)
    ///     .run(&client, &mut |_| {})
    ///     .await?;
    /// for e in &report.executed {
    ///     for n in e.notices.iter().filter(|n| n.is_warning()) {
    ///         eprintln!("{}: {n}", e.script);
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn with_notices(mut self, notices: Notices) -> Self {
        self.notices = Some(notices);
        self
    }

    /// Lints what the run is about to apply with `rules` before touching
    /// the database, and refuses the run on an error-level finding (what
    /// `strata migrate` does unless `--no-lint`).
    ///
    /// ```
    /// use strata::{Migrator, TableName};
    /// use strata::lint::Rules;
    /// let migrations = strata::embed_migrations!("$CARGO_MANIFEST_DIR/tests/fixtures/embedded")?;
    /// let migrator = Migrator::new(&migrations, TableName::default()).with_lint(Rules::default());
    /// # let _ = migrator;
    /// # Ok::<(), strata::Error>(())
    /// ```
    pub fn with_lint(mut self, rules: crate::lint::Rules) -> Self {
        self.lint = Some(rules);
        self
    }

    /// The options in force.
    ///
    /// ```
    /// use strata::{Migrator, TableName};
    /// let migrations = strata::embed_migrations!("$CARGO_MANIFEST_DIR/tests/fixtures/embedded")?;
    /// let migrator = Migrator::new(&migrations, TableName::default());
    /// assert_eq!(migrator.options().session.lock_timeout.map(|t| t.to_string()).as_deref(), Some("10s"));
    /// # Ok::<(), strata::Error>(())
    /// ```
    pub fn options(&self) -> &MigrateOptions {
        &self.options
    }

    /// Reads the history (one query, no lock) and plans: what `status` and
    /// `verify` show.
    ///
    /// ```no_run
    /// use strata::{Migrator, TableName};
    /// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
    /// # let url = std::env::var("DATABASE_URL")?;
    /// let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
    /// tokio::spawn(connection);
    /// let migrations = strata::Migrations::from_dir("migrations".as_ref())?;
    /// let (plan, history) = Migrator::new(&migrations, TableName::default()).plan(&client).await?;
    /// for e in &plan.entries {
    ///     println!("{:<12} {}", e.state.as_str(), e.script);
    /// }
    /// println!("{} history row(s); {} to apply", history.len(), plan.to_apply.len());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Db`] if the history cannot be read.
    pub async fn plan(&self, client: &Client) -> Result<(Plan, Vec<AppliedMigration>), Error> {
        let history = history::read(client, &self.table)
            .await?
            .unwrap_or_default();
        Ok((self.plan_of(&history), history))
    }

    /// Applies pending migrations on `client`.
    ///
    /// The migration lock is taken on `client`'s own session (with the
    /// session's timeouts, in one round trip) and released explicitly on
    /// every path; if that release fails the session is ended, which
    /// releases it server-side (see [`crate::lock`]).
    ///
    /// ```no_run
    /// use strata::{Error, Migrator, TableName};
    /// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
    /// # let url = std::env::var("DATABASE_URL")?;
    /// let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
    /// tokio::spawn(connection);
    /// let migrations = strata::Migrations::from_dir("migrations".as_ref())?;
    /// let migrator = Migrator::new(&migrations, TableName::default());
    /// match migrator.run(&client, &mut |_| {}).await {
    ///     Ok(report) => println!("{} applied", report.executed.len()),
    ///     Err(Error::Refused { problems }) => {
    ///         for p in &problems {
    ///             eprintln!("{p}"); // e.g. "V2__b.sql: modified after it was applied ..."
    ///         }
    ///     }
    ///     Err(e) => return Err(e.into()),
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::LockTimeout`], [`Error::Refused`] (nothing applied),
    /// [`Error::Sql`] for a failed migration (it was rolled back, or, for a
    /// no-transaction migration, recorded as failed), [`Error::Db`]. When
    /// the run changed the database before it failed (migrations applied,
    /// or a failed no-transaction migration recorded), that error comes
    /// wrapped in [`Error::Partial`], and [`Error::report`] tells what ran.
    pub async fn run(
        &self,
        client: &Client,
        on_event: &mut dyn FnMut(Event<'_>),
    ) -> Result<Report, Error> {
        if self.options.dry_run {
            let history = match history::read_state(client, &self.table).await? {
                HistoryState::Present(rows) => rows,
                HistoryState::Missing { .. } => {
                    // Refused as the real run would be. (The baseline that
                    // `baseline_on_migrate` writes at version 0 changes what
                    // a dry run shows only for a file of version 0.)
                    existing::check(client, &self.table, &self.options.first_run).await?;
                    Vec::new()
                }
            };
            let plan = self.plan_of(&history);
            on_event(Event::Planned(&plan));
            if !plan.blockers.is_empty() {
                return Err(Error::Refused {
                    problems: plan.blockers.clone(),
                });
            }
            // And refused by lint as the real run would be.
            self.refuse_by_lint(&plan)?;
            return Ok(Report {
                plan,
                executed: Vec::new(),
                dry_run: true,
                history_created: false,
            });
        }
        let mut on_wait = |h: &LockHolder| on_event(Event::LockWaiting(h));
        let locked = lock_and_read(client, &self.table, &self.options, &mut on_wait).await?;
        self.run_locked(client, locked, on_event).await
    }

    /// The migrations `plan` applies, in order; refused when it has
    /// blockers.
    fn todo_of(&self, plan: &Plan) -> Result<Vec<&Migration>, Error> {
        if !plan.blockers.is_empty() {
            return Err(Error::Refused {
                problems: plan.blockers.clone(),
            });
        }
        Ok(plan
            .to_apply
            .iter()
            .map(|i| &self.migrations.list[*i])
            .collect())
    }

    fn plan_of(&self, history: &[AppliedMigration]) -> Plan {
        let mut plan = Plan::new(&self.migrations.list, history, &self.options.plan);
        if self.options.resume {
            plan.allow_resume(&self.migrations.list);
        }
        plan
    }
}
/// The history row recording `m`.
pub(crate) fn row_of(
    m: &Migration,
    execution_ms: Option<i32>,
    success: bool,
    progress: Option<serde_json::Value>,
) -> NewRow {
    NewRow {
        version: m.version.clone(),
        description: m.description.clone(),
        kind: match m.kind {
            MigrationKind::Versioned => RowKind::Versioned,
            MigrationKind::Repeatable => RowKind::Repeatable,
        },
        script: m.script.clone(),
        checksum: Some(m.checksum),
        execution_ms,
        success,
        progress,
    }
}
