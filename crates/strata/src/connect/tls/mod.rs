//! TLS for PostgreSQL connections: libpq's `sslmode` with rustls (ring).
//!
//! What each mode does, as libpq documents it
//! (<https://www.postgresql.org/docs/current/libpq-ssl.html#LIBPQ-SSL-PROTECTION>):
//!
//! | sslmode | encryption | certificate check |
//! |---|---|---|
//! | `disable` | never | — |
//! | `allow`, `prefer` | if the server offers it | none |
//! | `require` | always | none, unless `sslrootcert` is given: then as `verify-ca` |
//! | `verify-ca` | always | chains to a trusted root |
//! | `verify-full` | always | chains to a trusted root and names the host |
//!
//! The trusted roots for `verify-ca` / `verify-full` come from `sslrootcert`
//! (a PEM file), or the operating system's trust store when it is
//! `sslrootcert=system` (through `rustls-native-certs`, as libpq uses
//! OpenSSL's), or `~/.postgresql/root.crt` when that exists (libpq's
//! default). With none of them the connection is refused before it is
//! attempted: a mode that promises verification must never silently skip it.
//! A self-signed server certificate given as its own `sslrootcert` is
//! accepted, as OpenSSL (and so libpq) accepts it.
//!
//! A client certificate comes from `sslcert` / `sslkey` (else
//! `~/.postgresql/postgresql.crt` / `.key` when they exist); a key file that
//! group or others may read is refused, as libpq refuses it. The checks
//! themselves live in `verify`, the files in `files`; a handshake failure is
//! described in plain words by [`describe_tls_error`], never as the TLS
//! library's debug text.

mod files;
mod verify;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ClientConfig;
use rustls::client::danger::ServerCertVerifier;
use rustls::crypto::CryptoProvider;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::config::SslMode;
use crate::error::{Error, TlsError};
use files::Roots;
use verify::{NoVerification, Verifier};

pub use verify::{describe_rustls, describe_tls_error};

/// How a connection negotiates TLS. Cheap to clone.
///
/// # Examples
///
/// ```
/// use strata::config::SslMode;
/// use strata::tls::Tls;
/// assert!(matches!(Tls::for_mode(Some(SslMode::Disable), None, None).unwrap(), Tls::None));
/// assert!(matches!(Tls::for_mode(Some(SslMode::Require), None, None).unwrap(), Tls::Rustls(_)));
/// ```
#[derive(Clone)]
pub enum Tls {
    /// Plain TCP or a Unix socket (`sslmode=disable`).
    None,
    /// rustls, with the certificate checks of the mode.
    Rustls(MakeRustlsConnect),
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Tls::None => "Tls::None",
            Tls::Rustls(_) => "Tls::Rustls",
        })
    }
}

/// Where the trusted roots come from.
/// What a connection's TLS is built from: the libpq parameters involved.
///
/// # Examples
///
/// ```
/// use strata::config::SslMode;
/// use strata::tls::{Tls, TlsParams};
/// let params = TlsParams { mode: Some(SslMode::Require), ..TlsParams::default() };
/// assert!(matches!(Tls::from_params(&params).unwrap(), Tls::Rustls(_)));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsParams {
    /// `sslmode` (`None`: libpq's default, `prefer`).
    pub mode: Option<SslMode>,
    /// `sslrootcert`: a PEM file or `system`.
    pub root_cert: Option<String>,
    /// `sslcert`: the client certificate (PEM).
    pub cert: Option<String>,
    /// `sslkey`: the client certificate's key (PEM, not encrypted).
    pub key: Option<String>,
    /// The home directory, for `~/.postgresql/`.
    pub home: Option<PathBuf>,
}

impl Tls {
    /// The connector for `mode`, with roots from `root_cert` (or
    /// `~/.postgresql/root.crt` under `home`) and no client certificate:
    /// [`Tls::from_params`] with those.
    ///
    /// # Errors
    ///
    /// As [`Tls::from_params`].
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::SslMode;
    /// use strata::tls::Tls;
    /// assert!(Tls::for_mode(Some(SslMode::VerifyFull), None, None).is_err());
    /// ```
    pub fn for_mode(
        mode: Option<SslMode>,
        root_cert: Option<&str>,
        home: Option<&Path>,
    ) -> Result<Tls, Error> {
        Tls::from_params(&TlsParams {
            mode,
            root_cert: root_cert.map(str::to_owned),
            cert: None,
            key: None,
            home: home.map(Path::to_path_buf),
        })
    }

    /// The connector libpq's parameters ask for (see the module docs).
    ///
    /// # Errors
    ///
    /// [`TlsError::Roots`] for `verify-ca` / `verify-full` without roots or
    /// a root file with no certificate; [`Error::Io`] for a file that cannot
    /// be read; [`TlsError::File`] for a client key others may read, or a
    /// certificate or key file that holds none; [`Error::Tls`] when rustls
    /// refuses the setup.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::SslMode;
    /// use strata::tls::{Tls, TlsParams};
    /// let params = TlsParams { mode: Some(SslMode::VerifyCa), root_cert: Some("system".into()), ..TlsParams::default() };
    /// assert!(Tls::from_params(&params).is_ok());
    /// ```
    pub fn from_params(params: &TlsParams) -> Result<Tls, Error> {
        let mode = params.mode.unwrap_or(SslMode::Prefer);
        let explicit_roots = params.root_cert.as_deref().map(|r| {
            if r == "system" {
                Roots::System
            } else {
                Roots::File(PathBuf::from(r))
            }
        });
        let postgresql_dir = params.home.as_ref().map(|h| h.join(".postgresql"));
        let default_roots = || {
            postgresql_dir
                .as_ref()
                .map(|d| d.join("root.crt"))
                .filter(|p| p.is_file())
                .map(Roots::File)
        };
        let verifier: Arc<dyn ServerCertVerifier> = match mode {
            SslMode::Disable => return Ok(Tls::None),
            SslMode::Allow | SslMode::Prefer => Arc::new(NoVerification(provider())),
            SslMode::Require => match explicit_roots {
                // libpq: with a root certificate, `require` verifies like `verify-ca`.
                Some(roots) => Verifier::for_roots(&roots, mode, false)?,
                None => Arc::new(NoVerification(provider())),
            },
            SslMode::VerifyCa | SslMode::VerifyFull => {
                let Some(roots) = explicit_roots.or_else(default_roots) else {
                    return Err(TlsError::Roots {
                        mode,
                        sslrootcert: None,
                    }
                    .into());
                };
                Verifier::for_roots(&roots, mode, mode == SslMode::VerifyFull)?
            }
        };
        let builder = ClientConfig::builder_with_provider(Arc::new(provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Setup {
                sslrootcert: None,
                source: Box::new(e),
            })?
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        let cert = params.cert.as_ref().map(PathBuf::from).or_else(|| {
            postgresql_dir
                .as_ref()
                .map(|d| d.join("postgresql.crt"))
                .filter(|p| p.is_file())
        });
        let config = match cert {
            None => builder.with_no_client_auth(),
            Some(cert) => {
                let key = params
                    .key
                    .as_ref()
                    .map(PathBuf::from)
                    .or_else(|| postgresql_dir.as_ref().map(|d| d.join("postgresql.key")));
                let Some(key) = key else {
                    return Err(TlsError::File {
                        path: cert,
                        problem: "is a client certificate without sslkey".to_owned(),
                    }
                    .into());
                };
                let (chain, key_der) = files::client_identity(&cert, &key)?;
                builder
                    .with_client_auth_cert(chain, key_der)
                    .map_err(|e| TlsError::File {
                        path: key,
                        problem: format!(
                            "does not hold a usable key for {}: {}",
                            cert.display(),
                            describe_rustls(&e)
                        ),
                    })?
            }
        };
        Ok(Tls::Rustls(MakeRustlsConnect::new(config)))
    }
}

fn provider() -> CryptoProvider {
    rustls::crypto::ring::default_provider()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may panic
mod tests {
    use super::*;

    #[test]
    fn modes_and_roots() {
        assert!(matches!(
            Tls::for_mode(Some(SslMode::Disable), None, None),
            Ok(Tls::None)
        ));
        for mode in [None, Some(SslMode::Prefer), Some(SslMode::Require)] {
            assert!(matches!(
                Tls::for_mode(mode, None, None),
                Ok(Tls::Rustls(_))
            ));
        }
        let e = Tls::for_mode(Some(SslMode::VerifyFull), None, None).unwrap_err();
        assert!(e.to_string().contains("sslrootcert"), "{e}");
        assert!(Tls::for_mode(Some(SslMode::VerifyCa), Some("system"), None).is_ok());
        let e =
            Tls::for_mode(Some(SslMode::VerifyCa), Some("/nonexistent/ca.pem"), None).unwrap_err();
        assert!(matches!(e, Error::Io { .. }), "{e:?}");
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("ca.pem");
        std::fs::write(&empty, "not a certificate").unwrap();
        let e = Tls::for_mode(Some(SslMode::Require), empty.to_str(), None).unwrap_err();
        assert!(e.to_string().contains("no PEM certificate"), "{e}");
    }
}
