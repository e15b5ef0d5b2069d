//! The connection `pg_dump` makes: the endpoint's effective connection
//! (after the URL, its service file, the `PG*` variables and `.pgpass`) as a
//! libpq `key=value` string without the password, which goes in
//! `PGPASSWORD` instead (never on a command line, where `ps` shows it).

use crate::config::Param;
use crate::connect::Endpoint;

/// Parameters passed on as written (the service and password file were
/// already applied to the effective connection, so they are left out).
const PASSED: [Param; 15] = [
    Param::SslRootCert,
    Param::SslCert,
    Param::SslKey,
    Param::ChannelBinding,
    Param::ApplicationName,
    Param::FallbackApplicationName,
    Param::ConnectTimeout,
    Param::Options,
    Param::TargetSessionAttrs,
    Param::Keepalives,
    Param::KeepalivesIdle,
    Param::KeepalivesInterval,
    Param::KeepalivesCount,
    Param::TcpUserTimeout,
    Param::LoadBalanceHosts,
];

/// `endpoint` as a libpq connection string for `pg_dump --dbname`, with
/// strata's own bounds (connect timeout, TCP keepalives) where the URL
/// sets none, and no password.
pub(super) fn conninfo(endpoint: &Endpoint) -> String {
    let effective = endpoint.effective();
    let config = endpoint.pg_config();
    let mut pairs: Vec<(&str, String)> = Vec::new();
    let targets = effective.targets();
    if targets.iter().any(|t| t.host.is_some()) {
        let hosts: Vec<String> = targets
            .iter()
            .map(|t| t.host.clone().unwrap_or_default())
            .collect();
        pairs.push(("host", hosts.join(",")));
    }
    if targets.iter().any(|t| t.hostaddr.is_some()) {
        let addrs: Vec<String> = targets
            .iter()
            .map(|t| t.hostaddr.map(|a| a.to_string()).unwrap_or_default())
            .collect();
        pairs.push(("hostaddr", addrs.join(",")));
    }
    if !targets.is_empty() {
        let ports: Vec<String> = targets.iter().map(|t| t.port.to_string()).collect();
        pairs.push(("port", ports.join(",")));
    }
    pairs.push(("dbname", endpoint.database().to_owned()));
    if let Some(user) = config.get_user() {
        pairs.push(("user", user.to_owned()));
    }
    if let Some(mode) = effective.ssl_mode() {
        pairs.push(("sslmode", mode.as_str().to_owned()));
    }
    for p in PASSED {
        if let Some(v) = effective.param(p) {
            pairs.push((p.key(), v.to_owned()));
        }
    }
    // strata's bounds on every connection (SPEC §4.2 step 1), for pg_dump too.
    if effective.param(Param::ConnectTimeout).is_none()
        && let Some(t) = config.get_connect_timeout()
    {
        pairs.push(("connect_timeout", t.as_secs().max(1).to_string()));
    }
    if effective.param(Param::Keepalives).is_none() && config.get_keepalives() {
        pairs.push(("keepalives", "1".to_owned()));
        if effective.param(Param::KeepalivesIdle).is_none() {
            let idle = config.get_keepalives_idle().as_secs().max(1);
            pairs.push(("keepalives_idle", idle.to_string()));
        }
        if effective.param(Param::KeepalivesInterval).is_none()
            && let Some(i) = config.get_keepalives_interval()
        {
            pairs.push(("keepalives_interval", i.as_secs().max(1).to_string()));
        }
        if effective.param(Param::KeepalivesCount).is_none()
            && let Some(n) = config.get_keepalives_retries()
        {
            pairs.push(("keepalives_count", n.to_string()));
        }
    }
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", quote(v)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A libpq connection-string value: single-quoted, `\` and `'` escaped.
pub(super) fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if matches!(c, '\\' | '\'') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}
