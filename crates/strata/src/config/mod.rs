//! strata.toml, environments, env files and URL rules (SPEC §1).
//!
//! This module turns a project directory and a snapshot of the process
//! environment into everything a command needs before it connects:
//!
//! 1. [`Project::discover`] / [`Project::load`] find and parse strata.toml
//!    (unknown keys are errors with file, line and column), apply the
//!    defaults and order the databases by `depends_on`.
//! 2. [`Project::resolve_env`] selects the environment (`--env`,
//!    `STRATA_ENV`, `default_env`, `dev`) and layers its env files under the
//!    process environment, remembering where each variable came from.
//! 3. [`resolve_target`] reads a database's URL variable into a [`DbUrl`]
//!    and runs the environment's policy checks on it.
//!
//! Nothing here prints, connects, or reads `std::env` implicitly: the
//! process environment is always passed in (see [`process_env_snapshot`]).
//! Passwords never appear in `Display`, `Debug` or error messages.
//!
//! ```
//! use std::path::Path;
//! use strata::config::{Project, ProcessEnv, resolve_target};
//!
//! let toml = r#"
//!     [databases.core]
//!     url_env = "CORE_URL"
//!     [databases.app]
//!     depends_on = ["core"]
//! "#;
//! let project = Project::from_toml(toml, Path::new("/nonexistent/strata.toml"))?;
//! let names: Vec<_> = project.databases().iter().map(|d| d.name.as_str()).collect();
//! assert_eq!(names, ["core", "app"]);
//!
//! let mut process = ProcessEnv::new();
//! process.insert("CORE_URL".into(), "postgres://app:hunter2@localhost/core".into());
//! let env = project.resolve_env(None, &process)?;
//! let target = resolve_target(&project.databases()[0], &env)?;
//! target.check_policy()?;
//! let url = target.require_url()?;
//! assert_eq!(url.to_string(), "postgres://app:***@localhost/core");
//! # Ok::<(), strata::config::ConfigError>(())
//! ```

mod effective;
mod env;
mod envfile;
mod error;
mod file;
mod libpq;

mod pgpass;
mod policy;
mod project;
mod service;
mod table;
mod target;
mod timeout;
mod url;

pub use env::{
    DEFAULT_LOCK_TIMEOUT, DatabasePattern, EnvNameSource, EnvValue, Environment, FALLBACK_ENV,
    Origin, ProcessEnv, ResolvedEnv, STRATA_ENV, is_secret_name, process_env_snapshot, resolve_env,
    select_env_name,
};
pub use error::ConfigError;
pub use libpq::{AdminSource, Libpq};
pub use pgpass::pgpass_lookup;
pub use policy::{
    PolicyCheck, PolicyReport, PolicyRule, SOCKET_HOST, UrlRole, check_effective_policy,
    check_url_policy,
};
pub use project::{
    CONFIG_FILE_NAME, DEFAULT_DATABASE, DEFAULT_URL_ENV, DatabaseConfig, PlaceholderValue, Project,
};
pub use table::{DEFAULT_HISTORY_TABLE, TableName, quote_ident};
pub use target::{MAINTENANCE_DATABASE, Target, resolve_target};
pub use timeout::Timeout;
pub use url::{
    DEFAULT_APPLICATION_NAME, DEFAULT_CONNECT_TIMEOUT, DEFAULT_PORT, DbUrl, ENV_VARS, HostTarget,
    Param, SslMode, UrlError,
};

#[cfg(test)]
mod tests;
