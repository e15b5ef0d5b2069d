//! PostgreSQL connection strings: `postgres://` / `postgresql://` URIs and
//! libpq's `key=value` strings, as one set of libpq connection parameters.
//!
//! The grammars follow libpq's
//! (<https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING>):
//! user, password, one or several hosts (names, IPv4 addresses, bracketed
//! IPv6 addresses, or socket directories) with their ports, database, and
//! the parameters listed in `params` (`sslmode`, `sslrootcert`, `sslcert`,
//! `sslkey`, `channel_binding`, `target_session_attrs`, `keepalives*`,
//! `service` …). Any other parameter is an error naming it, so a typo
//! (`sslmod=require`) cannot silently weaken a connection.
//!
//! The password is never shown: `Display`, `Debug` and [`DbUrl::redacted`]
//! print it as `***`, and no [`UrlError`] holds any part of the string.
//!
//! URI parsing lives in `parse`, `key=value` parsing in `keyvalue`, what
//! each parameter accepts in `params`, the `sslmode` values in `sslmode`,
//! rendering with the password redacted in `display`.

mod display;
mod error;
mod hosts;
mod keyvalue;
mod params;
mod parse;
mod sslmode;

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

pub use error::UrlError;

pub(crate) use display::redact_url_like;
pub use hosts::HostTarget;
pub use params::{ENV_VARS, Param};
pub use sslmode::SslMode;

/// The `application_name` strata connects with unless the URL sets one.
///
/// # Examples
///
/// ```
/// use strata::config::{DbUrl, DEFAULT_APPLICATION_NAME};
/// let url = DbUrl::parse("postgres://app@db/shop").unwrap();
/// assert_eq!(url.application_name(), DEFAULT_APPLICATION_NAME);
/// ```
pub const DEFAULT_APPLICATION_NAME: &str = "strata";

/// The `connect_timeout` strata uses when the URL sets none (SPEC §4.2
/// step 1): connecting, startup and authentication included.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use strata::config::{DbUrl, DEFAULT_CONNECT_TIMEOUT};
/// assert_eq!(DEFAULT_CONNECT_TIMEOUT, Duration::from_secs(10));
/// let config = DbUrl::parse("postgres://app@db/shop").unwrap().to_pg_config();
/// assert_eq!(config.get_connect_timeout(), Some(&DEFAULT_CONNECT_TIMEOUT));
/// ```
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// TCP keepalive settings of every connection: idle time before the first
/// probe, time between probes, probes lost before the link is dead.
const KEEPALIVES_IDLE: Duration = Duration::from_secs(30);
const KEEPALIVES_INTERVAL: Duration = Duration::from_secs(10);
const KEEPALIVES_RETRIES: u32 = 3;

/// The port libpq uses when none is given.
///
/// # Examples
///
/// ```
/// use strata::config::{DbUrl, DEFAULT_PORT};
/// assert_eq!(DbUrl::parse("postgres://app@db/shop").unwrap().port(), DEFAULT_PORT);
/// ```
pub const DEFAULT_PORT: u16 = 5432;

/// A parsed PostgreSQL URL. The password is an `Option` so a later
/// `.pgpass` / `PGPASSWORD` lookup can fill it in.
///
/// # Examples
///
/// ```
/// use strata::config::DbUrl;
/// let url = DbUrl::parse("postgres://app:s3cret@db.internal:6432/shop?sslmode=require").unwrap();
/// // Neither Display nor Debug ever shows the password.
/// assert!(!url.to_string().contains("s3cret"));
/// assert!(!format!("{url:?}").contains("s3cret"));
/// assert!(url.to_string().contains("***"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct DbUrl {
    /// How it was written: rendered back in the same form.
    form: Form,
    user: Option<String>,
    password: Option<String>,
    /// The hosts (names, addresses, or socket directories), brackets removed.
    hosts: Vec<String>,
    /// Whether the hosts came from a `host=` parameter (rendered so).
    hosts_in_query: bool,
    /// One port for every host, or one per host (`None`: the default).
    ports: Vec<Option<u16>>,
    hostaddrs: Vec<IpAddr>,
    dbname: Option<String>,
    sslmode: Option<SslMode>,
    /// The other parameters, validated, as written.
    params: BTreeMap<Param, String>,
}

/// The syntax a connection string was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Uri,
    KeyValue,
}

impl DbUrl {
    /// The database name: `dbname` if set, else the user name as libpq
    /// defaults it, else empty (left for the environment to fill in).
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::DbUrl;
    /// assert_eq!(DbUrl::parse("postgres://app@db/shop").unwrap().database(), "shop");
    /// // As in libpq, the database defaults to the user name.
    /// assert_eq!(DbUrl::parse("postgres://app@db").unwrap().database(), "app");
    /// ```
    pub fn database(&self) -> &str {
        self.dbname
            .as_deref()
            .or(self.user.as_deref())
            .unwrap_or("")
    }

    /// `dbname`, when the string sets it (no default from the user).
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::DbUrl;
    /// assert_eq!(DbUrl::parse("postgres://app@db").unwrap().dbname(), None);
    /// assert_eq!(DbUrl::parse("dbname=shop").unwrap().dbname(), Some("shop"));
    /// ```
    pub fn dbname(&self) -> Option<&str> {
        self.dbname.as_deref()
    }

    /// The user, if the URL names one.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::DbUrl;
    /// assert_eq!(DbUrl::parse("postgres://app@db/shop").unwrap().user(), Some("app"));
    /// ```
    pub fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// Whether the URL carries a password (the password itself is only
    /// handed to the driver through [`DbUrl::to_pg_config`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::DbUrl;
    /// assert!(DbUrl::parse("postgres://app:pw@db/shop").unwrap().has_password());
    /// assert!(!DbUrl::parse("postgres://app@db/shop").unwrap().has_password());
    /// ```
    pub fn has_password(&self) -> bool {
        self.password.is_some()
    }

    /// The password itself, for handing to the driver or registering with an
    /// output scrubber. Never print it.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::DbUrl;
    /// // Percent-encoded in the URL, decoded here.
    /// let url = DbUrl::parse("postgres://app:p%40ss@db/shop").unwrap();
    /// assert_eq!(url.password(), Some("p@ss"));
    /// ```
    pub fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    /// A copy with `password` set: the seam for `.pgpass` / `PGPASSWORD`.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::DbUrl;
    /// let url = DbUrl::parse("postgres://app@db/shop").unwrap().with_password("from-pgpass");
    /// assert_eq!(url.password(), Some("from-pgpass"));
    /// assert!(!url.redacted().contains("from-pgpass"));
    /// ```
    pub fn with_password(&self, password: impl Into<String>) -> DbUrl {
        DbUrl {
            password: Some(password.into()),
            ..self.clone()
        }
    }

    /// The first host (a name, an address, or a socket directory starting
    /// with `/`). `None` means libpq's default (the local Unix socket).
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::DbUrl;
    /// assert_eq!(DbUrl::parse("postgres://app@db.internal/shop").unwrap().host(), Some("db.internal"));
    /// assert_eq!(DbUrl::parse("postgres://app@/shop").unwrap().host(), None);
    /// ```
    pub fn host(&self) -> Option<&str> {
        self.hosts.first().map(String::as_str)
    }

    /// Every host, in the order they are tried.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::DbUrl;
    /// let url = DbUrl::parse("host=a,b port=5432,5433 dbname=shop").unwrap();
    /// assert_eq!(url.hosts(), ["a", "b"]);
    /// ```
    pub fn hosts(&self) -> &[String] {
        &self.hosts
    }

    /// Whether every connection goes through a Unix socket: each host is a
    /// socket directory (starts with `/`) with no `hostaddr`, or there is no
    /// host and no `hostaddr` at all (libpq's default socket).
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::DbUrl;
    /// assert!(DbUrl::parse("postgres://app@%2Fvar%2Frun%2Fpostgresql/shop").unwrap().is_unix_socket());
    /// assert!(!DbUrl::parse("postgres://app@127.0.0.1/shop").unwrap().is_unix_socket());
    /// ```
    pub fn is_unix_socket(&self) -> bool {
        self.targets()
            .iter()
            .all(|t| t.hostaddr.is_none() && t.host.as_deref().is_some_and(|h| h.starts_with('/')))
    }

    /// The first `hostaddr`, if the URL sets one: the address the driver
    /// actually connects to, whatever `host` says (which then only names
    /// the server for TLS and `.pgpass`).
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::DbUrl;
    /// let url = DbUrl::parse("postgres://app@db.internal/shop?hostaddr=10.0.0.5").unwrap();
    /// assert_eq!(url.hostaddr().map(|a| a.to_string()).as_deref(), Some("10.0.0.5"));
    /// assert!(!DbUrl::parse("postgres://app@/shop?hostaddr=10.0.0.5").unwrap().is_unix_socket());
    /// ```
    pub fn hostaddr(&self) -> Option<IpAddr> {
        self.hostaddrs.first().copied()
    }

    /// The port of the first host (5432 unless the string sets one).
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::DbUrl;
    /// assert_eq!(DbUrl::parse("postgres://app@db:6432/shop").unwrap().port(), 6432);
    /// ```
    pub fn port(&self) -> u16 {
        self.port_at(0)
    }

    /// `sslmode`, if the URL sets it (libpq's default is `prefer`).
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::{DbUrl, SslMode};
    /// assert_eq!(DbUrl::parse("postgres://app@db/shop?sslmode=require").unwrap().ssl_mode(), Some(SslMode::Require));
    /// assert_eq!(DbUrl::parse("postgres://app@db/shop").unwrap().ssl_mode(), None);
    /// ```
    pub fn ssl_mode(&self) -> Option<SslMode> {
        self.sslmode
    }

    /// A parameter's value as written, if set (`sslrootcert`, `sslcert`,
    /// `service` …; see [`Param`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::{DbUrl, Param};
    /// let url = DbUrl::parse("host=db sslcert=/etc/c.pem sslkey=/etc/c.key").unwrap();
    /// assert_eq!(url.param(Param::SslCert), Some("/etc/c.pem"));
    /// assert_eq!(url.param(Param::Service), None);
    /// ```
    pub fn param(&self, param: Param) -> Option<&str> {
        self.params.get(&param).map(String::as_str)
    }

    /// `sslrootcert`: for the TLS connector, which tokio-postgres' `Config`
    /// does not carry.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::DbUrl;
    /// let url = DbUrl::parse("postgres://app@db/shop?sslmode=verify-ca&sslrootcert=/etc/ssl/ca.pem").unwrap();
    /// assert_eq!(url.ssl_root_cert(), Some("/etc/ssl/ca.pem"));
    /// ```
    pub fn ssl_root_cert(&self) -> Option<&str> {
        self.param(Param::SslRootCert)
    }

    /// `application_name` as strata will send it: the string's, else
    /// `fallback_application_name`, else `strata`.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::DbUrl;
    /// let url = DbUrl::parse("postgres://app@db/shop?application_name=deploy").unwrap();
    /// assert_eq!(url.application_name(), "deploy");
    /// ```
    pub fn application_name(&self) -> &str {
        self.param(Param::ApplicationName)
            .or(self.param(Param::FallbackApplicationName))
            .unwrap_or(DEFAULT_APPLICATION_NAME)
    }

    /// The bound on establishing a connection (startup and authentication
    /// included): the URL's `connect_timeout`, [`DEFAULT_CONNECT_TIMEOUT`]
    /// when it sets none, `None` (wait for ever) for `connect_timeout=0`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use strata::config::DbUrl;
    /// let url = DbUrl::parse("postgres://app@db/shop?connect_timeout=10").unwrap();
    /// assert_eq!(url.connect_timeout(), Some(Duration::from_secs(10)));
    /// let url = DbUrl::parse("postgres://app@db/shop").unwrap();
    /// assert_eq!(url.connect_timeout(), Some(strata::config::DEFAULT_CONNECT_TIMEOUT));
    /// let url = DbUrl::parse("postgres://app@db/shop?connect_timeout=0").unwrap();
    /// assert_eq!(url.connect_timeout(), None);
    /// ```
    pub fn connect_timeout(&self) -> Option<Duration> {
        match self.param(Param::ConnectTimeout).map(params::timeout_secs) {
            None => Some(DEFAULT_CONNECT_TIMEOUT),
            Some(0) => None,
            // libpq: a timeout under 2 s is taken as 2 s.
            Some(secs) => Some(Duration::from_secs(secs.max(2))),
        }
    }

    /// The same server and credentials, another database: for the
    /// maintenance database (`postgres`) used by `db create` / `db drop`.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::DbUrl;
    /// let url = DbUrl::parse("postgres://app:pw@db/shop").unwrap();
    /// let admin = url.with_database("postgres");
    /// assert_eq!((admin.database(), admin.password()), ("postgres", Some("pw")));
    /// ```
    pub fn with_database(&self, name: impl Into<String>) -> DbUrl {
        DbUrl {
            dbname: Some(name.into()),
            ..self.clone()
        }
    }

    /// The same server and database as another role: `user` and `password`
    /// replace the URL's (a `None` password leaves it to `PGPASSWORD` /
    /// `.pgpass`). For server-level credentials taken from `PG*` variables.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::DbUrl;
    /// let url = DbUrl::parse("postgres://app:pw@db/shop").unwrap();
    /// let admin = url.with_credentials(Some("admin".into()), None);
    /// assert_eq!((admin.user(), admin.password(), admin.database()), (Some("admin"), None, "shop"));
    /// ```
    pub fn with_credentials(&self, user: Option<String>, password: Option<String>) -> DbUrl {
        DbUrl {
            dbname: Some(self.database().to_owned()).filter(|d| !d.is_empty()),
            user,
            password,
            ..self.clone()
        }
    }

    /// The string with the password shown as `***`, in the form it was
    /// written (URI or `key=value`).
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::DbUrl;
    /// let url = DbUrl::parse("postgres://app:s3cret@db/shop").unwrap();
    /// assert!(url.redacted().contains("app:***@db"));
    /// assert!(!url.redacted().contains("s3cret"));
    /// let kv = DbUrl::parse("host=db dbname=shop password=s3cret").unwrap();
    /// assert_eq!(kv.redacted(), "host=db password=*** dbname=shop");
    /// ```
    pub fn redacted(&self) -> String {
        self.to_string()
    }

    /// The driver configuration: user, password, database, hosts (or
    /// socket directories), hostaddrs, ports, `application_name` (`strata`
    /// unless set), `connect_timeout` (10 s unless set), keepalives (on,
    /// probing after 30 s unless set), `options`, `target_session_attrs`,
    /// `channel_binding`, `load_balance_hosts`, `tcp_user_timeout` and the
    /// nearest `sslmode` (see [`SslMode::to_tokio_postgres`]). The values
    /// were checked with tokio-postgres's own parser when the string was
    /// read. With no host, none is set: the caller decides the default
    /// socket directory.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::DbUrl;
    /// let config = DbUrl::parse("postgres://app:pw@db:6432/shop").unwrap().to_pg_config();
    /// assert_eq!(config.get_dbname(), Some("shop"));
    /// assert_eq!(config.get_ports(), [6432]);
    /// assert_eq!(config.get_application_name(), Some("strata"));
    /// ```
    pub fn to_pg_config(&self) -> tokio_postgres::Config {
        let mut config = tokio_postgres::Config::new();
        if let Some(user) = &self.user {
            config.user(user);
        }
        if let Some(password) = &self.password {
            config.password(password);
        }
        let database = self.database();
        if !database.is_empty() {
            config.dbname(database);
        }
        for host in &self.hosts {
            // tokio-postgres treats a leading `/` as a socket directory.
            config.host(host);
        }
        for addr in &self.hostaddrs {
            config.hostaddr(*addr);
        }
        if self.ports.iter().any(Option::is_some) {
            for port in &self.ports {
                config.port(port.unwrap_or(DEFAULT_PORT));
            }
        }
        config.application_name(self.application_name());
        if let Some(timeout) = self.connect_timeout() {
            config.connect_timeout(timeout);
        }
        // Keepalives on every TCP connection, probing after 30 s of silence,
        // so a peer that vanishes is noticed in about a minute, not hours
        // (the kernel's default idle time is 2 h), unless the string says
        // otherwise.
        config.keepalives(true);
        config.keepalives_idle(KEEPALIVES_IDLE);
        config.keepalives_interval(KEEPALIVES_INTERVAL);
        config.keepalives_retries(KEEPALIVES_RETRIES);
        params::apply_driver_params(&self.params, &mut config);
        config.ssl_mode(self.sslmode.unwrap_or(SslMode::Prefer).to_tokio_postgres());
        config
    }
}

impl FromStr for DbUrl {
    type Err = UrlError;

    fn from_str(s: &str) -> Result<DbUrl, UrlError> {
        DbUrl::parse(s)
    }
}

#[cfg(test)]
mod tests;
