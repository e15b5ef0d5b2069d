//! [`Resolver`]: a database of strata.toml in one environment → an
//! [`Endpoint`], in the one order every command and library user gets:
//! the URL variable (or the local cluster stand-in), the policy checks,
//! libpq's defaults, TLS. The admin (maintenance database) endpoint too.
//!
//! New connection parameters belong here and in [`Endpoint::for_url`], so
//! every caller picks them up at once.

use std::fmt;
use std::time::Duration;

use super::admin::AdminEndpoint;
use super::endpoint::Endpoint;
use super::local;
use crate::cluster::ClusterInfo;
use crate::config::{
    AdminSource, ConfigError, DatabaseConfig, DbUrl, Libpq, MAINTENANCE_DATABASE, Project,
    ResolvedEnv, UrlRole, check_effective_policy, resolve_target,
};
use crate::error::Error;

/// How long the local cluster's maintenance connection waits for the
/// server it has just started.
const LOCAL_ADMIN_WAIT: Duration = Duration::from_secs(10);

/// Whether resolving a database that the local cluster stands in for
/// creates it there (SPEC §6: on first use).
///
/// # Examples
///
/// ```
/// use strata::connect::LocalDatabase;
/// assert_eq!(LocalDatabase::default(), LocalDatabase::CreateIfMissing);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LocalDatabase {
    /// Create the database in the local cluster when it does not exist
    /// (every command that works in it).
    #[default]
    CreateIfMissing,
    /// Only start the cluster (`db drop`, `db reset`, `db wait`).
    Existing,
}

/// Resolves the databases of one project in one environment.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use strata::config::{ProcessEnv, Project};
/// use strata::connect::{LocalDatabase, Resolver};
///
/// let project = Project::from_toml("", std::path::Path::new("/srv/app/strata.toml")).unwrap();
/// let process = ProcessEnv::from([(
///     "DATABASE_URL".to_owned(),
///     "postgres://app:hunter2@db.internal/shop?sslmode=disable".to_owned(),
/// )]);
/// let env = project.resolve_env(None, &process).unwrap();
/// let resolver = Resolver::new(&project, &env);
/// let endpoint = resolver.endpoint(&project.databases()[0], LocalDatabase::CreateIfMissing).await.unwrap();
/// assert_eq!(endpoint.to_string(), "postgres://app:***@db.internal/shop?sslmode=disable");
/// assert!(!format!("{resolver:?}").contains("hunter2"));
/// # }
/// ```
#[derive(Clone)]
pub struct Resolver<'a> {
    project: &'a Project,
    env: &'a ResolvedEnv,
    libpq: Libpq,
}

impl fmt::Debug for Resolver<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resolver")
            .field("project", &self.project.root())
            .field("env", &self.env.name)
            .field("libpq", &self.libpq)
            .finish()
    }
}

impl<'a> Resolver<'a> {
    /// A resolver for `project` in `env`, with libpq's defaults read from
    /// `env` (the process, then the environment's env files).
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::{ProcessEnv, Project};
    /// use strata::connect::Resolver;
    /// let project = Project::from_toml("", std::path::Path::new("/srv/app/strata.toml")).unwrap();
    /// let process = ProcessEnv::from([("PGUSER".to_owned(), "deploy".to_owned())]);
    /// let env = project.resolve_env(None, &process).unwrap();
    /// assert_eq!(Resolver::new(&project, &env).libpq().pg_user(), Some("deploy"));
    /// ```
    pub fn new(project: &'a Project, env: &'a ResolvedEnv) -> Resolver<'a> {
        Resolver {
            project,
            env,
            libpq: Libpq::from_env(env),
        }
    }

    /// libpq's defaults in force.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::{ProcessEnv, Project};
    /// use strata::connect::Resolver;
    /// let project = Project::from_toml("", std::path::Path::new("/srv/app/strata.toml")).unwrap();
    /// let env = project.resolve_env(None, &ProcessEnv::new()).unwrap();
    /// assert_eq!(Resolver::new(&project, &env).libpq().pg_password(), None);
    /// ```
    pub fn libpq(&self) -> &Libpq {
        &self.libpq
    }

    /// The endpoint of a URL with this environment's libpq defaults
    /// ([`Endpoint::for_url`]); no policy check.
    ///
    /// # Errors
    ///
    /// As [`Endpoint::for_url`].
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::{DbUrl, ProcessEnv, Project};
    /// use strata::connect::Resolver;
    /// let project = Project::from_toml("", std::path::Path::new("/srv/app/strata.toml")).unwrap();
    /// let process = ProcessEnv::from([("PGPASSWORD".to_owned(), "from-env".to_owned())]);
    /// let env = project.resolve_env(None, &process).unwrap();
    /// let url = DbUrl::parse("postgres://app@db/shop?sslmode=disable").unwrap();
    /// let endpoint = Resolver::new(&project, &env).url(&url).unwrap();
    /// assert_eq!(endpoint.pg_config().get_password(), Some(&b"from-env"[..]));
    /// ```
    pub fn url(&self, url: &DbUrl) -> Result<Endpoint, Error> {
        Endpoint::for_url(url, &self.libpq)
    }

    /// Where to connect for `db`: its URL after the policy checks, or —
    /// when the URL variable is unset and the environment allows it — the
    /// project's local cluster, started (and the database created, as
    /// `local` says) on first use.
    ///
    /// # Errors
    ///
    /// [`ConfigError::InvalidUrl`], [`ConfigError::UrlNotSet`] and
    /// [`ConfigError::PolicyViolation`] (as [`Error::Config`]); local-cluster
    /// failures ([`Error::Cluster`], [`Error::Connect`]); TLS setup errors.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use strata::config::{ProcessEnv, Project};
    /// use strata::connect::{LocalDatabase, Resolver};
    /// let toml = "[environments.prod]\nrequire_tls = true\n";
    /// let project = Project::from_toml(toml, std::path::Path::new("/srv/app/strata.toml")).unwrap();
    /// let process = ProcessEnv::from([("DATABASE_URL".to_owned(), "postgres://app@db/shop".to_owned())]);
    /// let env = project.resolve_env(Some("prod"), &process).unwrap();
    /// let err = Resolver::new(&project, &env)
    ///     .endpoint(&project.databases()[0], LocalDatabase::CreateIfMissing)
    ///     .await
    ///     .unwrap_err();
    /// assert!(err.is_config(), "{err}");
    /// # }
    /// ```
    pub async fn endpoint(
        &self,
        db: &DatabaseConfig,
        local: LocalDatabase,
    ) -> Result<Endpoint, Error> {
        let target = resolve_target(db, self.env)?;
        if target.uses_local_cluster() {
            let (info, started) = local::start(self.project.root()).await?;
            let name = local::local_database_name(&db.name, &self.env.name);
            let created = match local {
                LocalDatabase::CreateIfMissing => {
                    let admin = self.url(&local_url(&info, MAINTENANCE_DATABASE)?)?;
                    let client = admin.connect(LOCAL_ADMIN_WAIT).await?;
                    crate::database::create_if_missing(&client, &name).await?
                }
                LocalDatabase::Existing => false,
            };
            return Ok(self
                .url(&local_url(&info, &name)?)?
                .mark_created(created)
                .mark_started(started.then_some(info)));
        }
        let url = target.require_url()?;
        target.check_policy()?;
        self.url(url)
    }

    /// The server-level endpoint for `db`: `admin_url_env`, else `PGUSER`
    /// on the database's server, else the database URL, each on the
    /// maintenance database; the local cluster's superuser for the local
    /// cluster. The policy checks (`allowed_hosts`, `require_tls`) run
    /// first, on the database URL and then on the derived admin URL.
    ///
    /// # Errors
    ///
    /// As [`Resolver::endpoint`].
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use strata::config::{AdminSource, ProcessEnv, Project};
    /// use strata::connect::Resolver;
    /// let project = Project::from_toml("", std::path::Path::new("/srv/app/strata.toml")).unwrap();
    /// let process = ProcessEnv::from([("DATABASE_URL".to_owned(), "postgres://app:pw@db/shop?sslmode=disable".to_owned())]);
    /// let env = project.resolve_env(None, &process).unwrap();
    /// let admin = Resolver::new(&project, &env).admin(&project.databases()[0]).await.unwrap();
    /// assert_eq!(admin.source(), &AdminSource::DatabaseUrl);
    /// assert_eq!(admin.endpoint().database(), "postgres");
    /// # }
    /// ```
    pub async fn admin(&self, db: &DatabaseConfig) -> Result<AdminEndpoint, Error> {
        let target = resolve_target(db, self.env)?;
        if target.uses_local_cluster() {
            let (info, started) = local::start(self.project.root()).await?;
            let endpoint = self
                .url(&local_url(&info, MAINTENANCE_DATABASE)?)?
                .mark_started(started.then_some(info));
            return Ok(AdminEndpoint::new(endpoint, AdminSource::LocalCluster));
        }
        target.require_url()?;
        target.check_policy()?;
        // `require_url` passed, so there is a URL to derive one from.
        let (url, source) =
            self.libpq
                .admin_url(&target)
                .ok_or_else(|| ConfigError::UrlNotSet {
                    var: db.url_env.clone(),
                    env: self.env.name.clone(),
                })?;
        if !matches!(source, AdminSource::AdminUrlEnv(_)) {
            let effective = self.libpq.effective(&url)?;
            check_effective_policy(&self.env.spec, &url, &effective, UrlRole::Admin)
                .into_result()?;
        }
        Ok(AdminEndpoint::new(self.url(&url)?, source))
    }
}

impl Endpoint {
    /// Resolves `db` of `project` in `env` in one call:
    /// [`Resolver::endpoint`] with [`LocalDatabase::CreateIfMissing`].
    ///
    /// # Errors
    ///
    /// As [`Resolver::endpoint`].
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use strata::config::{ProcessEnv, Project};
    /// use strata::connect::Endpoint;
    /// let project = Project::from_toml("", std::path::Path::new("/srv/app/strata.toml")).unwrap();
    /// let env = project.resolve_env(None, &ProcessEnv::new()).unwrap();
    /// // DATABASE_URL is unset and dev does not allow the local cluster.
    /// let err = Endpoint::resolve(&project, &env, &project.databases()[0]).await.unwrap_err();
    /// assert!(err.to_string().contains("DATABASE_URL is not set"), "{err}");
    /// # }
    /// ```
    pub async fn resolve(
        project: &Project,
        env: &ResolvedEnv,
        db: &DatabaseConfig,
    ) -> Result<Endpoint, Error> {
        Resolver::new(project, env)
            .endpoint(db, LocalDatabase::CreateIfMissing)
            .await
    }
}

/// The local cluster's URL for `database`.
fn local_url(info: &ClusterInfo, database: &str) -> Result<DbUrl, Error> {
    DbUrl::parse(&info.url(database)).map_err(|reason| {
        Error::Config(ConfigError::InvalidUrl {
            var: "the local cluster's URL".to_owned(),
            origin: None,
            reason,
        })
    })
}
