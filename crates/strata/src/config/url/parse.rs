//! [`DbUrl::parse`]: libpq's URI grammar (and the dispatch to the
//! `key=value` grammar); an unknown parameter is an error.

use percent_encoding::percent_decode_str;

use super::error::UrlError;
use super::params::{is_known, parse_port};
use super::{DbUrl, Form};

impl DbUrl {
    /// Parses a `postgres://` or `postgresql://` URL, or a libpq
    /// `key=value` connection string (`host=db dbname=shop`).
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
            return DbUrl::parse_key_value(text);
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

        let (userinfo, after_userinfo, query) = split_userinfo(rest);
        let (hostport, path) = match after_userinfo.split_once('/') {
            Some((h, p)) => (h, p),
            None => (after_userinfo, ""),
        };

        let mut url = DbUrl::empty(Form::Uri);

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

        // `host1:port1,host2:port2`: each host with its own (or no) port.
        if !hostport.is_empty() {
            let mut hosts = Vec::new();
            let mut ports = Vec::new();
            for part in hostport.split(',') {
                let (host, port) = split_host_port(part)?;
                hosts.push(decode(host, "host")?);
                ports.push(match port {
                    Some(p) if !p.is_empty() => Some(parse_port(p)?),
                    _ => None,
                });
            }
            if hosts.iter().any(|h| !h.is_empty()) {
                url.hosts = hosts;
            }
            if ports.iter().any(Option::is_some) {
                url.ports = ports;
            }
        }
        url.dbname = non_empty(decode(path, "database")?);

        let mut unknown = Vec::new();
        let mut seen = Vec::new();
        for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = decode(raw_name, "parameter name")?;
            if !is_known(&name) {
                unknown.push(name);
                continue;
            }
            let value = decode(raw_value, &name)?;
            seen.push(name.clone());
            url.set(&name, &value)?;
        }
        if !unknown.is_empty() {
            return Err(UrlError::UnknownParameters { names: unknown });
        }
        // `?host=` rendered back as a parameter only when given as one.
        url.hosts_in_query = seen.iter().any(|n| n == "host");
        Ok(url)
    }
}

/// Splits what follows `://` into user info, host part and query. The user
/// info ends at the last `@` before the query, so a raw `@`, `/`, `?` or `#`
/// in a password still parses; a `?` starts the query unless an `@` follows
/// it with no `=` in between (`app:pw?x@host` is a password,
/// `host/db?application_name=a@b` a query).
pub(super) fn split_userinfo(rest: &str) -> (Option<&str>, &str, Option<&str>) {
    let last_at = rest.rfind('@');
    let query_start = rest
        .match_indices('?')
        .map(|(i, _)| i)
        .find(|&i| match last_at {
            Some(at) if at > i => rest[i..at].contains('='),
            _ => true,
        });
    let (before_query, query) = match query_start {
        Some(q) => (&rest[..q], Some(&rest[q + 1..])),
        None => (rest, None),
    };
    match before_query.rfind('@') {
        Some(at) => (Some(&before_query[..at]), &before_query[at + 1..], query),
        None => (None, before_query, query),
    }
}

pub(super) fn non_empty(s: String) -> Option<String> {
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
