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
//! [`Script`] a run executes, the request pipeline, transactional runs,
//! no-transaction runs with resume, `--single-transaction`, and the mapping
//! of a failure to its file, line and column.

mod blockers;
mod copy;
mod existing;
mod failure;
mod in_flight;
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

use std::time::Instant;

use tokio_postgres::Client;

use crate::error::{Conflict, Error, LockHolder};
use crate::history::{self, AppliedMigration, HistoryState, NewRow, RowKind, TableName};
use crate::migration::{Migration, MigrationKind, Version};
use crate::notice::Notices;
use crate::plan::Plan;
use crate::source::Migrations;

use existing::Existing;
pub use existing::FirstRun;
pub use locked::{Locked, lock_and_read};
use no_transaction::run_no_transaction;
pub(crate) use no_transaction::run_statements;
pub use options::MigrateOptions;
pub use report::{Event, Executed, Report};
pub use retry::LockRetry;
pub use script::Script;
pub(crate) use session::SessionReset;
use single::run_single_transaction;
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

    fn plan_of(&self, history: &[AppliedMigration]) -> Plan {
        let mut plan = Plan::new(&self.migrations.list, history, &self.options.plan);
        if self.options.resume {
            plan.allow_resume(&self.migrations.list);
        }
        plan
    }
}
impl Migrator<'_> {
    /// The second half of [`Migrator::run`]: plans against the history read
    /// by [`lock_and_read`] (under the lock it still holds), applies, and
    /// releases the lock, also on failure. Use the same `client` and table
    /// as that call.
    ///
    /// # Errors
    /// As [`Migrator::run`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use strata::migrator::{lock_and_read, Event, MigrateOptions, Migrator};
    /// use strata::{Migrations, TableName};
    /// # async fn f(client: tokio_postgres::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let table = TableName::default();
    /// let locked = lock_and_read(&client, &table, &MigrateOptions::default(), &mut |_| {}).await?;
    /// let migrations = Migrations::from_dir("migrations".as_ref())?;
    /// let report = Migrator::new(&migrations, table)
    ///     .run_locked(&client, locked, &mut |e| {
    ///         if let Event::Applied(x) = e {
    ///             println!("applied {}", x.script);
    ///         }
    ///     })
    ///     .await?;
    /// assert!(report.plan.blockers.is_empty());
    /// # Ok(()) }
    /// ```
    pub async fn run_locked(
        &self,
        client: &Client,
        locked: Locked,
        on_event: &mut dyn FnMut(Event<'_>),
    ) -> Result<Report, Error> {
        let (lock, history) = locked.into_parts();
        let Some(lock) = lock else {
            on_event(Event::BehindPooler);
            return self.locked(client, history, true, on_event).await;
        };
        on_event(Event::LockAcquired);
        let result = self.locked(client, history, false, on_event).await;
        lock.release_after_reporting(client, result).await
    }

    async fn locked(
        &self,
        client: &Client,
        state: HistoryState,
        pooled: bool,
        on_event: &mut dyn FnMut(Event<'_>),
    ) -> Result<Report, Error> {
        let (mut history, mut missing) = match state {
            HistoryState::Present(rows) => (rows, None),
            HistoryState::Missing { schema_exists } => (Vec::new(), Some(schema_exists)),
        };
        let history_created = missing.is_some();
        if let Some(schema_exists) = missing {
            let (found, now) = self.first_run_check(client, pooled).await?;
            if let Some(rows) = now {
                // Behind a pooler, another run created the history meanwhile.
                history = rows;
                missing = None;
            } else if found == Existing::Baseline {
                // `baseline_on_migrate`: what the database holds is version 0.
                history::create(client, &self.table, schema_exists).await?;
                on_event(Event::HistoryCreated(&self.table));
                let row = crate::baseline::baseline_row(&Version::zero());
                history::insert(client, &self.table, &row)
                    .await
                    .map_err(|e| {
                        Error::db(format!("cannot write the baseline into {}", self.table), e)
                    })?;
                on_event(Event::BaselinedOnMigrate(&self.table));
                history = history::read(client, &self.table)
                    .await?
                    .unwrap_or_default();
                missing = None;
            }
        }
        let plan = self.plan_of(&history);
        on_event(Event::Planned(&plan));
        if !plan.blockers.is_empty() {
            return Err(Error::Refused {
                problems: plan.blockers.clone(),
            });
        }
        let todo: Vec<&Migration> = plan
            .to_apply
            .iter()
            .map(|i| &self.migrations.list[*i])
            .collect();
        // The history table is created in the first migration's own
        // transaction when there is one; otherwise on its own, now.
        let mut create_with_first = None;
        if pooled {
            let resumed: Vec<&str> = plan.resumable.iter().map(|r| r.script.as_str()).collect();
            pooled::refuse(&todo, self.options.single_transaction, &resumed)?;
        } else if let Some(schema_exists) = missing {
            // The first migration runs in its own transaction: not with
            // --single-transaction, not a no-transaction file, not a resume.
            let first_in_transaction = !self.options.single_transaction
                && todo.first().is_some_and(|m| {
                    !m.no_transaction() && !plan.resumable.iter().any(|r| r.script == m.script)
                });
            let sql = first_in_transaction
                .then(|| history::create_in_transaction_sql(&self.table))
                .flatten();
            if sql.is_some() {
                create_with_first = sql;
            } else {
                history::create(client, &self.table, schema_exists).await?;
                on_event(Event::HistoryCreated(&self.table));
            }
        }
        let reset = SessionReset::new(&self.options.session);
        let lock_timeout = self.options.session.lock_timeout;
        let mut watcher = blockers::Watcher::new(self.watch.clone(), &self.table, lock_timeout);
        let executed = if self.options.single_transaction {
            if let Some(m) = todo.iter().find(|m| m.no_transaction()) {
                return Err(Error::Conflict {
                    script: m.script.clone(),
                    conflict: Conflict::NoTransactionInSingleTransaction,
                });
            }
            let notices = self.notices.as_ref();
            let placeholders = self.options.placeholders.as_ref();
            run_single_transaction(
                client,
                &self.table,
                &todo,
                &reset,
                notices,
                placeholders,
                on_event,
            )
            .await?
        } else {
            let mut executed = Vec::with_capacity(todo.len());
            let n = todo.len();
            for (i, m) in todo.into_iter().enumerate() {
                on_event(Event::Started(m));
                // What came before (strata's own statements) is not the migration's.
                let _ = self.notices.as_ref().map(Notices::take);
                // Every commit but the last may be asynchronous: the last one's
                // flush makes all of them durable (see `history::insert_with`).
                let async_commit = i + 1 < n;
                let resume = plan
                    .resumable
                    .iter()
                    .find(|r| r.script == m.script)
                    .cloned();
                let start = Instant::now();
                let script = Script::up(m).with_placeholders(self.options.placeholders.as_ref());
                let row = row_of(m, None, true, None);
                let transactional = resume.is_none() && !m.no_transaction();
                let applied = if let Err(stop) = crate::interrupt::check() {
                    Err(stop)
                } else if pooled && transactional {
                    let applied = self
                        .run_pooled(client, m, &script, row, async_commit, on_event)
                        .await;
                    match applied {
                        // Another runner applied it meanwhile.
                        Ok(None) => continue,
                        Ok(Some(n)) => Ok(n),
                        Err(e) => Err(e),
                    }
                } else if !transactional {
                    if let Some(r) = &resume {
                        on_event(Event::Resuming(m, r.statement_hashes.len()));
                    }
                    let table = &self.table;
                    let resume = resume.as_ref();
                    run_no_transaction(client, table, &script, row, resume, async_commit, &reset)
                        .await
                } else {
                    let create = create_with_first.take();
                    let creating = create.is_some();
                    let attempt = retry::Attempt {
                        m,
                        script: &script,
                        async_commit,
                        create,
                        reset: &reset,
                    };
                    let applied = self
                        .transactional(client, attempt, &mut watcher, on_event)
                        .await;
                    if creating && applied.is_ok() {
                        on_event(Event::HistoryCreated(&self.table));
                    }
                    applied
                };
                let e = match applied {
                    Ok(statements) => Executed {
                        notices: self.notices.as_ref().map(Notices::take).unwrap_or_default(),
                        ..Executed::of(m, start, statements)
                    },
                    Err(err) => {
                        let err = if transactional {
                            lost_commit::classify(client, &m.script, err)
                        } else {
                            err
                        };
                        if i > 0 {
                            // Make the migrations already reported as applied durable
                            // before reporting the failure; best effort.
                            let _ = client
                                .batch_execute("SELECT pg_catalog.txid_current()")
                                .await;
                        }
                        let so_far = Report {
                            plan,
                            executed,
                            dry_run: false,
                            history_created,
                        };
                        return Err(self.partial(client, so_far, err).await);
                    }
                };
                on_event(Event::Applied(&e));
                executed.push(e);
            }
            executed
        };
        if pooled {
            // Other runs may have applied some of the plan: the states as they are.
            return Ok(self
                .pooled_report(client, plan, executed, history_created)
                .await);
        }
        let now = history::Timestamp::now();
        let plan = plan.after_applied(
            executed.iter().map(|e| {
                (
                    e.script.as_str(),
                    i32::try_from(e.execution_ms).unwrap_or(i32::MAX),
                )
            }),
            now,
        );
        Ok(Report {
            plan,
            executed,
            dry_run: false,
            history_created,
        })
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
