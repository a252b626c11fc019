//! TLS for the `tls-*` scenarios: one self-signed certificate made at start (rcgen) and written
//! where the server processes read it (`--tls-cert`, `--tls-key`), and the load generator's
//! client.
//!
//! The client checks no certificate and resumes no session: every handshake is a full one, and
//! the load generator spends on each only its key exchange, so that on its one core it is not
//! the limit of a handshake rate. A benchmark talks to its own servers on 127.0.0.1; no real
//! client should ever be configured this way.

use std::io;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::crypto::{CryptoProvider, ring};
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_rustls::rustls::{self, ClientConfig, DigitallySignedStruct, SignatureScheme};

/// The PEM files of the benchmark's certificate.
#[derive(Debug)]
pub(crate) struct Files {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The certificate and key, made and written on first use (a P-256 key, as `mkcert` and Let's
/// Encrypt's default ECDSA certificates have), in a directory of this process's.
pub(crate) fn files() -> io::Result<&'static Files> {
    static FILES: OnceLock<Files> = OnceLock::new();
    if let Some(files) = FILES.get() {
        return Ok(files);
    }
    let rcgen::CertifiedKey { cert, signing_key } =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .map_err(io::Error::other)?;
    let dir = std::env::temp_dir().join(format!("nestish-bench-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let files = Files {
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
    };
    std::fs::write(&files.cert, cert.pem())?;
    std::fs::write(&files.key, signing_key.serialize_pem())?;
    Ok(FILES.get_or_init(|| files))
}

/// The load generator's TLS client: HTTP/1.1 by ALPN, no verification, no resumption.
pub(crate) fn connector() -> TlsConnector {
    connector_for(b"http/1.1")
}

/// As [`connector`], asking for HTTP/2 (`h2`) by ALPN.
pub(crate) fn connector_h2() -> TlsConnector {
    connector_for(b"h2")
}

fn connector_for(alpn: &[u8]) -> TlsConnector {
    let provider = Arc::new(ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
        .with_no_client_auth();
    config.alpn_protocols = vec![alpn.to_vec()];
    config.resumption = rustls::client::Resumption::disabled();
    TlsConnector::from(Arc::new(config))
}

/// The name the client asks for.
pub(crate) fn server_name() -> ServerName<'static> {
    ServerName::try_from("localhost").expect("a DNS name")
}

/// Takes any certificate and signature: the benchmark's servers are its own.
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
