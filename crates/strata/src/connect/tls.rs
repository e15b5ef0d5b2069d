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
//! (a PEM file), or the Mozilla roots bundled with strata when it is
//! `sslrootcert=system`, or `~/.postgresql/root.crt` when that exists (libpq's
//! default). With none of them the connection is refused before it is
//! attempted: a mode that promises verification must never silently skip it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::config::SslMode;
use crate::error::Error;

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
#[derive(Debug, Clone, PartialEq, Eq)]
enum Roots {
    File(PathBuf),
    System,
}

impl Tls {
    /// The connector for `mode` (`None` = libpq's default, `prefer`) and
    /// `sslrootcert`. `home` is where `~/.postgresql/root.crt` is looked up.
    ///
    /// # Errors
    ///
    /// [`Error::TlsRoots`] when `verify-ca` / `verify-full` has no roots, or
    /// the root file holds no certificate; [`Error::Io`] when it cannot be
    /// read; [`Error::Tls`] when the TLS library refuses the configuration.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::SslMode;
    /// use strata::tls::Tls;
    /// // verify-full with a root file that does not exist: an error, never a silent downgrade.
    /// let err = Tls::for_mode(Some(SslMode::VerifyFull), Some("/nonexistent/ca.pem"), None);
    /// assert!(err.is_err());
    /// ```
    pub fn for_mode(
        mode: Option<SslMode>,
        root_cert: Option<&str>,
        home: Option<&Path>,
    ) -> Result<Tls, Error> {
        let mode = mode.unwrap_or(SslMode::Prefer);
        let explicit_roots = root_cert.map(|r| {
            if r == "system" {
                Roots::System
            } else {
                Roots::File(PathBuf::from(r))
            }
        });
        let default_roots = || {
            home.map(|h| h.join(".postgresql").join("root.crt"))
                .filter(|p| p.is_file())
                .map(Roots::File)
        };
        let verifier: Arc<dyn ServerCertVerifier> = match mode {
            SslMode::Disable => return Ok(Tls::None),
            SslMode::Allow | SslMode::Prefer => Arc::new(NoVerification(provider())),
            SslMode::Require => match explicit_roots {
                // libpq: with a root certificate, `require` verifies like `verify-ca`.
                Some(roots) => Arc::new(ChainOnly(webpki(&roots, mode)?)),
                None => Arc::new(NoVerification(provider())),
            },
            SslMode::VerifyCa | SslMode::VerifyFull => {
                let Some(roots) = explicit_roots.or_else(default_roots) else {
                    return Err(Error::TlsRoots {
                        mode,
                        sslrootcert: None,
                    });
                };
                let inner = webpki(&roots, mode)?;
                if mode == SslMode::VerifyFull {
                    inner
                } else {
                    Arc::new(ChainOnly(inner))
                }
            }
        };
        let config = ClientConfig::builder_with_provider(Arc::new(provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Tls {
                sslrootcert: None,
                source: Box::new(e),
            })?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        Ok(Tls::Rustls(MakeRustlsConnect::new(config)))
    }
}

fn provider() -> CryptoProvider {
    rustls::crypto::ring::default_provider()
}

fn webpki(roots: &Roots, mode: SslMode) -> Result<Arc<WebPkiServerVerifier>, Error> {
    let mut store = RootCertStore::empty();
    match roots {
        Roots::System => store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        Roots::File(path) => {
            let pem = std::fs::read(path).map_err(|e| Error::Io {
                path: path.clone(),
                source: e,
            })?;
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&pem)
                .filter_map(Result::ok)
                .collect();
            let (added, _) = store.add_parsable_certificates(certs);
            if added == 0 {
                return Err(Error::TlsRoots {
                    mode,
                    sslrootcert: Some(path.clone()),
                });
            }
        }
    }
    WebPkiServerVerifier::builder_with_provider(Arc::new(store), Arc::new(provider()))
        .build()
        .map_err(|e| Error::Tls {
            sslrootcert: match roots {
                Roots::File(path) => Some(path.clone()),
                Roots::System => None,
            },
            source: Box::new(e),
        })
}

/// `verify-ca`: the chain must lead to a trusted root; the name is not checked.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            // webpki checks the chain before the name, so a name error means
            // the chain itself was good.
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// `prefer` / `require` without roots: encryption, no certificate check
/// (libpq's behaviour; the handshake signature is still verified).
#[derive(Debug)]
struct NoVerification(CryptoProvider);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
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
