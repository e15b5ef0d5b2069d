//! Everything a command needs before it works on a database: the project,
//! the resolved environment, the selected databases and their connections
//! (including the embedded local cluster of SPEC §6).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, Result};
use strata::cluster::{LocalCluster, PgBinaries, StartOptions};
use strata::config::{
    DatabaseConfig, DbUrl, Project, ResolvedEnv, Target, process_env_snapshot, resolve_target,
};
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
}

/// A database ready to connect to.
pub struct Endpoint {
    /// Connection settings (with the password, never printed).
    pub config: tokio_postgres::Config,
    /// The URL with the password replaced by `***`.
    pub redacted: String,
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
                add_secret(p);
            }
        }
        if let Some(p) = std::env::var("PGPASSWORD").ok().filter(|p| !p.is_empty()) {
            add_secret(&p);
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
        Migrations::from_dir(&db.migrations)
    }

    /// The history table of a database.
    pub fn table(&self, db: &DatabaseConfig) -> TableName {
        let t = &db.history_table;
        TableName {
            schema: t.schema.clone(),
            name: t.name.clone(),
        }
    }

    /// Where to connect for `db`: its URL after the policy checks, or the
    /// local cluster (started, and the database created, on first use).
    pub async fn endpoint(&self, db: &DatabaseConfig) -> Result<Endpoint> {
        let target = self.target(db)?;
        if target.uses_local_cluster() {
            return self.local_endpoint(db).await;
        }
        let url = target.require_url()?;
        target.check_policy()?;
        if let Some(p) = url.password() {
            add_secret(p);
        }
        Ok(Endpoint {
            config: url.to_pg_config(),
            redacted: url.redacted(),
        })
    }

    async fn local_endpoint(&self, db: &DatabaseConfig) -> Result<Endpoint> {
        let cluster = local_cluster(self.project.root())?;
        let info = blocking(move || cluster.start(&StartOptions::default())).await?;
        let name = format!("{}_{}", db.name, self.env.name);
        let admin_url = DbUrl::parse(&info.url("postgres")).context("local cluster URL")?;
        let admin = strata::connect::connect(
            &admin_url.to_pg_config(),
            &admin_url.redacted(),
            Duration::from_secs(10),
        )
        .await?;
        if strata::database::create_if_missing(&admin, &name).await? {
            self.out
                .info(&format!("created database {name} in the local cluster"));
        }
        let url = DbUrl::parse(&info.url(&name)).context("local cluster URL")?;
        Ok(Endpoint {
            config: url.to_pg_config(),
            redacted: url.redacted(),
        })
    }

    /// Opens a connection to `db`, retrying refused connections for `wait`.
    pub async fn connect(&self, endpoint: &Endpoint, wait: Duration) -> Result<Client> {
        Ok(strata::connect::connect(&endpoint.config, &endpoint.redacted, wait).await?)
    }
}

/// The project's local cluster in `.strata/cluster/`.
pub fn local_cluster(root: &Path) -> Result<LocalCluster> {
    let dir = root.join(".strata").join("cluster");
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
        let ignore = parent.join(".gitignore");
        if !ignore.exists() {
            // The cluster is local state: keep it out of version control.
            let _ = std::fs::write(&ignore, "*\n");
        }
    }
    let bins = PgBinaries::from_process_env()?;
    Ok(LocalCluster::new(&dir, bins)?)
}

/// Runs blocking cluster work (initdb, pg_ctl) off the async runtime.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, strata::cluster::ClusterError> + Send + 'static,
) -> Result<T> {
    Ok(tokio::task::spawn_blocking(f)
        .await
        .context("the cluster task failed")??)
}
