//! Each migration runs as if it had its own session (SPEC §4.2 step 4): what
//! one migration changes in the session — `SET`, `set_config(…, false)`,
//! `SET ROLE`, `SET SESSION AUTHORIZATION`, `search_path` — reaches neither
//! the next migration nor the history write, and strata's own
//! `lock_timeout` / `statement_timeout` hold again for the next one.
//!
//! [`SessionReset`] is two requests sent after a migration's last
//! statement and before its history row, pipelined with them (no extra
//! round trip in a transaction): `RESET ROLE; RESET SESSION AUTHORIZATION;
//! RESET ALL` (RESET ALL leaves the role and session authorization alone),
//! then strata's timeouts set again, values bound. RESET ALL goes back to
//! what a fresh session of the same connection would have: the server's
//! configuration, `ALTER ROLE`/`ALTER DATABASE … SET` and the connection's
//! `options` — strata's settings are then laid over that, as at the start
//! of the run. Inside a transaction the reset is transactional like the
//! changes it undoes: a migration that rolls back takes its changes and
//! the reset with it. See
//! <https://www.postgresql.org/docs/current/sql-reset.html>.

use tokio_postgres::Client;
use tokio_postgres::types::{ToSql, Type};

use super::pipeline::{Pipeline, Tag};
use super::script::Script;
use crate::error::Error;
use crate::lock::Session;

/// Everything a migration may have changed in its session, undone.
const RESET_SQL: &str = "RESET ROLE; RESET SESSION AUTHORIZATION; RESET ALL";

/// How to give the next migration a session like a fresh one with
/// strata's settings (see the module docs).
#[derive(Debug, Clone, Default)]
pub(crate) struct SessionReset {
    /// (setting, value) strata sets for the run, laid over the defaults.
    settings: Vec<(&'static str, String)>,
    /// Set for the transaction only (behind a pooler, where a session
    /// setting would stay on the pooled backend).
    local: bool,
}

impl SessionReset {
    /// The reset for a run with `session`'s timeouts.
    pub(crate) fn new(session: &Session) -> SessionReset {
        SessionReset {
            settings: session.settings(),
            local: false,
        }
    }

    /// The reset for a run behind a pooler: strata's timeouts are set again
    /// for the transaction only.
    pub(crate) fn local(session: &Session) -> SessionReset {
        SessionReset {
            local: true,
            ..SessionReset::new(session)
        }
    }

    /// How many requests [`queue`](Self::queue) adds to a pipeline.
    #[cfg(test)]
    pub(crate) fn requests(&self) -> usize {
        1 + usize::from(!self.settings.is_empty())
    }

    /// `SELECT set_config(…)` for strata's settings, if it has any.
    fn reapply_sql(&self) -> Option<String> {
        if self.settings.is_empty() {
            return None;
        }
        let calls: Vec<String> = self
            .settings
            .iter()
            .enumerate()
            .map(|(i, (name, _))| {
                format!(
                    "pg_catalog.set_config('{name}', ${}, {})",
                    i + 1,
                    self.local
                )
            })
            .collect();
        Some(format!("SELECT {}", calls.join(", ")))
    }

    fn params(&self) -> Vec<(&(dyn ToSql + Sync), Type)> {
        self.settings
            .iter()
            .map(|(_, value)| (value as &(dyn ToSql + Sync), Type::TEXT))
            .collect()
    }

    /// Queues the reset behind what `pipe` holds (a transaction's
    /// statements), before the history row.
    pub(super) fn queue<'a>(&'a self, client: &'a Client, pipe: &mut Pipeline<'a>) {
        pipe.simple(client, Tag::Control, RESET_SQL.into());
        if let Some(sql) = self.reapply_sql() {
            pipe.query(client, sql, self.params());
        }
    }

    /// Runs the reset on its own (outside a transaction: after a
    /// no-transaction migration's last statement, before its history row);
    /// both requests go out before either reply.
    ///
    /// # Errors
    /// The server's, when a reset fails (the history row must then not be
    /// written as this session's).
    pub(crate) async fn run(&self, client: &Client, script: &Script<'_>) -> Result<(), Error> {
        let mut pipe = Pipeline::default();
        self.queue(client, &mut pipe);
        pipe.drain(0).await;
        match pipe.first_error.take() {
            Some((_, e)) => Err(Error::db(
                format!(
                    "{} ran, but resetting the session after it failed; it is not recorded",
                    script.name
                ),
                e,
            )),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::config::Timeout;

    #[test]
    fn reapplies_only_what_strata_sets() {
        let none = SessionReset::new(&Session {
            lock_timeout: None,
            ..Session::default()
        });
        assert_eq!(
            none.reapply_sql().as_deref(),
            Some("SELECT pg_catalog.set_config('standard_conforming_strings', $1, false)")
        );
        assert_eq!(none.requests(), 2);
        let both = SessionReset::new(&Session {
            statement_timeout: Some(Timeout::parse("15min").unwrap()),
            ..Session::default()
        });
        assert_eq!(
            both.reapply_sql().as_deref(),
            Some(
                "SELECT pg_catalog.set_config('standard_conforming_strings', $1, false), \
                 pg_catalog.set_config('lock_timeout', $2, false), \
                 pg_catalog.set_config('statement_timeout', $3, false)"
            )
        );
        assert_eq!(both.requests(), 2);
    }
}
