//! One variable of a resolved environment: its value, where it came from
//! (the process or an env file), and its redacted rendering.

use std::fmt;
use std::path::PathBuf;

use crate::config::url::redact_url_like;

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
    pub(super) fn new(name: &str, value: String, origin: Origin) -> EnvValue {
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
