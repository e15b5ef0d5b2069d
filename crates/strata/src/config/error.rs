//! The errors of the configuration layer: strata.toml, environments, env
//! files, database URLs and URL policy.
//!
//! Every variant carries typed fields (path, line, column, key, rule,
//! environment) so the CLI can render them and map them to exit code 2. No
//! message ever contains a password: URLs appear only in their redacted form.

use std::fmt;
use std::io;
use std::path::PathBuf;

use super::policy::rule::PolicyRule;
use super::url::UrlError;

/// A 1-based position in a file. `line == 0` means the position is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Location {
    /// 1-based line number, 0 when unknown.
    pub line: usize,
    /// 1-based column (in characters), 0 when unknown.
    pub column: usize,
}

impl Location {
    /// The location of byte `offset` in `source`.
    pub(crate) fn of_offset(source: &str, offset: usize) -> Location {
        let offset = floor_char_boundary(source, offset.min(source.len()));
        let before = &source[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        Location { line, column }
    }
}

pub(crate) fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Renders `path:line:column`, leaving out what is unknown.
pub(crate) struct At<'a>(pub &'a std::path::Path, pub usize, pub usize);

impl fmt::Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.1, self.2) {
            (0, _) => write!(f, "{}", self.0.display()),
            (line, 0) => write!(f, "{}:{line}", self.0.display()),
            (line, column) => write!(f, "{}:{line}:{column}", self.0.display()),
        }
    }
}

/// Everything that can go wrong while loading strata.toml, resolving an
/// environment or reading a database URL.
///
/// # Examples
///
/// ```
/// use std::path::Path;
/// use strata::config::{ConfigError, Project};
/// let err = Project::from_toml("[databases.app]\ndepends_on = [\"core\"]\n", Path::new("/a/strata.toml")).unwrap_err();
/// // Every variant's text names the file, key or rule involved.
/// println!("{err}");
/// assert!(err.to_string().contains("core"), "{err}");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No strata.toml in `start` or any of its parents.
    #[error(
        "no strata.toml found in {} or any parent directory: run `strata init` to create one, or pass `-C DIR` / `--config FILE`",
        start.display()
    )]
    NotFound {
        /// The directory the search started from.
        start: PathBuf,
    },

    /// `--config FILE` names a file that does not exist.
    #[error("config file {} does not exist: check `--config`, or run `strata init`", path.display())]
    ConfigFileMissing {
        /// The path that was given.
        path: PathBuf,
    },

    /// strata.toml (or an env file) could not be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },

    /// strata.toml is not valid TOML.
    #[error("{}: invalid TOML: {message}", At(path, *line, *column))]
    Syntax {
        /// strata.toml.
        path: PathBuf,
        /// 1-based line (0 when unknown).
        line: usize,
        /// 1-based column (0 when unknown).
        column: usize,
        /// What the TOML parser said.
        message: String,
    },

    /// A key strata does not know: a typo must never be silently ignored.
    #[error("{}: unknown key `{key}` in strata.toml{}", At(path, *line, *column), expected_suffix(expected))]
    UnknownKey {
        /// strata.toml.
        path: PathBuf,
        /// 1-based line (0 when unknown).
        line: usize,
        /// 1-based column (0 when unknown).
        column: usize,
        /// The dotted key, e.g. `environments.prod.lock_timout`.
        key: String,
        /// The keys allowed at that place, as the TOML parser lists them.
        expected: Option<String>,
    },

    /// A key has a value of the wrong type or an invalid value.
    #[error("{}: invalid value for `{key}`: {message}", At(path, *line, *column))]
    InvalidValue {
        /// strata.toml.
        path: PathBuf,
        /// 1-based line (0 when unknown).
        line: usize,
        /// 1-based column (0 when unknown).
        column: usize,
        /// The dotted key, e.g. `environments.prod.lock_timeout`.
        key: String,
        /// What is wrong and, when known, what is expected.
        message: String,
    },

    /// `depends_on` names a database that is not declared.
    #[error(
        "{}: database `{database}` depends on `{dependency}`, which is not declared: add [databases.{dependency}] or fix the name",
        At(path, *line, *column)
    )]
    UnknownDependency {
        /// strata.toml.
        path: PathBuf,
        /// 1-based line (0 when unknown).
        line: usize,
        /// 1-based column (0 when unknown).
        column: usize,
        /// The database whose `depends_on` is wrong.
        database: String,
        /// The missing name.
        dependency: String,
    },

    /// The `depends_on` graph has a cycle.
    #[error("{}: `depends_on` has a cycle: {}", path.display(), cycle.join(" -> "))]
    DependencyCycle {
        /// strata.toml.
        path: PathBuf,
        /// The cycle, first name repeated at the end (`a -> b -> a`).
        cycle: Vec<String>,
    },

    /// `--db NAME` names a database strata.toml does not declare.
    #[error("unknown database `{name}` (declared: {})", declared.join(", "))]
    UnknownDatabase {
        /// The requested name.
        name: String,
        /// The declared databases, in `depends_on` order.
        declared: Vec<String>,
    },

    /// The selected environment is not declared in strata.toml.
    #[error(
        "environment `{env}` is not declared in strata.toml (declared: {}): pick one with `--env` or add [environments.{env}]",
        declared.join(", ")
    )]
    UndeclaredEnvironment {
        /// The requested environment.
        env: String,
        /// The declared environments, in file order.
        declared: Vec<String>,
    },

    /// An env file is not valid dotenv syntax.
    #[error("{}: invalid env file syntax", At(path, *line, 0))]
    EnvFileSyntax {
        /// The env file.
        path: PathBuf,
        /// 1-based line of the offending entry (0 when unknown).
        line: usize,
    },

    /// A URL variable does not hold a usable PostgreSQL URL.
    #[error("{var}{}: {reason}", origin.as_ref().map(|o| format!(" (from {o})")).unwrap_or_default())]
    InvalidUrl {
        /// The environment variable holding the URL.
        var: String,
        /// Where the value came from, when known.
        origin: Option<super::env::Origin>,
        /// What is wrong (never echoes the password). Printed in the
        /// message, so not returned from `source()`.
        reason: UrlError,
    },

    /// A database's URL variable is unset and no local cluster may stand in.
    #[error(
        "{var} is not set in environment `{env}`: set it in the process environment or an env file of [environments.{env}], or set `local_cluster = true` there"
    )]
    UrlNotSet {
        /// The variable (`url_env`).
        var: String,
        /// The environment.
        env: String,
    },

    /// The URL breaks one of the environment's policy rules.
    #[error("environment `{env}` forbids {url}: {rule}: {message}")]
    PolicyViolation {
        /// The rule (`allowed_hosts`, `database_pattern`, `require_tls`).
        rule: PolicyRule,
        /// The environment.
        env: String,
        /// The URL, password redacted.
        url: String,
        /// Why the rule failed.
        message: String,
    },
}

fn expected_suffix(expected: &Option<String>) -> String {
    match expected {
        Some(e) => format!(": check the spelling (expected {e})"),
        None => ": check the spelling".to_owned(),
    }
}

impl ConfigError {
    /// The dotted strata.toml key the error is about, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::path::Path;
    /// use strata::config::Project;
    /// let err = Project::from_toml("[environments.prod]\nlock_timeout = \"soon\"\n", Path::new("/a/strata.toml")).unwrap_err();
    /// assert_eq!(err.key(), Some("environments.prod.lock_timeout"));
    /// ```
    pub fn key(&self) -> Option<&str> {
        match self {
            ConfigError::UnknownKey { key, .. } | ConfigError::InvalidValue { key, .. } => {
                Some(key)
            }
            _ => None,
        }
    }

    /// The 1-based line the error points at, if known.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::path::Path;
    /// use strata::config::Project;
    /// let err = Project::from_toml("\n\n[databases.x]\nmigration = \"m\"\n", Path::new("/a/strata.toml")).unwrap_err();
    /// assert_eq!(err.line(), Some(4));
    /// ```
    pub fn line(&self) -> Option<usize> {
        match self {
            ConfigError::Syntax { line, .. }
            | ConfigError::UnknownKey { line, .. }
            | ConfigError::InvalidValue { line, .. }
            | ConfigError::UnknownDependency { line, .. }
            | ConfigError::EnvFileSyntax { line, .. } => Some(*line).filter(|l| *l > 0),
            _ => None,
        }
    }

    /// Whether this is a URL policy violation.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::{check_url_policy, DbUrl, Environment, UrlRole};
    /// let mut env = Environment::undeclared("prod");
    /// env.require_tls = true;
    /// let report = check_url_policy(&env, &DbUrl::parse("postgres://a@db/x").unwrap(), UrlRole::Database);
    /// assert!(report.to_result().unwrap_err().is_policy_violation());
    /// ```
    pub fn is_policy_violation(&self) -> bool {
        matches!(self, ConfigError::PolicyViolation { .. })
    }
}
