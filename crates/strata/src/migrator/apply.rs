//! Applying under the lock: [`Migrator::run_locked`] plans against the
//! history read under the lock, handles a first run (the history table's
//! creation, `baseline_on_migrate`, the non-empty-database refusal), then
//! applies each pending migration in the way it needs — in a transaction
//! (with lock retries), outside one, behind a pooler, or all in one
//! transaction — and reports what it did, also when it fails partway.

use std::time::Instant;

use tokio_postgres::Client;

use super::existing::Existing;
use super::no_transaction::run_no_transaction;
use super::single::{Finish, refuse_no_transaction, run_single_transaction};
use super::{
    Event, Executed, Locked, Migrator, Report, Script, SessionReset, blockers, lost_commit, pooled,
    retry, row_of,
};
use crate::error::Error;
use crate::history::{self, HistoryState};
use crate::migration::Version;
use crate::notice::Notices;
impl Migrator<'_> {
    /// The second half of [`Migrator::run`]: plans against the history read
    /// by [`lock_and_read`](super::lock_and_read) (under the lock it still holds), applies, and
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
        if self.lint.is_some() {
            // Before the history table is created (or a baseline written).
            let plan = self.plan_of(&history);
            if plan.blockers.is_empty() {
                self.refuse_by_lint(&plan)?;
            }
        }
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
        let todo = self.todo_of(&plan)?;
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
            refuse_no_transaction(&todo)?;
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
                Finish::Commit,
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
