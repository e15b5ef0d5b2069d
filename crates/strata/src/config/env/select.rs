//! Which environment is selected: `--env`, else `STRATA_ENV`, else
//! `default_env`, else `dev`, and what selected it.

use super::{FALLBACK_ENV, ProcessEnv, STRATA_ENV};

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
