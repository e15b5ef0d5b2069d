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
            drop_orphans(&admin).await;
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
        match (result, dropped) {
            (Ok(t), Ok(())) => Ok(t),
            (Err(e), _) | (Ok(_), Err(e)) => Err(e),
        }
    }
}

impl ShadowHost {
    /// Where the scratch database will be.
    pub fn server(&self) -> &ShadowServer {
        &self.server
    }

    /// The database the server's URL names, when a check may build its
    /// expected schema there instead of in a scratch database: in one
    /// transaction, rolled back afterwards, so that nothing is created,
    /// committed or left behind — not even by kill -9, after which the
    /// server rolls back — and no `CREATE DATABASE` (some 300 files) is
    /// paid. Only when that database holds nothing a new database would
    /// not (see `PRISTINE_SQL`) and no other strata run is building there
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

/// The transaction-level advisory lock, taken on the server's own database,
/// of the run that builds its expected schema there
/// ([`ShadowHost::in_place`]): one such run at a time, the others make a
/// scratch database. (Advisory locks are per database: this key meets only
/// other strata runs there.)
const IN_PLACE_LOCK: i64 = 0x7374_7261_7461_5348;

/// Whether the database the shadow server's URL names (the local cluster's
/// `postgres`) holds nothing a copy of `template0` would not: no object
/// made after `initdb` (OIDs from 16384 on) in any per-database catalog,
/// no `ALTER DATABASE … SET`, the same encoding and locale as `template0`,
/// the `public` schema and PL/pgSQL as `initdb` made them; and the role
/// is a superuser or a member of the database's owner, as it owns the
/// scratch database it would make. Then migrations replayed there in a
/// transaction give what they give in a new database.
/// With the lock of [`IN_PLACE_LOCK`] tried in the same statement.
const PRISTINE_SQL: &str = "\
SELECT pg_catalog.pg_try_advisory_xact_lock($1) AS locked, pg_catalog.current_database()::text, \
NOT EXISTS ( \
  SELECT FROM pg_catalog.pg_namespace WHERE oid >= 16384 \
  UNION ALL SELECT FROM pg_catalog.pg_class WHERE oid >= 16384 \
  UNION ALL SELECT FROM pg_catalog.pg_type WHERE oid >= 16384 \
  UNION ALL SELECT FROM pg_catalog.pg_proc WHERE oid >= 16384 \
  UNION ALL SELECT FROM pg_catalog.pg_extension WHERE oid >= 16384 \
  UNION ALL SELECT FROM pg_catalog.pg_constraint WHERE oid >= 16384 \
  UNION ALL SELECT FROM pg_catalog.pg_trigger WHERE oid >= 16384 \
  UNION ALL SELECT FROM pg_catalog.pg_rewrite WHERE oid >= 16384 \
  UNION ALL SELECT FROM pg_catalog.pg_policy WHERE oid >= 16384 \
  UNION ALL SELECT FROM pg_catalog.pg_collation WHERE oid >= 16384 \
  UNION ALL SELECT FROM pg_catalog.pg_conversion WHERE oid >= 16384 \
  UNION ALL SELECT FROM pg_catalog.pg_operator WHERE oid >= 16384 \
  UNION ALL SELECT FROM pg_catalog.pg_opfamily WHERE oid >= 16384 \
  UNION ALL SELECT FROM pg_catalog.pg_opclass WHERE oid >= 16384 \
  UNION ALL SELECT FROM pg_catalog.pg_am WHERE oid >= 16384 \
  UNION ALL SELECT FROM pg_catalog.pg_cast WHERE oid >= 16384 \
  UNION ALL SELECT FROM pg_catalog.pg_language WHERE oid >= 16384 \
  UNION ALL SELECT FROM pg_catalog.pg_transform WHERE oid >= 16384 \
  UNION ALL SELECT FROM pg_catalog.pg_ts_config WHERE oid >= 16384 \
  UNION ALL SELECT FROM pg_catalog.pg_ts_dict WHERE oid >= 16384 \
  UNION ALL SELECT FROM pg_catalog.pg_ts_parser WHERE oid >= 16384 \
  UNION ALL SELECT FROM pg_catalog.pg_ts_template WHERE oid >= 16384 \
  UNION ALL SELECT FROM pg_catalog.pg_foreign_data_wrapper WHERE oid >= 16384 \
  UNION ALL SELECT FROM pg_catalog.pg_foreign_server WHERE oid >= 16384 \
  UNION ALL SELECT FROM pg_catalog.pg_user_mappings WHERE umid >= 16384 \
  UNION ALL SELECT FROM pg_catalog.pg_event_trigger WHERE oid >= 16384 \
  UNION ALL SELECT FROM pg_catalog.pg_publication WHERE oid >= 16384 \
  UNION ALL SELECT FROM pg_catalog.pg_statistic_ext WHERE oid >= 16384 \
  UNION ALL SELECT FROM pg_catalog.pg_default_acl WHERE oid >= 16384 \
  UNION ALL SELECT FROM pg_catalog.pg_largeobject_metadata WHERE oid >= 16384 \
  UNION ALL SELECT FROM pg_catalog.pg_db_role_setting s JOIN pg_catalog.pg_database d \
    ON d.oid = s.setdatabase WHERE d.datname = pg_catalog.current_database() \
) \
AND EXISTS (SELECT FROM pg_catalog.pg_namespace WHERE oid = 2200 AND nspname = 'public') \
AND pg_catalog.obj_description(2200, 'pg_namespace') IS NOT DISTINCT FROM 'standard public schema' \
AND EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'plpgsql') \
AND (SELECT r.rolsuper OR pg_catalog.pg_has_role(d.datdba, 'USAGE') \
     FROM pg_catalog.pg_roles r, pg_catalog.pg_database d \
     WHERE r.rolname = current_user AND d.datname = pg_catalog.current_database()) \
AND (SELECT (pg_catalog.to_jsonb(d) - k.other) = (pg_catalog.to_jsonb(t) - k.other) \
     FROM pg_catalog.pg_database d, pg_catalog.pg_database t, \
     (SELECT ARRAY['oid', 'datname', 'datdba', 'datistemplate', 'datallowconn', 'datconnlimit', \
       'datlastsysoid', 'datfrozenxid', 'datminmxid', 'dattablespace', 'datacl', \
       'dathasloginevt', 'datcollversion'] AS other) k \
     WHERE d.datname = pg_catalog.current_database() AND t.datname = 'template0') \
  IS TRUE AS pristine";

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
        match (result, ended) {
            (Ok(t), Ok(())) => Ok(t),
            (Err(e), _) | (Ok(_), Err(e)) => Err(e),
        }
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

/// Drops the scratch databases that runs killed before their drop (kill -9,
/// a power cut) left on the project's local cluster: those whose process
/// (the pid in the name) is gone and that nobody is connected to. Only on
/// the local cluster, whose runs all share this machine's pids; on a
/// `shadow_url_env` server another machine's run may own the name. Linux
/// only (`/proc`); a failure is ignored: the check runs anyway.
async fn drop_orphans(admin: &Client) {
    if !std::path::Path::new("/proc/self").exists() {
        return;
    }
    let sql = "SELECT datname FROM pg_catalog.pg_database d \
               WHERE datname LIKE 'strata\\_shadow\\_%' AND NOT EXISTS \
               (SELECT 1 FROM pg_catalog.pg_stat_activity a WHERE a.datid = d.oid)";
    let Ok(messages) = admin.simple_query(sql).await else {
        return;
    };
    for m in &messages {
        let tokio_postgres::SimpleQueryMessage::Row(row) = m else {
            continue;
        };
        let Some(name) = row.get(0) else { continue };
        let Some(pid) = pid_of(name) else { continue };
        if pid == std::process::id() || std::path::Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        // Not WITH (FORCE): a database someone has just connected to stays.
        let _ = admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {}", quote_ident(name)))
            .await;
    }
}

/// The pid in a scratch database's name.
fn pid_of(name: &str) -> Option<u32> {
    name.strip_prefix(PREFIX)?.split('_').next()?.parse().ok()
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
    fn the_pid_is_read_back_from_a_scratch_name() {
        let name = super::scratch_name();
        assert_eq!(super::pid_of(&name), Some(std::process::id()));
        assert_eq!(super::pid_of("strata_shadow_x_1_0"), None);
        assert_eq!(super::pid_of("other_12_1_0"), None);
    }

    #[test]
    fn scratch_names_are_distinct_identifiers() {
        let (a, b) = (super::scratch_name(), super::scratch_name());
        assert_ne!(a, b);
        assert!(a.starts_with(super::PREFIX) && a.len() < 63, "{a}");
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_'));
    }
}
