//! Rendering URLs with the password as `***` (`Display`, `Debug`), and
//! redacting anything URL-shaped that is not a PostgreSQL URL.

use std::fmt;

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

use super::params::quote;
use super::{DbUrl, Form};

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

/// The string with the password as `***`, in the form it was written:
/// `postgres://user:***@host:port/database?params` or
/// `host=… port=… user=… password=*** dbname=… …`.
impl fmt::Display for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.form {
            Form::Uri => self.fmt_uri(f),
            Form::KeyValue => self.fmt_key_value(f),
        }
    }
}

impl DbUrl {
    /// Every parameter but user, password and dbname, as `(key, value)`.
    fn rendered_params(&self, with_hosts: bool) -> Vec<(&'static str, String)> {
        let mut params: Vec<(&'static str, String)> = Vec::new();
        if with_hosts && !self.hosts.is_empty() {
            params.push(("host", self.hosts.join(",")));
        }
        if !self.hostaddrs.is_empty() {
            let addrs: Vec<String> = self.hostaddrs.iter().map(|a| a.to_string()).collect();
            params.push(("hostaddr", addrs.join(",")));
        }
        if with_hosts && !self.ports.is_empty() {
            params.push(("port", ports_text(&self.ports)));
        }
        if let Some(m) = self.sslmode {
            params.push(("sslmode", m.as_str().to_owned()));
        }
        for (param, value) in &self.params {
            params.push((param.key(), value.clone()));
        }
        params
    }

    fn fmt_uri(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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
        let mut params = Vec::new();
        if self.hosts_in_query {
            // Hosts (socket directories) as a parameter, ports in the authority.
            if !self.hosts.is_empty() {
                params.push(("host", self.hosts.join(",")));
            }
            if !self.ports.is_empty() {
                if self.ports.len() == 1 {
                    if let Some(p) = self.ports[0] {
                        write!(f, ":{p}")?;
                    }
                } else {
                    params.push(("port", ports_text(&self.ports)));
                }
            }
        } else {
            let n = self.hosts.len().max(self.ports.len());
            for i in 0..n {
                if i > 0 {
                    f.write_str(",")?;
                }
                if let Some(host) = self.hosts.get(i) {
                    if host.contains(':') {
                        write!(f, "[{host}]")?;
                    } else {
                        write!(f, "{}", utf8_percent_encode(host, PART))?;
                    }
                }
                if let Some(Some(port)) = self.ports.get(i) {
                    write!(f, ":{port}")?;
                }
            }
        }
        if let Some(db) = &self.dbname {
            write!(f, "/{}", utf8_percent_encode(db, PART))?;
        } else {
            f.write_str("/")?;
        }
        params.extend(self.rendered_params(false));
        for (i, (name, value)) in params.iter().enumerate() {
            let sep = if i == 0 { '?' } else { '&' };
            write!(f, "{sep}{name}={}", utf8_percent_encode(value, PARAM))?;
        }
        Ok(())
    }

    fn fmt_key_value(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        let mut params = self.rendered_params(true).into_iter().peekable();
        // host, hostaddr, port first, then user, password, dbname, the rest.
        while let Some((k, v)) = params.next_if(|(k, _)| matches!(*k, "host" | "hostaddr" | "port"))
        {
            parts.push(format!("{k}={}", quote(&v)));
        }
        if let Some(user) = &self.user {
            parts.push(format!("user={}", quote(user)));
        }
        if self.password.is_some() {
            parts.push("password=***".to_owned());
        }
        if let Some(db) = &self.dbname {
            parts.push(format!("dbname={}", quote(db)));
        }
        for (k, v) in params {
            parts.push(format!("{k}={}", quote(&v)));
        }
        f.write_str(&parts.join(" "))
    }
}

fn ports_text(ports: &[Option<u16>]) -> String {
    ports
        .iter()
        .map(|p| p.map(|p| p.to_string()).unwrap_or_default())
        .collect::<Vec<_>>()
        .join(",")
}

/// Same as `Display`: the password is `***`.
impl fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DbUrl").field(&self.redacted()).finish()
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
    // A value that does not parse may have a raw `@`, `/`, `?` or `#` in its
    // password, so the user info is taken to end at the last `@` anywhere:
    // hiding too much of a broken value is better than showing a password.
    let rest = &value[start..];
    match rest.rfind('@') {
        Some(at) => match rest[..at].find(':') {
            Some(colon) => format!("{}{}:***{}", &value[..start], &rest[..colon], &rest[at..]),
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
            // A quoted key=value password ends at its closing quote (or
            // nowhere: then everything after it is hidden).
            let end = if rest.starts_with('\'') {
                let mut escaped = false;
                rest.char_indices()
                    .skip(1)
                    .find(|&(_, c)| {
                        let close = c == '\'' && !escaped;
                        escaped = c == '\\' && !escaped;
                        close
                    })
                    .map_or(rest.len(), |(i, _)| i + 1)
            } else {
                rest.find(['&', '#', ' ', ';']).unwrap_or(rest.len())
            };
            if end > 0 {
                out.push_str("***");
            }
            rest = &rest[end..];
        }
    }
    out.push_str(rest);
    out
}
