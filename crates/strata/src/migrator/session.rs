//! Each migration runs as if it had its own session (SPEC §4.2 step 4): what
//! one migration changes in the session — `SET`, `set_config(…, false)`,
//! `SET ROLE`, `SET SESSION AUTHORIZATION`, `search_path` — reaches neither
//! the next migration nor the history write, and strata's own
//! `lock_timeout` / `statement_timeout` hold again for the next one.
//!
//! [`SessionReset`] is one simple-query message sent after a migration's
//! last statement and before its history row, pipelined with them (no extra
//! round trip in a transaction): `RESET ROLE; RESET SESSION AUTHORIZATION;
//! RESET ALL` (RESET ALL leaves the role and session authorization alone),
//! then one `SELECT set_config(…)` of strata's settings. RESET ALL goes back
//! to what a fresh session of the same connection would have: the server's
//! configuration, `ALTER ROLE`/`ALTER DATABASE … SET` and the connection's
//! `options` — strata's settings are then laid over that, as at the start
//! of the run. Inside a transaction the reset is transactional like the
//! changes it undoes: a migration that rolls back takes its changes and
//! the reset with it. See
//! <https://www.postgresql.org/docs/current/sql-reset.html>.
//!
//! The values are strata's own (`on`, a
//! [`Timeout`](crate::config::Timeout) rendered as digits and a unit),
//! written as escape-string literals so they read the same whatever
//! `standard_conforming_strings` says. One message rather than a simple and
//! an extended-protocol request saves the server a Parse and a Bind per
//! migration.

use tokio_postgres::Client;

use super::pipeline::{Pipeline, Tag};
use super::script::Script;
use crate::error::Error;
use crate::lock::Session;

/// Everything a migration may have changed in its session, undone.
const RESET_SQL: &str = "RESET ROLE; RESET SESSION AUTHORIZATION; RESET ALL";

/// How to give the next migration a session like a fresh one with
/// strata's settings (see the module docs).
#[derive(Debug, Clone)]
pub(crate) struct SessionReset {
    /// The whole reset: one simple-query message.
    sql: String,
}

impl SessionReset {
    /// The reset for a run with `session`'s timeouts.
    pub(crate) fn new(session: &Session) -> SessionReset {
        SessionReset::build(session, false)
    }

    /// The reset for a run behind a pooler: strata's timeouts are set again
    /// for the transaction only.
    pub(crate) fn local(session: &Session) -> SessionReset {
        SessionReset::build(session, true)
    }

    fn build(session: &Session, local: bool) -> SessionReset {
        let calls: Vec<String> = session
            .settings()
            .iter()
            .map(|(name, value)| {
                format!(
                    "pg_catalog.set_config({}, {}, {local})",
                    literal(name),
                    literal(value)
                )
            })
            .collect();
        let mut sql = RESET_SQL.to_owned();
        if !calls.is_empty() {
            sql.push_str("; SELECT ");
            sql.push_str(&calls.join(", "));
        }
        SessionReset { sql }
    }

    /// The reset as one simple-query message.
    pub(crate) fn sql(&self) -> &str {
        &self.sql
    }

    /// Queues the reset behind what `pipe` holds (a transaction's
    /// statements), before the history row.
    pub(super) fn queue<'a>(&'a self, client: &'a Client, pipe: &mut Pipeline<'a>) {
        pipe.simple(client, Tag::Control, self.sql.clone());
    }

    /// Runs the reset on its own (outside a transaction: after a
    /// no-transaction migration's last statement, before its history row).
    ///
    /// # Errors
    /// The server's, when a reset fails (the history row must then not be
    /// written as this session's).
    pub(crate) async fn run(&self, client: &Client, script: &Script<'_>) -> Result<(), Error> {
        client.batch_execute(&self.sql).await.map_err(|e| {
            Error::db(
                format!(
                    "{} ran, but resetting the session after it failed; it is not recorded",
                    script.name
                ),
                e,
            )
        })
    }
}

/// `value` as an escape-string literal (`E'…'`), quotes and backslashes
/// doubled: it means the same under either `standard_conforming_strings`.
fn literal(value: &str) -> String {
    format!("E'{}'", value.replace('\\', r"\\").replace('\'', "''"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::config::Timeout;

    #[test]
    fn one_message_reapplies_only_what_strata_sets() {
        let none = SessionReset::new(&Session {
            lock_timeout: None,
            ..Session::default()
        });
        assert_eq!(
            none.sql,
            "RESET ROLE; RESET SESSION AUTHORIZATION; RESET ALL; \
             SELECT pg_catalog.set_config(E'standard_conforming_strings', E'on', false)"
        );
        let both = SessionReset::local(&Session {
            statement_timeout: Some(Timeout::parse("15min").unwrap()),
            ..Session::default()
        });
        assert_eq!(
            both.sql,
            "RESET ROLE; RESET SESSION AUTHORIZATION; RESET ALL; \
             SELECT pg_catalog.set_config(E'standard_conforming_strings', E'on', true), \
             pg_catalog.set_config(E'lock_timeout', E'10s', true), \
             pg_catalog.set_config(E'statement_timeout', E'15min', true)"
        );
    }

    #[test]
    fn literals_survive_quotes_and_backslashes() {
        assert_eq!(literal("it's"), "E'it''s'");
        assert_eq!(literal(r"a\b"), r"E'a\\b'");
    }
}
