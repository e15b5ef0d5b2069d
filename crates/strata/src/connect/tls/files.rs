//! The files TLS reads: trusted roots (`sslrootcert`, or the operating
//! system's store for `system`) and the client certificate and key
//! (`sslcert`, `sslkey`), with libpq's permission rule for the key.

use std::path::{Path, PathBuf};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::config::SslMode;
use crate::error::{Error, TlsError};

/// Where the trusted roots come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Roots {
    /// A PEM file.
    File(PathBuf),
    /// The operating system's trust store.
    System,
}

impl Roots {
    /// The root certificates, at least one.
    pub(super) fn load(&self, mode: SslMode) -> Result<Vec<CertificateDer<'static>>, Error> {
        let certs: Vec<CertificateDer<'static>> = match self {
            Roots::System => rustls_native_certs::load_native_certs().certs,
            Roots::File(path) => CertificateDer::pem_slice_iter(&read(path)?)
                .filter_map(Result::ok)
                .collect(),
        };
        if certs.is_empty() {
            return Err(TlsError::Roots {
                mode,
                sslrootcert: Some(self.path()),
            }
            .into());
        }
        Ok(certs)
    }

    /// The file, or `system`, for messages.
    pub(super) fn path(&self) -> PathBuf {
        match self {
            Roots::File(p) => p.clone(),
            Roots::System => PathBuf::from("system"),
        }
    }
}

fn read(path: &Path) -> Result<Vec<u8>, Error> {
    crate::source::read_regular_file(path).map_err(|e| Error::Io {
        path: path.to_path_buf(),
        source: e,
    })
}

/// The client certificate chain of `cert` and the key of `key`. The key
/// is refused, as libpq refuses it, when group or others have any access
/// to it (owned by root, group read is allowed).
pub(super) fn client_identity(
    cert: &Path,
    key: &Path,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), Error> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&read(cert)?)
        .filter_map(Result::ok)
        .collect();
    if chain.is_empty() {
        return Err(TlsError::File {
            path: cert.to_path_buf(),
            problem: "holds no PEM certificate (sslcert)".to_owned(),
        }
        .into());
    }
    check_key_permissions(key)?;
    let key_der = PrivateKeyDer::from_pem_slice(&read(key)?).map_err(|_| TlsError::File {
        path: key.to_path_buf(),
        problem: "holds no unencrypted PEM private key (sslkey)".to_owned(),
    })?;
    Ok((chain, key_der))
}

/// libpq's rule (`fe-secure-openssl.c`): a key owned by the user must have
/// no group or other permissions; one owned by root may be group-readable.
fn check_key_permissions(key: &Path) -> Result<(), Error> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(key).map_err(|e| Error::Io {
        path: key.to_path_buf(),
        source: e,
    })?;
    if !meta.is_file() {
        return Err(TlsError::File {
            path: key.to_path_buf(),
            problem: "is not a regular file (sslkey)".to_owned(),
        }
        .into());
    }
    let mode = meta.mode() & 0o777;
    let too_open = if meta.uid() == 0 {
        mode & 0o037 != 0
    } else {
        mode & 0o077 != 0
    };
    if too_open {
        return Err(TlsError::File {
            path: key.to_path_buf(),
            problem: format!(
                "has permissions {mode:04o}: a private key must not be readable by group or others (chmod 0600 it), as libpq requires"
            ),
        }.into());
    }
    Ok(())
}
