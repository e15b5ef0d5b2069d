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
//! `lock_timeout` and `statement_timeout` are set once per run for the
//! migrating session, not with `SET LOCAL` in each transaction: the effect on
//! every migration is the same, it also covers no-transaction migrations
//! (where `SET LOCAL` has no effect), and it saves a statement per migration.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::stream::FuturesOrdered;
use sha2::{Digest, Sha256};
use tokio_postgres::Client;
use tokio_postgres::error::ErrorPosition;
use tokio_postgres::types::Type;

use crate::error::{Error, LockHolder, SqlError};
use crate::history::{self, AppliedMigration, NewRow, RowKind, TableName};
use crate::lock::{self, MigrationLock};
use crate::migration::{Migration, MigrationKind};
use crate::plan::{Plan, PlanOptions, Resumable};
use crate::source::Migrations;
use crate::sql::{Chunk, Chunker, Location};

/// How many statements may be in flight before strata waits for replies.
const MAX_IN_FLIGHT: usize = 512;

/// Options of a `migrate` run.
///
/// ```
/// use std::time::Duration;
/// use strata::MigrateOptions;
/// use strata::plan::PlanOptions;
/// // `strata migrate --dry-run --target 3`, with a shorter lock_timeout.
/// let opts = MigrateOptions {
///     plan: PlanOptions { target: Some("3".parse()?), ..PlanOptions::default() },
///     dry_run: true,
///     lock_timeout: Some("5s".into()),
///     ..MigrateOptions::default()
/// };
/// assert_eq!(opts.lock_wait, Duration::from_secs(60));
/// assert!(!opts.single_transaction && opts.statement_timeout.is_none());
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, Debug)]
pub struct MigrateOptions {
    /// Target version and out-of-order policy.
    pub plan: PlanOptions,
    /// Plan only: read the history, touch nothing, take no lock.
    pub dry_run: bool,
    /// The whole run in one transaction.
    pub single_transaction: bool,
    /// How long to wait for another strata's lock before giving up.
    pub lock_wait: Duration,
    /// `lock_timeout` for the migrating session (PostgreSQL syntax, e.g. `10s`); None leaves the server's.
    pub lock_timeout: Option<String>,
    /// `statement_timeout` for the migrating session; None leaves the server's.
    pub statement_timeout: Option<String>,
    /// Continue failed no-transaction migrations at their failed statement
    /// (`migrate --resume`), after checking that the statements already
    /// applied are unchanged.
    pub resume: bool,
}

impl Default for MigrateOptions {
    fn default() -> Self {
        MigrateOptions {
            plan: PlanOptions::default(),
            dry_run: false,
            single_transaction: false,
            lock_wait: Duration::from_secs(60),
            lock_timeout: Some("10s".into()),
            statement_timeout: None,
            resume: false,
        }
    }
}

/// Something that happened during a run, for progress display.
///
/// [`Migrator::run`] calls its `on_event` with each; a renderer picks what
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
/// #     no_transaction: false };
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
    /// The history table did not exist and was created.
    HistoryCreated(&'a TableName),
    /// The plan is known.
    Planned(&'a Plan),
    /// A migration is about to run.
    Started(&'a Migration),
    /// A failed no-transaction migration continues after the statements that
    /// already succeeded (`migrate --resume`); the number is how many are skipped.
    Resuming(&'a Migration, usize),
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
/// let report = migrator.run(&client, None, &mut |_| {}).await?;
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
///     .run(&client, None, &mut |_| {})
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

/// Runs the migrations of one database.
///
/// ```no_run
/// use strata::migrator::Event;
/// use strata::{Migrator, TableName};
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// # let url = std::env::var("DATABASE_URL")?;
/// let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
/// tokio::spawn(connection);
/// // The lock's own connection: dropped on any failure, so the server releases the lock.
/// let (lock_client, lock_connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
/// tokio::spawn(lock_connection);
/// let migrations = strata::Migrations::from_dir("migrations".as_ref())?;
/// let migrator = Migrator::new(&migrations, TableName::default());
/// let report = migrator
///     .run(&client, Some(lock_client), &mut |event| {
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

    /// The options in force.
    ///
    /// ```
    /// use strata::{Migrator, TableName};
    /// let migrations = strata::embed_migrations!("$CARGO_MANIFEST_DIR/tests/fixtures/embedded")?;
    /// let migrator = Migrator::new(&migrations, TableName::default());
    /// assert_eq!(migrator.options().lock_timeout.as_deref(), Some("10s"));
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
    /// The lock is taken on `lock_client`'s session when given (recommended:
    /// any failure then drops that connection, which releases the lock), else
    /// on `client`'s session, released explicitly on every path.
    ///
    /// ```no_run
    /// use strata::{Error, Migrator, TableName};
    /// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
    /// # let url = std::env::var("DATABASE_URL")?;
    /// let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
    /// tokio::spawn(connection);
    /// let migrations = strata::Migrations::from_dir("migrations".as_ref())?;
    /// let migrator = Migrator::new(&migrations, TableName::default());
    /// match migrator.run(&client, None, &mut |_| {}).await {
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
    /// no-transaction migration, recorded as failed), [`Error::Db`].
    pub async fn run(
        &self,
        client: &Client,
        lock_client: Option<Client>,
        on_event: &mut dyn FnMut(Event<'_>),
    ) -> Result<Report, Error> {
        if self.options.dry_run {
            let (plan, _) = self.plan(client).await?;
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
        let locked = lock_and_read(
            client,
            lock_client,
            &self.table,
            &self.options,
            &mut on_wait,
        )
        .await?;
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

/// Sets `lock_timeout` / `statement_timeout` for the session (one round trip).
pub(crate) async fn set_timeouts(
    client: &Client,
    lock_timeout: Option<&String>,
    statement_timeout: Option<&String>,
) -> Result<(), Error> {
    let mut sql = String::from("SELECT ");
    let mut params: Vec<(&(dyn tokio_postgres::types::ToSql + Sync), Type)> = Vec::new();
    if let Some(t) = &lock_timeout {
        params.push((t, Type::TEXT));
        sql.push_str(&format!(
            "set_config('lock_timeout', ${}, false)",
            params.len()
        ));
    }
    if let Some(t) = &statement_timeout {
        if !params.is_empty() {
            sql.push_str(", ");
        }
        params.push((t, Type::TEXT));
        sql.push_str(&format!(
            "set_config('statement_timeout', ${}, false)",
            params.len()
        ));
    }
    if params.is_empty() {
        return Ok(());
    }
    client
        .query_typed(&sql, &params)
        .await
        .map_err(|e| Error::db("cannot set lock_timeout/statement_timeout", e))?;
    Ok(())
}

/// The migration lock, held, and the history as read under it: what
/// [`Migrator::run_locked`] continues from.
///
/// # Examples
///
/// ```no_run
/// use strata::migrator::{lock_and_read, MigrateOptions, Migrator};
/// use strata::{Migrations, TableName};
/// # async fn f(client: tokio_postgres::Client) -> Result<(), Box<dyn std::error::Error>> {
/// let table = TableName::default();
/// let locked = lock_and_read(&client, None, &table, &MigrateOptions::default(), &mut |_| {}).await?;
/// // While `locked` lives, no other strata can migrate this database.
/// let migrations = Migrations::from_dir("migrations".as_ref())?;
/// Migrator::new(&migrations, table).run_locked(&client, locked, &mut |_| {}).await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Locked {
    held: Held,
    history: history::HistoryState,
}

#[derive(Debug)]
enum Held {
    /// On its own connection: dropping it releases the lock.
    Connection(MigrationLock),
    /// On the migration connection's session: released explicitly.
    Session((i32, i32)),
}

/// The first half of [`Migrator::run`], which needs no migration files: sets
/// `client`'s session timeouts from `options` while taking the migration lock
/// (one round trip: on `lock_client` when given, else pipelined on
/// `client`'s own session), then reads the history under the lock. A caller
/// that is still reading the migrations folder can do this meanwhile, then
/// finish with [`Migrator::run_locked`].
///
/// ```no_run
/// use strata::migrator::{MigrateOptions, Migrator, lock_and_read};
/// use strata::{Migrations, TableName};
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// # let url = std::env::var("DATABASE_URL")?;
/// let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
/// tokio::spawn(conn);
/// let options = MigrateOptions::default();
/// let table = TableName::default();
/// // The folder is read on another thread while the lock is taken.
/// let scan = tokio::task::spawn_blocking(|| Migrations::from_dir("migrations".as_ref()));
/// let locked = lock_and_read(&client, None, &table, &options, &mut |_| {}).await?;
/// let migrations = scan.await??;
/// let report = Migrator::new(&migrations, table)
///     .with_options(options)
///     .run_locked(&client, locked, &mut |_| {})
///     .await?;
/// println!("{} applied", report.executed.len());
/// # Ok(()) }
/// ```
///
/// # Errors
/// As [`MigrationLock::acquire`] and [`history::read_state`]. On error the
/// lock is released: its connection is dropped, or it is unlocked on
/// `client`'s session.
pub async fn lock_and_read(
    client: &Client,
    lock_client: Option<Client>,
    table: &TableName,
    options: &MigrateOptions,
    on_wait: &mut dyn FnMut(&LockHolder),
) -> Result<Locked, Error> {
    let timeouts = set_timeouts(
        client,
        options.lock_timeout.as_ref(),
        options.statement_timeout.as_ref(),
    );
    let held = match lock_client {
        Some(lc) => {
            let (timeouts, lock) = tokio::join!(
                timeouts,
                MigrationLock::acquire(lc, table, options.lock_wait, on_wait)
            );
            timeouts?;
            Held::Connection(lock?)
        }
        None => {
            let key = lock::lock_key(table);
            // Both requests go out on the one connection before either reply.
            let (timeouts, lock) = tokio::join!(
                timeouts,
                lock::poll(client, key, options.lock_wait, on_wait)
            );
            if let Err(e) = timeouts {
                if lock.is_ok() {
                    let _ = lock::unlock(client, key).await;
                }
                return Err(e);
            }
            lock?;
            Held::Session(key)
        }
    };
    match history::read_state(client, table).await {
        Ok(history) => Ok(Locked { held, history }),
        Err(e) => {
            if let Held::Session(key) = held {
                let _ = lock::unlock(client, key).await;
            }
            Err(e)
        }
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
    /// let locked = lock_and_read(&client, None, &table, &MigrateOptions::default(), &mut |_| {}).await?;
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
        on_event(Event::LockAcquired);
        let result = self.locked(client, locked.history, on_event).await;
        match locked.held {
            // On error the lock is dropped with its connection: the server releases it.
            Held::Connection(lock) => {
                let report = result?;
                lock.release().await?;
                Ok(report)
            }
            Held::Session(key) => {
                let unlocked = lock::unlock(client, key).await;
                let report = result?;
                unlocked?;
                Ok(report)
            }
        }
    }

    async fn locked(
        &self,
        client: &Client,
        state: history::HistoryState,
        on_event: &mut dyn FnMut(Event<'_>),
    ) -> Result<Report, Error> {
        let (history, missing) = match state {
            history::HistoryState::Present(rows) => (rows, None),
            history::HistoryState::Missing { schema_exists } => (Vec::new(), Some(schema_exists)),
        };
        let history_created = missing.is_some();
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
        if let Some(schema_exists) = missing {
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
        let executed = if self.options.single_transaction {
            if let Some(m) = todo.iter().find(|m| m.no_transaction()) {
                return Err(Error::Invalid(format!(
                    "{} is a no-transaction migration and cannot run with --single-transaction; run without it",
                    m.script
                )));
            }
            self.apply_single_transaction(client, &todo, on_event)
                .await?
        } else {
            let mut executed = Vec::with_capacity(todo.len());
            let n = todo.len();
            for (i, m) in todo.into_iter().enumerate() {
                on_event(Event::Started(m));
                // Every commit but the last may be asynchronous: the last one's
                // flush makes all of them durable (see `history::insert_with`).
                let async_commit = i + 1 < n;
                let resume = plan
                    .resumable
                    .iter()
                    .find(|r| r.script == m.script)
                    .cloned();
                let applied = if let Some(r) = resume {
                    on_event(Event::Resuming(m, r.statement_hashes.len()));
                    self.apply_no_transaction(client, m, Some(&r), async_commit)
                        .await
                } else if m.no_transaction() {
                    self.apply_no_transaction(client, m, None, async_commit)
                        .await
                } else {
                    let create = create_with_first.take();
                    let creating = create.is_some();
                    let applied = run_in_transaction_creating(
                        client,
                        &self.table,
                        m,
                        row_of(m, None, true, None),
                        async_commit,
                        create,
                    )
                    .await;
                    if creating && applied.is_ok() {
                        on_event(Event::HistoryCreated(&self.table));
                    }
                    applied
                };
                let e = match applied {
                    Ok(e) => e,
                    Err(err) => {
                        if i > 0 {
                            // Make the migrations already reported as applied durable
                            // before reporting the failure; best effort.
                            let _ = client
                                .batch_execute("SELECT pg_catalog.txid_current()")
                                .await;
                        }
                        return Err(err);
                    }
                };
                on_event(Event::Applied(&e));
                executed.push(e);
            }
            executed
        };
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

    /// All pending migrations in one transaction, pipelined: every statement
    /// goes out without waiting for the one before (a failure aborts the
    /// transaction, so nothing after it can take effect), then every history
    /// row, then COMMIT. A migration's time is measured between the replies
    /// to its last statement and the previous one's.
    async fn apply_single_transaction(
        &self,
        client: &Client,
        todo: &[&Migration],
        on_event: &mut dyn FnMut(Event<'_>),
    ) -> Result<Vec<Executed>, Error> {
        let mut pipe = Pipeline {
            reply_times: Some(Vec::new()),
            ..Pipeline::default()
        };
        pipe.simple(client, Tag::Control, "BEGIN".into());
        // The number of each migration's last request, and its statement count.
        let mut ends: Vec<(usize, usize)> = Vec::with_capacity(todo.len());
        for m in todo {
            on_event(Event::Started(m));
            match push_statements(client, m, &mut pipe).await {
                Ok(n) => ends.push((pipe.pushed - 1, n)),
                Err(e) => {
                    pipe.simple(client, Tag::Control, "ROLLBACK".into());
                    pipe.drain(0).await;
                    return Err(e);
                }
            }
            if pipe.failed() {
                break;
            }
        }
        pipe.drain(0).await;
        // The migration a request number belongs to.
        let owner = |at: usize| {
            let k = ends.partition_point(|(end, _)| *end < at);
            todo.get(k).or(todo.last()).copied()
        };
        if let Some((tag, e)) = pipe.first_error.take() {
            let m = owner(pipe.first_error_at);
            pipe.simple(client, Tag::Control, "ROLLBACK".into());
            pipe.drain(0).await;
            return Err(match m {
                Some(m) => failure(&self.table, m, tag, e, None),
                None => Error::db("the single transaction failed", e),
            });
        }
        let times = pipe.reply_times.take().unwrap_or_default();
        let mut executed = Vec::with_capacity(todo.len());
        let mut previous = times.first().copied();
        for (m, (end, sent)) in todo.iter().zip(&ends) {
            let at = times.get(*end).copied();
            let mut done = executed_from(m, Instant::now(), *sent);
            done.execution_ms = match (previous, at) {
                (Some(p), Some(a)) => {
                    u64::try_from(a.duration_since(p).as_millis()).unwrap_or(u64::MAX)
                }
                _ => 0,
            };
            previous = at.or(previous);
            let ms = i32::try_from(done.execution_ms).unwrap_or(i32::MAX);
            // One transaction: its single COMMIT must be synchronous.
            pipe.insert(client, &self.table, row_of(m, Some(ms), true, None), false);
            executed.push(done);
        }
        let inserts_from = pipe.completed;
        pipe.simple(client, Tag::Control, "COMMIT".into());
        pipe.drain(0).await;
        if let Some((tag, e)) = pipe.first_error.take() {
            // The history rows were queued in migration order after the statements.
            let m = todo
                .get(pipe.first_error_at.saturating_sub(inserts_from))
                .or(todo.last())
                .copied();
            return Err(match m {
                Some(m) => failure(&self.table, m, tag, e, None),
                None => Error::db("the single transaction failed", e),
            });
        }
        for e in &executed {
            on_event(Event::Applied(e));
        }
        Ok(executed)
    }

    /// Statement by statement, each its own implicit transaction. With
    /// `resume`, first checks that the statements the failed run applied are
    /// unchanged, then continues at the one that failed.
    async fn apply_no_transaction(
        &self,
        client: &Client,
        m: &Migration,
        resume: Option<&Resumable>,
        async_commit: bool,
    ) -> Result<Executed, Error> {
        let start = Instant::now();
        let skip = resume.map_or(0, |r| r.statement_hashes.len());
        // Read once: a file up to CHECK_FIRST_LIMIT is checked against its
        // checksum before the first statement is sent.
        let mut reader = m.open_up_checked()?;
        let mut chunker = Chunker::new(&mut reader, start_of(m));
        let mut hashes: Vec<String> = Vec::new();
        while let Some(chunk) = chunker.next_chunk(0).map_err(|e| Error::io(&m.script, e))? {
            if hashes.len() < skip {
                // Before anything runs: the statements already applied must be unchanged.
                let hash = statement_hash(&chunk.text);
                if let Some(r) = resume {
                    check_applied_statement(m, r, hashes.len(), &chunk, &hash)?;
                }
                hashes.push(hash);
                continue;
            }
            if let Err(e) = client.batch_execute(&chunk.text).await {
                let ms = i32::try_from(start.elapsed().as_millis()).unwrap_or(i32::MAX);
                let progress = serde_json::json!({
                    "statements_succeeded": hashes.len(),
                    "statement_hashes": hashes,
                    "failed_statement_line": chunk.line,
                });
                let succeeded = hashes.len();
                let recorded = history::insert(
                    client,
                    &self.table,
                    &row_of(m, Some(ms), false, Some(progress)),
                )
                .await;
                let invalid_index = invalid_index_left_by(client, &chunk.text).await;
                let mut err = failure(
                    &self.table,
                    m,
                    Tag::Statement(Box::new(chunk)),
                    e,
                    Some(succeeded),
                );
                if let Error::Sql(s) = &mut err {
                    let mut next = String::new();
                    if let Some(index) = &invalid_index {
                        next.push_str(&format!(
                            "the failed CREATE INDEX CONCURRENTLY left the INVALID index {index}; \
                             drop it with `DROP INDEX CONCURRENTLY IF EXISTS {index};` before running it again\n  "
                        ));
                    }
                    next.push_str(&match recorded {
                        Ok(()) => format!(
                            "recorded as failed; fix {}, then run `strata migrate --resume` to continue at the failed \
                             statement, or `strata repair` to remove the failed row and re-run the whole file",
                            m.script
                        ),
                        Err(_) => format!(
                            "the failed run could not be recorded in {}; fix {} and re-run",
                            self.table, m.script
                        ),
                    });
                    s.invalid_index = invalid_index;
                    s.next_step = Some(next);
                }
                return Err(err);
            }
            hashes.push(statement_hash(&chunk.text));
        }
        if hashes.len() < skip {
            // Nothing ran: the file is shorter than what the failed run applied.
            return Err(resume_refused(
                m,
                format!(
                    "the file now has {} statement(s), fewer than the {skip} already applied",
                    hashes.len()
                ),
            ));
        }
        drop(chunker);
        // A file too large to check first was hashed as it ran: record what ran.
        let ran = reader.finish()?;
        let ms = i32::try_from(start.elapsed().as_millis()).unwrap_or(i32::MAX);
        let mut row = row_of(m, Some(ms), true, None);
        row.checksum = Some(ran.to_string());
        history::insert_with(client, &self.table, &row, async_commit)
            .await
            .map_err(|e| {
                Error::db(
                    format!(
                        "{} ran, but recording it in {} failed",
                        m.script, self.table
                    ),
                    e,
                )
            })?;
        if ran != m.checksum {
            return Err(Error::ChangedWhileRunning {
                script: m.script.clone(),
                applied: true,
            });
        }
        Ok(executed_from(m, start, hashes.len() - skip))
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
        version: m.version.as_ref().map(ToString::to_string),
        description: m.description.clone(),
        kind: match m.kind {
            MigrationKind::Versioned => RowKind::Versioned,
            MigrationKind::Repeatable => RowKind::Repeatable,
        },
        script: m.script.clone(),
        checksum: Some(m.checksum.to_string()),
        execution_ms,
        success,
        progress,
    }
}

/// Runs the up part of `m` in one transaction together with the history row
/// `row`, in one round trip when it fits in flight. `rollback` uses it for
/// down parts too (with `m` standing for the down script and an `undo` row).
pub(crate) async fn run_in_transaction(
    client: &Client,
    table: &TableName,
    m: &Migration,
    row: NewRow,
    async_commit: bool,
) -> Result<Executed, Error> {
    run_in_transaction_creating(client, table, m, row, async_commit, None).await
}

/// [`run_in_transaction`], first running `create_history` (the history
/// table's creation) in the same transaction: a first
/// run on a fresh database then pays one commit, not two, and a failed
/// first migration leaves no empty history table behind.
async fn run_in_transaction_creating(
    client: &Client,
    table: &TableName,
    m: &Migration,
    row: NewRow,
    async_commit: bool,
    create_history: Option<String>,
) -> Result<Executed, Error> {
    let start = Instant::now();
    let mut pipe = Pipeline::default();
    pipe.simple(client, Tag::Control, "BEGIN".into());
    if let Some(sql) = create_history {
        pipe.simple(client, Tag::CreateHistory, sql);
    }
    let sent = match push_statements(client, m, &mut pipe).await {
        Ok(n) => n,
        Err(e) => {
            pipe.simple(client, Tag::Control, "ROLLBACK".into());
            pipe.drain(0).await;
            return Err(e);
        }
    };
    if pipe.failed() {
        pipe.simple(client, Tag::Control, "ROLLBACK".into());
    } else {
        pipe.insert(client, table, row, async_commit);
        pipe.simple(client, Tag::Control, "COMMIT".into());
    }
    pipe.drain(0).await;
    if let Some((tag, e)) = pipe.first_error.take() {
        return Err(failure(table, m, tag, e, None));
    }
    Ok(executed_from(m, start, sent))
}

/// Runs the up part of `m` statement by statement (no transaction), then
/// inserts `row`. Used by `rollback` for a no-transaction down part; a failure
/// says how many statements succeeded and records nothing.
pub(crate) async fn run_statements(
    client: &Client,
    table: &TableName,
    m: &Migration,
    row: NewRow,
) -> Result<Executed, Error> {
    let start = Instant::now();
    let mut reader = m.open_up_checked()?;
    let mut chunker = Chunker::new(&mut reader, start_of(m));
    let mut done = 0;
    while let Some(chunk) = chunker.next_chunk(0).map_err(|e| Error::io(&m.script, e))? {
        if let Err(e) = client.batch_execute(&chunk.text).await {
            return Err(failure(
                table,
                m,
                Tag::Statement(Box::new(chunk)),
                e,
                Some(done),
            ));
        }
        done += 1;
    }
    drop(chunker);
    let ran = reader.finish()?;
    history::insert(client, table, &row).await.map_err(|e| {
        Error::db(
            format!("{} ran, but recording it in {table} failed", m.script),
            e,
        )
    })?;
    if ran != m.checksum {
        return Err(Error::ChangedWhileRunning {
            script: m.script.clone(),
            applied: true,
        });
    }
    Ok(executed_from(m, start, done))
}

/// Reads `m`'s statements and queues them; returns how many were queued.
/// Stops early (without error) when the pipeline reports a failure.
async fn push_statements<'a>(
    client: &'a Client,
    m: &Migration,
    pipe: &mut Pipeline<'a>,
) -> Result<usize, Error> {
    let mut reader = m.open_up()?;
    let mut chunker = Chunker::new(&mut reader, start_of(m));
    let mut sent = 0;
    while let Some(chunk) = chunker.next_chunk(0).map_err(|e| Error::io(&m.script, e))? {
        if crate::sql::is_transaction_control(&chunk.text) {
            return Err(Error::TransactionControl {
                script: m.script.clone(),
                line: chunk.line,
                column: chunk.column,
                statement: first_words(&chunk.text),
            });
        }
        pipe.simple(client, Tag::Statement(Box::new(chunk)), String::new());
        sent += 1;
        pipe.drain(MAX_IN_FLIGHT).await;
        if pipe.failed() {
            // The transaction rolls back anyway.
            return Ok(sent);
        }
    }
    drop(chunker);
    // What commits must be what was hashed: the caller rolls back on an error.
    reader.verify()?;
    Ok(sent)
}

/// Refuses to resume when statement `i` (already applied by the failed run)
/// has changed since.
fn check_applied_statement(
    m: &Migration,
    r: &Resumable,
    i: usize,
    chunk: &Chunk,
    hash: &str,
) -> Result<(), Error> {
    if r.statement_hashes
        .get(i)
        .is_some_and(|expected| expected != hash)
    {
        return Err(resume_refused(
            m,
            format!(
                "statement {} (line {}) was already applied, and it has changed since: `{}`",
                i + 1,
                chunk.line,
                first_line(&chunk.text)
            ),
        ));
    }
    Ok(())
}

fn resume_refused(m: &Migration, reason: String) -> Error {
    Error::ResumeRefused {
        script: m.script.clone(),
        reason,
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

/// After a failed statement: if it was `CREATE INDEX CONCURRENTLY`, the
/// index it left behind when PostgreSQL marked it INVALID (see
/// <https://www.postgresql.org/docs/current/sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY>).
async fn invalid_index_left_by(client: &Client, statement: &str) -> Option<String> {
    let (name, table) = concurrent_index(statement)?;
    // Named: that index. Unnamed (PostgreSQL chose the name): the invalid
    // index on the table, newest first.
    let rows = client
        .query_typed(
            "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_index i \
             JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE NOT i.indisvalid AND CASE WHEN $1::text IS NOT NULL THEN i.indexrelid = to_regclass($1) \
             ELSE i.indrelid = to_regclass($2) END ORDER BY c.oid DESC LIMIT 1",
            &[(&name, Type::TEXT), (&table, Type::TEXT)],
        )
        .await
        .ok()?;
    rows.first().and_then(|r| r.try_get(0).ok())
}

/// For `CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT EXISTS] [name] ON [ONLY] table …`:
/// the index name as written (None when omitted) and the table.
fn concurrent_index(statement: &str) -> Option<(Option<String>, String)> {
    let words: Vec<&str> = statement.split_whitespace().collect();
    let upper = |i: usize| words.get(i).map(|w| w.to_ascii_uppercase());
    let mut i = 0;
    let expect = |w: &str, i: &mut usize| {
        if upper(*i).as_deref() == Some(w) {
            *i += 1;
            true
        } else {
            false
        }
    };
    if !expect("CREATE", &mut i) {
        return None;
    }
    expect("UNIQUE", &mut i);
    if !(expect("INDEX", &mut i) && expect("CONCURRENTLY", &mut i)) {
        return None;
    }
    if upper(i).as_deref() == Some("IF") {
        i += 3;
    }
    let name = if upper(i).as_deref() == Some("ON") {
        None
    } else {
        let n = (*words.get(i)?).to_owned();
        i += 1;
        Some(n)
    };
    if !expect("ON", &mut i) {
        return None;
    }
    expect("ONLY", &mut i);
    let table = words.get(i)?.split('(').next()?.to_owned();
    Some((name, table))
}

fn failure(
    table: &TableName,
    m: &Migration,
    tag: Tag,
    e: tokio_postgres::Error,
    succeeded: Option<usize>,
) -> Error {
    let Some(db) = e.as_db_error() else {
        return Error::db(format!("{}: the connection failed", m.script), e);
    };
    let mut err = SqlError {
        script: m.script.clone(),
        path: crate::source::Migrations::path_of(m),
        line: None,
        column: None,
        line_text: None,
        code: db.code().code().to_owned(),
        message: db.message().to_owned(),
        detail: db.detail().map(str::to_owned),
        hint: db.hint().map(str::to_owned),
        context: db.where_().map(str::to_owned),
        statements_succeeded: succeeded,
        next_step: None,
        invalid_index: None,
    };
    match tag {
        Tag::Statement(chunk) => {
            let loc = Location {
                offset: chunk.offset,
                line: chunk.line,
                column: chunk.column,
            };
            let pos = match db.position() {
                Some(ErrorPosition::Original(p)) => crate::sql::locate(&chunk.text, loc, *p),
                _ => None,
            }
            .or_else(|| crate::sql::locate(&chunk.text, loc, 1));
            if let Some(p) = pos {
                err.line = Some(p.line);
                err.column = Some(p.column);
                err.line_text = Some(p.line_text);
            }
            if let Some(ErrorPosition::Internal { position, query }) = db.position() {
                let inner = format!("in the internal query at character {position}: {query}");
                err.context = Some(match err.context.take() {
                    Some(c) => format!("{c}\n{inner}"),
                    None => inner,
                });
            }
        }
        Tag::Insert => {
            return Error::db(
                format!(
                    "{} ran, but recording it in {} failed; it was rolled back",
                    m.script, table
                ),
                e,
            );
        }
        Tag::CreateHistory => {
            return Error::db(
                format!(
                    "cannot create the history table {table}; {} was not run",
                    m.script
                ),
                e,
            );
        }
        Tag::Control => {}
    }
    Error::Sql(Box::new(err))
}

fn start_of(m: &Migration) -> Location {
    Location {
        offset: m.up.start,
        line: m.up.line,
        column: 1,
    }
}

fn first_words(s: &str) -> String {
    s.split_whitespace().take(2).collect::<Vec<_>>().join(" ")
}

fn statement_hash(text: &str) -> String {
    let d = Sha256::digest(text.replace("\r\n", "\n").as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

fn executed_from(m: &Migration, start: Instant, statements: usize) -> Executed {
    Executed {
        version: m.version.as_ref().map(ToString::to_string),
        script: m.script.clone(),
        description: m.description.clone(),
        kind: m.kind.as_str(),
        execution_ms: u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX),
        statements,
        no_transaction: m.no_transaction(),
    }
}

/// What a queued request was, to map its error.
enum Tag {
    Control,
    Statement(Box<Chunk>),
    Insert,
    CreateHistory,
}

type Step<'a> = Pin<Box<dyn Future<Output = (Tag, Result<(), tokio_postgres::Error>)> + Send + 'a>>;

/// Requests written to the connection without waiting for replies.
///
/// tokio-postgres sends a request when its future is first polled and keeps
/// replies in order, so polling every queued future before awaiting the first
/// reply puts them all on the wire in one flush.
#[derive(Default)]
struct Pipeline<'a> {
    queue: FuturesOrdered<Step<'a>>,
    first_error: Option<(Tag, tokio_postgres::Error)>,
    /// Requests queued so far; a request's number is its position in this count.
    pushed: usize,
    /// Replies received so far.
    completed: usize,
    /// The number of the request that failed first.
    first_error_at: usize,
    /// When each reply arrived, by request number (single-transaction mode).
    reply_times: Option<Vec<Instant>>,
}

impl<'a> Pipeline<'a> {
    fn simple(&mut self, client: &'a Client, tag: Tag, sql: String) {
        self.pushed += 1;
        self.queue.push_back(Box::pin(async move {
            let text = match &tag {
                Tag::Statement(c) => c.text.as_str(),
                _ => sql.as_str(),
            };
            let r = client.batch_execute(text).await;
            (tag, r)
        }));
    }

    fn insert(
        &mut self,
        client: &'a Client,
        table: &'a TableName,
        row: NewRow,
        async_commit: bool,
    ) {
        self.pushed += 1;
        self.queue.push_back(Box::pin(async move {
            let r = history::insert_with(client, table, &row, async_commit).await;
            (Tag::Insert, r)
        }));
    }

    fn failed(&self) -> bool {
        self.first_error.is_some()
    }

    /// Awaits replies until at most `max_in_flight` remain; keeps the first error.
    async fn drain(&mut self, max_in_flight: usize) {
        while self.queue.len() > max_in_flight {
            let Some((tag, r)) = self.queue.next().await else {
                break;
            };
            if let Some(times) = &mut self.reply_times {
                times.push(Instant::now());
            }
            if let Err(e) = r
                && self.first_error.is_none()
            {
                self.first_error = Some((tag, e));
                self.first_error_at = self.completed;
            }
            self.completed += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_index_of_create_index_concurrently() {
        assert_eq!(
            concurrent_index(
                "create unique index concurrently if not exists u_email on only public.users (email);"
            ),
            Some((Some("u_email".into()), "public.users".into()))
        );
        assert_eq!(
            concurrent_index("CREATE INDEX CONCURRENTLY ON t(x)"),
            Some((None, "t".into()))
        );
        assert_eq!(concurrent_index("CREATE INDEX i ON t (x)"), None);
        assert_eq!(concurrent_index("SELECT 1"), None);
    }
}
