//! Rendering URLs with the password as `***` (`Display`, `Debug`), and
//! redacting anything URL-shaped that is not a PostgreSQL URL.

use std::fmt;

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

use super::DbUrl;

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
