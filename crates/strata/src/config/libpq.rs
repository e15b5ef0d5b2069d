//! What libpq fills in when a URL leaves it out, and the server-level
//! connection of `db create` / `db drop`. The merge of the service file and
//! every `PG*` variable into a connection string is in `effective`; this
//! file captures the variables and adds the last defaults below.
//!
//! As libpq does (<https://www.postgresql.org/docs/current/libpq-envars.html>,
//! <https://www.postgresql.org/docs/current/libpq-pgpass.html>):
//!
//! - user: the URL's, else `PGUSER`, else the operating-system user;
//! - host: the URL's, else `PGHOST`, else the default socket directory
//!   (`/var/run/postgresql` when it exists, as Debian's libpq; else `/tmp`);
//! - port: the URL's, else `PGPORT`, else 5432;
//! - password: the URL's, else `PGPASSWORD`, else the first matching line of
//!   the password file (`PGPASSFILE`, else `~/.pgpass`). The file is ignored
//!   when group or others can read it, as libpq ignores it. For a Unix-socket
//!   connection its host field is matched against `localhost`.
//!
//! The variables are read from the resolved environment (the process, then
//! the environment's env files), so a committed `.env` may carry `PGUSER` /
//! `PGPASSWORD` for the server-level connection as in seed 004.

use std::path::{Path, PathBuf};

use super::env::{Origin, ResolvedEnv};
use super::pgpass::{pgpass_lookup, read_private};
use super::url::{DbUrl, ENV_VARS};

/// The `PG*` variables and paths libpq consults, captured once.
///
/// # Examples
///
/// ```
/// use strata::config::{Libpq, ProcessEnv, Project};
/// let project = Project::from_toml("", std::path::Path::new("/srv/app/strata.toml")).unwrap();
/// let process = ProcessEnv::from([("PGUSER".to_owned(), "deploy".to_owned()), ("PGPASSWORD".to_owned(), "pw".to_owned())]);
/// let libpq = Libpq::from_env(&project.resolve_env(None, &process).unwrap());
/// assert_eq!((libpq.pg_user(), libpq.pg_password()), (Some("deploy"), Some("pw")));
/// ```
#[derive(Clone, Default)]
pub struct Libpq {
    host: Option<String>,
    port: Option<u16>,
    user: Option<String>,
    password: Option<String>,
    passfile: Option<PathBuf>,
    home: Option<PathBuf>,
    os_user: Option<String>,
    /// Every set variable of [`ENV_VARS`], with its parameter and origin.
    pub(super) vars: Vec<PgVar>,
    /// `PGSERVICEFILE`.
    pub(super) service_file: Option<PathBuf>,
    /// `PGSYSCONFDIR`.
    pub(super) sysconfdir: Option<PathBuf>,
}

/// One set `PG*` variable: its name, the parameter it fills, its value and
/// where it came from (`None`: the process, read without strata.toml).
#[derive(Clone)]
pub(super) struct PgVar {
    pub(super) var: &'static str,
    pub(super) key: &'static str,
    pub(super) value: String,
    pub(super) origin: Option<Origin>,
}

impl std::fmt::Debug for Libpq {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Libpq")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("passfile", &self.passfile)
            .finish_non_exhaustive()
    }
}

/// Where the server-level connection's credentials come from.
///
/// # Examples
///
/// ```
/// use strata::config::{resolve_target, AdminSource, Libpq, ProcessEnv, Project};
/// let project = Project::from_toml("", std::path::Path::new("/srv/app/strata.toml")).unwrap();
/// let process = ProcessEnv::from([
///     ("DATABASE_URL".to_owned(), "postgres://app@db/shop".to_owned()),
///     ("PGUSER".to_owned(), "admin".to_owned()),
/// ]);
/// let env = project.resolve_env(None, &process).unwrap();
/// let target = resolve_target(&project.databases()[0], &env).unwrap();
/// let (url, source) = Libpq::from_env(&env).admin_url(&target).unwrap();
/// assert_eq!(source, AdminSource::PgVariables);
/// assert_eq!((url.user(), url.database()), (Some("admin"), "postgres"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminSource {
    /// The database's `admin_url_env` variable.
    AdminUrlEnv(String),
    /// `PGUSER` (and `PGPASSWORD`), on the database URL's server.
    PgVariables,
    /// The database URL itself, on the maintenance database.
    DatabaseUrl,
    /// The project's local cluster, as its superuser.
    LocalCluster,
}

impl std::fmt::Display for AdminSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AdminSource::AdminUrlEnv(v) => write!(f, "{v}"),
            AdminSource::PgVariables => f.write_str("PGUSER/PGPASSWORD"),
            AdminSource::DatabaseUrl => f.write_str("the database URL"),
            AdminSource::LocalCluster => f.write_str("the local cluster"),
        }
    }
}

impl Libpq {
    /// Reads `PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGPASSFILE`, `HOME`
    /// and `USER`/`LOGNAME` from `env` (empty values count as unset).
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::{Libpq, ProcessEnv, Project};
    /// let project = Project::from_toml("", std::path::Path::new("/srv/app/strata.toml")).unwrap();
    /// // Empty values count as unset.
    /// let process = ProcessEnv::from([("PGUSER".to_owned(), String::new())]);
    /// assert_eq!(Libpq::from_env(&project.resolve_env(None, &process).unwrap()).pg_user(), None);
    /// ```
    pub fn from_env(env: &ResolvedEnv) -> Libpq {
        Libpq::from_lookup(|k| env.get(k).map(|(v, o)| (v.to_owned(), Some(o.clone()))))
    }

    /// Reads the same variables from the process environment, for an
    /// application that has a URL but no strata.toml.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::{DbUrl, Libpq};
    /// use strata::connect::Endpoint;
    /// let url = DbUrl::parse("postgres://app@db/shop?sslmode=disable").unwrap();
    /// let endpoint = Endpoint::for_url(&url, &Libpq::from_process_env()).unwrap();
    /// assert_eq!(endpoint.database(), "shop");
    /// ```
    pub fn from_process_env() -> Libpq {
        Libpq::from_lookup(|k| std::env::var(k).ok().map(|v| (v, None)))
    }

    fn from_lookup(lookup: impl Fn(&str) -> Option<(String, Option<Origin>)>) -> Libpq {
        let get = |k: &str| lookup(k).map(|(v, _)| v).filter(|v| !v.is_empty());
        let vars = ENV_VARS
            .iter()
            .filter_map(|(var, key)| {
                let (value, origin) = lookup(var).filter(|(v, _)| !v.is_empty())?;
                Some(PgVar {
                    var,
                    key,
                    value,
                    origin,
                })
            })
            .collect();
        Libpq {
            vars,
            service_file: get("PGSERVICEFILE").map(PathBuf::from),
            sysconfdir: get("PGSYSCONFDIR").map(PathBuf::from),
            host: get("PGHOST"),
            port: get("PGPORT").and_then(|p| p.trim().parse().ok()),
            user: get("PGUSER"),
            password: get("PGPASSWORD"),
            passfile: get("PGPASSFILE").map(PathBuf::from),
            home: get("HOME").map(PathBuf::from),
            os_user: get("USER").or_else(|| get("LOGNAME")),
        }
    }

    /// The home directory (for `~/.pgpass`, `~/.postgresql/root.crt`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::path::Path;
    /// use strata::config::{Libpq, ProcessEnv, Project};
    /// let project = Project::from_toml("", Path::new("/srv/app/strata.toml")).unwrap();
    /// let process = ProcessEnv::from([("HOME".to_owned(), "/home/deploy".to_owned())]);
    /// let libpq = Libpq::from_env(&project.resolve_env(None, &process).unwrap());
    /// assert_eq!(libpq.home(), Some(Path::new("/home/deploy")));
    /// ```
    pub fn home(&self) -> Option<&Path> {
        self.home.as_deref()
    }

    /// The password file (`PGPASSFILE`, else `~/.pgpass`) when it exists but
    /// is ignored because group or others can access it, as libpq ignores
    /// it — for the warning libpq prints (`chmod 0600` fixes it).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::fs::PermissionsExt;
    /// use strata::config::{Libpq, ProcessEnv, Project};
    /// let dir = tempfile::tempdir().unwrap();
    /// let file = dir.path().join("pgpass");
    /// std::fs::write(&file, "*:*:*:*:pw\n").unwrap();
    /// std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    /// let project = Project::from_toml("", std::path::Path::new("/srv/app/strata.toml")).unwrap();
    /// let process = ProcessEnv::from([("PGPASSFILE".to_owned(), file.display().to_string())]);
    /// let libpq = Libpq::from_env(&project.resolve_env(None, &process).unwrap());
    /// assert_eq!(libpq.ignored_passfile(), Some(file.clone()));
    /// std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    /// assert_eq!(libpq.ignored_passfile(), None);
    /// ```
    pub fn ignored_passfile(&self) -> Option<PathBuf> {
        use std::os::unix::fs::PermissionsExt;
        let path = self
            .passfile
            .clone()
            .or_else(|| self.home.as_ref().map(|h| h.join(".pgpass")))?;
        let meta = std::fs::metadata(&path).ok()?;
        (meta.is_file() && meta.permissions().mode() & 0o077 != 0).then_some(path)
    }

    /// `PGUSER`, if set.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::{Libpq, ProcessEnv, Project};
    /// let project = Project::from_toml("", std::path::Path::new("/srv/app/strata.toml")).unwrap();
    /// let process = ProcessEnv::from([("PGUSER".to_owned(), "deploy".to_owned())]);
    /// assert_eq!(Libpq::from_env(&project.resolve_env(None, &process).unwrap()).pg_user(), Some("deploy"));
    /// ```
    pub fn pg_user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// `PGPASSWORD`, if set (a secret: never print it).
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::{Libpq, ProcessEnv, Project};
    /// let project = Project::from_toml("", std::path::Path::new("/srv/app/strata.toml")).unwrap();
    /// let libpq = Libpq::from_env(&project.resolve_env(None, &ProcessEnv::new()).unwrap());
    /// assert_eq!(libpq.pg_password(), None);
    /// ```
    pub fn pg_password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    /// The driver configuration for `url` with libpq's defaults filled in
    /// ([`Libpq::effective`], then the default socket directory and the
    /// password file).
    ///
    /// # Errors
    ///
    /// As [`Libpq::effective`].
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::{DbUrl, Libpq, ProcessEnv, Project};
    /// let project = Project::from_toml("", std::path::Path::new("/srv/app/strata.toml")).unwrap();
    /// let process = ProcessEnv::from([("PGPASSWORD".to_owned(), "from-env".to_owned())]);
    /// let libpq = Libpq::from_env(&project.resolve_env(None, &process).unwrap());
    /// // A URL without a password gets PGPASSWORD, as libpq would give it.
    /// let config = libpq.pg_config(&DbUrl::parse("postgres://app@db/shop").unwrap()).unwrap();
    /// assert_eq!(config.get_password(), Some(&b"from-env"[..]));
    /// ```
    pub fn pg_config(&self, url: &DbUrl) -> Result<tokio_postgres::Config, super::ConfigError> {
        Ok(self.driver_config(&self.effective(url)?))
    }

    /// The driver configuration of an effective connection: the default
    /// socket directory when it names no host, the password file's entry
    /// when it has no password.
    pub(crate) fn driver_config(&self, effective: &DbUrl) -> tokio_postgres::Config {
        let mut config = effective.to_pg_config();
        if config.get_user().is_none()
            && let Some(user) = self.os_user.as_ref()
        {
            config.user(user);
        }
        if config.get_dbname().is_none()
            && let Some(user) = config.get_user().map(str::to_owned)
        {
            config.dbname(user);
        }
        if config.get_hosts().is_empty() && config.get_hostaddrs().is_empty() {
            config.host(default_socket_dir());
        }
        if config.get_password().is_none()
            && let Some(p) = self.pgpass_for(&config, effective)
        {
            config.password(p);
        }
        config
    }

    /// The password file's entry for `config`'s first host, port, database
    /// and user.
    fn pgpass_for(&self, config: &tokio_postgres::Config, effective: &DbUrl) -> Option<String> {
        let path = effective
            .param(super::url::Param::Passfile)
            .map(PathBuf::from)
            .or_else(|| self.passfile.clone())
            .or_else(|| self.home.as_ref().map(|h| h.join(".pgpass")))?;
        let text = read_private(&path)?;
        let host = match config.get_hosts().first() {
            Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
            _ => match config.get_hostaddrs().first() {
                Some(a) if config.get_hosts().is_empty() => a.to_string(),
                _ => "localhost".to_owned(),
            },
        };
        let port = config.get_ports().first().copied().unwrap_or(5432);
        pgpass_lookup(
            &text,
            &host,
            port,
            config.get_dbname().unwrap_or(""),
            config.get_user().unwrap_or(""),
        )
    }

    /// The operating-system user (libpq's last default for `user`).
    pub(super) fn os_user(&self) -> Option<&str> {
        self.os_user.as_deref()
    }
}

/// Debian's libpq looks in `/var/run/postgresql`; upstream's in `/tmp`.
fn default_socket_dir() -> &'static str {
    if Path::new("/var/run/postgresql").is_dir() {
        "/var/run/postgresql"
    } else {
        "/tmp"
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may panic
mod tests {
    use super::*;
    use crate::config::{EnvNameSource, Environment, ProcessEnv};
    use std::os::unix::fs::PermissionsExt;

    fn env(pairs: &[(&str, &str)]) -> ResolvedEnv {
        let p: ProcessEnv = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        ResolvedEnv::load(Environment::undeclared("dev"), EnvNameSource::Flag, &p).unwrap()
    }

    #[test]
    fn defaults_fill_only_what_the_url_leaves_out() {
        let dir = tempfile::tempdir().unwrap();
        let pass = dir.path().join("pgpass");
        std::fs::write(&pass, "localhost:6000:app:alice:from-file\n").unwrap();
        std::fs::set_permissions(&pass, std::fs::Permissions::from_mode(0o600)).unwrap();
        let l = Libpq::from_env(&env(&[
            ("PGHOST", "localhost"),
            ("PGPORT", "6000"),
            ("PGUSER", "alice"),
            ("PGPASSFILE", pass.to_str().unwrap()),
        ]));
        let c = l
            .pg_config(&DbUrl::parse("postgres:///app").unwrap())
            .unwrap();
        assert_eq!(c.get_user(), Some("alice"));
        assert_eq!(c.get_ports(), &[6000]);
        assert_eq!(c.get_password(), Some(&b"from-file"[..]));
        // The URL wins over every default.
        let c = l
            .pg_config(&DbUrl::parse("postgres://bob:pw@h:7/app").unwrap())
            .unwrap();
        assert_eq!(c.get_user(), Some("bob"));
        assert_eq!(c.get_password(), Some(&b"pw"[..]));
        assert_eq!(c.get_ports(), &[7]);
        // PGPASSWORD beats the file.
        let l = Libpq::from_env(&env(&[
            ("PGHOST", "localhost"),
            ("PGPORT", "6000"),
            ("PGUSER", "alice"),
            ("PGPASSWORD", "from-var"),
            ("PGPASSFILE", pass.to_str().unwrap()),
        ]));
        let c = l
            .pg_config(&DbUrl::parse("postgres:///app").unwrap())
            .unwrap();
        assert_eq!(c.get_password(), Some(&b"from-var"[..]));
        // A file others can read is ignored, as libpq ignores it.
        std::fs::set_permissions(&pass, std::fs::Permissions::from_mode(0o644)).unwrap();
        let l = Libpq::from_env(&env(&[
            ("PGHOST", "localhost"),
            ("PGPORT", "6000"),
            ("PGUSER", "alice"),
            ("PGPASSFILE", pass.to_str().unwrap()),
        ]));
        assert_eq!(
            l.pg_config(&DbUrl::parse("postgres:///app").unwrap())
                .unwrap()
                .get_password(),
            None
        );
        assert!(!format!("{l:?}").contains("from-"));
    }
}
