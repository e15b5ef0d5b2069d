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
//!
//! Finding and reading the file is `load`, turning the parsed file into a
//! project with its defaults is `build`, the `depends_on` order is `order`,
//! one database is `database`.

mod build;
mod database;
mod load;
mod order;

use std::path::{Path, PathBuf};

use super::env::{Environment, ProcessEnv, ResolvedEnv, resolve_env};
use super::error::ConfigError;
use super::table::TableName;

pub use database::{DatabaseConfig, PlaceholderValue};

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
    lint: crate::lint::rules::Rules,
}

impl Project {
    /// The lint rules' severities: the defaults with `[lint] rules` applied.
    ///
    /// ```
    /// use std::path::Path;
    /// use strata::config::Project;
    /// use strata::lint::Severity;
    /// let toml = "[lint]\nrules = { \"ban-drop-column\" = \"error\", \"ban-truncate\" = \"off\" }\n";
    /// let project = Project::from_toml(toml, Path::new("strata.toml")).unwrap();
    /// assert_eq!(project.lint().severity("ban-drop-column".parse()?), Some(Severity::Error));
    /// assert_eq!(project.lint().severity("ban-truncate".parse()?), None);
    ///
    /// let typo = "[lint]\nrules = { \"ban-drop-colum\" = \"error\" }\n";
    /// let err = Project::from_toml(typo, Path::new("strata.toml")).unwrap_err();
    /// assert_eq!(err.line(), Some(2));
    /// assert!(err.to_string().contains("unknown lint rule `ban-drop-colum`"));
    /// # Ok::<(), strata::lint::UnknownRule>(())
    /// ```
    pub fn lint(&self) -> &crate::lint::rules::Rules {
        &self.lint
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
