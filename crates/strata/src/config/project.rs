//! A loaded strata project: strata.toml found, parsed, defaulted and
//! validated, with databases in `depends_on` order.
//!
//! Defaults (SPEC §1.1, plus the decisions where it is silent):
//!
//! - No `[databases]` (or an empty one): one database `main` with
//!   migrations `migrations` and `url_env = "DATABASE_URL"`.
//! - `migrations`: `migrations` when there is one database,
//!   `migrations/<name>` when there are several.
//! - `seeds`: `seeds/<name>` if that folder exists; with exactly one
//!   database (declared or the implicit `main`), otherwise `seeds` if that
//!   folder exists (the single-database layout); otherwise none. Checked
//!   when strata.toml is loaded.
//! - `schemas`: `["public"]`. `history_table`: the top-level value, itself
//!   defaulting to `public.strata_schema_history`.
//! - Relative paths (migrations, seeds, env files) resolve against the
//!   directory holding strata.toml.
//! - Database and environment names must match `[A-Za-z0-9_-]+`: they end
//!   up in folder names and, for the local cluster, in database names.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use toml::Spanned;

use super::env::{
    DEFAULT_LOCK_TIMEOUT, DatabasePattern, Environment, ProcessEnv, ResolvedEnv, resolve_env,
};
use super::error::{ConfigError, Location};
use super::file::{self, RawDatabase, RawEnvironment, RawFile, invalid_value};
use super::order;
use super::table::{TableName, check_identifier};
use super::timeout::Timeout;

/// The file strata looks for.
///
/// # Examples
///
/// ```
/// use strata::config::{Project, CONFIG_FILE_NAME};
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::write(dir.path().join(CONFIG_FILE_NAME), "").unwrap();
/// std::fs::create_dir(dir.path().join("sub")).unwrap();
/// let project = Project::discover(&dir.path().join("sub")).unwrap();
/// assert!(project.config_path().ends_with("strata.toml"));
/// ```
pub const CONFIG_FILE_NAME: &str = "strata.toml";

/// The database of a strata.toml that declares none.
///
/// # Examples
///
/// ```
/// use strata::config::{Project, DEFAULT_DATABASE};
/// let project = Project::from_toml("", std::path::Path::new("/srv/app/strata.toml")).unwrap();
/// assert_eq!(project.databases()[0].name, DEFAULT_DATABASE);
/// ```
pub const DEFAULT_DATABASE: &str = "main";

/// The default `url_env`.
///
/// # Examples
///
/// ```
/// use strata::config::{Project, DEFAULT_URL_ENV};
/// let project = Project::from_toml("", std::path::Path::new("/srv/app/strata.toml")).unwrap();
/// assert_eq!(project.databases()[0].url_env, DEFAULT_URL_ENV);
/// ```
pub const DEFAULT_URL_ENV: &str = "DATABASE_URL";

/// One logical database, defaults applied, paths resolved.
///
/// # Examples
///
/// ```
/// use std::path::Path;
/// use strata::config::Project;
/// let toml = "[databases.billing]\nurl_env = \"BILLING_URL\"\nmigrations = \"db/billing\"\n";
/// let project = Project::from_toml(toml, Path::new("/srv/app/strata.toml")).unwrap();
/// let db = project.database("billing").unwrap();
/// assert_eq!(db.url_env, "BILLING_URL");
/// assert_eq!(db.migrations, Path::new("/srv/app/db/billing"));
/// assert_eq!(db.history_table.to_string(), "public.strata_schema_history");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DatabaseConfig {
    /// The name (the `[databases.<name>]` key, or `main`).
    pub name: String,
    /// The migrations folder.
    pub migrations: PathBuf,
    /// The seeds folder, if configured or found by default.
    pub seeds: Option<PathBuf>,
    /// The variable holding the database URL.
    pub url_env: String,
    /// The variable holding a server-level admin URL, if configured.
    pub admin_url_env: Option<String>,
    /// Databases migrated before this one, as declared.
    pub depends_on: Vec<String>,
    /// Schemas `db clean` truncates.
    pub schemas: Vec<String>,
    /// The history table.
    pub history_table: TableName,
}

/// A loaded strata.toml.
///
/// # Examples
///
/// ```
/// use std::path::Path;
/// use strata::config::Project;
/// let project = Project::from_toml("default_env = \"stage\"\n", Path::new("/srv/app/strata.toml")).unwrap();
/// assert_eq!(project.root(), Path::new("/srv/app"));
/// assert_eq!(project.default_env(), Some("stage"));
/// ```
#[derive(Debug, Clone)]
pub struct Project {
    config_path: PathBuf,
    root: PathBuf,
    default_env: Option<String>,
    history_table: TableName,
    databases: Vec<DatabaseConfig>,
    environments: Vec<Environment>,
}

impl Project {
    /// Finds strata.toml in `start_dir` or the nearest parent that has one
    /// (like cargo), and loads it.
    ///
    /// # Errors
    ///
    /// [`ConfigError::NotFound`] when no directory up to the root has one;
    /// otherwise as [`Project::load`].
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::Project;
    /// let dir = tempfile::tempdir().unwrap();
    /// std::fs::write(dir.path().join("strata.toml"), "[databases.core]\n").unwrap();
    /// let nested = dir.path().join("services/api");
    /// std::fs::create_dir_all(&nested).unwrap();
    /// // Like cargo: the nearest strata.toml up the tree.
    /// assert_eq!(Project::discover(&nested).unwrap().databases()[0].name, "core");
    /// ```
    pub fn discover(start_dir: &Path) -> Result<Project, ConfigError> {
        let start = std::fs::canonicalize(start_dir).unwrap_or_else(|_| start_dir.to_owned());
        for dir in start.ancestors() {
            let candidate = dir.join(CONFIG_FILE_NAME);
            if candidate.is_file() {
                return Project::load(&candidate);
            }
        }
        Err(ConfigError::NotFound { start })
    }

    /// Loads the strata.toml at `path` (`--config FILE`).
    ///
    /// # Errors
    ///
    /// [`ConfigError::ConfigFileMissing`], [`ConfigError::Read`], and every
    /// error of [`Project::from_toml`].
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::Project;
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("strata.toml");
    /// std::fs::write(&path, "[databases.core]\nurl_envv = \"X\"\n").unwrap();
    /// // Unknown keys are errors naming the file and line.
    /// let err = Project::load(&path).unwrap_err();
    /// assert_eq!(err.line(), Some(2));
    /// assert!(err.to_string().contains("url_envv"), "{err}");
    /// ```
    pub fn load(path: &Path) -> Result<Project, ConfigError> {
        let source = match std::fs::read_to_string(path) {
            Ok(s) => s,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ConfigError::ConfigFileMissing {
                    path: path.to_owned(),
                });
            }
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        Project::from_toml(&source, path)
    }

    /// Builds a project from strata.toml's text; `config_path` names the
    /// file in errors and its directory is the project root. Default seed
    /// folders are looked up on disk under that root.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Syntax`], [`ConfigError::UnknownKey`],
    /// [`ConfigError::InvalidValue`], [`ConfigError::UnknownDependency`],
    /// [`ConfigError::DependencyCycle`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::path::Path;
    /// use strata::config::Project;
    /// let toml = "[databases.app]\ndepends_on = [\"core\"]\n[databases.core]\n";
    /// let project = Project::from_toml(toml, Path::new("/srv/app/strata.toml")).unwrap();
    /// let order: Vec<_> = project.databases().iter().map(|d| d.name.as_str()).collect();
    /// assert_eq!(order, ["core", "app"]);
    /// ```
    pub fn from_toml(source: &str, config_path: &Path) -> Result<Project, ConfigError> {
        let raw = file::parse(source, config_path)?;
        Builder {
            source,
            path: config_path,
            root: root_of(config_path),
        }
        .build(raw)
    }

    /// The strata.toml this project was loaded from.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::path::Path;
    /// use strata::config::Project;
    /// let project = Project::from_toml("", Path::new("/srv/app/strata.toml")).unwrap();
    /// assert_eq!(project.config_path(), Path::new("/srv/app/strata.toml"));
    /// ```
    pub fn config_path(&self) -> &Path {
        &self.config_path
    }

    /// The directory relative paths resolve against.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::path::Path;
    /// use strata::config::Project;
    /// let project = Project::from_toml("", Path::new("/srv/app/strata.toml")).unwrap();
    /// assert_eq!(project.root(), Path::new("/srv/app"));
    /// ```
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `default_env`, if set.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::path::Path;
    /// use strata::config::Project;
    /// assert_eq!(Project::from_toml("", Path::new("/a/strata.toml")).unwrap().default_env(), None);
    /// ```
    pub fn default_env(&self) -> Option<&str> {
        self.default_env.as_deref()
    }

    /// The top-level history table (each database may override it).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::path::Path;
    /// use strata::config::Project;
    /// let project = Project::from_toml("history_table = \"ops.migrations\"\n", Path::new("/a/strata.toml")).unwrap();
    /// assert_eq!(project.history_table().to_string(), "ops.migrations");
    /// assert_eq!(project.databases()[0].history_table.to_string(), "ops.migrations");
    /// ```
    pub fn history_table(&self) -> &TableName {
        &self.history_table
    }

    /// Every database, in `depends_on` order (ties in declaration order).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::path::Path;
    /// use strata::config::Project;
    /// let project = Project::from_toml("", Path::new("/a/strata.toml")).unwrap();
    /// assert_eq!(project.databases().len(), 1, "no [databases] table: one database, `main`");
    /// ```
    pub fn databases(&self) -> &[DatabaseConfig] {
        &self.databases
    }

    /// The database called `name`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::path::Path;
    /// use strata::config::Project;
    /// let project = Project::from_toml("[databases.core]\n", Path::new("/a/strata.toml")).unwrap();
    /// assert!(project.database("core").is_some() && project.database("main").is_none());
    /// ```
    pub fn database(&self, name: &str) -> Option<&DatabaseConfig> {
        self.databases.iter().find(|d| d.name == name)
    }

    /// The databases `--db` selects, in `depends_on` order; every database
    /// when `names` is empty. Dependencies are not added implicitly.
    ///
    /// # Errors
    ///
    /// [`ConfigError::UnknownDatabase`] for the first unknown name.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::path::Path;
    /// use strata::config::Project;
    /// let project = Project::from_toml("[databases.core]\n[databases.app]\n", Path::new("/a/strata.toml")).unwrap();
    /// assert_eq!(project.select_databases::<&str>(&[]).unwrap().len(), 2);
    /// assert_eq!(project.select_databases(&["app"]).unwrap()[0].name, "app");
    /// assert!(project.select_databases(&["nope"]).unwrap_err().to_string().contains("nope"));
    /// ```
    pub fn select_databases<S: AsRef<str>>(
        &self,
        names: &[S],
    ) -> Result<Vec<&DatabaseConfig>, ConfigError> {
        if let Some(unknown) = names
            .iter()
            .map(AsRef::as_ref)
            .find(|n| self.database(n).is_none())
        {
            return Err(ConfigError::UnknownDatabase {
                name: unknown.to_owned(),
                declared: self.databases.iter().map(|d| d.name.clone()).collect(),
            });
        }
        Ok(self
            .databases
            .iter()
            .filter(|d| names.is_empty() || names.iter().any(|n| n.as_ref() == d.name))
            .collect())
    }

    /// Declared environments, in file order.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::path::Path;
    /// use strata::config::Project;
    /// let project = Project::from_toml("[environments.dev]\n[environments.prod]\n", Path::new("/a/strata.toml")).unwrap();
    /// let names: Vec<_> = project.environments().iter().map(|e| e.name.as_str()).collect();
    /// assert!(names.contains(&"dev") && names.contains(&"prod"));
    /// ```
    pub fn environments(&self) -> &[Environment] {
        &self.environments
    }

    /// The declared environment called `name`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::path::Path;
    /// use strata::config::Project;
    /// let project = Project::from_toml("[environments.prod]\nprotected = true\n", Path::new("/a/strata.toml")).unwrap();
    /// assert!(project.environment("prod").unwrap().protected);
    /// ```
    pub fn environment(&self, name: &str) -> Option<&Environment> {
        self.environments.iter().find(|e| e.name == name)
    }

    /// Selects the environment (`flag`, `STRATA_ENV`, `default_env`, `dev`)
    /// and loads its env files under `process_env`.
    ///
    /// # Errors
    ///
    /// As [`resolve_env`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::path::Path;
    /// use strata::config::{ProcessEnv, Project};
    /// let project = Project::from_toml("[environments.dev]\n[environments.prod]\n", Path::new("/a/strata.toml")).unwrap();
    /// let env = project.resolve_env(Some("prod"), &ProcessEnv::new()).unwrap();
    /// assert_eq!(env.name, "prod");
    /// assert!(project.resolve_env(Some("qa"), &ProcessEnv::new()).is_err());
    /// ```
    pub fn resolve_env(
        &self,
        flag: Option<&str>,
        process_env: &ProcessEnv,
    ) -> Result<ResolvedEnv, ConfigError> {
        resolve_env(
            &self.environments,
            self.default_env.as_deref(),
            flag,
            process_env,
        )
    }
}

/// The directory of `config_path` (`.` for a bare file name).
fn root_of(config_path: &Path) -> PathBuf {
    match config_path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// `[A-Za-z0-9_-]+`.
fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

struct Builder<'a> {
    source: &'a str,
    path: &'a Path,
    root: PathBuf,
}

impl Builder<'_> {
    fn invalid(&self, span: std::ops::Range<usize>, message: impl Into<String>) -> ConfigError {
        invalid_value(self.source, self.path, span, message)
    }

    fn build(&self, raw: RawFile) -> Result<Project, ConfigError> {
        let history_table = match &raw.history_table {
            Some(s) => self.table(s)?,
            None => TableName::default(),
        };
        let default_env = raw.default_env.map(Spanned::into_inner);

        let raw_dbs = in_declaration_order(raw.databases.unwrap_or_default());
        let several = raw_dbs.len() > 1;
        let mut databases = Vec::new();
        if raw_dbs.is_empty() {
            databases.push(self.database(
                DEFAULT_DATABASE,
                RawDatabase::empty(),
                false,
                &history_table,
            )?);
        }
        let mut dep_locations = Vec::new();
        for (name, span, db) in raw_dbs {
            if !is_valid_name(&name) {
                return Err(self.invalid(
                    span,
                    format!("database name `{name}` must match [A-Za-z0-9_-]+"),
                ));
            }
            for dep in &db.depends_on {
                let at = Location::of_offset(self.source, dep.span().start);
                dep_locations.push((name.clone(), dep.get_ref().clone(), at));
            }
            databases.push(self.database(&name, db, several, &history_table)?);
        }
        let databases = order::order(databases, &dep_locations, self.path)?;

        let mut environments = Vec::new();
        for (name, span, env) in in_declaration_order(raw.environments.unwrap_or_default()) {
            if !is_valid_name(&name) {
                return Err(self.invalid(
                    span,
                    format!("environment name `{name}` must match [A-Za-z0-9_-]+"),
                ));
            }
            environments.push(self.environment(name, env)?);
        }

        Ok(Project {
            config_path: self.path.to_owned(),
            root: self.root.clone(),
            default_env,
            history_table,
            databases,
            environments,
        })
    }

    fn table(&self, s: &Spanned<String>) -> Result<TableName, ConfigError> {
        TableName::parse(s.get_ref()).map_err(|m| self.invalid(s.span(), m))
    }

    fn var_name(&self, s: &Spanned<String>) -> Result<String, ConfigError> {
        let v = s.get_ref().trim();
        if v.is_empty() || v.contains('=') || v.contains('\0') {
            return Err(self.invalid(s.span(), "expected an environment variable name"));
        }
        Ok(v.to_owned())
    }

    fn database(
        &self,
        name: &str,
        raw: RawDatabase,
        several: bool,
        default_history: &TableName,
    ) -> Result<DatabaseConfig, ConfigError> {
        let migrations = match raw.migrations {
            Some(m) => self.root.join(m),
            None if several => self.root.join("migrations").join(name),
            None => self.root.join("migrations"),
        };
        let seeds = match raw.seeds {
            Some(s) => Some(self.root.join(s)),
            None => {
                let per_db = self.root.join("seeds").join(name);
                let single = self.root.join("seeds");
                if per_db.is_dir() {
                    Some(per_db)
                } else if !several && single.is_dir() {
                    Some(single)
                } else {
                    None
                }
            }
        };
        let url_env = match &raw.url_env {
            Some(v) => self.var_name(v)?,
            None => DEFAULT_URL_ENV.to_owned(),
        };
        let admin_url_env = raw
            .admin_url_env
            .as_ref()
            .map(|v| self.var_name(v))
            .transpose()?;
        let schemas = match raw.schemas {
            None => vec!["public".to_owned()],
            Some(list) => list
                .into_iter()
                .map(|s| {
                    check_identifier(s.get_ref())
                        .map_err(|m| self.invalid(s.span(), format!("invalid schema name: {m}")))?;
                    Ok(s.into_inner())
                })
                .collect::<Result<_, ConfigError>>()?,
        };
        let history_table = match &raw.history_table {
            Some(s) => self.table(s)?,
            None => default_history.clone(),
        };
        let depends_on = raw
            .depends_on
            .into_iter()
            .map(Spanned::into_inner)
            .collect();
        Ok(DatabaseConfig {
            name: name.to_owned(),
            migrations,
            seeds,
            url_env,
            admin_url_env,
            depends_on,
            schemas,
            history_table,
        })
    }

    fn environment(&self, name: String, raw: RawEnvironment) -> Result<Environment, ConfigError> {
        let mut env = Environment::undeclared(name);
        env.declared = true;
        env.env_files = raw.env_files.iter().map(|f| self.root.join(f)).collect();
        env.local_cluster = raw.local_cluster;
        env.protected = raw.protected;
        env.require_tls = raw.require_tls;
        if let Some(hosts) = raw.allowed_hosts {
            if hosts.get_ref().is_empty() {
                return Err(self.invalid(
                    hosts.span(),
                    "an empty list allows no host: list the allowed hosts, or remove the key to allow any",
                ));
            }
            env.allowed_hosts = Some(hosts.into_inner());
        }
        if let Some(p) = raw.database_pattern {
            env.database_pattern =
                Some(DatabasePattern::new(p.get_ref()).map_err(|m| self.invalid(p.span(), m))?);
        }
        env.lock_timeout = match raw.lock_timeout {
            Some(v) => self.timeout(&v)?,
            None => DEFAULT_LOCK_TIMEOUT,
        };
        env.statement_timeout = raw
            .statement_timeout
            .map(|v| self.timeout(&v))
            .transpose()?;
        Ok(env)
    }

    fn timeout(&self, v: &Spanned<toml::Value>) -> Result<Timeout, ConfigError> {
        let parsed = match v.get_ref() {
            toml::Value::String(s) => Timeout::parse(s),
            toml::Value::Integer(i) => u64::try_from(*i)
                .map_err(|_| format!("`{i}` is negative"))
                .and_then(|ms| Timeout::parse(&ms.to_string())),
            other => Err(format!(
                "expected a duration such as \"5s\" or an integer of milliseconds, found a {}",
                other.type_str()
            )),
        };
        parsed.map_err(|m| self.invalid(v.span(), m))
    }
}

/// Table entries sorted by where they appear in the file.
fn in_declaration_order<T>(
    map: BTreeMap<String, Spanned<T>>,
) -> Vec<(String, std::ops::Range<usize>, T)> {
    let mut v: Vec<_> = map
        .into_iter()
        .map(|(name, value)| {
            let span = value.span();
            (name, span, value.into_inner())
        })
        .collect();
    v.sort_by_key(|(_, span, _)| span.start);
    v
}

impl RawDatabase {
    fn empty() -> RawDatabase {
        RawDatabase {
            migrations: None,
            url_env: None,
            seeds: None,
            depends_on: Vec::new(),
            schemas: None,
            history_table: None,
            admin_url_env: None,
        }
    }
}
