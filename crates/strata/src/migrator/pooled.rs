//! One migration behind a pooler (SPEC §4.2 step 1): its transaction first
//! takes the migration lock (`pg_try_advisory_xact_lock`, polled up to the
//! lock wait, see [`crate::lock`]), then re-reads the history inside the
//! same transaction and plans again: a migration another runner applied
//! meanwhile is skipped (rolled back, nothing sent), and a history table
//! another runner created is not created again. Everything runs in that
//! one transaction, so the pooler keeps it on one backend, and COMMIT or
//! ROLLBACK releases the lock there.

use tokio_postgres::Client;

use super::existing::{self, Existing};
use super::script::Script;
use super::session::SessionReset;
use super::transaction::run_in_open_transaction;
use super::{Event, Executed, Migrator, Report};
use crate::error::{Error, LockHolder};
use crate::history::{self, AppliedMigration, HistoryState, NewRow};
use crate::lock::{begin_locked, lock_key};
use crate::migration::Migration;
use crate::plan::Plan;

impl Migrator<'_> {
    /// [`existing::check`] for a run that found no history table. Behind a
    /// pooler the history was read without a lock, so a refusal may come
    /// from another run that has since created it (and applied
    /// migrations): then the history as it is now comes back instead.
    pub(super) async fn first_run_check(
        &self,
        client: &Client,
        pooled: bool,
    ) -> Result<(Existing, Option<Vec<AppliedMigration>>), Error> {
        match existing::check(client, &self.table, &self.options.first_run).await {
            Ok(found) => Ok((found, None)),
            Err(e) if pooled => match history::read(client, &self.table).await? {
                Some(rows) => Ok((Existing::Empty, Some(rows))),
                None => Err(e),
            },
            Err(e) => Err(e),
        }
    }

    /// Runs `m` in its own locked transaction; `None` when another runner
    /// applied it meanwhile (nothing ran).
    pub(super) async fn run_pooled(
        &self,
        client: &Client,
        m: &Migration,
        script: &Script<'_>,
        row: NewRow,
        async_commit: bool,
        on_event: &mut dyn FnMut(Event<'_>),
    ) -> Result<Option<usize>, Error> {
        let key = lock_key(&self.table);
        let mut on_wait = |h: &LockHolder| on_event(Event::LockWaiting(h));
        begin_locked(client, key, &self.options.session, &mut on_wait).await?;
        match self.still_pending(client, m, on_event).await {
            Ok(true) => {}
            Ok(false) => {
                let _ = client.batch_execute("ROLLBACK").await;
                return Ok(None);
            }
            Err(e) => {
                let _ = client.batch_execute("ROLLBACK").await;
                return Err(e);
            }
        }
        let reset = SessionReset::local(&self.options.session);
        run_in_open_transaction(client, &self.table, script, row, async_commit, &reset)
            .await
            .map(Some)
    }

    /// The report of a run behind a pooler: the states as the history
    /// holds them now (other runs may have applied part of the plan), the
    /// planned states after what ran if it cannot be read. `history_created`:
    /// there was no history table when the run began.
    pub(super) async fn pooled_report(
        &self,
        client: &Client,
        plan: Plan,
        executed: Vec<Executed>,
        history_created: bool,
    ) -> Report {
        let plan = match history::read(client, &self.table).await {
            Ok(Some(rows)) => self.plan_of(&rows),
            _ => plan.after_applied(
                executed.iter().map(|e| {
                    (
                        e.script.as_str(),
                        i32::try_from(e.execution_ms).unwrap_or(i32::MAX),
                    )
                }),
                history::Timestamp::now(),
            ),
        };
        Report {
            plan,
            history_created,
            executed,
            dry_run: false,
        }
    }

    /// Under the lock: whether `m` is still to apply, creating the history
    /// table (in the transaction) if no runner has yet.
    async fn still_pending(
        &self,
        client: &Client,
        m: &Migration,
        on_event: &mut dyn FnMut(Event<'_>),
    ) -> Result<bool, Error> {
        // A missing table fails the read, and with it the transaction: a
        // savepoint (in the same round trip) keeps the lock.
        let ctx = |e| Error::db("cannot read the history under the lock", e);
        let (saved, read) = tokio::join!(
            client.batch_execute("SAVEPOINT strata_history"),
            history::read_state(client, &self.table)
        );
        saved.map_err(ctx)?;
        let rows = match read? {
            HistoryState::Present(rows) => rows,
            HistoryState::Missing { schema_exists } => {
                client
                    .batch_execute("ROLLBACK TO SAVEPOINT strata_history")
                    .await
                    .map_err(ctx)?;
                history::create(client, &self.table, schema_exists).await?;
                on_event(Event::HistoryCreated(&self.table));
                Vec::new()
            }
        };
        let list = &self.migrations.list;
        let plan = Plan::new(list, &rows, &self.options.plan);
        Ok(plan
            .to_apply
            .iter()
            .any(|i| list.get(*i).is_some_and(|x| x.script == m.script)))
    }
}

/// What cannot run behind a pooler, before anything runs: a no-transaction
/// migration (or a resumed one), or `--single-transaction`.
pub(super) fn refuse(todo: &[&Migration], single: bool, resumed: &[&str]) -> Result<(), Error> {
    if single {
        return Err(Error::Pooled {
            what: "migrate --single-transaction".to_owned(),
        });
    }
    if let Some(m) = todo
        .iter()
        .find(|m| m.no_transaction() || resumed.contains(&m.script.as_str()))
    {
        return Err(Error::Pooled {
            what: format!("{} (a no-transaction migration)", m.script),
        });
    }
    Ok(())
}
