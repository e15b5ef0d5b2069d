//! Everything a command needs before it works on a database: the project,
//! the resolved environment, the selected databases and their connections
//! (including the embedded local cluster of SPEC §6).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, Result};
use strata::cluster::LocalCluster;
use strata::config::{
    DatabaseConfig, DbUrl, Libpq, Project, ResolvedEnv, Target, process_env_snapshot,
    resolve_target,
};
pub use strata::connect::{AdminEndpoint, Endpoint};
use strata::connect::{LocalDatabase, Resolver};
use strata::history::TableName;
use strata::source::Migrations;
use tokio_postgres::Client;

use crate::cli::Global;
use crate::output::{Output, add_secret};

/// The loaded project and environment.
pub struct Ctx {
    /// Output settings.
    pub out: Output,
    /// strata.toml.
    pub project: Project,
    /// The environment in force.
    pub env: ResolvedEnv,
    /// `--db` names.
    pub db_filter: Vec<String>,
    /// libpq's defaults (PGUSER, PGPASSWORD, .pgpass …) from the environment.
    pub libpq: Libpq,
    /// The working directory (`-C DIR`, else the process's): relative
    /// paths given on the command line are relative to it.
    pub work_dir: PathBuf,
    /// The databases whose banner line was printed.
    bannered: std::sync::Mutex<std::collections::HashSet<String>>,
}

/// The working directory: `-C DIR` or the process's.
pub fn work_dir(global: &Global) -> Result<PathBuf> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    Ok(match &global.dir {
        Some(d) => cwd.join(d),
        None => cwd,
    })
}

impl Ctx {
    /// Finds strata.toml (`--config`, or walking up from the working
    /// directory) and resolves the environment.
    pub fn load(global: &Global, out: Output) -> Result<Ctx> {
        let dir = work_dir(global)?;
        let project = match &global.config {
            Some(f) => Project::load(&dir.join(f))?,
            None => Project::discover(&dir)?,
        };
        let env = project.resolve_env(global.env.as_deref(), &process_env_snapshot())?;
        for var in env.vars.values() {
            if let Ok(url) = DbUrl::parse(var.value())
                && let Some(p) = url.password()
            {
                register_password(url.user(), p);
            }
        }
        let libpq = Libpq::from_env(&env);
        if let Some(p) = libpq.pg_password() {
            register_password(libpq.pg_user(), p);
        }
        for f in &env.skipped_files {
            if out.verbose {
                out.info(&format!("env file {} not found, skipped", f.display()));
            }
        }
        Ok(Ctx {
            out,
            project,
            env,
            db_filter: global.db.clone(),
            libpq,
            work_dir: dir,
            bannered: Default::default(),
        })
    }

    /// The selected databases in `depends_on` order.
    pub fn databases(&self) -> Result<Vec<&DatabaseConfig>> {
        Ok(self.project.select_databases(&self.db_filter)?)
    }

    /// The resolved target of a database (URL, origin, policy).
    pub fn target<'a>(&'a self, db: &'a DatabaseConfig) -> Result<Target<'a>> {
        Ok(resolve_target(db, &self.env)?)
    }

    /// The migrations of a database.
    pub fn migrations(&self, db: &DatabaseConfig) -> Result<Migrations, strata::error::Error> {
        let migrations = Migrations::from_dir_cached(&db.migrations, &self.scan_cache(db))?;
        check_placeholders(self.placeholders(db).as_ref(), migrations)
    }

    /// The database's `${name}` placeholders, when it declares them.
    pub fn placeholders(&self, db: &DatabaseConfig) -> Option<strata::migration::Placeholders> {
        strata::migration::Placeholders::for_database(db, &self.env)
    }

    /// Where the scan cache of a database's migrations lives (SPEC §6's
    /// `.strata/`, local state that is never committed).
    fn scan_cache(&self, db: &DatabaseConfig) -> PathBuf {
        let dir = self.project.root().join(".strata");
        ignore_strata_dir(&dir);
        dir.join("cache").join(format!("{}.scan", db.name))
    }

    /// Starts reading a database's migrations folder on a blocking thread, so
    /// the file I/O overlaps with connecting and reading the history.
    pub fn migrations_in_background(&self, db: &DatabaseConfig) -> Background {
        let dir = db.migrations.clone();
        let cache = self.scan_cache(db);
        let placeholders = self.placeholders(db);
        Background(tokio::task::spawn_blocking(move || {
            let migrations = Migrations::from_dir_cached(&dir, &cache)?;
            check_placeholders(placeholders.as_ref(), migrations)
        }))
    }

    /// The migrations and the history, with the folder read in
    /// parallel to connecting and querying. A problem with the files is
    /// reported before a connection problem, as if they had been read first.
    pub async fn load_with_history(&self, db: &DatabaseConfig, wait: Duration) -> Result<Loaded> {
        let scan = self.migrations_in_background(db);
        let remote = async {
            let endpoint = self.endpoint(db).await?;
            let client = self.connect(&endpoint, wait).await?;
            let history = strata::history::read(&client, &self.table(db)).await?;
            anyhow::Ok((endpoint, history.unwrap_or_default()))
        };
        let (migrations, remote) = tokio::join!(scan.wait(), remote);
        let migrations = migrations?;
        let (endpoint, history) = remote?;
        Ok(Loaded {
            migrations,
            endpoint,
            history,
        })
    }

    /// The session of a command that takes the migration lock: `--lock-wait`
    /// and the environment's `lock_timeout` (always sent, so `0` wins over a
    /// server or role default) and `statement_timeout` (when it sets one).
    pub fn session(&self, lock: &crate::cli::LockArgs) -> strata::lock::Session {
        strata::lock::Session {
            lock_wait: lock.lock_wait,
            lock_timeout: Some(self.env.spec.lock_timeout),
            statement_timeout: self.env.spec.statement_timeout,
        }
    }

    /// The history table of a database.
    pub fn table(&self, db: &DatabaseConfig) -> TableName {
        let t = &db.history_table;
        TableName {
            schema: t.schema.clone(),
            name: t.name.clone(),
        }
    }

    /// The library's resolver for this project and environment.
    fn resolver(&self) -> Resolver<'_> {
        Resolver::new(&self.project, &self.env)
    }

    /// `db` as the commands that take the migration lock (`migrate`,
    /// `rollback`, `repair`, `baseline`) connect to it: through the variable
    /// its `direct_url_env` names when that is set (a URL bypassing a
    /// pooler, SPEC §1.1), else as configured. Policy-checked like any URL.
    pub fn direct<'a>(&self, db: &'a DatabaseConfig) -> std::borrow::Cow<'a, DatabaseConfig> {
        match &db.direct_url_env {
            Some(var) if self.env.get_non_empty(var).is_some() => {
                let mut direct = db.clone();
                direct.url_env.clone_from(var);
                std::borrow::Cow::Owned(direct)
            }
            _ => std::borrow::Cow::Borrowed(db),
        }
    }

    /// Where to connect for `db`: its URL after the policy checks, or the
    /// local cluster (started, and the database created, on first use).
    pub async fn endpoint(&self, db: &DatabaseConfig) -> Result<Endpoint> {
        let endpoint = self
            .resolver()
            .endpoint(db, LocalDatabase::CreateIfMissing)
            .await?;
        self.banner(db, &endpoint, endpoint.database());
        self.tell_started(&endpoint);
        if endpoint.created_local_database() {
            self.out.info(&format!(
                "created database {} in the local cluster",
                endpoint.database()
            ));
        }
        Ok(registered(endpoint))
    }

    /// The database's endpoint without creating anything: for `db drop`,
    /// `db reset`, `db wait`. For the local cluster the cluster is started.
    pub async fn endpoint_no_create(&self, db: &DatabaseConfig) -> Result<Endpoint> {
        let endpoint = self
            .resolver()
            .endpoint(db, LocalDatabase::Existing)
            .await?;
        self.banner(db, &endpoint, endpoint.database());
        self.tell_started(&endpoint);
        Ok(registered(endpoint))
    }

    /// The server-level connection for `db` (see [`Resolver::admin`]).
    pub async fn admin_endpoint(&self, db: &DatabaseConfig) -> Result<AdminEndpoint> {
        let admin = self.resolver().admin(db).await?;
        self.tell_started(admin.endpoint());
        registered(admin.endpoint().clone());
        Ok(admin)
    }

    /// The banner line of SPEC §4 on stderr, once per database and run,
    /// before anything connects: the environment, the database and where
    /// `endpoint` goes, naming `dbname` (for a server-level endpoint, the
    /// database it will create or drop). Shown with `--json` too (it is on
    /// stderr); `--quiet` hides it.
    pub fn banner(&self, db: &DatabaseConfig, endpoint: &Endpoint, dbname: &str) {
        let mut seen = self
            .bannered
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if seen.insert(db.name.clone()) {
            self.out.info(&crate::render::lines::banner(
                &self.env.name,
                &db.name,
                endpoint.pg_config(),
                dbname,
            ));
        }
        // libpq looks the password file up when nothing else gave a
        // password, and warns when it ignores it for its mode; so do we
        // (once: the empty name stands for it).
        if endpoint.pg_config().get_password().is_none()
            && let Some(file) = self.libpq.ignored_passfile()
            && seen.insert(String::new())
        {
            self.out
                .warn(&crate::render::lines::ignored_passfile(&file));
        }
    }

    /// When resolving `endpoint` started the local cluster, says on stderr
    /// where it runs and how to stop it: a server left running is never a
    /// surprise. Once, as only the first resolution starts it; `--quiet`
    /// hides it, `--json` keeps it (on stderr).
    fn tell_started(&self, endpoint: &Endpoint) {
        if let Some(info) = endpoint.started_local_cluster() {
            let root = self.project.root();
            let elsewhere = std::env::current_dir()
                .ok()
                .and_then(|cwd| cwd.canonicalize().ok())
                .is_none_or(|cwd| root.canonicalize().ok().as_ref() != Some(&cwd));
            self.out
                .info(&crate::render::env::cluster_started_by_command(
                    info,
                    elsewhere.then_some(root),
                ));
        }
    }

    /// Opens a connection to `db`, retrying refused connections for `wait`.
    pub async fn connect(&self, endpoint: &Endpoint, wait: Duration) -> Result<Client> {
        Ok(endpoint.connect(wait).await?)
    }

    /// Connects to a server-level endpoint; when the maintenance database
    /// `postgres` does not exist, tries `template1` (as `createdb` does).
    pub async fn connect_admin(&self, admin: &AdminEndpoint, wait: Duration) -> Result<Client> {
        Ok(admin.connect(wait).await?)
    }
}

/// Registers the password an endpoint will send (from the URL, `PGPASSWORD`
/// or `.pgpass`) for output scrubbing.
/// SPEC §2.4: an undefined placeholder is a load error, found before
/// anything connects.
fn check_placeholders(
    placeholders: Option<&strata::migration::Placeholders>,
    migrations: Migrations,
) -> Result<Migrations, strata::error::Error> {
    if let Some(p) = placeholders {
        p.check(&migrations.list)?;
    }
    Ok(migrations)
}

fn registered(endpoint: Endpoint) -> Endpoint {
    let config = endpoint.pg_config();
    if let Some(p) = config.get_password() {
        register_password(config.get_user(), &String::from_utf8_lossy(p));
    }
    endpoint
}

/// Registers a password for output scrubbing, unless it equals its own user
/// name (`postgres:postgres`, seed 004's development default): the user
/// name is shown everywhere, so hiding it would hide nothing and would turn
/// every `postgres` (scheme, role, maintenance database) into `***`.
fn register_password(user: Option<&str>, password: &str) {
    if user != Some(password) {
        add_secret(password);
    }
}

/// A migrations folder being read on a blocking thread.
pub struct Background(tokio::task::JoinHandle<Result<Migrations, strata::error::Error>>);

impl Background {
    /// The folder's migrations, once read.
    pub async fn wait(self) -> Result<Migrations> {
        Ok(self
            .0
            .await
            .context("reading the migrations folder failed")??)
    }
}

/// What [`Ctx::load_with_history`] returns.
pub struct Loaded {
    /// The migration files.
    pub migrations: Migrations,
    /// Where the database is.
    pub endpoint: Endpoint,
    /// The history rows (empty when the table does not exist).
    pub history: Vec<strata::history::AppliedMigration>,
}

/// Keeps `.strata/` (local cluster, caches) out of version control.
fn ignore_strata_dir(dir: &Path) {
    let ignore = dir.join(".gitignore");
    if !ignore.exists() && std::fs::create_dir_all(dir).is_ok() {
        let _ = std::fs::write(&ignore, "*\n");
    }
}

/// The project's local cluster in `.strata/cluster/`.
pub fn local_cluster(root: &Path) -> Result<LocalCluster> {
    Ok(strata::connect::local_cluster(root)?)
}

/// Runs blocking cluster work (initdb, pg_ctl) off the async runtime.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, strata::cluster::ClusterError> + Send + 'static,
) -> Result<T> {
    Ok(tokio::task::spawn_blocking(f)
        .await
        .context("the cluster task failed")??)
}
