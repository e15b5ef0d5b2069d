//! What libpq fills in when a URL leaves it out, and the server-level
//! connection of `db create` / `db drop`.
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

use super::env::ResolvedEnv;
use super::target::{MAINTENANCE_DATABASE, Target};
use super::url::DbUrl;

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
        Libpq::from_lookup(|k| env.get(k).map(|(v, _)| v.to_owned()))
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
        Libpq::from_lookup(|k| std::env::var(k).ok())
    }

    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Libpq {
        let get = |k: &str| lookup(k).filter(|v| !v.is_empty());
        Libpq {
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

    /// The driver configuration for `url` with libpq's defaults filled in.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::{DbUrl, Libpq, ProcessEnv, Project};
    /// let project = Project::from_toml("", std::path::Path::new("/srv/app/strata.toml")).unwrap();
    /// let process = ProcessEnv::from([("PGPASSWORD".to_owned(), "from-env".to_owned())]);
    /// let libpq = Libpq::from_env(&project.resolve_env(None, &process).unwrap());
    /// // A URL without a password gets PGPASSWORD, as libpq would give it.
    /// let config = libpq.pg_config(&DbUrl::parse("postgres://app@db/shop").unwrap());
    /// assert_eq!(config.get_password(), Some(&b"from-env"[..]));
    /// ```
    pub fn pg_config(&self, url: &DbUrl) -> tokio_postgres::Config {
        let mut config = url.to_pg_config();
        if config.get_user().is_none()
            && let Some(user) = self.user.as_ref().or(self.os_user.as_ref())
        {
            config.user(user);
        }
        if config.get_hosts().is_empty() && config.get_hostaddrs().is_empty() {
            match &self.host {
                Some(h) => config.host(h),
                None => config.host(default_socket_dir()),
            };
        }
        if config.get_ports().is_empty()
            && let Some(port) = self.port
        {
            config.port(port);
        }
        if config.get_password().is_none() {
            if let Some(p) = &self.password {
                config.password(p);
            } else if let Some(p) = self.pgpass_for(&config) {
                config.password(p);
            }
        }
        config
    }

    /// The password file's entry for `config`'s host, port, database and user.
    fn pgpass_for(&self, config: &tokio_postgres::Config) -> Option<String> {
        let path = self
            .passfile
            .clone()
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

    /// The server-level URL for `db create` / `db drop` / `db reset`, and
    /// where its credentials come from:
    ///
    /// 1. the database's `admin_url_env` variable, when set;
    /// 2. else, when `PGUSER` is set, the database URL's server with
    ///    `PGUSER` and `PGPASSWORD` (or the password file), on the
    ///    maintenance database `postgres` (seed 004's root `.env`);
    /// 3. else the database URL itself on `postgres`.
    ///
    /// `None` when the database has no URL.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::{resolve_target, AdminSource, Libpq, ProcessEnv, Project};
    /// let project = Project::from_toml("", std::path::Path::new("/srv/app/strata.toml")).unwrap();
    /// let process = ProcessEnv::from([("DATABASE_URL".to_owned(), "postgres://app:pw@db/shop".to_owned())]);
    /// let env = project.resolve_env(None, &process).unwrap();
    /// let target = resolve_target(&project.databases()[0], &env).unwrap();
    /// let (url, source) = Libpq::from_env(&env).admin_url(&target).unwrap();
    /// assert_eq!((url.database(), source), ("postgres", AdminSource::DatabaseUrl));
    /// ```
    pub fn admin_url(&self, target: &Target<'_>) -> Option<(DbUrl, AdminSource)> {
        if let Some((url, _)) = &target.admin {
            let var = target.db.admin_url_env.clone().unwrap_or_default();
            return Some((url.clone(), AdminSource::AdminUrlEnv(var)));
        }
        let url = target.url.as_ref()?.with_database(MAINTENANCE_DATABASE);
        match &self.user {
            Some(user) => Some((
                url.with_credentials(Some(user.clone()), self.password.clone()),
                AdminSource::PgVariables,
            )),
            None => Some((url, AdminSource::DatabaseUrl)),
        }
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

/// The file's text, unless group or others may read it (libpq ignores such
/// a password file) or it cannot be read.
fn read_private(path: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.permissions().mode() & 0o077 != 0 {
        return None;
    }
    std::fs::read_to_string(path).ok()
}

/// The password of the first line of a `.pgpass` text matching
/// `hostname:port:database:username` (`*` matches anything; `\:` and `\\`
/// are a literal colon and backslash; `#` starts a comment line).
///
/// # Examples
///
/// ```
/// use strata::config::pgpass_lookup;
/// let text = "# host:port:database:user:password\ndb.internal:5432:*:app:s3cret\n*:*:*:*:fallback\n";
/// assert_eq!(pgpass_lookup(text, "db.internal", 5432, "shop", "app").as_deref(), Some("s3cret"));
/// assert_eq!(pgpass_lookup(text, "other", 6432, "x", "y").as_deref(), Some("fallback"));
/// ```
pub fn pgpass_lookup(
    text: &str,
    host: &str,
    port: u16,
    database: &str,
    user: &str,
) -> Option<String> {
    let port = port.to_string();
    let wanted = [host, port.as_str(), database, user];
    for line in text.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim_start().starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let fields = split_fields(line);
        if fields.len() < 5 {
            continue;
        }
        if fields[..4]
            .iter()
            .zip(wanted)
            .all(|(f, w)| f == "*" || f == w)
        {
            return Some(fields[4..].join(":"));
        }
    }
    None
}

fn split_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let (Some(next), Some(f)) = (chars.next(), fields.last_mut()) {
                    f.push(next);
                }
            }
            ':' if fields.len() < 5 => fields.push(String::new()),
            _ => {
                if let Some(f) = fields.last_mut() {
                    f.push(c);
                }
            }
        }
    }
    fields
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
    fn pgpass_matching() {
        let text = "# comment\n\
                    db.example.com:5432:shop:app:first\n\
                    *:5433:*:app:any\\:colon\n\
                    localhost:*:*:*:local\\\\pw\n";
        assert_eq!(
            pgpass_lookup(text, "db.example.com", 5432, "shop", "app").as_deref(),
            Some("first")
        );
        assert_eq!(
            pgpass_lookup(text, "db.example.com", 5433, "other", "app").as_deref(),
            Some("any:colon")
        );
        assert_eq!(
            pgpass_lookup(text, "localhost", 1, "x", "y").as_deref(),
            Some("local\\pw")
        );
        assert_eq!(
            pgpass_lookup(text, "db.example.com", 5432, "shop", "bob"),
            None
        );
        // An unescaped colon in the password field is part of it.
        assert_eq!(
            pgpass_lookup("h:1:d:u:a:b", "h", 1, "d", "u").as_deref(),
            Some("a:b")
        );
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
        let c = l.pg_config(&DbUrl::parse("postgres:///app").unwrap());
        assert_eq!(c.get_user(), Some("alice"));
        assert_eq!(c.get_ports(), &[6000]);
        assert_eq!(c.get_password(), Some(&b"from-file"[..]));
        // The URL wins over every default.
        let c = l.pg_config(&DbUrl::parse("postgres://bob:pw@h:7/app").unwrap());
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
        let c = l.pg_config(&DbUrl::parse("postgres:///app").unwrap());
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
                .get_password(),
            None
        );
        assert!(!format!("{l:?}").contains("from-"));
    }
}
