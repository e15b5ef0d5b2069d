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
    /// Neither a URL nor a `key=value` connection string.
    #[error(
        "not a connection string: expected postgres://user:password@host:port/database or host=… dbname=…"
    )]
    NotAUrl,
    /// A scheme other than `postgres` / `postgresql`.
    #[error("unsupported scheme `{scheme}`: expected postgres:// or postgresql://")]
    UnsupportedScheme {
        /// The scheme found (only shown when it looks like a scheme).
        scheme: String,
    },
    /// A key of a `key=value` string without `=value`.
    #[error("`{name}` has no value: expected {name}=value")]
    MissingValue {
        /// The key.
        name: String,
    },
    /// A quoted value of a `key=value` string that does not end.
    #[error("the value of `{name}` has no closing quote")]
    UnterminatedQuote {
        /// The key.
        name: String,
    },
    /// A libpq parameter strata does not support.
    #[error("connection parameter `{name}` is not supported: {reason}")]
    UnsupportedParameter {
        /// The parameter.
        name: String,
        /// Why, and what to do instead.
        reason: String,
    },
    /// A `service` that no service file defines.
    #[error("service `{name}` is not defined in {}", .searched.join(" or "))]
    UnknownService {
        /// The service name.
        name: String,
        /// The files looked in.
        searched: Vec<String>,
    },
    /// A service file that cannot be read or has a bad line.
    #[error("service file {path}: {reason}")]
    ServiceFile {
        /// The file.
        path: String,
        /// What is wrong (line number included).
        reason: String,
    },
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
