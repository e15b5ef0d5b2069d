//! libpq's connection parameters as strata takes them: which are honoured,
//! which are refused (and why), their `PG*` variables, and setting one on a
//! [`DbUrl`] after checking its value. Values the driver reads are checked
//! with tokio-postgres's own `Config` parser, so strata accepts exactly
//! what the driver will do.

use std::collections::BTreeMap;
use std::str::FromStr;

use super::error::UrlError;
use super::{DbUrl, SslMode};

/// A connection parameter strata honours besides user, password, host,
/// hostaddr, port, dbname and sslmode (which have their own accessors).
///
/// # Examples
///
/// ```
/// use strata::config::Param;
/// assert_eq!(Param::from_key("sslrootcert"), Some(Param::SslRootCert));
/// assert_eq!(Param::SslRootCert.key(), "sslrootcert");
/// assert_eq!(Param::from_key("sslmod"), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Param {
    /// `sslrootcert`: trusted roots (a PEM file, or `system`).
    SslRootCert,
    /// `sslcert`: the client certificate.
    SslCert,
    /// `sslkey`: the client certificate's key.
    SslKey,
    /// `channel_binding`: `disable`, `prefer`, `require`.
    ChannelBinding,
    /// `application_name`.
    ApplicationName,
    /// `fallback_application_name`.
    FallbackApplicationName,
    /// `connect_timeout`, in seconds.
    ConnectTimeout,
    /// `options`: command-line options sent to the server.
    Options,
    /// `target_session_attrs`: `any`, `read-write`, `read-only`.
    TargetSessionAttrs,
    /// `keepalives`: 1 or 0.
    Keepalives,
    /// `keepalives_idle`, in seconds.
    KeepalivesIdle,
    /// `keepalives_interval`, in seconds.
    KeepalivesInterval,
    /// `keepalives_count`.
    KeepalivesCount,
    /// `tcp_user_timeout`, in milliseconds.
    TcpUserTimeout,
    /// `load_balance_hosts`: `disable`, `random`.
    LoadBalanceHosts,
    /// `service`: a section of `pg_service.conf`.
    Service,
    /// `passfile`: the password file.
    Passfile,
}

const PARAMS: [(Param, &str); 17] = [
    (Param::SslRootCert, "sslrootcert"),
    (Param::SslCert, "sslcert"),
    (Param::SslKey, "sslkey"),
    (Param::ChannelBinding, "channel_binding"),
    (Param::ApplicationName, "application_name"),
    (Param::FallbackApplicationName, "fallback_application_name"),
    (Param::ConnectTimeout, "connect_timeout"),
    (Param::Options, "options"),
    (Param::TargetSessionAttrs, "target_session_attrs"),
    (Param::Keepalives, "keepalives"),
    (Param::KeepalivesIdle, "keepalives_idle"),
    (Param::KeepalivesInterval, "keepalives_interval"),
    (Param::KeepalivesCount, "keepalives_count"),
    (Param::TcpUserTimeout, "tcp_user_timeout"),
    (Param::LoadBalanceHosts, "load_balance_hosts"),
    (Param::Service, "service"),
    (Param::Passfile, "passfile"),
];

/// libpq parameters strata refuses, with the reason shown in the error.
const REFUSED: &[(&str, &str)] = &[
    (
        "sslpassword",
        "encrypted client keys are not supported: decrypt the key file",
    ),
    ("sslcrl", "certificate revocation lists are not supported"),
    (
        "sslcrldir",
        "certificate revocation lists are not supported",
    ),
    ("sslsni", "SNI is always sent for host names"),
    (
        "sslcompression",
        "TLS compression is not supported (PostgreSQL removed it)",
    ),
    (
        "sslnegotiation",
        "only the standard (postgres) TLS negotiation is supported",
    ),
    (
        "ssl_min_protocol_version",
        "strata always uses TLS 1.2 or 1.3",
    ),
    (
        "ssl_max_protocol_version",
        "strata always uses TLS 1.2 or 1.3",
    ),
    ("requirepeer", "peer credential checks are not supported"),
    (
        "require_auth",
        "authentication method restrictions are not supported",
    ),
    ("gssencmode", "GSSAPI encryption is not supported"),
    ("krbsrvname", "Kerberos/GSSAPI is not supported"),
    ("gsslib", "Kerberos/GSSAPI is not supported"),
    ("gssdelegation", "Kerberos/GSSAPI is not supported"),
    (
        "replication",
        "replication connections are not for migrations",
    ),
    ("client_encoding", "strata's sessions are always UTF8"),
    ("requiressl", "deprecated in libpq: use sslmode=require"),
];

/// Values of refused parameters that ask for what strata does anyway:
/// accepted (and not kept), so a shell with `PGGSSENCMODE=prefer` works.
const AS_STRATA_DOES: &[(&str, &[&str])] = &[
    ("gssencmode", &["disable", "prefer"]),
    ("sslnegotiation", &["postgres"]),
    ("sslsni", &["1"]),
    ("sslcompression", &["0"]),
    ("client_encoding", &["UTF8", "utf8", "UTF-8", "utf-8"]),
    ("requiressl", &["0"]),
];

/// The `PG*` variables libpq reads and the parameter each fills in, in
/// libpq's documented order. A variable whose parameter strata refuses is
/// an error when set, never silently ignored.
///
/// # Examples
///
/// ```
/// use strata::config::ENV_VARS;
/// assert!(ENV_VARS.contains(&("PGDATABASE", "dbname")));
/// assert!(ENV_VARS.contains(&("PGSSLMODE", "sslmode")));
/// ```
pub const ENV_VARS: &[(&str, &str)] = &[
    ("PGHOST", "host"),
    ("PGHOSTADDR", "hostaddr"),
    ("PGPORT", "port"),
    ("PGDATABASE", "dbname"),
    ("PGUSER", "user"),
    ("PGPASSWORD", "password"),
    ("PGPASSFILE", "passfile"),
    ("PGCHANNELBINDING", "channel_binding"),
    ("PGSERVICE", "service"),
    ("PGOPTIONS", "options"),
    ("PGAPPNAME", "application_name"),
    ("PGSSLMODE", "sslmode"),
    ("PGREQUIRESSL", "requiressl"),
    ("PGSSLCOMPRESSION", "sslcompression"),
    ("PGSSLCERT", "sslcert"),
    ("PGSSLKEY", "sslkey"),
    ("PGSSLROOTCERT", "sslrootcert"),
    ("PGSSLCRL", "sslcrl"),
    ("PGSSLCRLDIR", "sslcrldir"),
    ("PGSSLSNI", "sslsni"),
    ("PGSSLNEGOTIATION", "sslnegotiation"),
    ("PGREQUIREPEER", "requirepeer"),
    ("PGREQUIREAUTH", "require_auth"),
    ("PGSSLMINPROTOCOLVERSION", "ssl_min_protocol_version"),
    ("PGSSLMAXPROTOCOLVERSION", "ssl_max_protocol_version"),
    ("PGGSSENCMODE", "gssencmode"),
    ("PGKRBSRVNAME", "krbsrvname"),
    ("PGGSSLIB", "gsslib"),
    ("PGGSSDELEGATION", "gssdelegation"),
    ("PGCONNECT_TIMEOUT", "connect_timeout"),
    ("PGCLIENTENCODING", "client_encoding"),
    ("PGTARGETSESSIONATTRS", "target_session_attrs"),
    ("PGLOADBALANCEHOSTS", "load_balance_hosts"),
];

impl Param {
    /// The libpq key.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::Param;
    /// assert_eq!(Param::KeepalivesCount.key(), "keepalives_count");
    /// ```
    pub fn key(self) -> &'static str {
        PARAMS
            .iter()
            .find(|(p, _)| *p == self)
            .map_or("", |(_, k)| k)
    }

    /// The parameter of a libpq key, if strata honours it (and it is not
    /// one of user, password, host, hostaddr, port, dbname, sslmode).
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::Param;
    /// assert_eq!(Param::from_key("service"), Some(Param::Service));
    /// assert_eq!(Param::from_key("host"), None);
    /// ```
    pub fn from_key(key: &str) -> Option<Param> {
        PARAMS.iter().find(|(_, k)| *k == key).map(|(p, _)| *p)
    }
}

/// Whether `key` is a connection parameter strata knows (honoured or refused).
pub(super) fn is_known(key: &str) -> bool {
    matches!(
        key,
        "host" | "hostaddr" | "port" | "dbname" | "user" | "password" | "sslmode"
    ) || Param::from_key(key).is_some()
        || REFUSED.iter().any(|(k, _)| *k == key)
}

impl DbUrl {
    /// An empty parameter set in `form`.
    pub(super) fn empty(form: super::Form) -> DbUrl {
        DbUrl {
            form,
            user: None,
            password: None,
            hosts: Vec::new(),
            hosts_in_query: false,
            ports: Vec::new(),
            hostaddrs: Vec::new(),
            dbname: None,
            sslmode: None,
            params: BTreeMap::new(),
        }
    }

    /// Whether `key` has a value.
    pub(crate) fn is_set(&self, key: &str) -> bool {
        match key {
            "host" => !self.hosts.is_empty(),
            "hostaddr" => !self.hostaddrs.is_empty(),
            "port" => !self.ports.is_empty(),
            "dbname" => self.dbname.is_some(),
            "user" => self.user.is_some(),
            "password" => self.password.is_some(),
            "sslmode" => self.sslmode.is_some(),
            _ => Param::from_key(key).is_some_and(|p| self.params.contains_key(&p)),
        }
    }

    /// Sets `key` to `value` after checking it, as libpq would read it from
    /// a connection string, a service file or a `PG*` variable. An empty
    /// value leaves the key unset, as in libpq.
    pub(crate) fn set(&mut self, key: &str, value: &str) -> Result<(), UrlError> {
        if AS_STRATA_DOES
            .iter()
            .any(|(k, values)| *k == key && values.contains(&value))
        {
            return Ok(());
        }
        if let Some((_, why)) = REFUSED.iter().find(|(k, _)| *k == key) {
            return Err(UrlError::UnsupportedParameter {
                name: key.to_owned(),
                reason: (*why).to_owned(),
            });
        }
        if value.is_empty() {
            return Ok(());
        }
        let invalid = |reason: String| UrlError::InvalidParameter {
            name: key.to_owned(),
            reason,
        };
        match key {
            "host" => {
                self.hosts = value.split(',').map(str::to_owned).collect();
                self.hosts_in_query = true;
            }
            "hostaddr" => {
                self.hostaddrs = value
                    .split(',')
                    .map(|a| {
                        a.trim()
                            .parse()
                            .map_err(|_| invalid(format!("`{a}` is not an IP address")))
                    })
                    .collect::<Result<_, _>>()?;
            }
            "port" => {
                self.ports = value
                    .split(',')
                    .map(|p| match p.trim() {
                        "" => Ok(None),
                        p => parse_port(p).map(Some),
                    })
                    .collect::<Result<_, _>>()?;
            }
            "dbname" => self.dbname = Some(value.to_owned()),
            "user" => self.user = Some(value.to_owned()),
            "password" => self.password = Some(value.to_owned()),
            "sslmode" => self.sslmode = Some(SslMode::from_str(value)?),
            _ => {
                let Some(param) = Param::from_key(key) else {
                    return Err(UrlError::UnknownParameters {
                        names: vec![key.to_owned()],
                    });
                };
                check_value(param, value).map_err(invalid)?;
                self.params.insert(param, value.to_owned());
            }
        }
        Ok(())
    }
}

/// Checks a value the way tokio-postgres parses it (for the parameters it
/// reads), or as libpq does (for those strata handles itself).
fn check_value(param: Param, value: &str) -> Result<(), String> {
    match param {
        Param::ConnectTimeout => value
            .trim()
            .parse::<i64>()
            .map(|_| ())
            .map_err(|_| format!("`{value}` is not a whole number of seconds")),
        Param::KeepalivesCount => value
            .trim()
            .parse::<u32>()
            .map(|_| ())
            .map_err(|_| format!("`{value}` is not a whole number")),
        Param::TargetSessionAttrs if matches!(value, "primary" | "standby" | "prefer-standby") => {
            Err(format!(
                "`{value}` is not supported: use any, read-write or read-only"
            ))
        }
        _ => match driver_key(param) {
            Some(key) => tokio_postgres::Config::from_str(&format!("{key}={}", quote(value)))
                .map(|_| ())
                .map_err(|_| format!("`{value}` is not accepted (see libpq's documentation)")),
            None => Ok(()),
        },
    }
}

/// The key tokio-postgres's parser reads a parameter under, if it reads it.
fn driver_key(param: Param) -> Option<&'static str> {
    Some(match param {
        Param::ChannelBinding => "channel_binding",
        Param::Options => "options",
        Param::TargetSessionAttrs => "target_session_attrs",
        Param::Keepalives => "keepalives",
        Param::KeepalivesIdle => "keepalives_idle",
        Param::KeepalivesInterval => "keepalives_interval",
        Param::KeepalivesCount => "keepalives_retries",
        Param::TcpUserTimeout => "tcp_user_timeout",
        Param::LoadBalanceHosts => "load_balance_hosts",
        _ => return None,
    })
}

/// Applies the parameters the driver reads to `config` through
/// tokio-postgres's own parser (values were checked when set).
pub(super) fn apply_driver_params(
    params: &BTreeMap<Param, String>,
    config: &mut tokio_postgres::Config,
) {
    let text: Vec<String> = params
        .iter()
        .filter_map(|(p, v)| driver_key(*p).map(|k| format!("{k}={}", quote(v))))
        .collect();
    if text.is_empty() {
        return;
    }
    let Ok(parsed) = tokio_postgres::Config::from_str(&text.join(" ")) else {
        return;
    };
    for (param, _) in params.iter() {
        match param {
            Param::ChannelBinding => {
                config.channel_binding(parsed.get_channel_binding());
            }
            Param::Options => {
                if let Some(o) = parsed.get_options() {
                    config.options(o);
                }
            }
            Param::TargetSessionAttrs => {
                config.target_session_attrs(parsed.get_target_session_attrs());
            }
            Param::Keepalives => {
                config.keepalives(parsed.get_keepalives());
            }
            Param::KeepalivesIdle => {
                config.keepalives_idle(parsed.get_keepalives_idle());
            }
            Param::KeepalivesInterval => {
                if let Some(i) = parsed.get_keepalives_interval() {
                    config.keepalives_interval(i);
                }
            }
            Param::KeepalivesCount => {
                if let Some(r) = parsed.get_keepalives_retries() {
                    config.keepalives_retries(r);
                }
            }
            Param::TcpUserTimeout => {
                if let Some(t) = parsed.get_tcp_user_timeout() {
                    config.tcp_user_timeout(*t);
                }
            }
            Param::LoadBalanceHosts => {
                config.load_balance_hosts(parsed.get_load_balance_hosts());
            }
            _ => {}
        }
    }
}

/// `connect_timeout` in whole seconds (negative: 0, as libpq).
pub(super) fn timeout_secs(value: &str) -> u64 {
    value.trim().parse::<i64>().map_or(0, |s| s.max(0) as u64)
}

/// A value quoted for a `key=value` string (libpq's rules: single quotes,
/// `\'` and `\\` inside).
pub(super) fn quote(value: &str) -> String {
    if !value.is_empty()
        && !value
            .chars()
            .any(|c| c.is_whitespace() || c == '\'' || c == '\\')
    {
        return value.to_owned();
    }
    let mut out = String::from("'");
    for c in value.chars() {
        if c == '\'' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

pub(super) fn parse_port(text: &str) -> Result<u16, UrlError> {
    match text.parse::<u16>() {
        Ok(p) if p > 0 => Ok(p),
        _ => Err(UrlError::InvalidPort),
    }
}
