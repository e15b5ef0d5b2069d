//! Environments: which one is selected, its env files, and the variables
//! they resolve to, each with where it came from.
//!
//! The process environment is always passed in as a snapshot
//! ([`ProcessEnv`]); nothing here reads or changes `std::env`.
//!
//! Precedence (SPEC §1.2): the name is `--env`, else `STRATA_ENV` (from the
//! process environment only; env files cannot choose their own
//! environment), else `default_env`, else `dev`. An empty `STRATA_ENV`
//! counts as unset. Among env files the later file wins; within one file the
//! last assignment wins; a variable set in the process environment wins
//! over every file.
//!
//! The selection lives in `select`, each variable's value and origin in
//! `value`, the loaded environment in `resolved`, `database_pattern` globs
//! in `pattern`.

mod pattern;
mod resolved;
mod select;
mod value;

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::timeout::Timeout;

pub use pattern::DatabasePattern;
pub use resolved::{ResolvedEnv, resolve_env};
pub use select::{EnvNameSource, select_env_name};
pub use value::{EnvValue, Origin, is_secret_name};

/// A snapshot of the process environment (`name -> value`).
///
/// # Examples
///
/// ```
/// use strata::config::{ProcessEnv, select_env_name, EnvNameSource};
/// // The process environment is always passed in, never read implicitly.
/// let mut process = ProcessEnv::new();
/// process.insert("STRATA_ENV".into(), "staging".into());
/// assert_eq!(select_env_name(None, &process, None), ("staging".to_owned(), EnvNameSource::StrataEnv));
/// ```
pub type ProcessEnv = BTreeMap<String, String>;

/// The variable that selects the environment when `--env` is not given.
///
/// # Examples
///
/// ```
/// use strata::config::{ProcessEnv, STRATA_ENV, select_env_name};
/// let process = ProcessEnv::from([(STRATA_ENV.to_owned(), "prod".to_owned())]);
/// assert_eq!(select_env_name(None, &process, Some("dev")).0, "prod");
/// ```
pub const STRATA_ENV: &str = "STRATA_ENV";

/// The environment used when nothing selects one.
///
/// # Examples
///
/// ```
/// use strata::config::{ProcessEnv, FALLBACK_ENV, select_env_name};
/// assert_eq!(select_env_name(None, &ProcessEnv::new(), None).0, FALLBACK_ENV);
/// ```
pub const FALLBACK_ENV: &str = "dev";

/// The default `lock_timeout` (SPEC §1.1).
///
/// # Examples
///
/// ```
/// use strata::config::{DEFAULT_LOCK_TIMEOUT, Environment};
/// assert_eq!(DEFAULT_LOCK_TIMEOUT.to_string(), "10s");
/// assert_eq!(Environment::undeclared("dev").lock_timeout, DEFAULT_LOCK_TIMEOUT);
/// ```
pub const DEFAULT_LOCK_TIMEOUT: Timeout = Timeout::from_millis(10_000);

/// Takes a snapshot of the real process environment, skipping variables
/// whose name or value is not UTF-8. This is the one place that reads
/// `std::env`; the CLI calls it once.
///
/// # Examples
///
/// ```
/// use strata::config::process_env_snapshot;
/// // Taken once at start-up, then passed to everything that resolves variables.
/// let env = process_env_snapshot();
/// assert_eq!(env.get("PATH").map(String::as_str), std::env::var("PATH").ok().as_deref());
/// ```
pub fn process_env_snapshot() -> ProcessEnv {
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect()
}

/// One `[environments.<name>]` table, with defaults applied and paths
/// resolved against the project root.
///
/// # Examples
///
/// ```
/// use std::path::Path;
/// use strata::config::Project;
/// let toml = r#"
///     [environments.prod]
///     protected = true
///     require_tls = true
///     lock_timeout = "3s"
/// "#;
/// let project = Project::from_toml(toml, Path::new("/srv/app/strata.toml")).unwrap();
/// let prod = project.environment("prod").unwrap();
/// assert!(prod.protected && prod.require_tls && prod.declared);
/// assert_eq!(prod.lock_timeout.to_string(), "3s");
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Environment {
    /// The name (the table key).
    pub name: String,
    /// Whether strata.toml declares it (false when no environments are
    /// declared and the name is free).
    pub declared: bool,
    /// Env files in load order, resolved against the project root.
    pub env_files: Vec<PathBuf>,
    /// Use the project-local cluster when a database's URL is unset (§6).
    /// Default `false`.
    pub local_cluster: bool,
    /// Destructive commands are refused or need ceremony (§5). Default `false`.
    pub protected: bool,
    /// URL hosts allowed; `None` = any host. Never empty (an empty list is a
    /// configuration error: remove the key to allow any host).
    pub allowed_hosts: Option<Vec<String>>,
    /// Glob the URL's database name must match; `None` = any.
    pub database_pattern: Option<DatabasePattern>,
    /// The URL must guarantee TLS. Default `false`.
    pub require_tls: bool,
    /// `SET lock_timeout` for each migration. Default 10s.
    pub lock_timeout: Timeout,
    /// `SET statement_timeout` for each migration; `None` (the default) means
    /// strata does not set it, so the server/role setting applies; `"0"`
    /// explicitly disables it.
    pub statement_timeout: Option<Timeout>,
    /// How many times a transactional migration that fails on
    /// `lock_timeout` (SQLSTATE 55P03) is rolled back and run again, with
    /// backoff (SPEC §4.2 step 4). Default 0.
    pub lock_retries: u32,
}

impl Environment {
    /// An environment strata.toml does not declare (allowed only when it
    /// declares none): no files, no rules, default timeouts.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::Environment;
    /// let env = Environment::undeclared("dev");
    /// assert!(!env.declared && !env.protected && env.env_files.is_empty());
    /// ```
    pub fn undeclared(name: impl Into<String>) -> Environment {
        Environment {
            name: name.into(),
            declared: false,
            env_files: Vec::new(),
            local_cluster: false,
            protected: false,
            allowed_hosts: None,
            database_pattern: None,
            require_tls: false,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            statement_timeout: None,
            lock_retries: 0,
        }
    }
}

#[cfg(test)]
mod tests;
