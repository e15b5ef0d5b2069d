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

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};

use super::error::UrlError;

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

/// The port libpq uses when none is given.
///
/// # Examples
///
/// ```
/// use strata::config::{DbUrl, DEFAULT_PORT};
/// assert_eq!(DbUrl::parse("postgres://app@db/shop").unwrap().port(), DEFAULT_PORT);
/// ```
pub const DEFAULT_PORT: u16 = 5432;

/// libpq's `sslmode` values
/// (<https://www.postgresql.org/docs/current/libpq-ssl.html#LIBPQ-SSL-PROTECTION>).
///
/// # Examples
///
/// ```
/// use strata::config::SslMode;
/// let mode: SslMode = "verify-full".parse().unwrap();
/// assert_eq!(mode, SslMode::VerifyFull);
/// assert!("verify_full".parse::<SslMode>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SslMode {
    /// `disable`: never TLS.
    Disable,
    /// `allow`: plain first, TLS if the server insists.
    Allow,
    /// `prefer` (libpq's default): TLS first, plain if the server refuses.
    Prefer,
    /// `require`: TLS, no certificate check.
    Require,
    /// `verify-ca`: TLS, the server certificate must chain to a trusted CA.
    VerifyCa,
    /// `verify-full`: as `verify-ca`, and the host name must match.
    VerifyFull,
}

impl SslMode {
    /// Every mode, weakest first.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::SslMode;
    /// let names: Vec<&str> = SslMode::ALL.iter().map(|m| m.as_str()).collect();
    /// assert_eq!(names, ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]);
    /// ```
    pub const ALL: [SslMode; 6] = [
        SslMode::Disable,
        SslMode::Allow,
        SslMode::Prefer,
        SslMode::Require,
        SslMode::VerifyCa,
        SslMode::VerifyFull,
    ];

    /// The libpq spelling.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::SslMode;
    /// assert_eq!(SslMode::VerifyCa.as_str(), "verify-ca");
    /// assert_eq!(SslMode::VerifyCa.to_string(), "verify-ca");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }

    /// Whether the connection is guaranteed to be encrypted
    /// (`require`, `verify-ca`, `verify-full`).
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::SslMode;
    /// assert!(SslMode::Require.requires_tls());
    /// assert!(!SslMode::Prefer.requires_tls());
    /// ```
    pub fn requires_tls(self) -> bool {
        matches!(
            self,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull
        )
    }

    /// The nearest mode tokio-postgres knows. It has no `allow` (mapped to
    /// `prefer`, which also accepts both kinds of server) and leaves
    /// certificate verification to the TLS connector, so `verify-ca` and
    /// `verify-full` map to `require`: the connector must do the checking.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::SslMode;
    /// use tokio_postgres::config::SslMode as Pg;
    /// assert!(matches!(SslMode::Allow.to_tokio_postgres(), Pg::Prefer));
    /// assert!(matches!(SslMode::VerifyFull.to_tokio_postgres(), Pg::Require));
    /// ```
    pub fn to_tokio_postgres(self) -> tokio_postgres::config::SslMode {
        use tokio_postgres::config::SslMode as Pg;
        match self {
            SslMode::Disable => Pg::Disable,
            SslMode::Allow | SslMode::Prefer => Pg::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => Pg::Require,
        }
    }
}

impl FromStr for SslMode {
    type Err = UrlError;

    fn from_str(s: &str) -> Result<SslMode, UrlError> {
        SslMode::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| UrlError::InvalidParameter {
                name: "sslmode".to_owned(),
                reason: format!(
                    "`{s}` is not one of disable, allow, prefer, require, verify-ca, verify-full"
                ),
            })
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

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

const KNOWN_PARAMS: &[&str] = &[
    "sslmode",
    "sslrootcert",
    "application_name",
    "connect_timeout",
    "options",
    "host",
    "hostaddr",
    "port",
    "user",
    "password",
    "dbname",
];

impl DbUrl {
    /// Parses a `postgres://` or `postgresql://` URL.
    ///
    /// The database defaults to the user name, as in libpq.
    ///
    /// # Errors
    ///
    /// [`UrlError`] naming the problem, never quoting the password.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::{DbUrl, SslMode};
    /// let url = DbUrl::parse("postgresql://app@db.internal:6432/shop?sslmode=verify-full").unwrap();
    /// assert_eq!((url.host(), url.port(), url.database()), (Some("db.internal"), 6432, "shop"));
    /// assert_eq!(url.ssl_mode(), Some(SslMode::VerifyFull));
    /// // An unknown parameter is an error, so a typo cannot weaken the connection.
    /// assert!(DbUrl::parse("postgres://app@db/shop?sslmod=require").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<DbUrl, UrlError> {
        let text = text.trim();
        let Some((scheme, rest)) = text.split_once("://") else {
            return Err(UrlError::NotAUrl);
        };
        if !scheme.eq_ignore_ascii_case("postgres") && !scheme.eq_ignore_ascii_case("postgresql") {
            let looks_like_scheme = !scheme.is_empty()
                && scheme.len() <= 32
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
            return Err(if looks_like_scheme {
                UrlError::UnsupportedScheme {
                    scheme: scheme.to_owned(),
                }
            } else {
                UrlError::NotAUrl
            });
        }

        let (before_query, query) = match rest.split_once('?') {
            Some((b, q)) => (b, Some(q)),
            None => (rest, None),
        };
        // The last `@` ends the user info, so an unencoded `@` in a password
        // still parses (libpq is as lenient).
        let (userinfo, after_userinfo) = match before_query.rfind('@') {
            Some(at) => (Some(&before_query[..at]), &before_query[at + 1..]),
            None => (None, before_query),
        };
        let (hostport, path) = match after_userinfo.split_once('/') {
            Some((h, p)) => (h, p),
            None => (after_userinfo, ""),
        };

        let mut url = DbUrl {
            user: None,
            password: None,
            host: None,
            port: None,
            database: String::new(),
            host_param: None,
            hostaddr: None,
            sslmode: None,
            sslrootcert: None,
            application_name: None,
            connect_timeout: None,
            options: None,
        };

        if let Some(userinfo) = userinfo {
            let (user, password) = match userinfo.split_once(':') {
                Some((u, p)) => (u, Some(p)),
                None => (userinfo, None),
            };
            url.user = non_empty(decode(user, "user")?);
            if let Some(p) = password {
                url.password = non_empty(decode(p, "password")?);
            }
        }

        let (host, port) = split_host_port(hostport)?;
        url.host = non_empty(decode(host, "host")?);
        if let Some(port) = port {
            url.port = Some(parse_port(port)?);
        }
        let mut database = non_empty(decode(path, "database")?);

        let mut unknown = Vec::new();
        for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = decode(raw_name, "parameter name")?;
            if !KNOWN_PARAMS.contains(&name.as_str()) {
                unknown.push(name);
                continue;
            }
            let value = decode(raw_value, &name)?;
            match name.as_str() {
                "sslmode" => url.sslmode = Some(value.parse()?),
                "sslrootcert" => url.sslrootcert = non_empty(value),
                "application_name" => url.application_name = Some(value),
                "connect_timeout" => {
                    let secs = value
                        .parse::<u64>()
                        .map_err(|_| UrlError::InvalidParameter {
                            name: name.clone(),
                            reason: format!("`{value}` is not a whole number of seconds"),
                        })?;
                    // libpq: zero means wait forever.
                    url.connect_timeout = (secs > 0).then_some(secs);
                }
                "options" => url.options = non_empty(value),
                "host" => url.host_param = non_empty(value),
                "hostaddr" => {
                    let addr = value.parse().map_err(|_| UrlError::InvalidParameter {
                        name: name.clone(),
                        reason: format!("`{value}` is not an IP address"),
                    })?;
                    url.hostaddr = Some(addr);
                }
                "port" => url.port = Some(parse_port(&value)?),
                "user" => url.user = non_empty(value),
                "password" => url.password = non_empty(value),
                "dbname" => database = non_empty(value),
                _ => unknown.push(name),
            }
        }
        if !unknown.is_empty() {
            return Err(UrlError::UnknownParameters { names: unknown });
        }

        url.database = database
            .or_else(|| url.user.clone())
            .ok_or(UrlError::NoDatabase)?;
        Ok(url)
    }

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

    /// `connect_timeout`, if set and non-zero.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use strata::config::DbUrl;
    /// let url = DbUrl::parse("postgres://app@db/shop?connect_timeout=10").unwrap();
    /// assert_eq!(url.connect_timeout(), Some(Duration::from_secs(10)));
    /// ```
    pub fn connect_timeout(&self) -> Option<Duration> {
        self.connect_timeout.map(Duration::from_secs)
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

/// Characters escaped in the user and database parts when rendering.
const PART: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'%')
    .add(b':')
    .add(b'@')
    .add(b'/')
    .add(b'?')
    .add(b'#')
    .add(b'&')
    .add(b'[')
    .add(b']');

/// Characters escaped in parameter values (a socket path keeps its `/`).
const PARAM: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'%')
    .add(b'&')
    .add(b'=')
    .add(b'#')
    .add(b'+');

/// `postgres://user:***@host:port/database?params`, password redacted.
impl fmt::Display for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("postgres://")?;
        if self.user.is_some() || self.password.is_some() {
            if let Some(user) = &self.user {
                write!(f, "{}", utf8_percent_encode(user, PART))?;
            }
            if self.password.is_some() {
                f.write_str(":***")?;
            }
            f.write_str("@")?;
        }
        if let Some(host) = &self.host {
            if host.contains(':') {
                write!(f, "[{host}]")?;
            } else {
                write!(f, "{}", utf8_percent_encode(host, PART))?;
            }
        }
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        write!(f, "/{}", utf8_percent_encode(&self.database, PART))?;

        let mut params: Vec<(&str, String)> = Vec::new();
        if let Some(h) = &self.host_param {
            params.push(("host", h.clone()));
        }
        if let Some(a) = self.hostaddr {
            params.push(("hostaddr", a.to_string()));
        }
        if let Some(m) = self.sslmode {
            params.push(("sslmode", m.as_str().to_owned()));
        }
        if let Some(c) = &self.sslrootcert {
            params.push(("sslrootcert", c.clone()));
        }
        if let Some(a) = &self.application_name {
            params.push(("application_name", a.clone()));
        }
        if let Some(t) = self.connect_timeout {
            params.push(("connect_timeout", t.to_string()));
        }
        if let Some(o) = &self.options {
            params.push(("options", o.clone()));
        }
        for (i, (name, value)) in params.iter().enumerate() {
            let sep = if i == 0 { '?' } else { '&' };
            write!(f, "{sep}{name}={}", utf8_percent_encode(value, PARAM))?;
        }
        Ok(())
    }
}

/// Same as `Display`: the password is `***`.
impl fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DbUrl").field(&self.redacted()).finish()
    }
}

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

fn decode(text: &str, part: &str) -> Result<String, UrlError> {
    percent_decode_str(text)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| UrlError::InvalidEncoding {
            part: part.to_owned(),
        })
}

fn split_host_port(hostport: &str) -> Result<(&str, Option<&str>), UrlError> {
    if hostport.contains(',') {
        return Err(UrlError::MultipleHosts);
    }
    if let Some(rest) = hostport.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or(UrlError::InvalidHost)?;
        return match after {
            "" => Ok((host, None)),
            _ => match after.strip_prefix(':') {
                Some(port) => Ok((host, Some(port))),
                None => Err(UrlError::InvalidHost),
            },
        };
    }
    Ok(match hostport.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (hostport, None),
    })
}

fn parse_port(text: &str) -> Result<u16, UrlError> {
    match text.parse::<u16>() {
        Ok(p) if p > 0 => Ok(p),
        _ => Err(UrlError::InvalidPort {
            port: text.chars().take(16).collect(),
        }),
    }
}

/// Redacts the password of anything URL-shaped (`scheme://user:pass@…`),
/// for values that are not necessarily PostgreSQL URLs.
pub(crate) fn redact_url_like(value: &str) -> String {
    if let Ok(url) = DbUrl::parse(value) {
        return url.redacted();
    }
    let value = &redact_query_password(value);
    let Some(scheme_end) = value.find("://") else {
        return value.to_owned();
    };
    let start = scheme_end + 3;
    let rest = &value[start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match authority.rfind('@') {
        Some(at) => match authority[..at].find(':') {
            Some(colon) => format!(
                "{}{}:***{}",
                &value[..start],
                &authority[..colon],
                &value[start + at..]
            ),
            None => value.to_owned(),
        },
        None => value.to_owned(),
    }
}

/// `password=…` in a URL's query (or a `key=value` string) as `password=***`.
fn redact_query_password(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(i) = rest.to_ascii_lowercase().find("password=") {
        let at_boundary = i == 0 || matches!(rest.as_bytes()[i - 1], b'?' | b'&' | b';' | b' ');
        let value_start = i + "password=".len();
        out.push_str(&rest[..value_start]);
        rest = &rest[value_start..];
        if at_boundary {
            let end = rest.find(['&', '#', ' ', ';']).unwrap_or(rest.len());
            if end > 0 {
                out.push_str("***");
            }
            rest = &rest[end..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may panic
mod tests {
    use super::*;
    use tokio_postgres::config::Host;

    fn url(s: &str) -> DbUrl {
        DbUrl::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn parses_a_full_url() {
        let u = url(
            "postgres://app:s3cret@db.example.com:6543/orders?sslmode=verify-full&application_name=api&connect_timeout=7&options=-c%20search_path%3Dx&sslrootcert=/etc/ca.pem",
        );
        assert_eq!(u.user(), Some("app"));
        assert!(u.has_password());
        assert_eq!(u.host(), Some("db.example.com"));
        assert_eq!(u.port(), 6543);
        assert_eq!(u.database(), "orders");
        assert_eq!(u.ssl_mode(), Some(SslMode::VerifyFull));
        assert_eq!(u.ssl_root_cert(), Some("/etc/ca.pem"));
        assert_eq!(u.application_name(), "api");
        assert_eq!(u.connect_timeout(), Some(Duration::from_secs(7)));
        assert!(!u.is_unix_socket());

        let c = u.to_pg_config();
        assert_eq!(c.get_user(), Some("app"));
        assert_eq!(c.get_password(), Some(&b"s3cret"[..]));
        assert_eq!(c.get_dbname(), Some("orders"));
        assert_eq!(c.get_hosts(), &[Host::Tcp("db.example.com".into())]);
        assert_eq!(c.get_ports(), &[6543]);
        assert_eq!(c.get_application_name(), Some("api"));
        assert_eq!(c.get_connect_timeout(), Some(&Duration::from_secs(7)));
        assert_eq!(c.get_options(), Some("-c search_path=x"));
        assert_eq!(c.get_ssl_mode(), tokio_postgres::config::SslMode::Require);
    }

    #[test]
    fn percent_encoded_parts_and_postgresql_scheme() {
        let u = url("postgresql://us%65r:p%40ss@localhost/my%20db");
        assert_eq!(u.user(), Some("user"));
        assert_eq!(u.database(), "my db");
        let c = u.to_pg_config();
        assert_eq!(c.get_password(), Some(&b"p@ss"[..]));
        assert_eq!(c.get_application_name(), Some("strata"));
        assert_eq!(u.to_string(), "postgres://user:***@localhost/my%20db");
    }

    #[test]
    fn unencoded_at_in_password_is_tolerated() {
        let u = url("postgres://u:p@ss@h/db");
        assert_eq!(u.to_pg_config().get_password(), Some(&b"p@ss"[..]));
        assert_eq!(u.host(), Some("h"));
    }

    #[test]
    fn rejects_other_schemes_without_echoing() {
        assert_eq!(
            DbUrl::parse("mysql://root:hunter2@h/db"),
            Err(UrlError::UnsupportedScheme {
                scheme: "mysql".into()
            })
        );
        assert_eq!(
            DbUrl::parse("host=h password=hunter2"),
            Err(UrlError::NotAUrl)
        );
        let e = DbUrl::parse("weird scheme hunter2://x").unwrap_err();
        assert_eq!(e, UrlError::NotAUrl);
        assert!(!e.to_string().contains("hunter2"));
    }

    #[test]
    fn ipv6_hosts() {
        let u = url("postgres://u@[::1]:5433/db");
        assert_eq!(u.host(), Some("::1"));
        assert_eq!(u.port(), 5433);
        assert_eq!(u.to_string(), "postgres://u@[::1]:5433/db");
        let u = url("postgres://u@[2001:db8::2]/db");
        assert_eq!(u.host(), Some("2001:db8::2"));
        assert_eq!(u.port(), 5432);
        assert_eq!(
            DbUrl::parse("postgres://u@[::1/db"),
            Err(UrlError::InvalidHost)
        );
    }

    #[test]
    fn unix_socket_hosts() {
        let u = url("postgres://postgres@/app?host=/var/run/postgresql&port=5433");
        assert_eq!(u.host(), Some("/var/run/postgresql"));
        assert!(u.is_unix_socket());
        assert_eq!(u.port(), 5433);
        let c = u.to_pg_config();
        assert_eq!(c.get_hosts(), &[Host::Unix("/var/run/postgresql".into())]);
        assert_eq!(c.get_ports(), &[5433]);
        assert_eq!(
            u.to_string(),
            "postgres://postgres@:5433/app?host=/var/run/postgresql"
        );
        // Percent-encoded socket directory in the host position.
        let u = url("postgres://%2Ftmp%2Fsock/app");
        assert_eq!(u.host(), Some("/tmp/sock"));
        assert!(u.is_unix_socket());
        // No host at all: libpq's default socket.
        assert!(url("postgres:///app").is_unix_socket());
    }

    #[test]
    fn every_sslmode() {
        for mode in SslMode::ALL {
            let u = url(&format!("postgres://h/db?sslmode={mode}"));
            assert_eq!(u.ssl_mode(), Some(mode));
            assert_eq!(
                mode.requires_tls(),
                matches!(
                    mode,
                    SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull
                )
            );
        }
        assert!(matches!(
            DbUrl::parse("postgres://h/db?sslmode=on"),
            Err(UrlError::InvalidParameter { name, .. }) if name == "sslmode"
        ));
        assert_eq!(
            url("postgres://h/db").to_pg_config().get_ssl_mode(),
            tokio_postgres::config::SslMode::Prefer
        );
    }

    #[test]
    fn unknown_parameters_are_named() {
        assert_eq!(
            DbUrl::parse("postgres://h/db?sslmod=require&foo=1&sslmode=disable"),
            Err(UrlError::UnknownParameters {
                names: vec!["sslmod".into(), "foo".into()]
            })
        );
    }

    #[test]
    fn bad_ports_and_timeouts() {
        assert!(matches!(
            DbUrl::parse("postgres://h:0/db"),
            Err(UrlError::InvalidPort { .. })
        ));
        assert!(matches!(
            DbUrl::parse("postgres://h:99999/db"),
            Err(UrlError::InvalidPort { .. })
        ));
        assert!(matches!(
            DbUrl::parse("postgres://h/db?connect_timeout=soon"),
            Err(UrlError::InvalidParameter { .. })
        ));
        assert!(matches!(
            DbUrl::parse("postgres://h:5432,h2:5432/db"),
            Err(UrlError::MultipleHosts)
        ));
    }

    #[test]
    fn database_defaults_to_user() {
        assert_eq!(url("postgres://alice@h").database(), "alice");
        assert_eq!(DbUrl::parse("postgres://h"), Err(UrlError::NoDatabase));
        assert_eq!(url("postgres://h/x?dbname=y").database(), "y");
    }

    #[test]
    fn with_database_keeps_the_rest() {
        let u = url("postgres://app:pw@h:1/app_dev?sslmode=require");
        let m = u.with_database("postgres");
        assert_eq!(m.database(), "postgres");
        assert_eq!(
            m.to_string(),
            "postgres://app:***@h:1/postgres?sslmode=require"
        );
        assert_eq!(m.to_pg_config().get_password(), Some(&b"pw"[..]));
    }

    #[test]
    fn password_seam() {
        let u = url("postgres://app@h/db");
        assert!(!u.has_password());
        let u = u.with_password("from-pgpass");
        assert_eq!(u.to_pg_config().get_password(), Some(&b"from-pgpass"[..]));
        assert!(!format!("{u} {u:?}").contains("from-pgpass"));
    }

    #[test]
    fn password_never_shown() {
        for text in [
            "postgres://app:hunter2@h/db",
            "postgresql://app:hunter2@h/db?sslmode=require",
            "postgres://h/db?user=app&password=hunter2",
            "postgres://:hunter2@h/db?user=app",
            "postgres://app:hunter%32@h/db",
        ] {
            let u = url(text);
            for shown in [
                u.to_string(),
                format!("{u:?}"),
                format!("{u:#?}"),
                u.redacted(),
            ] {
                assert!(!shown.contains("hunter2"), "{shown}");
                assert!(shown.contains("***"), "{shown}");
            }
        }
    }

    #[test]
    fn display_parses_back_to_the_same_url() {
        for text in [
            "postgres://app@db.example.com:6543/orders?sslmode=verify-full&application_name=my%20api&connect_timeout=7&options=-c%20x%3Dy",
            "postgres://u@[::1]:5433/db?hostaddr=::1",
            "postgres://postgres@:5433/app?host=/var/run/postgresql",
            "postgres://%2Ftmp%2Fsock/app",
            "postgres://us%3Aer@h/d%2Fb?sslrootcert=/etc/ssl/ca%26.pem",
        ] {
            let u = url(text);
            assert_eq!(url(&u.to_string()), u, "{text} -> {u}");
        }
    }

    #[test]
    fn redact_url_like_values() {
        assert_eq!(
            redact_url_like("redis://u:hunter2@cache:6379/0"),
            "redis://u:***@cache:6379/0"
        );
        assert_eq!(
            redact_url_like("postgres://u:hunter2@h/db?sslmode=require"),
            "postgres://u:***@h/db?sslmode=require"
        );
        assert_eq!(
            redact_url_like("https://example.com/x"),
            "https://example.com/x"
        );
        assert_eq!(redact_url_like("plain"), "plain");
        // A password given as a query parameter, in a URL strata cannot parse.
        assert_eq!(
            redact_url_like("redis://cache:6379/0?password=hunter2"),
            "redis://cache:6379/0?password=***"
        );
        assert_eq!(
            redact_url_like("postgres://h/db?sslmod=require&Password=hunter2&x=1"),
            "postgres://h/db?sslmod=require&Password=***&x=1"
        );
        assert_eq!(redact_url_like("mypassword=x"), "mypassword=x");
    }

    #[test]
    fn hostaddr_means_tcp() {
        let url = DbUrl::parse("postgres://app@/db?hostaddr=203.0.113.9").unwrap();
        assert!(!url.is_unix_socket());
    }
}
