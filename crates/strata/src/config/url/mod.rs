//! PostgreSQL connection URLs (`postgres://` / `postgresql://`).
//!
//! The grammar follows libpq's connection URIs
//! (<https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING-URIS>),
//! restricted to what strata honours: user, password, one host (a name, an
//! IPv4 address, a bracketed IPv6 address, or a percent-encoded socket
//! directory), port, database, and the parameters `sslmode`, `sslrootcert`,
//! `application_name`, `connect_timeout`, `options`, `host`, `hostaddr`,
//! `port`, `user`, `password` and `dbname`. Any other parameter is an error so
//! a typo (`sslmod=require`) cannot silently weaken a connection.
//!
//! The password is never shown: `Display`, `Debug` and [`DbUrl::redacted`]
//! print it as `***`, and no [`UrlError`] holds any part of the URL.
//!
//! Parsing lives in `parse`, the `sslmode` values in `sslmode`, rendering
//! with the password redacted in `display`.

mod display;
mod error;
mod parse;
mod sslmode;

use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

pub use error::UrlError;

pub(crate) use display::redact_url_like;
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
    user: Option<String>,
    password: Option<String>,
    /// The host from the authority part, brackets removed.
    host: Option<String>,
    port: Option<u16>,
    database: String,
    /// `host=` parameter: overrides the authority host (usually a socket dir).
    host_param: Option<String>,
    hostaddr: Option<IpAddr>,
    sslmode: Option<SslMode>,
    sslrootcert: Option<String>,
    application_name: Option<String>,
    connect_timeout: Option<u64>,
    options: Option<String>,
}

impl DbUrl {
    /// The database name (explicit, or the user name as libpq defaults it).
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
        &self.database
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

    /// The effective host: the `host=` parameter if given, else the host of
    /// the authority. A value starting with `/` is a Unix-socket directory.
    /// `None` means libpq's default (the local Unix socket).
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::DbUrl;
    /// assert_eq!(DbUrl::parse("postgres://app@db.internal/shop").unwrap().host(), Some("db.internal"));
    /// assert_eq!(DbUrl::parse("postgres://app@/shop").unwrap().host(), None);
    /// ```
    pub fn host(&self) -> Option<&str> {
        self.host_param.as_deref().or(self.host.as_deref())
    }

    /// Whether the connection goes through a Unix socket (a socket directory
    /// as host, or no host at all).
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::DbUrl;
    /// assert!(DbUrl::parse("postgres://app@%2Fvar%2Frun%2Fpostgresql/shop").unwrap().is_unix_socket());
    /// assert!(!DbUrl::parse("postgres://app@127.0.0.1/shop").unwrap().is_unix_socket());
    /// ```
    pub fn is_unix_socket(&self) -> bool {
        // With `hostaddr` the driver connects over TCP to that address.
        self.hostaddr.is_none() && self.host().is_none_or(|h| h.starts_with('/'))
    }

    /// `hostaddr`, if the URL sets it: the address the driver actually
    /// connects to, whatever `host` says (which then only names the server
    /// for TLS and `.pgpass`).
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
        self.hostaddr
    }

    /// The port (5432 unless the URL sets one).
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::DbUrl;
    /// assert_eq!(DbUrl::parse("postgres://app@db:6432/shop").unwrap().port(), 6432);
    /// ```
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(DEFAULT_PORT)
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
        self.sslrootcert.as_deref()
    }

    /// `application_name` as strata will send it.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::DbUrl;
    /// let url = DbUrl::parse("postgres://app@db/shop?application_name=deploy").unwrap();
    /// assert_eq!(url.application_name(), "deploy");
    /// ```
    pub fn application_name(&self) -> &str {
        self.application_name
            .as_deref()
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
        match self.connect_timeout {
            None => Some(DEFAULT_CONNECT_TIMEOUT),
            Some(0) => None,
            Some(secs) => Some(Duration::from_secs(secs)),
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
            database: name.into(),
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
            user,
            password,
            ..self.clone()
        }
    }

    /// The URL with the password shown as `***`.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::DbUrl;
    /// let url = DbUrl::parse("postgres://app:s3cret@db/shop").unwrap();
    /// assert!(url.redacted().contains("app:***@db"));
    /// assert!(!url.redacted().contains("s3cret"));
    /// ```
    pub fn redacted(&self) -> String {
        self.to_string()
    }

    /// The driver configuration: user, password, database, host (or socket
    /// directory), hostaddr, port, `application_name` (`strata` unless the
    /// URL sets one), `connect_timeout`, `options` and the nearest `sslmode`
    /// (see [`SslMode::to_tokio_postgres`]). With no host, none is set: the
    /// caller decides the default socket directory.
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
        config.dbname(&self.database);
        if let Some(host) = self.host() {
            // tokio-postgres treats a leading `/` as a socket directory.
            config.host(host);
        }
        if let Some(addr) = self.hostaddr {
            config.hostaddr(addr);
        }
        if let Some(port) = self.port {
            config.port(port);
        }
        config.application_name(self.application_name());
        if let Some(timeout) = self.connect_timeout() {
            config.connect_timeout(timeout);
        }
        // Keepalives on every TCP connection, probing after 30 s of silence,
        // so a peer that vanishes is noticed in about a minute, not hours
        // (the kernel's default idle time is 2 h).
        config.keepalives(true);
        config.keepalives_idle(KEEPALIVES_IDLE);
        config.keepalives_interval(KEEPALIVES_INTERVAL);
        config.keepalives_retries(KEEPALIVES_RETRIES);
        if let Some(options) = &self.options {
            config.options(options);
        }
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
