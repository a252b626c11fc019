//! TLS for the end-to-end tests: a self-signed certificate made at test time (rcgen), a server
//! started with it, and rustls clients that trust that certificate alone, offering the ALPN
//! protocols a test chooses.

use std::net::SocketAddr;

use base64::Engine;
use rcgen::PublicKeyData;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls;

use super::h2c::H2;
use super::{PATIENCE, Running};

/// ALPN as a browser offers it: HTTP/2 first.
pub const H2_FIRST: &[&[u8]] = &[b"h2", b"http/1.1"];
/// ALPN of a client that speaks HTTP/1.1 only.
pub const HTTP11_ONLY: &[&[u8]] = &[b"http/1.1"];

/// A self-signed certificate for `localhost` and `127.0.0.1`, with its key.
pub struct Certificate {
    pub cert_pem: String,
    pub key_pem: String,
    cert_der: rustls::pki_types::CertificateDer<'static>,
    /// Its public key's SubjectPublicKeyInfo, DER.
    spki: Vec<u8>,
}

impl Certificate {
    /// A new key pair and certificate.
    pub fn generate() -> Self {
        let rcgen::CertifiedKey { cert, signing_key } = rcgen::generate_simple_self_signed(vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
        ])
        .expect("rcgen makes a certificate");
        Self {
            cert_pem: cert.pem(),
            key_pem: signing_key.serialize_pem(),
            cert_der: cert.der().clone(),
            spki: signing_key.subject_public_key_info(),
        }
    }

    /// A certificate for the key `pkcs8_pem` (PKCS#8, which rcgen reads), whose key the server
    /// is given as `key_pem`: the same key in the form under test (PKCS#1, SEC1).
    pub fn for_key(pkcs8_pem: &str, key_pem: String) -> Self {
        let key = rcgen::KeyPair::from_pem(pkcs8_pem).expect("rcgen reads the PKCS#8 key");
        let cert =
            rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
                .expect("valid names")
                .self_signed(&key)
                .expect("rcgen signs the certificate");
        Self {
            cert_pem: cert.pem(),
            key_pem,
            cert_der: cert.der().clone(),
            spki: key.subject_public_key_info(),
        }
    }

    /// The server's configuration for it.
    pub fn config(&self) -> nestish_core::TlsConfig {
        nestish_core::TlsConfig::from_pem(self.cert_pem.as_bytes(), self.key_pem.as_bytes())
            .expect("the generated certificate and key are usable")
    }

    /// The base64 SHA-256 of its public key: what Chromium's
    /// `--ignore-certificate-errors-spki-list` takes to trust this key, and no other.
    pub fn spki_sha256_base64(&self) -> String {
        let digest = ring::digest::digest(&ring::digest::SHA256, &self.spki);
        base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
    }

    /// A client that trusts this certificate only and offers `alpn`.
    pub fn connector(&self, alpn: &[&[u8]]) -> TlsConnector {
        self.connector_with_versions(alpn, rustls::DEFAULT_VERSIONS)
    }

    /// A client that trusts this certificate only, offers `alpn`, and speaks only the TLS
    /// `versions` given.
    pub fn connector_with_versions(
        &self,
        alpn: &[&[u8]],
        versions: &[&'static rustls::SupportedProtocolVersion],
    ) -> TlsConnector {
        super::tls_client::trusting_with_versions(self.cert_der.clone(), alpn, versions)
    }

    /// A finished TLS handshake with the server at `addr`, offering `alpn`.
    pub async fn connect(&self, addr: SocketAddr, alpn: &[&[u8]]) -> TlsStream<TcpStream> {
        let tcp = TcpStream::connect(addr).await.expect("connects");
        self.handshake(tcp, alpn).await
    }

    /// Whether a handshake with the server at `addr` fails (it ends within [`PATIENCE`]
    /// either way).
    pub async fn handshake_fails(&self, addr: SocketAddr) -> bool {
        let tcp = TcpStream::connect(addr).await.expect("connects");
        tokio::time::timeout(
            PATIENCE,
            self.connector(&[b"http/1.1"]).connect(server_name(), tcp),
        )
        .await
        .expect("the handshake ends in time")
        .is_err()
    }

    /// A finished TLS handshake on `tcp`, offering `alpn`.
    pub async fn handshake(&self, tcp: TcpStream, alpn: &[&[u8]]) -> TlsStream<TcpStream> {
        tokio::time::timeout(PATIENCE, self.connector(alpn).connect(server_name(), tcp))
            .await
            .expect("the handshake ends in time")
            .expect("the handshake succeeds")
    }

    /// An HTTP/2 connection over TLS (ALPN `h2`), on the `h2` crate as [`super::h2c`]'s.
    pub async fn connect_h2(&self, addr: SocketAddr) -> H2 {
        h2_over(self.connect(addr, H2_FIRST).await).await
    }

    /// `GET path` with hyper's HTTP/1.1 client over TLS (ALPN `http/1.1`); the response with
    /// its body still streaming.
    pub async fn get_http1(
        &self,
        addr: SocketAddr,
        path: &str,
    ) -> http::Response<hyper::body::Incoming> {
        let tls = self.connect(addr, HTTP11_ONLY).await;
        let (mut send, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
                .await
                .expect("a handshake");
        tokio::spawn(conn);
        let request = http::Request::get(path)
            .header("host", "localhost")
            .body(http_body_util::Empty::<bytes::Bytes>::new())
            .expect("a valid request");
        tokio::time::timeout(PATIENCE, send.send_request(request))
            .await
            .expect("a response head in time")
            .expect("a response")
    }
}

/// An HTTP/2 connection on a finished TLS handshake that chose `h2` by ALPN.
pub async fn h2_over(tls: TlsStream<TcpStream>) -> H2 {
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (send, conn) = h2::client::handshake(tls)
        .await
        .expect("an HTTP/2 handshake");
    H2 {
        send,
        conn: tokio::spawn(conn),
    }
}

/// The name the clients ask for, one of the certificate's.
pub fn server_name() -> rustls::pki_types::ServerName<'static> {
    rustls::pki_types::ServerName::try_from("localhost").expect("a DNS name")
}

/// Builds `builder`'s app (without signal handling) and serves it over TLS with `cert` on a
/// free port.
pub async fn serve(builder: nestish_core::AppBuilder, cert: &Certificate) -> Running {
    serve_with(builder, cert.config()).await
}

/// As [`serve`], with a `TlsConfig` the test made.
pub async fn serve_with(
    builder: nestish_core::AppBuilder,
    tls: nestish_core::TlsConfig,
) -> Running {
    let server = builder
        .handle_signals(false)
        .build()
        .expect("the app builds")
        .bind_tls("127.0.0.1:0", tls)
        .await
        .expect("an ephemeral port binds");
    super::run(server)
}
