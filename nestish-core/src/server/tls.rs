//! HTTPS on nestish's own server (feature `tls`): [`TlsConfig`], the certificate and key a
//! server presents, and each TLS connection's handshake, run on the connection's own task.
//!
//! Browsers speak HTTP/2 only over TLS, where the server offers it by ALPN; over HTTP/1.1 they
//! open at most six connections per origin, and each open `EventSource` holds one. So the
//! server offers `h2` first, then `http/1.1`, and a connection whose client chose `h2` is
//! served as HTTP/2 from its first byte (the sniffing of a plain connection is for h2c only).

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use tokio_rustls::rustls::crypto::CryptoProvider;
use tokio_rustls::rustls::pki_types::pem::{self, PemObject};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::{ClientHello, ResolvesServerCert};
use tokio_rustls::rustls::sign::CertifiedKey;
use tokio_rustls::server::TlsStream;

use super::connection::{Builders, ServeConnection};
use super::sniff::Protocol;
use crate::state::OpenGuard;

/// The certificate chain and private key an HTTPS server presents, for
/// [`App::listen_tls`](crate::App::listen_tls) and [`App::bind_tls`](crate::App::bind_tls).
///
/// Read from PEM, as `openssl`, `mkcert` and Let's Encrypt write it: the chain starts with the
/// server's own certificate, and the key is PKCS#8, PKCS#1 (RSA) or SEC1 (EC). The server
/// offers HTTP/2 (`h2`) then HTTP/1.1 by ALPN, TLS 1.3 and 1.2, with rustls and its `ring`
/// cryptography. Cheap to clone; the clones share the certificate, so a clone kept aside can
/// [`reload`](Self::reload_from_pem_files) it while the server runs.
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
    current: Arc<Current>,
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
        Ok(Self::new(
            Pair::read(cert.as_ref(), key.as_ref())?.certified()?,
        ))
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
        Ok(Self::new(Pair::bytes(cert, key).certified()?))
    }

    /// Replaces the certificate and key with those of the PEM files `cert` and `key`, without
    /// a restart: handshakes from now on present the new certificate, open connections keep
    /// theirs. Call it on a clone kept before `listen_tls` (when a renewed certificate is
    /// written, or on a signal).
    ///
    /// # Errors
    ///
    /// As [`from_pem_files`](Self::from_pem_files); the certificate in use is then kept.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), nestish_core::Error> {
    /// let tls = nestish_core::TlsConfig::from_pem_files("cert.pem", "key.pem")?;
    /// let renewals = tls.clone();
    /// tokio::spawn(async move {
    ///     loop {
    ///         tokio::time::sleep(std::time::Duration::from_secs(12 * 3600)).await;
    ///         if let Err(error) = renewals.reload_from_pem_files("cert.pem", "key.pem") {
    ///             eprintln!("keeping the current certificate: {error}");
    ///         }
    ///     }
    /// });
    /// nestish_core::NestFactory::create().build()?.listen_tls("0.0.0.0:443", tls).await
    /// # }
    /// ```
    pub fn reload_from_pem_files(
        &self,
        cert: impl AsRef<Path>,
        key: impl AsRef<Path>,
    ) -> Result<(), TlsError> {
        let certified = Pair::read(cert.as_ref(), key.as_ref())?.certified()?;
        self.current.replace(certified);
        Ok(())
    }

    /// As [`reload_from_pem_files`](Self::reload_from_pem_files), from PEM text.
    ///
    /// # Errors
    ///
    /// As [`from_pem`](Self::from_pem); the certificate in use is then kept.
    ///
    /// ```
    /// # fn renew(tls: &nestish_core::TlsConfig) {
    /// if let Err(error) = tls.reload_from_pem(b"not pem", b"") {
    ///     eprintln!("keeping the current certificate: {error}");
    /// }
    /// # }
    /// ```
    pub fn reload_from_pem(&self, cert: &[u8], key: &[u8]) -> Result<(), TlsError> {
        let certified = Pair::bytes(cert, key).certified()?;
        self.current.replace(certified);
        Ok(())
    }

    fn new(certified: CertifiedKey) -> Self {
        let current = Arc::new(Current(RwLock::new(Arc::new(certified))));
        let resolver: Arc<dyn ResolvesServerCert> = current.clone();
        // The same safe defaults `with_single_cert` would give, with a certificate that can be
        // replaced.
        let mut config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .unwrap_or_else(|_| unreachable!("ring supports TLS 1.2 and 1.3"))
            .with_no_client_auth()
            .with_cert_resolver(resolver);
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Self {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            current,
        }
    }

    pub(crate) fn acceptor(&self) -> &TlsAcceptor {
        &self.acceptor
    }
}

/// The cryptography: named, not rustls's process-wide default, which would be ambiguous (and
/// make rustls panic) if another crate of the program enabled its aws-lc-rs provider too.
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The certificate and key every new handshake presents, replaced by a reload.
#[derive(Debug)]
struct Current(RwLock<Arc<CertifiedKey>>);

impl Current {
    fn replace(&self, certified: CertifiedKey) {
        // A poisoned lock still holds a whole `Arc`: a panic cannot leave it half written.
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(certified);
    }
}

impl ResolvesServerCert for Current {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(Arc::clone(
            &self.0.read().unwrap_or_else(PoisonError::into_inner),
        ))
    }
}

/// A certificate chain and a key as PEM, with where each came from.
struct Pair<'a> {
    cert: Cow<'a, [u8]>,
    cert_from: Origin,
    key: Cow<'a, [u8]>,
    key_from: Origin,
}

impl<'a> Pair<'a> {
    fn read(cert: &Path, key: &Path) -> Result<Self, TlsError> {
        let read = |path: &Path, what| {
            std::fs::read(path).map_err(|source| TlsError::Read {
                what,
                path: path.to_owned(),
                source,
            })
        };
        Ok(Self {
            cert: Cow::Owned(read(cert, "certificate")?),
            cert_from: Origin::File(cert.to_owned()),
            key: Cow::Owned(read(key, "private key")?),
            key_from: Origin::File(key.to_owned()),
        })
    }

    fn bytes(cert: &'a [u8], key: &'a [u8]) -> Self {
        Self {
            cert: Cow::Borrowed(cert),
            cert_from: Origin::Bytes("certificate"),
            key: Cow::Borrowed(key),
            key_from: Origin::Bytes("private key"),
        }
    }

    /// The chain and key parsed, and checked to belong together.
    fn certified(&self) -> Result<CertifiedKey, TlsError> {
        let chain = CertificateDer::pem_slice_iter(&self.cert)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| TlsError::Pem {
                origin: self.cert_from.to_string(),
                reason: error.to_string(),
            })?;
        if chain.is_empty() {
            return Err(TlsError::NoCertificate {
                origin: self.cert_from.to_string(),
            });
        }
        let key = match PrivateKeyDer::from_pem_slice(&self.key) {
            Ok(key) => key,
            Err(pem::Error::NoItemsFound) => {
                return Err(TlsError::NoKey {
                    origin: self.key_from.to_string(),
                });
            }
            Err(error) => {
                return Err(TlsError::Pem {
                    origin: self.key_from.to_string(),
                    reason: error.to_string(),
                });
            }
        };
        // Checks that the key is the certificate's.
        CertifiedKey::from_der(chain, key, &provider()).map_err(|error| TlsError::Rejected {
            cert: self.cert_from.to_string(),
            key: self.key_from.to_string(),
            reason: error.to_string(),
        })
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

/// The task of one TLS connection: the handshake, then HTTP/2 or HTTP/1.1 as ALPN chose.
pub(crate) async fn serve(
    tls: TlsAcceptor,
    stream: TcpStream,
    open: OpenGuard,
    builders: Arc<Builders>,
) {
    // In a block of its own, so that the task does not keep room for the handshake's state
    // (or the TLS stream before it moves) beside the served connection's, for the connection's
    // whole life: the compiler reserves a local's room until the end of its scope.
    let connection = {
        let timeout = builders.limits.tls_handshake_timeout;
        let Some(stream) = handshake(&tls, stream, &open, timeout).await else {
            return;
        };
        let protocol = match stream.get_ref().1.alpn_protocol() {
            Some(b"h2") => Protocol::Http2,
            _ => Protocol::Http1,
        };
        ServeConnection::new(stream, Some(protocol), open, &builders)
    };
    connection.await;
}

/// The TLS handshake, within `timeout`, given up if the server shuts down meanwhile. A failed
/// handshake is one client's problem: logged at debug, and the connection closed.
async fn handshake(
    tls: &TlsAcceptor,
    stream: TcpStream,
    open: &OpenGuard,
    timeout: Duration,
) -> Option<TlsStream<TcpStream>> {
    // Created before the flag is read, so a shutdown in between still wakes it.
    let shutdown = open.state().shutdown_notified();
    if open.state().is_shutting_down() {
        return None;
    }
    tokio::select! {
        // No request was asked yet: nothing to finish.
        () = shutdown => None,
        done = tokio::time::timeout(timeout, tls.accept(stream)) => match done {
            Ok(Ok(stream)) => Some(stream),
            Ok(Err(error)) => {
                tracing::debug!(%error, "TLS handshake failed");
                None
            }
            Err(_) => {
                tracing::debug!("no TLS handshake within {timeout:?}");
                None
            }
        },
    }
}
