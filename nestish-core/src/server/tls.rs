//! HTTPS on nestish's own server (feature `tls`): [`TlsConfig`], the certificate and key a
//! server presents, and each TLS connection's handshake, run on the connection's own task.
//!
//! Browsers speak HTTP/2 only over TLS, where the server offers it by ALPN; over HTTP/1.1 they
//! open at most six connections per origin, and each open `EventSource` holds one. So the
//! server offers `h2` first, then `http/1.1`, and a connection whose client chose `h2` is
//! served as HTTP/2 from its first byte (the sniffing of a plain connection is for h2c only).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::{self, PemObject};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::connection::{Builders, ServeConnection};
use super::sniff::Protocol;
use crate::state::OpenGuard;

/// The certificate chain and private key an HTTPS server presents, for
/// [`App::listen_tls`](crate::App::listen_tls) and [`App::bind_tls`](crate::App::bind_tls).
///
/// Read from PEM, as `openssl`, `mkcert` and Let's Encrypt write it: the chain starts with the
/// server's own certificate, and the key is PKCS#8, PKCS#1 (RSA) or SEC1 (EC). The server
/// offers HTTP/2 (`h2`) then HTTP/1.1 by ALPN, TLS 1.3 and 1.2, with rustls and its `ring`
/// cryptography. Cheap to clone.
///
/// ```no_run
/// # async fn run() -> Result<(), nestish_core::Error> {
/// let tls = nestish_core::TlsConfig::from_pem_files("cert.pem", "key.pem")?;
/// nestish_core::NestFactory::create().build()?.listen_tls("0.0.0.0:443", tls).await
/// # }
/// ```
#[derive(Clone)]
pub struct TlsConfig {
    acceptor: TlsAcceptor,
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig").finish_non_exhaustive()
    }
}

impl TlsConfig {
    /// Reads the certificate chain from the PEM file `cert` and the private key from the PEM
    /// file `key` (they may be the same file).
    ///
    /// # Errors
    ///
    /// A [`TlsError`] that names the file: it cannot be read, holds no certificate or no
    /// key, is not valid PEM, or the key does not belong to the certificate.
    ///
    /// ```no_run
    /// let tls = nestish_core::TlsConfig::from_pem_files("cert.pem", "key.pem");
    /// if let Err(error) = &tls {
    ///     eprintln!("{error}"); // e.g. cannot read the certificate file cert.pem: ...
    /// }
    /// ```
    pub fn from_pem_files(cert: impl AsRef<Path>, key: impl AsRef<Path>) -> Result<Self, TlsError> {
        let read = |path: &Path, what| {
            std::fs::read(path).map_err(|source| TlsError::Read {
                what,
                path: path.to_owned(),
                source,
            })
        };
        let (cert, key) = (cert.as_ref(), key.as_ref());
        Self::build(
            &read(cert, "certificate")?,
            &Origin::File(cert.to_owned()),
            &read(key, "private key")?,
            &Origin::File(key.to_owned()),
        )
    }

    /// Takes the certificate chain and the private key as PEM text (from a secret store, or
    /// `include_bytes!`).
    ///
    /// # Errors
    ///
    /// A [`TlsError`]: no certificate or no key in the text, invalid PEM, or a key that does
    /// not belong to the certificate.
    ///
    /// ```
    /// let error = nestish_core::TlsConfig::from_pem(b"not pem", b"").unwrap_err();
    /// assert_eq!(
    ///     error.to_string(),
    ///     "the certificate PEM holds no certificate (a -----BEGIN CERTIFICATE----- block)"
    /// );
    /// ```
    pub fn from_pem(cert: &[u8], key: &[u8]) -> Result<Self, TlsError> {
        Self::build(
            cert,
            &Origin::Bytes("certificate"),
            key,
            &Origin::Bytes("private key"),
        )
    }

    fn build(
        cert: &[u8],
        cert_from: &Origin,
        key: &[u8],
        key_from: &Origin,
    ) -> Result<Self, TlsError> {
        let chain = CertificateDer::pem_slice_iter(cert)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| TlsError::Pem {
                origin: cert_from.to_string(),
                reason: error.to_string(),
            })?;
        if chain.is_empty() {
            return Err(TlsError::NoCertificate {
                origin: cert_from.to_string(),
            });
        }
        let key = match PrivateKeyDer::from_pem_slice(key) {
            Ok(key) => key,
            Err(pem::Error::NoItemsFound) => {
                return Err(TlsError::NoKey {
                    origin: key_from.to_string(),
                });
            }
            Err(error) => {
                return Err(TlsError::Pem {
                    origin: key_from.to_string(),
                    reason: error.to_string(),
                });
            }
        };
        // The provider named, not the process-wide default: with another crate of the program
        // enabling rustls's aws-lc-rs too, the default would be ambiguous and rustls panics.
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let rejected = |error: rustls::Error| TlsError::Rejected {
            cert: cert_from.to_string(),
            key: key_from.to_string(),
            reason: error.to_string(),
        };
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(rejected)?
            .with_no_client_auth()
            // Checks that the key is the certificate's.
            .with_single_cert(chain, key)
            .map_err(rejected)?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Self {
            acceptor: TlsAcceptor::from(Arc::new(config)),
        })
    }

    pub(crate) fn acceptor(&self) -> &TlsAcceptor {
        &self.acceptor
    }
}

/// Where a certificate or key came from, for the messages.
enum Origin {
    File(PathBuf),
    Bytes(&'static str),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(path) => write!(f, "{}", path.display()),
            Self::Bytes(what) => write!(f, "the {what} PEM"),
        }
    }
}

/// Why a [`TlsConfig`] could not be made; each message names the file (or the PEM text) at
/// fault. Converts into [`Error::Tls`](crate::Error::Tls) with `?`.
///
/// ```
/// use nestish_core::{TlsConfig, TlsError};
///
/// let error = TlsConfig::from_pem_files("/no/such/cert.pem", "/no/such/key.pem").unwrap_err();
/// assert!(matches!(error, TlsError::Read { .. }));
/// assert!(error.to_string().starts_with("cannot read the certificate file /no/such/cert.pem: "));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A file could not be read.
    #[error("cannot read the {what} file {}: {source}", path.display())]
    Read {
        /// `certificate` or `private key`.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The certificate file or text holds no certificate.
    #[error("{origin} holds no certificate (a -----BEGIN CERTIFICATE----- block)")]
    NoCertificate {
        /// The file, or "the certificate PEM".
        origin: String,
    },
    /// The key file or text holds no private key.
    #[error(
        "{origin} holds no private key (a -----BEGIN PRIVATE KEY-----, RSA PRIVATE KEY or EC \
         PRIVATE KEY block)"
    )]
    NoKey {
        /// The file, or "the private key PEM".
        origin: String,
    },
    /// A PEM block that cannot be read.
    #[error("{origin} is not valid PEM: {reason}")]
    Pem {
        /// The file, or which PEM text.
        origin: String,
        /// What is wrong with it.
        reason: String,
    },
    /// rustls refused the pair: most often, the key is not the certificate's.
    #[error("the certificate {cert} and the key {key} cannot be used together: {reason}")]
    Rejected {
        /// The certificate's file, or "the certificate PEM".
        cert: String,
        /// The key's file, or "the private key PEM".
        key: String,
        /// What rustls said.
        reason: String,
    },
}

/// The task of one TLS connection: the handshake, within the handshake timeout and given up
/// if the server shuts down meanwhile, then HTTP/2 or HTTP/1.1 as ALPN chose. A failed
/// handshake is one client's problem: logged at debug, and the connection closed.
pub(crate) async fn serve(
    tls: TlsAcceptor,
    stream: TcpStream,
    open: OpenGuard,
    builders: Arc<Builders>,
) {
    // Created before the flag is read, so a shutdown in between still wakes it.
    let shutdown = open.state().shutdown_notified();
    if open.state().is_shutting_down() {
        return;
    }
    let timeout = builders.limits.tls_handshake_timeout;
    let handshake = tokio::time::timeout(timeout, tls.accept(stream));
    let stream = tokio::select! {
        // No request was asked yet: nothing to finish.
        () = shutdown => return,
        done = handshake => match done {
            Ok(Ok(stream)) => stream,
            Ok(Err(error)) => {
                tracing::debug!(%error, "TLS handshake failed");
                return;
            }
            Err(_) => {
                tracing::debug!("no TLS handshake within {timeout:?}");
                return;
            }
        },
    };
    let protocol = match stream.get_ref().1.alpn_protocol() {
        Some(b"h2") => Protocol::Http2,
        _ => Protocol::Http1,
    };
    ServeConnection::new(stream, Some(protocol), open, &builders).await;
}
