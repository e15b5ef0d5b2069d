//! [`Migrator::apply_uncommitted`]: what a run on an empty database would
//! apply, in one transaction left open — `drift` builds its expected schema
//! that way in a database it must leave as it found it (see
//! [`crate::shadow`]), then reads it and rolls back.

use tokio_postgres::Client;

use super::single::{Finish, refuse_no_transaction, run_single_transaction};
use super::{Migrator, SessionReset};
use crate::error::Error;
use crate::history;

impl Migrator<'_> {
    /// Applies, in the transaction open on `client` (the caller's
    /// `BEGIN`), leaving it open, what a run on an empty database would: the history table first (with its
    /// schema), then every migration the plan over an empty history
    /// applies, each from a session reset to strata's settings, as
    /// `--single-transaction` runs them — but no history row and no
    /// COMMIT. The caller reads what they made, then sends `ROLLBACK`;
    /// after an error the transaction is already rolled back.
    ///
    /// # Errors
    ///
    /// [`Error::Refused`] when the plan has blockers;
    /// [`Error::Conflict`] for a no-transaction migration (it cannot run
    /// inside a transaction); a migration's failure as `--single-transaction`
    /// reports it.
    pub(crate) async fn apply_uncommitted(&self, client: &Client) -> Result<(), Error> {
        let plan = self.plan_of(&[]);
        let todo = self.todo_of(&plan)?;
        refuse_no_transaction(&todo)?;
        let reset = SessionReset::new(&self.options.session);
        // The first migration starts from the same session as the others.
        let create = history::create_in_transaction_sql(&self.table)
            .unwrap_or_else(|| history::create_sql(&self.table, true));
        let prelude = format!("{}; {create}", reset.sql());
        run_single_transaction(
            client,
            &self.table,
            &todo,
            &reset,
            None,
            self.options.placeholders.as_ref(),
            &mut |_| {},
            Finish::LeaveOpen { prelude: &prelude },
        )
        .await
        .map(drop)
    }
}
