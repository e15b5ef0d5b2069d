//! The selected environment with its env files layered under the process
//! environment, every variable remembering its origin.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::{EnvNameSource, EnvValue, Environment, Origin, ProcessEnv, select_env_name};
use crate::config::envfile;
use crate::config::error::ConfigError;

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
