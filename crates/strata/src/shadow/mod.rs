//! The shadow database of `drift` and `roundtrip` (SPEC §11): where the
//! migration files are applied to build the schema they are expected to
//! produce — a uniquely named scratch database, created for one check and
//! dropped afterwards on every path, or, for `drift`, one transaction on
//! the server's own database, rolled back afterwards
//! ([`ShadowHost::in_place`]).
//!
//! Where it lives: on the server of the database's `shadow_url_env` when
//! that variable is set — the URL names a server and a database strata
//! connects to in order to create and drop its scratch database there
//! (like Prisma's shadow database; strata never commits anything into the
//! named database itself) — else on the project's embedded local cluster
//! (SPEC §6), started for the purpose whatever the environment's
//! `local_cluster` says. The live database's server is never touched.
//!
//! In place: when the named database (the local cluster's `postgres`) is
//! as a new one would be, `drift` replays there inside one transaction it
//! rolls back — nothing is created or committed, no `CREATE DATABASE` (some
//! 300 files from `template0`) is paid, and kill -9 leaves nothing either:
//! the server rolls the transaction back. One run at a time builds there
//! (a transaction-level advisory lock); the others, and every check the
//! one transaction cannot serve, use a scratch database.
//!
//! The scratch database is made from `template0`, so nothing a server's
//! `template1` holds shows up as a difference. It is dropped `WITH (FORCE)`
//! after the work, whether the work succeeded, failed or was interrupted
//! ([`crate::interrupt`]: the running statement is cancelled, the work
//! fails, and the drop still runs on the maintenance connection). A run
//! killed outright (kill -9) cannot drop it: on the local cluster the next
//! check drops such leftovers, those whose process is gone; on a
//! `shadow_url_env` server they stay (another machine's run may own the
//! name) and are dropped by hand.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tokio_postgres::Client;
use tokio_postgres::error::SqlState;

use crate::config::{
    ConfigError, DatabaseConfig, DbUrl, Libpq, MAINTENANCE_DATABASE, Project, ResolvedEnv,
};
use crate::connect::Endpoint;
use crate::error::Error;
use crate::history::quote_ident;

mod in_place;
mod orphans;

pub use in_place::InPlace;

/// How long connecting to the shadow server may wait (a local cluster
/// that has just started, a CI service container).
const CONNECT_WAIT: Duration = Duration::from_secs(10);

/// The prefix of every scratch database's name.
///
/// ```
/// assert_eq!(strata::shadow::PREFIX, "strata_shadow_");
/// ```
pub const PREFIX: &str = "strata_shadow_";

/// Where the scratch database was created.
///
/// ```
/// use strata::shadow::ShadowServer;
/// let s = ShadowServer::Url { var: "SHADOW_DATABASE_URL".into() };
/// assert_eq!(s.to_string(), "the server of SHADOW_DATABASE_URL");
/// assert_eq!(ShadowServer::LocalCluster { started: true }.to_string(), "the local cluster");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ShadowServer {
    /// The server of the URL in this variable (`shadow_url_env`).
    Url {
        /// The variable.
        var: String,
    },
    /// The project's local cluster; `started` when this run started it.
    LocalCluster {
        /// Whether it was started for this run.
        started: bool,
    },
}

impl std::fmt::Display for ShadowServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ShadowServer::Url { var } => write!(f, "the server of {var}"),
            ShadowServer::LocalCluster { .. } => f.write_str("the local cluster"),
        }
    }
}

/// A scratch database, created and connected to. Consume it with
/// [`Shadow::run`], which drops it afterwards on every path.
///
/// ```no_run
/// # async fn f(project: &strata::config::Project, env: &strata::config::ResolvedEnv) -> Result<(), strata::Error> {
/// let db = &project.databases()[0];
/// let shadow = strata::shadow::Shadow::create(project, env, db).await?;
/// println!("scratch database {} on {}", shadow.name(), shadow.server());
/// let tables = shadow
///     .run(async |client| {
///         let row = client.query_one("SELECT count(*) FROM pg_class", &[]).await;
///         row.map(|r| r.get::<_, i64>(0)).map_err(|e| strata::Error::Internal { what: "query" })
///     })
///     .await?;
/// # let _ = tables; Ok(()) }
/// ```
pub struct Shadow {
    admin: Client,
    client: Client,
    endpoint: Endpoint,
    name: String,
    server: ShadowServer,
}

impl std::fmt::Debug for Shadow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shadow")
            .field("endpoint", &self.endpoint)
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

/// The server a scratch database is made on, connected to and nothing
/// created yet: dropping it leaves nothing behind. [`ShadowHost::create`]
/// makes the [`Shadow`].
///
/// ```no_run
/// # async fn f(project: &strata::config::Project, env: &strata::config::ResolvedEnv) -> Result<(), strata::Error> {
/// let db = &project.databases()[0];
/// // Connecting to the live database and to the shadow server at once:
/// // when one fails, the other is dropped, and nothing was created.
/// let host = strata::shadow::Shadow::connect_server(project, env, db).await?;
/// let shadow = host.create().await?;
/// # let _ = shadow; Ok(()) }
/// ```
pub struct ShadowHost {
    admin: Client,
    server_url: DbUrl,
    libpq: Libpq,
    server: ShadowServer,
}

impl std::fmt::Debug for ShadowHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShadowHost")
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

impl Shadow {
    /// Creates a scratch database for `db` (see the module docs for
    /// where) and connects to it: [`Shadow::connect_server`], then
    /// [`ShadowHost::create`].
    ///
    /// # Errors
    ///
    /// As those two.
    pub async fn create(
        project: &Project,
        env: &ResolvedEnv,
        db: &DatabaseConfig,
    ) -> Result<Shadow, Error> {
        Shadow::connect_server(project, env, db)
            .await?
            .create()
            .await
    }

    /// Connects to the server the scratch database for `db` is to be made
    /// on (starting the local cluster when that is where), creating
    /// nothing.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the `shadow_url_env` URL does not parse;
    /// [`Error::Cluster`] when the local cluster cannot start;
    /// [`Error::Connect`] / [`Error::Db`] when the server cannot be
    /// reached.
    pub async fn connect_server(
        project: &Project,
        env: &ResolvedEnv,
        db: &DatabaseConfig,
    ) -> Result<ShadowHost, Error> {
        let libpq = Libpq::from_env(env);
        let (server_url, server) = match db
            .shadow_url_env
            .as_deref()
            .and_then(|var| Some((var, env.get_non_empty(var)?)))
        {
            Some((var, (value, origin))) => {
                let url = DbUrl::parse(value).map_err(|reason| ConfigError::InvalidUrl {
                    var: var.to_owned(),
                    origin: Some(origin.clone()),
                    reason,
                })?;
                (
                    url,
                    ShadowServer::Url {
                        var: var.to_owned(),
                    },
                )
            }
            None => {
                let (info, started) = crate::connect::local::start(project.root()).await?;
                let url = DbUrl::parse(&info.url(MAINTENANCE_DATABASE)).map_err(|reason| {
                    ConfigError::InvalidUrl {
                        var: "the local cluster's URL".to_owned(),
                        origin: None,
                        reason,
                    }
                })?;
                (url, ShadowServer::LocalCluster { started })
            }
        };
        let admin = Endpoint::for_url(&server_url, &libpq)?
            .connect(CONNECT_WAIT)
            .await?;
        // The scratch database is thrown away: what is written on this
        // session need not wait for the WAL flush. CREATE and DROP DATABASE
        // force theirs whatever the setting (the CREATE, which makes some
        // 300 files from template0, is the largest fixed cost of a check);
        // the ALTER DATABASE of `create` does not.
        admin
            .batch_execute("SET synchronous_commit = off")
            .await
            .map_err(|e| {
                Error::db(
                    format!("cannot prepare the scratch database on {server}"),
                    e,
                )
            })?;
        if matches!(server, ShadowServer::LocalCluster { .. }) {
            orphans::drop_orphans(&admin).await;
        }
        Ok(ShadowHost {
            admin,
            server_url,
            libpq,
            server,
        })
    }

    /// The scratch database's name (`strata_shadow_…`).
    ///
    /// ```no_run
    /// # async fn f(project: &strata::config::Project, env: &strata::config::ResolvedEnv) -> Result<(), strata::Error> {
    /// let shadow = strata::shadow::Shadow::create(project, env, &project.databases()[0]).await?;
    /// assert!(shadow.name().starts_with(strata::shadow::PREFIX));
    /// # Ok(()) }
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Where it was created.
    ///
    /// ```no_run
    /// # async fn f(project: &strata::config::Project, env: &strata::config::ResolvedEnv) -> Result<(), strata::Error> {
    /// let shadow = strata::shadow::Shadow::create(project, env, &project.databases()[0]).await?;
    /// if let strata::shadow::ShadowServer::LocalCluster { started: true } = shadow.server() {
    ///     eprintln!("started the local cluster");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn server(&self) -> &ShadowServer {
        &self.server
    }

    /// The scratch database's endpoint (its `Display` redacts the password).
    ///
    /// ```no_run
    /// # async fn f(project: &strata::config::Project, env: &strata::config::ResolvedEnv) -> Result<(), strata::Error> {
    /// let shadow = strata::shadow::Shadow::create(project, env, &project.databases()[0]).await?;
    /// println!("{}", shadow.endpoint());
    /// # Ok(()) }
    /// ```
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Drops the scratch database without using it (the other half of a
    /// check failed first).
    ///
    /// # Errors
    ///
    /// [`Error::Db`] when the drop fails.
    ///
    /// ```no_run
    /// # async fn f(project: &strata::config::Project, env: &strata::config::ResolvedEnv) -> Result<(), strata::Error> {
    /// let shadow = strata::shadow::Shadow::create(project, env, &project.databases()[0]).await?;
    /// shadow.discard().await?;
    /// # Ok(()) }
    /// ```
    pub async fn discard(self) -> Result<(), Error> {
        self.run(async |_| Ok(())).await
    }

    /// Runs `work` on a connection to the scratch database, then drops it
    /// — after a failure too. The work's error wins over a failed drop.
    ///
    /// # Errors
    ///
    /// The work's error; else [`Error::Db`] when the drop fails.
    ///
    /// ```no_run
    /// # async fn f(project: &strata::config::Project, env: &strata::config::ResolvedEnv) -> Result<(), strata::Error> {
    /// let shadow = strata::shadow::Shadow::create(project, env, &project.databases()[0]).await?;
    /// let one: i32 = shadow
    ///     .run(async |client| {
    ///         let row = client.query_one("SELECT 1", &[]).await;
    ///         row.map(|r| r.get(0)).map_err(|_| strata::Error::Internal { what: "example" })
    ///     })
    ///     .await?;
    /// # let _ = one;
    /// # Ok(()) }
    /// ```
    pub async fn run<T>(
        self,
        work: impl AsyncFnOnce(&Client) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let result = work(&self.client).await;
        let Shadow {
            admin,
            client,
            name,
            ..
        } = self;
        drop(client);
        let dropped = drop_scratch(&admin, &name)
            .await
            .map_err(|e| Error::db(format!("cannot drop the scratch database {name}"), e));
        work_first(result, dropped)
    }
}

impl ShadowHost {
    /// Where the scratch database will be.
    pub fn server(&self) -> &ShadowServer {
        &self.server
    }

    /// Creates the scratch database (from `template0`) and connects to it.
    ///
    /// # Errors
    ///
    /// [`Error::Db`] when the server refuses `CREATE DATABASE`;
    /// [`Error::Connect`] when the new database cannot be connected to
    /// (it is dropped again).
    pub async fn create(self) -> Result<Shadow, Error> {
        let ShadowHost {
            admin,
            server_url,
            libpq,
            server,
        } = self;
        let name = scratch_name();
        admin
            .batch_execute(&format!(
                "CREATE DATABASE {} TEMPLATE template0",
                quote_ident(&name)
            ))
            .await
            .map_err(|e| {
                Error::db(
                    format!("cannot create the scratch database {name} on {server}"),
                    e,
                )
            })?;
        // Once it exists, a failure drops it again.
        let connected = async {
            // Nor need the migrations replayed there wait for theirs: every
            // session on the scratch database starts with it off (RESET ALL
            // included, which the migrator sends between migrations).
            admin
                .batch_execute(&format!(
                    "ALTER DATABASE {} SET synchronous_commit = off",
                    quote_ident(&name)
                ))
                .await
                .map_err(|e| {
                    Error::db(
                        format!("cannot prepare the scratch database {name} on {server}"),
                        e,
                    )
                })?;
            let endpoint = Endpoint::for_url(&server_url.with_database(name.clone()), &libpq)?;
            let client = endpoint.connect(CONNECT_WAIT).await?;
            Ok::<_, Error>((endpoint, client))
        };
        let (endpoint, client) = match connected.await {
            Ok(c) => c,
            Err(e) => {
                let _ = drop_scratch(&admin, &name).await;
                return Err(e);
            }
        };
        Ok(Shadow {
            admin,
            client,
            endpoint,
            name,
            server,
        })
    }
}

/// `DROP DATABASE … WITH (FORCE)`. An interrupt sends a cancel request
/// to every open connection, this one included, and that request may
/// arrive after the work has already failed, cancelling the drop itself:
/// a cancelled drop is sent again (a few times; each cancel is sent once).
async fn drop_scratch(admin: &Client, name: &str) -> Result<(), tokio_postgres::Error> {
    let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_ident(name));
    retry_cancelled(admin, &sql).await
}

/// The work's result after its clean-up ran: the work's error wins over
/// the clean-up's.
fn work_first<T>(work: Result<T, Error>, cleanup: Result<(), Error>) -> Result<T, Error> {
    match (work, cleanup) {
        (Ok(t), Ok(())) => Ok(t),
        (Err(e), _) | (Ok(_), Err(e)) => Err(e),
    }
}

/// `sql`, sent again when an interrupt's cancel request (see
/// [`drop_scratch`]) cancelled it.
async fn retry_cancelled(admin: &Client, sql: &str) -> Result<(), tokio_postgres::Error> {
    let mut attempt = 0;
    loop {
        match admin.batch_execute(sql).await {
            Err(e) if attempt < 3 && e.code() == Some(&SqlState::QUERY_CANCELED) => attempt += 1,
            done => return done,
        }
    }
}

/// `strata_shadow_<pid>_<time>_<n>`: unique on a server shared by
/// concurrent runs (another process, another check of this one).
fn scratch_name() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() % 1_000_000_000_000);
    format!(
        "{PREFIX}{}_{nanos:x}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn scratch_names_are_distinct_identifiers() {
        let (a, b) = (super::scratch_name(), super::scratch_name());
        assert_ne!(a, b);
        assert!(a.starts_with(super::PREFIX) && a.len() < 63, "{a}");
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_'));
    }
}
