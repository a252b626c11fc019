//! The sample binary as an operator starts it: a malformed `SAMPLE_USERS` stops it with a
//! message naming the variable and the entry, and with `TLS_CERT` and `TLS_KEY` it serves
//! HTTPS, where its session cookie is `Secure`.

mod support;
// The root test package's TLS client, shared rather than copied.
#[path = "../../tests/support/tls_client.rs"]
#[allow(unreachable_pub)] // pub for the root tests, which reach it through `support`
mod tls_client;

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls;

use support::PATIENCE;

#[tokio::test]
async fn a_malformed_sample_users_stops_the_start_up_naming_the_variable_and_the_entry() {
    for (list, expected) in [
        (
            "ann:ann-password,bob",
            "error: cannot make `nestish_sample::auth::users::Users`: its factory failed: \
             SAMPLE_USERS: entry 2 (\"bob\") is not name:password\n",
        ),
        (
            "ann:ann-password,b c:secret",
            "error: cannot make `nestish_sample::auth::users::Users`: its factory failed: \
             SAMPLE_USERS: entry 2 (\"b c\"): a name is 1 to 40 ASCII letters, \
             digits, '_' or '-'\n",
        ),
        (
            "ann:,bob:bob-password",
            "error: cannot make `nestish_sample::auth::users::Users`: its factory failed: \
             SAMPLE_USERS: entry 1 (\"ann\"): the password is empty\n",
        ),
    ] {
        let (status, stderr) = support::run_to_exit(&[("SAMPLE_USERS", list)]).await;
        assert!(!status.success(), "{list:?}: {status}");
        assert_eq!(stderr, expected, "{list:?}");
        assert!(!stderr.contains("secret"), "a password in {stderr:?}");
    }
}

/// A self-signed certificate for `localhost`, its PEM files in a directory of their own, and a
/// client that trusts it alone.
struct Certificate {
    dir: std::path::PathBuf,
    connector: TlsConnector,
}

impl Certificate {
    fn generate() -> Self {
        let rcgen::CertifiedKey { cert, signing_key } =
            rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
                .expect("rcgen makes a certificate");
        let dir = std::env::temp_dir().join(format!("nestish-sample-https-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a directory for the PEM files");
        std::fs::write(dir.join("cert.pem"), cert.pem()).expect("the certificate is written");
        std::fs::write(dir.join("key.pem"), signing_key.serialize_pem()).expect("the key too");
        let connector = tls_client::trusting(cert.der().clone(), &[b"http/1.1"]);
        Self { dir, connector }
    }

    fn file(&self, name: &str) -> String {
        self.dir.join(name).to_string_lossy().into_owned()
    }

    async fn connect(&self, addr: SocketAddr) -> TlsStream<TcpStream> {
        let tcp = TcpStream::connect(addr).await.expect("connects");
        let name = rustls::pki_types::ServerName::try_from("localhost").expect("a DNS name");
        tokio::time::timeout(PATIENCE, self.connector.connect(name, tcp))
            .await
            .expect("the handshake ends in time")
            .expect("the handshake succeeds")
    }
}

impl Drop for Certificate {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Sends `request` over a new HTTPS connection to `addr` (the request closes it); the answer.
async fn exchange(cert: &Certificate, addr: SocketAddr, request: &str) -> String {
    let mut tls = cert.connect(addr).await;
    tls.write_all(request.as_bytes()).await.expect("sent");
    let mut answer = Vec::new();
    tokio::time::timeout(PATIENCE, tls.read_to_end(&mut answer))
        .await
        .expect("an answer in time")
        .expect("an answer");
    String::from_utf8(answer).expect("UTF-8")
}

#[tokio::test]
async fn over_https_the_session_cookie_is_secure() {
    let cert = Certificate::generate();
    let (cert_file, key_file) = (cert.file("cert.pem"), cert.file("key.pem"));
    let env = [
        ("TLS_CERT", cert_file.as_str()),
        ("TLS_KEY", key_file.as_str()),
        ("SAMPLE_USERS", "ann:correct horse"),
    ];
    let (_sample, addr) = support::start(&env, "https").await;
    let body = r#"{"name":"ann","password":"correct horse"}"#;
    let login = format!(
        "POST /login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let answer = exchange(&cert, addr, &login).await;
    assert!(answer.starts_with("HTTP/1.1 204"), "{answer}");
    let cookie = answer
        .lines()
        .find_map(|line| line.strip_prefix("set-cookie: "))
        .expect("a session cookie");
    let flags: Vec<&str> = cookie.split("; ").skip(1).collect();
    assert_eq!(
        flags,
        [
            "Max-Age=43200",
            "HttpOnly",
            "SameSite=Lax",
            "Path=/",
            "Secure"
        ],
        "{cookie}"
    );
    // The cookie opens the chat's stream over HTTPS, and its logout clears it as `Secure` too.
    let session = cookie.split(';').next().expect("session=<token>");
    let stream = format!(
        "GET /chat/events HTTP/1.1\r\nHost: localhost\r\nCookie: {session}\r\n\
         Connection: close\r\n\r\n"
    );
    let mut tls = cert.connect(addr).await;
    tls.write_all(stream.as_bytes()).await.expect("sent");
    let mut head = [0_u8; 12];
    tokio::time::timeout(PATIENCE, tls.read_exact(&mut head))
        .await
        .expect("a head in time")
        .expect("a head");
    assert_eq!(&head, b"HTTP/1.1 200");
    let logout = format!(
        "POST /logout HTTP/1.1\r\nHost: localhost\r\nCookie: {session}\r\n\
         Content-Length: 0\r\nConnection: close\r\n\r\n"
    );
    let answer = exchange(&cert, addr, &logout).await;
    assert!(
        answer.contains(
            "set-cookie: session=; Max-Age=0; HttpOnly; SameSite=Lax; Path=/; Secure\r\n"
        ),
        "{answer}"
    );
}
