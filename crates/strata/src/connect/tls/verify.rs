//! Server certificate checks as libpq makes them, and TLS errors in plain
//! words.
//!
//! [`Verifier`] chains to the trusted roots (webpki), checks the host name
//! only for `verify-full`, and accepts a self-signed server certificate
//! that is itself one of the roots, as OpenSSL does (webpki alone refuses a
//! CA certificate as the server's, `CaUsedAsEndEntity`). [`NoVerification`]
//! is `prefer` / `require` without roots: encryption, no check.

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::files::Roots;
use super::provider;
use crate::config::SslMode;
use crate::error::{Error, TlsError};

/// Chain (and for `verify-full` name) checks against a set of roots.
#[derive(Debug)]
pub(super) struct Verifier {
    webpki: Arc<WebPkiServerVerifier>,
    roots: Vec<CertificateDer<'static>>,
    check_name: bool,
    provider: CryptoProvider,
}

impl Verifier {
    pub(super) fn for_roots(
        roots: &Roots,
        mode: SslMode,
        check_name: bool,
    ) -> Result<Arc<dyn ServerCertVerifier>, Error> {
        let certs = roots.load(mode)?;
        let mut store = RootCertStore::empty();
        let (added, _) = store.add_parsable_certificates(certs.iter().cloned());
        if added == 0 {
            return Err(TlsError::Roots {
                mode,
                sslrootcert: Some(roots.path()),
            }
            .into());
        }
        let webpki =
            WebPkiServerVerifier::builder_with_provider(Arc::new(store), Arc::new(provider()))
                .build()
                .map_err(|e| TlsError::Setup {
                    sslrootcert: Some(roots.path()),
                    source: Box::new(e),
                })?;
        Ok(Arc::new(Verifier {
            webpki,
            roots: certs,
            check_name,
            provider: provider(),
        }))
    }
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // A self-signed certificate given as its own root: trusted as is.
        if self.roots.iter().any(|r| r.as_ref() == end_entity.as_ref()) {
            if self.check_name {
                let parsed = ParsedCertificate::try_from(end_entity)?;
                rustls::client::verify_server_name(&parsed, server_name)?;
            }
            return Ok(ServerCertVerified::assertion());
        }
        match self
            .webpki
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            // webpki checks the chain before the name, so a name error means
            // the chain itself was good.
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.check_name => Ok(ServerCertVerified::assertion()),
            other => other,
        }
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
            &self.provider.signature_verification_algorithms,
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
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// Encryption without a certificate check.
#[derive(Debug)]
pub(super) struct NoVerification(pub(super) CryptoProvider);

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

/// A TLS failure in a connection error's chain, in plain words (`None`
/// when the error has no TLS cause).
///
/// # Examples
///
/// ```
/// let io = std::io::Error::other(rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer));
/// let text = strata::tls::describe_tls_error(&io).unwrap();
/// assert!(text.contains("not signed by a trusted root"), "{text}");
/// ```
pub fn describe_tls_error(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(describe_rustls(tls));
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
            && let Some(tls) = inner.downcast_ref::<rustls::Error>()
        {
            return Some(describe_rustls(tls));
        }
        current = e.source();
    }
    None
}

/// A rustls error in plain words, without its debug text.
///
/// # Examples
///
/// ```
/// use rustls::{CertificateError, Error};
/// let text = strata::tls::describe_rustls(&Error::InvalidCertificate(CertificateError::NotValidForName));
/// assert!(text.contains("does not name the host"), "{text}");
/// ```
pub fn describe_rustls(err: &rustls::Error) -> String {
    use rustls::Error as E;
    match err {
        E::InvalidCertificate(c) => {
            let why = match c {
                CertificateError::NotValidForName
                | CertificateError::NotValidForNameContext { .. } => {
                    "does not name the host connected to (sslmode=verify-full checks the name; connect by the name in the certificate, or use verify-ca)"
                }
                CertificateError::UnknownIssuer => {
                    "is not signed by a trusted root (check sslrootcert)"
                }
                CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                    "has expired"
                }
                CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                    "is not valid yet"
                }
                CertificateError::Revoked => "has been revoked",
                CertificateError::BadSignature => "has a bad signature",
                CertificateError::BadEncoding => "cannot be parsed",
                CertificateError::InvalidPurpose
                | CertificateError::InvalidPurposeContext { .. } => "is not meant for a TLS server",
                // webpki's `CaUsedAsEndEntity`: OpenSSL would only trust such a
                // certificate when it is itself a root.
                CertificateError::Other(other)
                    if other.to_string().contains("CaUsedAsEndEntity") =>
                {
                    "is a self-signed or CA certificate that is not one of the trusted roots (check sslrootcert)"
                }
                _ => "was refused by the certificate check (an unsupported extension or key)",
            };
            format!("the server's TLS certificate {why}")
        }
        E::NoCertificatesPresented => "the server presented no TLS certificate".to_owned(),
        E::AlertReceived(alert) => {
            use rustls::AlertDescription as A;
            match alert {
                A::CertificateRequired => {
                    "the server requires a client certificate: set sslcert and sslkey".to_owned()
                }
                A::UnknownCA | A::BadCertificate | A::CertificateUnknown | A::AccessDenied => {
                    "the server refused the client certificate".to_owned()
                }
                _ => "the server refused the TLS handshake".to_owned(),
            }
        }
        E::InappropriateMessage { .. } | E::InappropriateHandshakeMessage { .. } => {
            "the server broke the TLS handshake".to_owned()
        }
        E::PeerIncompatible(_) => {
            "the server supports no TLS version or cipher strata accepts (TLS 1.2 or 1.3)"
                .to_owned()
        }
        E::InconsistentKeys(_) => {
            "the client certificate and key do not match or cannot be used".to_owned()
        }
        _ => "the TLS handshake failed".to_owned(),
    }
}
