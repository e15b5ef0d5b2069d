//! Building `drift`'s expected schema in place: in one transaction on the
//! shadow server's own database, rolled back afterwards (see the
//! [module docs](super)).

use tokio_postgres::Client;

use super::{ShadowHost, ShadowServer, retry_cancelled, work_first};
use crate::error::Error;

impl ShadowHost {
    /// The database the server's URL names, when a check may build its
    /// expected schema there instead of in a scratch database: in one
    /// transaction, rolled back afterwards, so that nothing is created,
    /// committed or left behind — not even by kill -9, after which the
    /// server rolls back — and no `CREATE DATABASE` (some 300 files) is
    /// paid. Only when that database holds nothing a new database would
    /// not (see `shadow/pristine.sql`) and no other strata run is building there
    /// (an advisory lock, held until [`InPlace::run`] ends). `None` when
    /// not — also when the check itself fails: the scratch database is
    /// the way that always works.
    ///
    /// ```no_run
    /// # async fn f(project: &strata::config::Project, env: &strata::config::ResolvedEnv) -> Result<(), strata::Error> {
    /// let host = strata::shadow::Shadow::connect_server(project, env, &project.databases()[0]).await?;
    /// match host.in_place().await {
    ///     Some(place) => println!("in a rolled-back transaction in {}", place.database()),
    ///     None => println!("in a scratch database"),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn in_place(&self) -> Option<InPlace<'_>> {
        // BEGIN and the check travel together; the lock is the
        // transaction's, so it ends with it — on the ROLLBACK, on a lost
        // connection, behind a transaction-mode pooler too.
        let begin = self.admin.batch_execute("BEGIN");
        let check = self.admin.query_typed_one(
            PRISTINE_SQL,
            &[(&IN_PLACE_LOCK, tokio_postgres::types::Type::INT8)],
        );
        let (begun, row) = futures_util::future::join(begin, check).await;
        let usable = begun.ok().and(row.ok()).and_then(|row| {
            let locked: bool = row.try_get(0).ok()?;
            let database: String = row.try_get(1).ok()?;
            let pristine: bool = row.try_get(2).ok()?;
            (locked && pristine).then_some(database)
        });
        let Some(database) = usable else {
            let _ = self.admin.batch_execute("ROLLBACK").await;
            return None;
        };
        Some(InPlace {
            client: &self.admin,
            database,
            server: &self.server,
        })
    }
}

/// The transaction-level advisory lock, taken on the server's own database,
/// of the run that builds its expected schema there
/// ([`ShadowHost::in_place`]): one such run at a time, the others make a
/// scratch database. (Advisory locks are per database: this key meets only
/// other strata runs there.)
const IN_PLACE_LOCK: i64 = 0x7374_7261_7461_5348;

/// Whether the database is pristine (see the file's comment), with the
/// lock of [`IN_PLACE_LOCK`] tried in the same statement.
const PRISTINE_SQL: &str = include_str!("pristine.sql");

/// The server's own database, where a check builds its expected schema in
/// a transaction it rolls back ([`ShadowHost::in_place`]). Consume it with
/// [`InPlace::run`].
pub struct InPlace<'a> {
    client: &'a Client,
    database: String,
    server: &'a ShadowServer,
}

impl std::fmt::Debug for InPlace<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InPlace")
            .field("database", &self.database)
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

impl InPlace<'_> {
    /// The database (`postgres` on the local cluster).
    pub fn database(&self) -> &str {
        &self.database
    }

    /// Where it is.
    pub fn server(&self) -> &ShadowServer {
        self.server
    }

    /// Runs `work` on the connection to the database, inside the
    /// transaction [`ShadowHost::in_place`] opened, then rolls it back
    /// (which releases the lock), after a failure too. The work's error wins over a failed rollback (a
    /// session that cannot roll back is gone, and the server rolls back
    /// for it).
    ///
    /// # Errors
    ///
    /// The work's error; else [`Error::Db`] when the rollback fails.
    ///
    /// ```no_run
    /// # async fn f(host: strata::shadow::ShadowHost) -> Result<(), strata::Error> {
    /// if let Some(place) = host.in_place().await {
    ///     let n: i64 = place
    ///         .run(async |client| {
    ///             client.batch_execute("CREATE TABLE t (id int)").await.ok();
    ///             let row = client.query_one("SELECT count(*) FROM pg_class", &[]).await;
    ///             row.map(|r| r.get(0)).map_err(|_| strata::Error::Internal { what: "example" })
    ///         })
    ///         .await?;
    ///     // t is gone again: rolled back.
    /// #   let _ = n;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn run<T>(
        self,
        work: impl AsyncFnOnce(&Client) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let result = work(self.client).await;
        let ended = retry_cancelled(self.client, "ROLLBACK").await.map_err(|e| {
            Error::db(
                format!(
                    "cannot roll back the replay in database {} on {}",
                    self.database, self.server
                ),
                e,
            )
        });
        work_first(result, ended)
    }
}
