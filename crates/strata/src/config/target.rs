//! A database resolved in an environment: its URL (if set), where the URL
//! came from, and the URL policy results. Nothing here connects.

use super::env::{Origin, ResolvedEnv};
use super::error::ConfigError;
use super::libpq::{AdminSource, Libpq};
use super::policy::{PolicyReport, UrlRole, check_effective_policy};
use super::project::DatabaseConfig;
use super::url::DbUrl;

/// The maintenance database [`Target::admin_url`] falls back to.
///
/// # Examples
///
/// ```
/// use strata::config::{resolve_target, ProcessEnv, Project, MAINTENANCE_DATABASE};
/// let project = Project::from_toml("", std::path::Path::new("/srv/app/strata.toml")).unwrap();
/// let process = ProcessEnv::from([("DATABASE_URL".to_owned(), "postgres://app@db/shop".to_owned())]);
/// let env = project.resolve_env(None, &process).unwrap();
/// let target = resolve_target(&project.databases()[0], &env).unwrap();
/// assert_eq!(target.admin_url().unwrap().database(), MAINTENANCE_DATABASE);
/// ```
pub const MAINTENANCE_DATABASE: &str = "postgres";

/// One database in one environment, ready for the command to connect.
///
/// When `url` is `None` the `url_env` variable is unset (or empty): if
/// [`Target::local_cluster`] is true the caller starts the embedded cluster
/// and derives the URL; otherwise
/// [`Target::require_url`] gives the error to show.
///
/// # Examples
///
/// ```
/// use strata::config::{resolve_target, Origin, ProcessEnv, Project};
/// let project = Project::from_toml("", std::path::Path::new("/srv/app/strata.toml")).unwrap();
/// let process = ProcessEnv::from([("DATABASE_URL".to_owned(), "postgres://app@db/shop".to_owned())]);
/// let env = project.resolve_env(None, &process).unwrap();
/// let target = resolve_target(&project.databases()[0], &env).unwrap();
/// assert_eq!((target.db.name.as_str(), target.env.as_str()), ("main", "dev"));
/// assert_eq!(target.origin, Some(Origin::Process));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Target<'a> {
    /// The database's configuration.
    pub db: &'a DatabaseConfig,
    /// The environment's name.
    pub env: String,
    /// The URL from `url_env`, if set.
    pub url: Option<DbUrl>,
    /// Where `url` came from.
    pub origin: Option<Origin>,
    /// `url` as libpq would connect with it: after its service file and
    /// the `PG*` variables ([`Libpq::effective`]).
    pub effective: Option<DbUrl>,
    /// The environment's URL rules applied to the effective connection
    /// (`None` without a URL).
    pub policy: Option<PolicyReport>,
    /// The URL from `admin_url_env`, if configured and set, with its origin.
    pub admin: Option<(DbUrl, Origin)>,
    /// The rules applied to the admin URL (`allowed_hosts`, `require_tls`).
    pub admin_policy: Option<PolicyReport>,
    /// The environment's `local_cluster` setting.
    pub local_cluster: bool,
}

impl Target<'_> {
    /// Whether the command should use the embedded local cluster: the URL
    /// variable is unset and the environment allows it.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::{resolve_target, ProcessEnv, Project};
    /// let toml = "[environments.dev]\nlocal_cluster = true\n";
    /// let project = Project::from_toml(toml, std::path::Path::new("/srv/app/strata.toml")).unwrap();
    /// let env = project.resolve_env(None, &ProcessEnv::new()).unwrap();
    /// // DATABASE_URL is unset and dev allows the embedded cluster.
    /// assert!(resolve_target(&project.databases()[0], &env).unwrap().uses_local_cluster());
    /// ```
    pub fn uses_local_cluster(&self) -> bool {
        self.url.is_none() && self.local_cluster
    }

    /// The URL, or the error explaining how to provide one.
    ///
    /// # Errors
    ///
    /// [`ConfigError::UrlNotSet`] when the variable is unset.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::{resolve_target, ProcessEnv, Project};
    /// let project = Project::from_toml("", std::path::Path::new("/srv/app/strata.toml")).unwrap();
    /// let env = project.resolve_env(None, &ProcessEnv::new()).unwrap();
    /// let err = resolve_target(&project.databases()[0], &env).unwrap().require_url().unwrap_err();
    /// assert!(err.to_string().contains("DATABASE_URL"), "{err}");
    /// ```
    pub fn require_url(&self) -> Result<&DbUrl, ConfigError> {
        self.url.as_ref().ok_or_else(|| ConfigError::UrlNotSet {
            var: self.db.url_env.clone(),
            env: self.env.clone(),
        })
    }

    /// Every policy check (database URL, then admin URL) as a result.
    ///
    /// # Errors
    ///
    /// [`ConfigError::PolicyViolation`] for the first failed rule.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::{resolve_target, ProcessEnv, Project};
    /// let toml = "[environments.prod]\nrequire_tls = true\n";
    /// let project = Project::from_toml(toml, std::path::Path::new("/srv/app/strata.toml")).unwrap();
    /// let process = ProcessEnv::from([("DATABASE_URL".to_owned(), "postgres://app@db/shop".to_owned())]);
    /// let env = project.resolve_env(Some("prod"), &process).unwrap();
    /// let target = resolve_target(&project.databases()[0], &env).unwrap();
    /// assert!(target.check_policy().unwrap_err().is_policy_violation());
    /// ```
    pub fn check_policy(&self) -> Result<(), ConfigError> {
        for report in self.policy.iter().chain(self.admin_policy.iter()) {
            report.to_result()?;
        }
        Ok(())
    }

    /// Server-level credentials for `db create` / `db drop`: the admin URL
    /// if configured and set, else the database URL with database
    /// `postgres`. `None` when neither is available (the caller may then try
    /// `PG*` variables or the local cluster).
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::{resolve_target, ProcessEnv, Project};
    /// let toml = "[databases.main]\nadmin_url_env = \"ADMIN_URL\"\n";
    /// let project = Project::from_toml(toml, std::path::Path::new("/srv/app/strata.toml")).unwrap();
    /// let process = ProcessEnv::from([
    ///     ("DATABASE_URL".to_owned(), "postgres://app@db/shop".to_owned()),
    ///     ("ADMIN_URL".to_owned(), "postgres://admin@db/postgres".to_owned()),
    /// ]);
    /// let env = project.resolve_env(None, &process).unwrap();
    /// let admin = resolve_target(&project.databases()[0], &env).unwrap().admin_url().unwrap();
    /// assert_eq!(admin.user(), Some("admin"));
    /// ```
    pub fn admin_url(&self) -> Option<DbUrl> {
        match &self.admin {
            Some((url, _)) => Some(url.clone()),
            None => self
                .url
                .as_ref()
                .map(|u| u.with_database(MAINTENANCE_DATABASE)),
        }
    }
}

/// Resolves `db` in `env`: reads and parses its URL variables and runs the
/// policy checks (reported, not enforced: see [`Target::check_policy`]).
///
/// # Errors
///
/// [`ConfigError::InvalidUrl`] when a set variable does not hold a valid
/// PostgreSQL URL (the message names the variable and its origin, never
/// the value).
///
/// # Examples
///
/// ```
/// use strata::config::{resolve_target, ProcessEnv, Project};
/// let project = Project::from_toml("", std::path::Path::new("/srv/app/strata.toml")).unwrap();
/// let process = ProcessEnv::from([("DATABASE_URL".to_owned(), "mysql://app:hunter2@db/shop".to_owned())]);
/// let env = project.resolve_env(None, &process).unwrap();
/// // Not a PostgreSQL URL: the error names the variable, never the value.
/// let err = resolve_target(&project.databases()[0], &env).unwrap_err().to_string();
/// assert!(err.contains("DATABASE_URL") && !err.contains("hunter2"), "{err}");
/// ```
pub fn resolve_target<'a>(
    db: &'a DatabaseConfig,
    env: &ResolvedEnv,
) -> Result<Target<'a>, ConfigError> {
    let libpq = Libpq::from_env(env);
    type Read = Option<(DbUrl, Origin, DbUrl, PolicyReport)>;
    let read = |var: &str, role: UrlRole| -> Result<Read, ConfigError> {
        let Some((value, origin)) = env.get_non_empty(var) else {
            return Ok(None);
        };
        let url = DbUrl::parse(value).map_err(|reason| ConfigError::InvalidUrl {
            var: var.to_owned(),
            origin: Some(origin.clone()),
            reason,
        })?;
        let effective = libpq.effective(&url)?;
        let policy = check_effective_policy(&env.spec, &url, &effective, role);
        Ok(Some((url, origin.clone(), effective, policy)))
    };

    let (url, origin, effective, policy) = match read(&db.url_env, UrlRole::Database)? {
        Some((u, o, e, p)) => (Some(u), Some(o), Some(e), Some(p)),
        None => (None, None, None, None),
    };
    let (admin, admin_policy) = match &db.admin_url_env {
        Some(var) => match read(var, UrlRole::Admin)? {
            Some((u, o, _, p)) => (Some((u, o)), Some(p)),
            None => (None, None),
        },
        None => (None, None),
    };
    Ok(Target {
        db,
        env: env.name.clone(),
        url,
        origin,
        effective,
        policy,
        admin,
        admin_policy,
        local_cluster: env.spec.local_cluster,
    })
}

impl Libpq {
    /// The server-level URL for `db create` / `db drop` / `db reset`, and
    /// where its credentials come from:
    ///
    /// 1. the database's `admin_url_env` variable, when set;
    /// 2. else, when `PGUSER` is set, the database URL's server with
    ///    `PGUSER` and `PGPASSWORD` (or the password file), on the
    ///    maintenance database `postgres` (seed 004's root `.env`);
    /// 3. else the database URL itself on `postgres`.
    ///
    /// `None` when the database has no URL.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::{resolve_target, AdminSource, Libpq, ProcessEnv, Project};
    /// let project = Project::from_toml("", std::path::Path::new("/srv/app/strata.toml")).unwrap();
    /// let process = ProcessEnv::from([("DATABASE_URL".to_owned(), "postgres://app:pw@db/shop".to_owned())]);
    /// let env = project.resolve_env(None, &process).unwrap();
    /// let target = resolve_target(&project.databases()[0], &env).unwrap();
    /// let (url, source) = Libpq::from_env(&env).admin_url(&target).unwrap();
    /// assert_eq!((url.database(), source), ("postgres", AdminSource::DatabaseUrl));
    /// ```
    pub fn admin_url(&self, target: &Target<'_>) -> Option<(DbUrl, AdminSource)> {
        if let Some((url, _)) = &target.admin {
            let var = target.db.admin_url_env.clone().unwrap_or_default();
            return Some((url.clone(), AdminSource::AdminUrlEnv(var)));
        }
        let url = target.url.as_ref()?.with_database(MAINTENANCE_DATABASE);
        match self.pg_user() {
            Some(user) => Some((
                url.with_credentials(Some(user.to_owned()), self.pg_password().map(str::to_owned)),
                AdminSource::PgVariables,
            )),
            None => Some((url, AdminSource::DatabaseUrl)),
        }
    }
}
