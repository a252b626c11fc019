//! A TLS client that trusts one certificate alone: with no other helper of this folder, so the
//! sample's own tests share it too (`#[path]`).

use std::sync::Arc;

use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::CertificateDer;
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};

/// A client that trusts `cert` only and offers `alpn`.
pub fn trusting(cert: CertificateDer<'static>, alpn: &[&[u8]]) -> TlsConnector {
    trusting_with_versions(cert, alpn, rustls::DEFAULT_VERSIONS)
}

/// A client that trusts `cert` only, offers `alpn`, and speaks only the TLS `versions` given.
pub fn trusting_with_versions(
    cert: CertificateDer<'static>,
    alpn: &[&[u8]],
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> TlsConnector {
    let mut roots = RootCertStore::empty();
    roots.add(cert).expect("the certificate is a trust anchor");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .expect("TLS versions the provider supports")
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    TlsConnector::from(Arc::new(config))
}
