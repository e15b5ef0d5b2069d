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

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use globset::{Glob, GlobMatcher};

use super::envfile;
use super::error::ConfigError;
use super::timeout::Timeout;
use super::url::redact_url_like;

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

/// A compiled `database_pattern` glob.
///
/// # Examples
///
/// ```
/// use strata::config::DatabasePattern;
/// let p = DatabasePattern::new("shop_{prod,stage}").unwrap();
/// assert!(p.is_match("shop_prod") && !p.is_match("shop_dev"));
/// ```
#[derive(Debug, Clone)]
pub struct DatabasePattern {
    pattern: String,
    matcher: GlobMatcher,
}

impl DatabasePattern {
    /// Compiles a glob (`*_prod`, `shop_{prod,stage}`).
    ///
    /// # Errors
    ///
    /// The glob syntax error, as text.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::DatabasePattern;
    /// assert!(DatabasePattern::new("*_prod").is_ok());
    /// assert!(DatabasePattern::new("shop_{prod").unwrap_err().contains("is not a glob"));
    /// ```
    pub fn new(pattern: &str) -> Result<DatabasePattern, String> {
        let glob = Glob::new(pattern).map_err(|e| format!("`{pattern}` is not a glob: {e}"))?;
        Ok(DatabasePattern {
            pattern: pattern.to_owned(),
            matcher: glob.compile_matcher(),
        })
    }

    /// The glob as written.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::DatabasePattern;
    /// assert_eq!(DatabasePattern::new("*_prod").unwrap().as_str(), "*_prod");
    /// ```
    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// Whether `database` matches (case-sensitive, like PostgreSQL names).
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::DatabasePattern;
    /// let p = DatabasePattern::new("*_prod").unwrap();
    /// assert!(p.is_match("billing_prod"));
    /// assert!(!p.is_match("billing_PROD"), "case-sensitive, like PostgreSQL names");
    /// ```
    pub fn is_match(&self, database: &str) -> bool {
        self.matcher.is_match(database)
    }
}

impl PartialEq for DatabasePattern {
    fn eq(&self, other: &DatabasePattern) -> bool {
        self.pattern == other.pattern
    }
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
        }
    }
}

/// What selected the environment.
///
/// # Examples
///
/// ```
/// use strata::config::{EnvNameSource, ProcessEnv, select_env_name};
/// let (name, source) = select_env_name(Some("prod"), &ProcessEnv::new(), Some("dev"));
/// assert_eq!((name.as_str(), source), ("prod", EnvNameSource::Flag));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvNameSource {
    /// `--env NAME`.
    Flag,
    /// The `STRATA_ENV` variable.
    StrataEnv,
    /// `default_env` in strata.toml.
    DefaultEnv,
    /// Nothing did: `dev`.
    Fallback,
}

/// Picks the environment name: `flag`, else `STRATA_ENV`, else
/// `default_env`, else `dev`. Empty values count as unset.
///
/// # Examples
///
/// ```
/// use strata::config::{EnvNameSource, ProcessEnv, select_env_name};
/// let process = ProcessEnv::from([("STRATA_ENV".to_owned(), " ".to_owned())]);
/// // Empty values count as unset: default_env wins here.
/// assert_eq!(select_env_name(None, &process, Some("stage")), ("stage".to_owned(), EnvNameSource::DefaultEnv));
/// ```
pub fn select_env_name(
    flag: Option<&str>,
    process_env: &ProcessEnv,
    default_env: Option<&str>,
) -> (String, EnvNameSource) {
    fn set(v: Option<&str>) -> Option<&str> {
        v.map(str::trim).filter(|v| !v.is_empty())
    }
    if let Some(name) = set(flag) {
        (name.to_owned(), EnvNameSource::Flag)
    } else if let Some(name) = set(process_env.get(STRATA_ENV).map(String::as_str)) {
        (name.to_owned(), EnvNameSource::StrataEnv)
    } else if let Some(name) = set(default_env) {
        (name.to_owned(), EnvNameSource::DefaultEnv)
    } else {
        (FALLBACK_ENV.to_owned(), EnvNameSource::Fallback)
    }
}

/// Where a variable's value came from.
///
/// # Examples
///
/// ```
/// use strata::config::{Origin, ProcessEnv, Project};
/// let project = Project::from_toml("", std::path::Path::new("/srv/app/strata.toml")).unwrap();
/// let process = ProcessEnv::from([("DATABASE_URL".to_owned(), "postgres://app@db/shop".to_owned())]);
/// let env = project.resolve_env(None, &process).unwrap();
/// assert_eq!(env.get("DATABASE_URL").unwrap().1, &Origin::Process);
/// assert_eq!(Origin::Process.to_string(), "process");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The process environment.
    Process,
    /// An env file, at the line of the winning assignment (0 if unknown).
    File {
        /// The file, as resolved against the project root.
        path: PathBuf,
        /// 1-based line.
        line: usize,
    },
}

/// `process` or `FILE:LINE`.
impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Process => f.write_str("process"),
            Origin::File { path, line } => write!(f, "{}:{line}", path.display()),
        }
    }
}

/// A variable's value and origin. `Debug` redacts secrets.
///
/// # Examples
///
/// ```
/// use strata::config::{ProcessEnv, Project};
/// let project = Project::from_toml("", std::path::Path::new("/srv/app/strata.toml")).unwrap();
/// let process = ProcessEnv::from([("DB_PASSWORD".to_owned(), "hunter2".to_owned())]);
/// let env = project.resolve_env(None, &process).unwrap();
/// // Debug redacts secrets.
/// assert!(!format!("{:?}", env.vars["DB_PASSWORD"]).contains("hunter2"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct EnvValue {
    value: String,
    origin: Origin,
    secret: bool,
}

impl EnvValue {
    fn new(name: &str, value: String, origin: Origin) -> EnvValue {
        EnvValue {
            secret: is_secret_name(name),
            value,
            origin,
        }
    }

    /// The raw value (may be a secret: never print it).
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::{ProcessEnv, Project};
    /// let project = Project::from_toml("", std::path::Path::new("/srv/app/strata.toml")).unwrap();
    /// let process = ProcessEnv::from([("DB_PASSWORD".to_owned(), "hunter2".to_owned())]);
    /// let env = project.resolve_env(None, &process).unwrap();
    /// assert_eq!(env.vars["DB_PASSWORD"].value(), "hunter2"); // raw: never print it
    /// ```
    pub fn value(&self) -> &str {
        &self.value
    }

    /// Where it came from.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::{Origin, ProcessEnv, Project};
    /// let project = Project::from_toml("", std::path::Path::new("/srv/app/strata.toml")).unwrap();
    /// let process = ProcessEnv::from([("PGHOST".to_owned(), "db".to_owned())]);
    /// let env = project.resolve_env(None, &process).unwrap();
    /// assert_eq!(env.vars["PGHOST"].origin(), &Origin::Process);
    /// ```
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The value safe to show: `***` for secret-looking names, URLs with
    /// their password replaced by `***`, anything else as is.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::{ProcessEnv, Project};
    /// let project = Project::from_toml("", std::path::Path::new("/srv/app/strata.toml")).unwrap();
    /// let process = ProcessEnv::from([
    ///     ("API_TOKEN".to_owned(), "t0k3n".to_owned()),
    ///     ("DATABASE_URL".to_owned(), "postgres://app:hunter2@db/shop".to_owned()),
    /// ]);
    /// let env = project.resolve_env(None, &process).unwrap();
    /// assert_eq!(env.vars["API_TOKEN"].display_value(), "***");
    /// assert_eq!(env.vars["DATABASE_URL"].display_value(), "postgres://app:***@db/shop");
    /// ```
    pub fn display_value(&self) -> String {
        if self.secret {
            "***".to_owned()
        } else {
            redact_url_like(&self.value)
        }
    }
}

impl fmt::Debug for EnvValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnvValue")
            .field("value", &self.display_value())
            .field("origin", &self.origin)
            .finish()
    }
}

/// Whether a variable name suggests a secret (case-insensitive: contains
/// `PASSWORD`, `PASSWD`, `SECRET`, `TOKEN`, `CREDENTIAL`, `PRIVATE_KEY` or
/// `API_KEY`).
///
/// # Examples
///
/// ```
/// use strata::config::is_secret_name;
/// assert!(is_secret_name("PGPASSWORD") && is_secret_name("stripe_api_key"));
/// assert!(!is_secret_name("DATABASE_URL"));
/// ```
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    [
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "TOKEN",
        "CREDENTIAL",
        "PRIVATE_KEY",
        "API_KEY",
    ]
    .iter()
    .any(|s| upper.contains(s))
}

/// The selected environment with its variables loaded.
///
/// # Examples
///
/// ```
/// use strata::config::{EnvNameSource, ProcessEnv, Project};
/// let toml = "[environments.dev]\nlocal_cluster = true\n[environments.prod]\nprotected = true\n";
/// let project = Project::from_toml(toml, std::path::Path::new("/srv/app/strata.toml")).unwrap();
/// let env = project.resolve_env(Some("prod"), &ProcessEnv::new()).unwrap();
/// assert_eq!((env.name.as_str(), env.name_source), ("prod", EnvNameSource::Flag));
/// assert!(env.spec.protected);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ResolvedEnv {
    /// The environment's name.
    pub name: String,
    /// What selected it.
    pub name_source: EnvNameSource,
    /// Its settings.
    pub spec: Environment,
    /// Every variable: the process environment plus the env files' values
    /// for names the process does not set.
    pub vars: BTreeMap<String, EnvValue>,
    /// Env files that were read, in order.
    pub loaded_files: Vec<PathBuf>,
    /// Env files that are listed but do not exist.
    pub skipped_files: Vec<PathBuf>,
}

impl ResolvedEnv {
    /// Loads `spec`'s env files in order (later wins) under `process_env`
    /// (which wins over every file).
    ///
    /// # Errors
    ///
    /// [`ConfigError::Read`] for an env file that exists but cannot be read,
    /// [`ConfigError::EnvFileSyntax`] for invalid dotenv syntax.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use strata::config::{EnvNameSource, Environment, ProcessEnv, ResolvedEnv};
    /// let mut spec = Environment::undeclared("dev");
    /// spec.env_files = vec![".env".into(), ".env.local".into()];
    /// let env = ResolvedEnv::load(spec, EnvNameSource::Fallback, &ProcessEnv::new())?;
    /// println!("read {:?}, missing {:?}", env.loaded_files, env.skipped_files);
    /// # Ok::<(), strata::config::ConfigError>(())
    /// ```
    pub fn load(
        spec: Environment,
        name_source: EnvNameSource,
        process_env: &ProcessEnv,
    ) -> Result<ResolvedEnv, ConfigError> {
        let mut vars = BTreeMap::new();
        let mut loaded_files = Vec::new();
        let mut skipped_files = Vec::new();
        for path in &spec.env_files {
            let Some(entries) = envfile::read(path)? else {
                skipped_files.push(path.clone());
                continue;
            };
            loaded_files.push(path.clone());
            for entry in entries {
                let origin = Origin::File {
                    path: path.clone(),
                    line: entry.line,
                };
                let value = EnvValue::new(&entry.key, entry.value, origin);
                vars.insert(entry.key, value);
            }
        }
        for (name, value) in process_env {
            let value = EnvValue::new(name, value.clone(), Origin::Process);
            vars.insert(name.clone(), value);
        }
        Ok(ResolvedEnv {
            name: spec.name.clone(),
            name_source,
            spec,
            vars,
            loaded_files,
            skipped_files,
        })
    }

    /// A variable's value and origin.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::{ProcessEnv, Project};
    /// let project = Project::from_toml("", std::path::Path::new("/srv/app/strata.toml")).unwrap();
    /// let env = project.resolve_env(None, &ProcessEnv::from([("PGUSER".to_owned(), "app".to_owned())])).unwrap();
    /// assert_eq!(env.get("PGUSER").map(|(v, _)| v), Some("app"));
    /// assert!(env.get("PGHOST").is_none());
    /// ```
    pub fn get(&self, var: &str) -> Option<(&str, &Origin)> {
        self.vars.get(var).map(|v| (v.value(), v.origin()))
    }

    /// A variable's value and origin, treating an empty value as unset
    /// (`DATABASE_URL=` placeholders in a committed `.env`).
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::{ProcessEnv, Project};
    /// let project = Project::from_toml("", std::path::Path::new("/srv/app/strata.toml")).unwrap();
    /// let env = project.resolve_env(None, &ProcessEnv::from([("DATABASE_URL".to_owned(), String::new())])).unwrap();
    /// assert!(env.get("DATABASE_URL").is_some());
    /// assert!(env.get_non_empty("DATABASE_URL").is_none());
    /// ```
    pub fn get_non_empty(&self, var: &str) -> Option<(&str, &Origin)> {
        self.get(var).filter(|(v, _)| !v.trim().is_empty())
    }
}

/// Selects and loads the environment.
///
/// # Errors
///
/// [`ConfigError::UndeclaredEnvironment`] when `environments` is not empty and
/// does not contain the selected name; the errors of [`ResolvedEnv::load`].
///
/// # Examples
///
/// ```
/// use strata::config::{Environment, ProcessEnv, resolve_env};
/// let declared = [Environment::undeclared("dev")];
/// // An environment strata.toml does not declare is refused (when it declares any).
/// let mut declared = declared;
/// declared[0].declared = true;
/// assert!(resolve_env(&declared, None, Some("prod"), &ProcessEnv::new()).is_err());
/// assert_eq!(resolve_env(&declared, None, None, &ProcessEnv::new()).unwrap().name, "dev");
/// ```
pub fn resolve_env(
    environments: &[Environment],
    default_env: Option<&str>,
    flag: Option<&str>,
    process_env: &ProcessEnv,
) -> Result<ResolvedEnv, ConfigError> {
    let (name, source) = select_env_name(flag, process_env, default_env);
    let spec = if environments.is_empty() {
        Environment::undeclared(name)
    } else {
        match environments.iter().find(|e| e.name == name) {
            Some(e) => e.clone(),
            None => {
                return Err(ConfigError::UndeclaredEnvironment {
                    env: name,
                    declared: environments.iter().map(|e| e.name.clone()).collect(),
                });
            }
        }
    };
    ResolvedEnv::load(spec, source, process_env)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may panic
mod tests {
    use super::*;
    use std::fs;

    fn penv(pairs: &[(&str, &str)]) -> ProcessEnv {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn env_name_precedence() {
        let with_var = penv(&[("STRATA_ENV", "test")]);
        let empty = penv(&[]);
        assert_eq!(
            select_env_name(Some("prod"), &with_var, Some("staging")),
            ("prod".into(), EnvNameSource::Flag)
        );
        assert_eq!(
            select_env_name(None, &with_var, Some("staging")),
            ("test".into(), EnvNameSource::StrataEnv)
        );
        assert_eq!(
            select_env_name(None, &empty, Some("staging")),
            ("staging".into(), EnvNameSource::DefaultEnv)
        );
        assert_eq!(
            select_env_name(None, &empty, None),
            ("dev".into(), EnvNameSource::Fallback)
        );
        assert_eq!(
            select_env_name(None, &penv(&[("STRATA_ENV", "")]), None),
            ("dev".into(), EnvNameSource::Fallback)
        );
    }

    #[test]
    fn undeclared_environment() {
        let envs = vec![
            Environment::undeclared("dev"),
            Environment::undeclared("prod"),
        ];
        let err = resolve_env(&envs, None, Some("staging"), &penv(&[])).unwrap_err();
        assert!(
            matches!(&err, ConfigError::UndeclaredEnvironment { env, declared } if env == "staging" && declared == &["dev", "prod"]),
            "{err:?}"
        );
        assert!(err.to_string().contains("declared: dev, prod"), "{err}");

        // No environments declared: any name, no files.
        let r = resolve_env(&[], None, Some("anything"), &penv(&[])).unwrap();
        assert_eq!(r.name, "anything");
        assert!(!r.spec.declared);
        assert!(r.loaded_files.is_empty() && r.skipped_files.is_empty());
    }

    #[test]
    fn env_file_layering_and_provenance() {
        let dir = tempfile::tempdir().unwrap();
        let local = dir.path().join(".env.local");
        let stack = dir.path().join(".env.stack.local");
        let missing = dir.path().join(".env.missing");
        fs::write(
            &local,
            "# local\nDATABASE_URL=postgres://a@local/db\nONLY_LOCAL=1\nCI_SECRET=from-file\n",
        )
        .unwrap();
        fs::write(&stack, "\n\nexport DATABASE_URL='postgres://a@stack/db'\n").unwrap();

        let mut spec = Environment::undeclared("test");
        spec.declared = true;
        spec.env_files = vec![local.clone(), missing.clone(), stack.clone()];
        let process = penv(&[("CI_SECRET", "from-process"), ("STRATA_ENV", "test")]);
        let r = resolve_env(&[spec], None, None, &process).unwrap();

        assert_eq!(r.name_source, EnvNameSource::StrataEnv);
        assert_eq!(
            r.get("DATABASE_URL"),
            Some((
                "postgres://a@stack/db",
                &Origin::File {
                    path: stack.clone(),
                    line: 3
                }
            ))
        );
        assert_eq!(
            r.get("ONLY_LOCAL").map(|(v, o)| (v, o.to_string())),
            Some(("1", format!("{}:3", local.display())))
        );
        assert_eq!(r.get("CI_SECRET"), Some(("from-process", &Origin::Process)));
        assert_eq!(r.loaded_files, [local, stack]);
        assert_eq!(r.skipped_files, [missing]);
        assert_eq!(r.get("NOPE"), None);
    }

    #[test]
    fn empty_value_counts_as_unset_for_urls() {
        let mut spec = Environment::undeclared("dev");
        spec.env_files = Vec::new();
        let r =
            ResolvedEnv::load(spec, EnvNameSource::Flag, &penv(&[("DATABASE_URL", " ")])).unwrap();
        assert!(r.get("DATABASE_URL").is_some());
        assert_eq!(r.get_non_empty("DATABASE_URL"), None);
    }

    #[test]
    fn debug_redacts_secrets_and_url_passwords() {
        let process = penv(&[
            ("DATABASE_URL", "postgres://app:hunter2@h/db"),
            ("PGPASSWORD", "hunter2"),
            ("GITHUB_TOKEN", "hunter2"),
            ("my_secret_thing", "hunter2"),
            ("REDIS_URL", "redis://u:hunter2@cache/0"),
            ("HOME", "/root"),
        ]);
        let r = ResolvedEnv::load(
            Environment::undeclared("dev"),
            EnvNameSource::Flag,
            &process,
        )
        .unwrap();
        let shown = format!("{r:?} {r:#?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("postgres://app:***@h/db"), "{shown}");
        assert!(shown.contains("/root"), "{shown}");
        assert_eq!(r.vars["PGPASSWORD"].display_value(), "***");
        assert_eq!(r.vars["PGPASSWORD"].value(), "hunter2");
    }

    #[test]
    fn database_pattern_globs() {
        let p = DatabasePattern::new("*_prod").unwrap();
        assert!(p.is_match("shop_prod"));
        assert!(!p.is_match("shop_prod_copy"));
        assert!(!p.is_match("SHOP_PROD"));
        assert!(DatabasePattern::new("shop_{prod,stage").is_err());
    }
}
