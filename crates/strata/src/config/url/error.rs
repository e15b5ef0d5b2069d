//! [`UrlError`]: why a string is not an acceptable PostgreSQL URL. It
//! holds no part of the URL, so no password can leak through it.

/// Why a string is not an acceptable PostgreSQL URL. No variant holds the
/// URL itself, so no password can leak through it.
///
/// # Examples
///
/// ```
/// use strata::config::{DbUrl, UrlError};
/// let err = DbUrl::parse("mysql://app:hunter2@db/shop").unwrap_err();
/// assert!(matches!(err, UrlError::UnsupportedScheme { .. }));
/// // No variant holds the URL: the password cannot leak through an error.
/// assert!(!err.to_string().contains("hunter2") && !format!("{err:?}").contains("hunter2"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlError {
    /// Not a URL at all (for instance a `key=value` connection string).
    #[error("not a URL: expected postgres://user:password@host:port/database")]
    NotAUrl,
    /// A scheme other than `postgres` / `postgresql`.
    #[error("unsupported scheme `{scheme}`: expected postgres:// or postgresql://")]
    UnsupportedScheme {
        /// The scheme found (only shown when it looks like a scheme).
        scheme: String,
    },
    /// `host1,host2` lists are not supported.
    #[error("several hosts in one URL are not supported: use one host")]
    MultipleHosts,
    /// A port that is not a number in 1..=65535. The text found is not
    /// quoted: in a URL that does not parse it may be part of a password.
    #[error("invalid port: expected a number from 1 to 65535")]
    InvalidPort,
    /// Unbalanced `[` in an IPv6 host.
    #[error("invalid host: unclosed `[` in an IPv6 address")]
    InvalidHost,
    /// A percent-escape that does not decode to UTF-8.
    #[error("invalid percent-encoding in the {part}")]
    InvalidEncoding {
        /// `user`, `password`, `database`, or a parameter name.
        part: String,
    },
    /// Query parameters strata does not know.
    #[error("unknown URL parameter(s): {}", names.join(", "))]
    UnknownParameters {
        /// Their names.
        names: Vec<String>,
    },
    /// A known parameter with a bad value.
    #[error("invalid value for URL parameter `{name}`: {reason}")]
    InvalidParameter {
        /// The parameter.
        name: String,
        /// What is expected.
        reason: String,
    },
    /// Neither a database nor a user (from which libpq derives the database).
    #[error("the URL names no database: add /<database> to it")]
    NoDatabase,
}
