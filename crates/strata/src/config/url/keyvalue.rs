//! libpq's `key=value` connection strings (`host=db port=5432 dbname=app`):
//! whitespace-separated pairs, spaces allowed around `=`, values in single
//! quotes with `\'` and `\\` escapes. An unknown key is an error naming it.

use super::error::UrlError;
use super::params::is_known;
use super::{DbUrl, Form};

impl DbUrl {
    /// Parses a `key=value` connection string (what [`DbUrl::parse`] does
    /// with a string that is not a URI).
    pub(super) fn parse_key_value(text: &str) -> Result<DbUrl, UrlError> {
        let pairs = split_pairs(text)?;
        if pairs.is_empty() {
            return Err(UrlError::NotAUrl);
        }
        let mut url = DbUrl::empty(Form::KeyValue);
        let unknown: Vec<String> = pairs
            .iter()
            .filter(|(k, _)| !is_known(k))
            .map(|(k, _)| k.clone())
            .collect();
        if !unknown.is_empty() {
            return Err(UrlError::UnknownParameters { names: unknown });
        }
        for (key, value) in &pairs {
            url.set(key, value)?;
        }
        Ok(url)
    }
}

/// The pairs of a `key=value` string, in order. Errors never quote a
/// value (it may be a password).
fn split_pairs(text: &str) -> Result<Vec<(String, String)>, UrlError> {
    let mut pairs = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return Ok(pairs);
        }
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && !c.is_whitespace()) {
            key.push(c);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next() != Some('=') {
            // Not `key=value`: say so without echoing anything.
            return Err(if pairs.is_empty() && !key.contains('=') {
                UrlError::NotAUrl
            } else {
                UrlError::MissingValue { name: key }
            });
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            loop {
                match chars.next() {
                    None => return Err(UrlError::UnterminatedQuote { name: key }),
                    Some('\'') => break,
                    Some('\\') => match chars.next() {
                        Some(c) => value.push(c),
                        None => return Err(UrlError::UnterminatedQuote { name: key }),
                    },
                    Some(c) => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                if c == '\\' {
                    if let Some(next) = chars.next() {
                        value.push(next);
                    }
                } else {
                    value.push(c);
                }
            }
        }
        pairs.push((key, value));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may panic
mod tests {
    use super::*;

    #[test]
    fn pairs_quotes_and_escapes() {
        let p = split_pairs(" host = db  password='a b\\'c' options=-c\\ x=y ").unwrap();
        assert_eq!(
            p,
            [
                ("host".into(), "db".into()),
                ("password".into(), "a b'c".into()),
                ("options".into(), "-c x=y".into()),
            ]
        );
        assert_eq!(split_pairs("just-text"), Err(UrlError::NotAUrl));
        let e = split_pairs("host=db password='hunter2").unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }

    #[test]
    fn key_value_strings() {
        let u = DbUrl::parse("host=a,b port=5432,5433 dbname=shop user=app password=pw").unwrap();
        assert_eq!(u.hosts(), ["a", "b"]);
        assert_eq!(u.database(), "shop");
        assert_eq!(
            u.redacted(),
            "host=a,b port=5432,5433 user=app password=*** dbname=shop"
        );
        assert_eq!(DbUrl::parse(&u.redacted().replace("***", "pw")).unwrap(), u);
        let e = DbUrl::parse("host=db sslmod=require").unwrap_err();
        assert!(e.to_string().contains("sslmod"), "{e}");
        let e = DbUrl::parse("host=db sslcrl=/x").unwrap_err();
        assert!(e.to_string().contains("sslcrl"), "{e}");
        // A refused parameter asking for what strata does anyway is accepted.
        assert!(DbUrl::parse("host=db gssencmode=prefer sslsni=1").is_ok());
        assert!(DbUrl::parse("host=db gssencmode=require").is_err());
    }
}
