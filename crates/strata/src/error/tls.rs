//! [`TlsError`]: why TLS could not be set up for a connection, or why its
//! handshake failed. [`crate::Error::Tls`] carries it; roots and client
//! files are configuration errors (exit 2), the rest connection failures
//! (exit 1).
//!
//! ```
//! use strata::config::SslMode;
//! use strata::error::TlsError;
//!
//! let err = strata::Error::from(TlsError::Roots { mode: SslMode::VerifyCa, sslrootcert: None });
//! assert!(err.is_config());
//! assert!(err.to_string().starts_with("sslmode=verify-ca needs trusted roots"));
//! ```

use std::path::PathBuf;

use crate::config::SslMode;

/// What went wrong with TLS (SPEC §1.3: `sslmode`, `sslrootcert`,
/// `sslcert`, `sslkey`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// `sslmode=verify-ca`/`verify-full` (or `require` with a root file)
    /// without a usable trusted root (exit 2): no root given and no
    /// `~/.postgresql/root.crt`, or the root file holds no PEM certificate.
    /// Refused before connecting.
    ///
    /// ```
    /// use strata::config::SslMode;
    /// use strata::error::TlsError;
    ///
    /// let err = TlsError::Roots { mode: SslMode::VerifyFull, sslrootcert: None };
    /// assert!(err.is_config());
    /// assert!(err.to_string().starts_with("sslmode=verify-full needs trusted roots: add sslrootcert="));
    /// ```
    #[error("{}", match sslrootcert {
        None => format!(
            "sslmode={mode} needs trusted roots: add sslrootcert=/path/to/ca.pem \
             (or sslrootcert=system) to the URL, or create ~/.postgresql/root.crt"
        ),
        Some(p) => format!("sslrootcert {}: no PEM certificate found", p.display()),
    })]
    Roots {
        /// The mode that needs them.
        mode: SslMode,
        /// The root file (`sslrootcert`) that holds no certificate; None:
        /// no roots at all.
        sslrootcert: Option<PathBuf>,
    },

    /// TLS could not be set up for a connection (exit 1): the TLS library
    /// refused the configuration or the trusted roots.
    ///
    /// ```
    /// use std::error::Error as _;
    /// use strata::error::TlsError;
    ///
    /// let err = TlsError::Setup { sslrootcert: Some("certs/ca.pem".into()), source: "no usable root".into() };
    /// assert_eq!(err.to_string(), "TLS setup failed with the roots of certs/ca.pem");
    /// assert_eq!(err.source().unwrap().to_string(), "no usable root");
    /// assert!(!err.is_config());
    /// ```
    #[error("TLS setup failed{}", sslrootcert.as_ref().map(|p| format!(" with the roots of {}", p.display())).unwrap_or_default())]
    Setup {
        /// The root certificate file (`sslrootcert`) involved, if any.
        sslrootcert: Option<PathBuf>,
        /// The TLS library's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// A client certificate or key file refused (exit 2): libpq's key rule.
    /// ```
    /// let e = strata::error::TlsError::File { path: "k".into(), problem: "is open".into() };
    /// assert!(e.is_config() && e.to_string() == "TLS file k is open");
    /// ```
    #[error("TLS file {} {problem}", path.display())]
    File { path: PathBuf, problem: String },
    /// The TLS handshake failed (exit 1), in words ([`crate::tls::describe_tls_error`]).
    /// ```
    /// let err = strata::error::TlsError::Handshake { url: "postgres://db/x".into(), reason: "why".into() };
    /// assert_eq!(err.to_string(), "cannot connect to postgres://db/x: why");
    /// ```
    #[error("cannot connect to {url}: {reason}")]
    Handshake { url: String, reason: String },
}

impl TlsError {
    /// True for the errors of configuration, found before connecting: no
    /// usable root, a refused client certificate or key file (exit 2).
    ///
    /// ```
    /// use strata::error::TlsError;
    /// assert!(TlsError::File { path: "k".into(), problem: "is open".into() }.is_config());
    /// assert!(!TlsError::Handshake { url: "postgres://db/x".into(), reason: "why".into() }.is_config());
    /// ```
    pub fn is_config(&self) -> bool {
        matches!(self, TlsError::Roots { .. } | TlsError::File { .. })
    }
}
