//! libpq's `sslmode` values: parsing, display, and the nearest mode the
//! driver knows.

use std::fmt;
use std::str::FromStr;

use super::error::UrlError;

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
