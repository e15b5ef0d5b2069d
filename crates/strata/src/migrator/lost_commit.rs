//! A connection lost after a transactional migration's `COMMIT` may have
//! been sent (SPEC §4.2 step 5): the migrator turns the driver's "connection
//! closed" into [`Error::ConnectionLost`], and
//! [`Migrator::settle_lost_commit`], given a new connection, reads the
//! history to say whether that migration committed.
//!
//! All of a migration's requests, `COMMIT` included, are on the wire before
//! any reply is read, so a connection that closes during one may have
//! committed it: only the history row (which commits with the migration)
//! can tell.

use tokio_postgres::Client;

use super::Migrator;
use crate::error::Error;
use crate::history::{self, RowKind};

/// `err` as [`Error::ConnectionLost`] when the connection of a
/// transactional migration `script` is gone; otherwise unchanged.
pub(super) fn classify(client: &Client, script: &str, err: Error) -> Error {
    match err {
        Error::Db { source, .. } if client.is_closed() || source.is_closed() => {
            Error::ConnectionLost {
                script: script.to_owned(),
                committed: None,
                source,
            }
        }
        e => e,
    }
}

impl Migrator<'_> {
    /// After a run that failed with [`Error::ConnectionLost`] (committed
    /// unknown): reads the history on `client`, a new connection, and
    /// returns the error saying whether that migration committed (its
    /// latest history row is a successful run of the file as it is).
    /// Any other error, or a history that cannot be read, comes back as it
    /// was.
    ///
    /// ```no_run
    /// use strata::{Migrator, TableName};
    /// # async fn f(url: &str) -> Result<(), Box<dyn std::error::Error>> {
    /// # let connect = async || -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    /// #     let (c, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    /// #     tokio::spawn(conn);
    /// #     Ok(c)
    /// # };
    /// let migrations = strata::Migrations::from_dir("migrations".as_ref())?;
    /// let migrator = Migrator::new(&migrations, TableName::default());
    /// let client = connect().await?;
    /// if let Err(mut err) = migrator.run(&client, &mut |_| {}).await {
    ///     if err.is_commit_unknown() {
    ///         // Once, on a new connection.
    ///         err = migrator.settle_lost_commit(err, &connect().await?).await;
    ///     }
    ///     eprintln!("{err}"); // "...: it committed (its history row is there)"
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn settle_lost_commit(&self, err: Error, client: &Client) -> Error {
        let Error::ConnectionLost { script, .. } = err.without_report() else {
            return err;
        };
        let Ok(Some(rows)) = history::read(client, &self.table).await else {
            return err;
        };
        let file = self.migrations.list.iter().find(|m| &m.script == script);
        let latest = rows.iter().rev().find(|r| &r.script == script);
        let committed = match (latest, file) {
            (Some(row), Some(m)) => {
                row.success
                    && matches!(row.kind, RowKind::Versioned | RowKind::Repeatable)
                    && row.checksum == Some(m.checksum)
                    && (m.version.is_none() || row.version == m.version)
            }
            _ => false,
        };
        let settle = |e: Error| match e {
            Error::ConnectionLost { script, source, .. } => Error::ConnectionLost {
                script,
                committed: Some(committed),
                source,
            },
            e => e,
        };
        match err {
            Error::Partial(p) => p.map_error(settle),
            e => settle(e),
        }
    }
}
