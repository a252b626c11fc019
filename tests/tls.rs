//! HTTPS on nestish's own server, over real sockets with rustls clients: ALPN picks HTTP/2 or
//! HTTP/1.1, the golden vectors arrive byte for byte, every limit holds over TLS (connection
//! cap, handshake, header and stall timeouts), a bad client hurts no other, graceful shutdown
//! ends with `close_notify` and GOAWAY; and headless Chromium, trusting the test's certificate
//! alone, opens twelve `EventSource`s over one HTTP/2 connection where plain HTTP/1.1 stops at six.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::{Stream, StreamExt, stream};
use nestish_core::{MessageEvent, NestFactory, TlsConfig, TlsError, controller, get, sse};
use serde_json::json;
use support::h2c::{next_data, read_until};
use support::tls::{Certificate, H2_FIRST, HTTP11_ONLY};
use support::vectors::{VectorsController, vectors};
use support::webdriver::Browser;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Events pulled from `/tls/counted`.
static PULLED: AtomicUsize = AtomicUsize::new(0);

const EVENT_DATA_LEN: usize = 1024;

#[derive(Default)]
pub struct TlsController;

#[controller("tls")]
impl TlsController {
    #[get("plain")]
    fn plain(&self) -> &'static str {
        "plain over tls"
    }

    /// An empty page, for the browser's scripts to run on this origin.
    #[get("page")]
    fn page(&self) -> nestish_core::Html<&'static str> {
        nestish_core::Html("<!doctype html><title>sources</title>")
    }

    #[sse("tick", keep_alive = false)]
    fn tick(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        nestish_core::interval(Duration::from_millis(100)).map(|_| MessageEvent::new("tick"))
    }

    #[sse("announced", keep_alive = false, shutdown_event = "server restarting")]
    fn announced(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        stream::pending()
    }

    #[sse("beating", keep_alive = "50ms")]
    fn beating(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        stream::pending()
    }

    /// As `flood`, counting every event pulled from it.
    #[sse("counted", keep_alive = false)]
    fn counted(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        stream::repeat_with(|| {
            PULLED.fetch_add(1, Ordering::SeqCst);
            MessageEvent::new("x".repeat(EVENT_DATA_LEN))
        })
    }

    /// Always ready: fills any buffer a client leaves unread.
    #[sse("flood", keep_alive = false)]
    fn flood(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        stream::repeat_with(|| MessageEvent::new("x".repeat(1024)))
    }
}

fn app() -> nestish_core::AppBuilder {
    NestFactory::create().controllers::<(TlsController, VectorsController)>()
}

/// Whether the server has closed `tls`'s connection within [`support::PATIENCE`] (the client's
/// reads end, cleanly or not), reading and dropping what comes before.
async fn closed<S: tokio::io::AsyncRead + Unpin>(mut io: S) -> bool {
    let mut sink = [0; 4096];
    let until_closed = async {
        loop {
            match io.read(&mut sink).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(support::PATIENCE, until_closed)
        .await
        .is_ok()
}

#[tokio::test]
async fn alpn_chooses_http2_or_http11_and_both_answer() {
    let cert = Certificate::generate();
    let running = support::tls::serve(app(), &cert).await;

    let mut h2 = cert.connect_h2(running.addr).await;
    let (head, mut body) = h2.get("/tls/plain").await;
    assert_eq!(head.status, 200);
    assert_eq!(head.version, http::Version::HTTP_2);
    assert_eq!(read_until(&mut body, "tls").await, "plain over tls");

    let mut response = cert.get_http1(running.addr, "/tls/plain").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.version(), http::Version::HTTP_11);
    assert_eq!(
        support::http1::read_until(response.body_mut(), "tls").await,
        "plain over tls"
    );

    // A client that offers no ALPN at all speaks HTTP/1.1.
    let mut tls = cert.connect(running.addr, &[]).await;
    assert_eq!(tls.get_ref().1.alpn_protocol(), None);
    tls.write_all(b"GET /tls/plain HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    tls.read_to_string(&mut answer)
        .await
        .expect("the answer, then close_notify");
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(answer.ends_with("\r\n\r\nplain over tls"), "{answer}");
}

#[tokio::test]
async fn every_golden_vector_arrives_byte_for_byte_over_tls() {
    let cert = Certificate::generate();
    let running = support::tls::serve(app(), &cert).await;
    let mut expected = String::from("\n");
    for vector in vectors() {
        expected.push_str(vector.wire);
    }
    let last = vectors().last().expect("vectors").wire;

    let mut response = cert.get_http1(running.addr, "/vectors").await;
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let received = support::http1::read_until(response.body_mut(), last).await;
    assert_eq!(received, expected, "over HTTP/1.1");

    let mut h2 = cert.connect_h2(running.addr).await;
    let (_, mut body) = h2.get("/vectors").await;
    assert_eq!(read_until(&mut body, last).await, expected, "over HTTP/2");
}

#[tokio::test]
async fn many_sse_streams_share_one_http2_connection_and_are_counted() {
    let cert = Certificate::generate();
    let running = support::tls::serve(app(), &cert).await;
    let mut h2 = cert.connect_h2(running.addr).await;
    let mut bodies = Vec::new();
    for _ in 0..12 {
        let (head, body) = h2.get("/tls/tick").await;
        assert_eq!(head.headers["content-type"], "text/event-stream");
        bodies.push(body);
    }
    // Over HTTP/2 the opening line break leads the first event.
    for body in &mut bodies {
        assert_eq!(read_until(body, "\n\n").await, "\ndata: tick\n\n");
    }
    assert_eq!(running.handle.open_streams(), 12);
    assert_eq!(running.handle.open_connections(), 1);
    drop(bodies);
    support::eventually("the streams are dropped", || {
        running.handle.open_streams() == 0
    })
    .await;
    assert_eq!(running.handle.open_connections(), 1);
}

#[tokio::test]
async fn heartbeats_keep_a_silent_stream_alive_over_tls() {
    let cert = Certificate::generate();
    let running = support::tls::serve(app(), &cert).await;
    let mut h2 = cert.connect_h2(running.addr).await;
    let (_, mut body) = h2.get("/tls/beating").await;
    // Over HTTP/2 the opening line break leads the first frame of data: here a heartbeat.
    assert_eq!(next_data(&mut body).await.as_deref(), Some(&b"\n:\n\n"[..]));
    for _ in 0..2 {
        assert_eq!(next_data(&mut body).await.as_deref(), Some(&b":\n\n"[..]));
    }
}

#[tokio::test]
async fn a_client_that_reads_nothing_over_tls_stops_the_stream_at_a_bound() {
    const BUFFER: usize = 64 * 1024;
    const SEND_BUFFER: usize = 64 * 1024;
    const CLIENT_RCVBUF: usize = 64 * 1024;
    let cert = Certificate::generate();
    let builder = app()
        .buffer_size(BUFFER)
        .send_buffer(Some(SEND_BUFFER))
        .stall_timeout(Duration::from_secs(60));
    let running = support::tls::serve(builder, &cert).await;
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(CLIENT_RCVBUF as u32).unwrap();
    let tcp = socket.connect(running.addr).await.unwrap();
    let kernel = support::kernel::buffers(&tcp, SEND_BUFFER).await;
    let mut tls = cert.handshake(tcp, HTTP11_ONLY).await;
    tls.write_all(b"GET /tls/counted HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();

    let before = PULLED.load(Ordering::SeqCst);
    let last = support::settled("the stream stops being pulled", || {
        PULLED.load(Ordering::SeqCst)
    })
    .await;
    let pulled = last - before;
    let event_len = "data: \n\n".len() + EVENT_DATA_LEN;
    // As over plain TCP (tests/wire/backpressure.rs: the connection buffer, a frame being encoded
    // and the one hyper holds, the kernel's buffers), plus what rustls may hold in records
    // (64 KiB).
    let bound = BUFFER + 2 * (16 * 1024 + event_len) + 64 * 1024 + kernel;
    eprintln!(
        "a TLS client reading nothing made the server pull {pulled} events ({} bytes; bound \
         {bound})",
        pulled * event_len
    );
    assert!(pulled > 0, "the stream was never pulled");
    assert!(
        pulled * event_len <= bound,
        "pulled {pulled} events ({} bytes) for a client that reads nothing; bound {bound}",
        pulled * event_len
    );
    assert_eq!(running.handle.open_streams(), 1);
    drop(tls);
}

#[tokio::test]
async fn a_client_that_never_finishes_the_handshake_is_closed_at_the_handshake_timeout() {
    let cert = Certificate::generate();
    // The header read timeout is longer than the test's patience: only the handshake timeout
    // can close these.
    let builder = app()
        .tls_handshake_timeout(Duration::from_millis(300))
        .header_read_timeout(Duration::from_secs(60));
    let running = support::tls::serve(builder, &cert).await;

    let silent = TcpStream::connect(running.addr).await.unwrap();
    // Half a ClientHello: a record header announcing more than is sent.
    let mut partial = TcpStream::connect(running.addr).await.unwrap();
    partial
        .write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01])
        .await
        .unwrap();
    support::eventually("both connections are counted", || {
        running.handle.open_connections() == 2
    })
    .await;
    assert!(closed(silent).await, "the silent client is closed");
    assert!(closed(partial).await, "the half-hello client is closed");
    support::eventually("the connections are released", || {
        running.handle.open_connections() == 0
    })
    .await;
}

// Under a paused clock (time moves only when every task waits): 10 s in no real time.
#[tokio::test(start_paused = true)]
async fn a_client_that_sends_nothing_is_closed_at_the_default_handshake_timeout_of_10_s() {
    let cert = Certificate::generate();
    let running = support::tls::serve(app(), &cert).await;
    let since = tokio::time::Instant::now();
    let mut silent = TcpStream::connect(running.addr).await.unwrap();
    let mut sink = [0; 64];
    let until_closed = async { while let Ok(1..) = silent.read(&mut sink).await {} };
    tokio::time::timeout(Duration::from_secs(120), until_closed)
        .await
        .expect("the server closes the connection");
    let elapsed = since.elapsed();
    assert!(
        Duration::from_secs(10) <= elapsed && elapsed < Duration::from_secs(11),
        "closed after {elapsed:?}, not at the handshake timeout of 10 s"
    );
}

#[tokio::test]
async fn a_garbage_handshake_is_closed_and_the_next_client_is_served() {
    // A current-thread runtime: the server's tasks log on this thread, under this subscriber.
    let (captured, _default) = support::logs::capture(tracing::Level::DEBUG);
    let cert = Certificate::generate();
    let running = support::tls::serve(app(), &cert).await;
    for garbage in [
        &b"GET /tls/plain HTTP/1.1\r\nHost: localhost\r\n\r\n"[..],
        &b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"[..],
        // A handshake record holding no ClientHello.
        &[0x16, 0x03, 0x01, 0x00, 0x04, 0xff, 0xff, 0xff, 0xff][..],
    ] {
        let mut client = TcpStream::connect(running.addr).await.unwrap();
        client.write_all(garbage).await.unwrap();
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(support::PATIENCE, client.read_to_end(&mut answer))
            .await
            .expect("the server closes the connection");
        // At most a TLS alert record: never HTTP in the clear.
        assert!(answer.is_empty() || answer[0] == 0x15, "{answer:?}");
    }
    // Each failure is logged at debug, as one client's problem.
    let failed = captured.lines(&["DEBUG", "TLS handshake failed"]);
    assert_eq!(failed.len(), 3, "{failed:#?}");
    let mut response = cert.get_http1(running.addr, "/tls/plain").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        support::http1::read_until(response.body_mut(), "tls").await,
        "plain over tls"
    );
    drop(response);
    support::eventually("only the served client is left", || {
        running.handle.open_connections() <= 1
    })
    .await;
}

#[tokio::test]
async fn the_connection_cap_holds_over_tls() {
    let cert = Certificate::generate();
    let running = support::tls::serve(app().max_connections(2), &cert).await;
    let first = cert.connect(running.addr, HTTP11_ONLY).await;
    let _second = cert.connect(running.addr, HTTP11_ONLY).await;
    assert_eq!(running.handle.open_connections(), 2);

    // The third is closed before any handshake: the cap is there to save its cost.
    assert!(
        cert.handshake_fails(running.addr).await,
        "a third TLS connection was accepted"
    );
    assert_eq!(running.handle.open_connections(), 2);

    drop(first);
    support::eventually("the first connection is released", || {
        running.handle.open_connections() == 1
    })
    .await;
    let mut response = cert.get_http1(running.addr, "/tls/plain").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        support::http1::read_until(response.body_mut(), "tls").await,
        "plain over tls"
    );
}

#[tokio::test]
async fn a_slow_request_head_after_the_handshake_is_closed_at_the_header_timeout() {
    let cert = Certificate::generate();
    let builder = app().header_read_timeout(Duration::from_millis(300));
    let running = support::tls::serve(builder, &cert).await;
    let mut tls = cert.connect(running.addr, HTTP11_ONLY).await;
    tls.write_all(b"GET /tls/plain HTTP/1.1\r\nHost: loc")
        .await
        .unwrap();
    assert!(closed(tls).await, "the slow head's connection is closed");
    support::eventually("the connection is released", || {
        running.handle.open_connections() == 0
    })
    .await;
}

#[tokio::test]
async fn a_client_that_stops_reading_is_dropped_at_the_stall_timeout_on_both_protocols() {
    let cert = Certificate::generate();
    let builder = app()
        .stall_timeout(Duration::from_millis(300))
        .send_buffer(Some(16 * 1024));
    let running = support::tls::serve(builder, &cert).await;

    // HTTP/1.1: the request, then not one byte read.
    let mut tls = cert.connect(running.addr, HTTP11_ONLY).await;
    tls.write_all(b"GET /tls/flood HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    support::eventually("the flood stream opens", || {
        running.handle.open_streams() == 1
    })
    .await;
    support::eventually("the stalled stream is dropped", || {
        running.handle.open_streams() == 0
    })
    .await;
    support::eventually("its connection is closed", || {
        running.handle.open_connections() == 0
    })
    .await;
    drop(tls);

    // HTTP/2: a client that grants a window far larger than the socket buffers (so HTTP/2's
    // flow control does not hold the server back first), then stops reading its socket.
    let tls = cert.connect(running.addr, H2_FIRST).await;
    let (mut send, conn) = h2::client::Builder::new()
        .initial_window_size(16 << 20)
        .initial_connection_window_size(16 << 20)
        .handshake::<_, bytes::Bytes>(tls)
        .await
        .expect("HTTP/2 handshake");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        tokio::pin!(conn);
        tokio::select! {
            _ = &mut conn => return,
            _ = stopped => {}
        }
        // The connection (and its socket) is kept, never polled again.
        std::future::pending::<()>().await;
    });
    let request = http::Request::get("https://localhost/tls/flood")
        .body(())
        .unwrap();
    let (_response, _) = send.send_request(request, true).unwrap();
    support::eventually("the HTTP/2 flood stream opens", || {
        running.handle.open_streams() == 1
    })
    .await;
    stop.send(()).unwrap();
    support::eventually("the stalled HTTP/2 connection is closed", || {
        running.handle.open_connections() == 0 && running.handle.open_streams() == 0
    })
    .await;
}

#[tokio::test]
async fn shutdown_ends_streams_cleanly_with_close_notify_and_goaway() {
    let cert = Certificate::generate();
    let running = support::tls::serve(app(), &cert).await;

    // HTTP/1.1, read as raw bytes to see the end of the chunked body and the TLS close.
    let mut http1 = cert.connect(running.addr, HTTP11_ONLY).await;
    http1
        .write_all(b"GET /tls/announced HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n1\r\n\n\r\n") {
        let mut byte = [0; 1];
        http1
            .read_exact(&mut byte)
            .await
            .expect("the head and the first chunk");
        head.push(byte[0]);
    }

    let mut h2 = cert.connect_h2(running.addr).await;
    // Its head is the stream opened: over HTTP/2 the opening line break waits for an event.
    let (_, mut body) = h2.get("/tls/announced").await;
    assert_eq!(running.handle.open_streams(), 2);
    assert_eq!(running.handle.open_connections(), 2);

    running.handle.shutdown();
    let mut rest = String::new();
    tokio::time::timeout(support::PATIENCE, http1.read_to_string(&mut rest))
        .await
        .expect("the HTTP/1.1 connection ends in time")
        // rustls reports a close without close_notify as an error: this is a clean TLS close.
        .expect("the connection ends with close_notify");
    let event = "event: shutdown\ndata: server restarting\n\n";
    // One last chunk, then the end of the chunked body.
    let (size, last) = rest.split_once("\r\n").expect("a chunk");
    let last = last.strip_suffix("\r\n0\r\n\r\n").expect("the body's end");
    assert_eq!(usize::from_str_radix(size, 16), Ok(last.len()));
    support::assert_drained(last, event);

    support::assert_drained(&read_until(&mut body, "\n\n").await, &format!("\n{event}"));
    assert_eq!(next_data(&mut body).await, None, "END_STREAM, not a reset");
    let ended = tokio::time::timeout(support::PATIENCE, h2.conn)
        .await
        .expect("the server closes the HTTP/2 connection")
        .expect("the client task did not panic");
    // GOAWAY(NO_ERROR), then close_notify: the client's connection ends without an error.
    assert!(ended.is_ok(), "{ended:?}");

    running.served_cleanly().await;
}

#[tokio::test]
async fn a_reloaded_certificate_serves_new_handshakes_and_a_bad_one_is_refused() {
    let (old, new) = (Certificate::generate(), Certificate::generate());
    let tls = old.config();
    let renewals = tls.clone();
    let running = support::tls::serve_with(app(), tls).await;
    let mut before = old.connect(running.addr, HTTP11_ONLY).await;

    // A key that is not the certificate's: refused, and the old certificate stays.
    let error = renewals
        .reload_from_pem(new.cert_pem.as_bytes(), old.key_pem.as_bytes())
        .unwrap_err();
    assert!(matches!(error, TlsError::Rejected { .. }), "{error:?}");
    drop(old.connect(running.addr, HTTP11_ONLY).await);

    renewals
        .reload_from_pem(new.cert_pem.as_bytes(), new.key_pem.as_bytes())
        .expect("the new pair is usable");
    let mut response = new.get_http1(running.addr, "/tls/plain").await;
    assert_eq!(
        support::http1::read_until(response.body_mut(), "tls").await,
        "plain over tls"
    );
    // A client that trusts only the old certificate now fails its handshake.
    assert!(
        old.handshake_fails(running.addr).await,
        "the old certificate is still presented"
    );

    // The connection made before the reload goes on.
    before
        .write_all(b"GET /tls/plain HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    before.read_to_string(&mut answer).await.unwrap();
    assert!(answer.ends_with("plain over tls"), "{answer}");
}

#[tokio::test]
async fn a_client_that_offers_only_tls_1_2_gets_an_sse_stream_on_either_protocol() {
    let cert = Certificate::generate();
    let running = support::tls::serve(app(), &cert).await;
    let (cert, addr) = (&cert, running.addr);
    let tls12 = &[&tokio_rustls::rustls::version::TLS12];
    let connect = |alpn| async move {
        let tcp = TcpStream::connect(addr).await.expect("connects");
        let connector = cert.connector_with_versions(alpn, tls12);
        let tls = tokio::time::timeout(
            support::PATIENCE,
            connector.connect(support::tls::server_name(), tcp),
        )
        .await
        .expect("the handshake ends in time")
        .expect("a TLS 1.2 handshake succeeds");
        assert_eq!(
            tls.get_ref().1.protocol_version(),
            Some(tokio_rustls::rustls::ProtocolVersion::TLSv1_2)
        );
        tls
    };

    let mut http1 = connect(HTTP11_ONLY).await;
    http1
        .write_all(b"GET /tls/tick HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .expect("request sent");
    let mut answer = Vec::new();
    while !answer.ends_with(b"data: tick\n\n\r\n") {
        let mut chunk = [0; 1024];
        let read = tokio::time::timeout(support::PATIENCE, http1.read(&mut chunk))
            .await
            .expect("an event in time")
            .expect("read succeeds");
        assert!(read > 0, "closed: {}", String::from_utf8_lossy(&answer));
        answer.extend_from_slice(&chunk[..read]);
    }
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(
        answer.contains("content-type: text/event-stream\r\n"),
        "{answer}"
    );

    let mut client = support::tls::h2_over(connect(H2_FIRST).await).await;
    let (head, mut body) = client.get("/tls/tick").await;
    assert_eq!(head.headers["content-type"], "text/event-stream");
    assert_eq!(
        read_until(&mut body, "data: tick\n\n").await,
        "\ndata: tick\n\n"
    );
}

/// A new key made by the `openssl` command (`openssl genpkey` with `algorithm`): as PKCS#8,
/// and in the traditional form `openssl pkey -traditional` writes (PKCS#1 for RSA, SEC1 for EC).
async fn openssl_key(algorithm: &[&str]) -> (String, String) {
    let pkcs8 = openssl(&[&["genpkey"], algorithm].concat(), b"").await;
    let traditional = openssl(&["pkey", "-traditional"], pkcs8.as_bytes()).await;
    (pkcs8, traditional)
}

/// What `openssl args` writes, given `input`.
async fn openssl(args: &[&str], input: &[u8]) -> String {
    let mut child = tokio::process::Command::new("openssl")
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("openssl runs");
    let mut stdin = child.stdin.take().expect("piped stdin");
    stdin.write_all(input).await.expect("openssl reads");
    drop(stdin);
    let output = child.wait_with_output().await.expect("openssl ends");
    assert!(
        output.status.success(),
        "openssl {args:?}: {:?}",
        output.status
    );
    String::from_utf8(output.stdout).expect("PEM")
}

#[tokio::test]
async fn pkcs1_and_sec1_keys_as_openssl_writes_them_are_loaded_and_serve() {
    if !support::tools::available("openssl") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("nestish-tls-keys-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let forms: [(&str, &[&str], &str); 2] = [
        (
            "pkcs1",
            &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
            "-----BEGIN RSA PRIVATE KEY-----",
        ),
        (
            "sec1",
            &[
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
            ],
            "-----BEGIN EC PRIVATE KEY-----",
        ),
    ];
    for (form, algorithm, begins) in forms {
        let (pkcs8, key_pem) = openssl_key(algorithm).await;
        assert!(key_pem.starts_with(begins), "{form}: {key_pem}");
        let cert = Certificate::for_key(&pkcs8, key_pem);
        let (cert_file, key_file) = (
            dir.join(format!("{form}-cert.pem")),
            dir.join(format!("{form}-key.pem")),
        );
        std::fs::write(&cert_file, &cert.cert_pem).unwrap();
        std::fs::write(&key_file, &cert.key_pem).unwrap();
        let tls = TlsConfig::from_pem_files(&cert_file, &key_file)
            .unwrap_or_else(|error| panic!("a {form} key is loaded: {error}"));
        let running = support::tls::serve_with(app(), tls).await;
        let mut response = cert.get_http1(running.addr, "/tls/plain").await;
        assert_eq!(response.status(), 200, "{form}");
        assert_eq!(
            support::http1::read_until(response.body_mut(), "tls").await,
            "plain over tls",
            "{form}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bad_certificate_or_key_is_a_clear_error_naming_the_file() {
    let dir = std::env::temp_dir().join(format!("nestish-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cert = Certificate::generate();
    let other = Certificate::generate();
    let cert_file = dir.join("cert.pem");
    let key_file = dir.join("key.pem");
    let other_key = dir.join("other-key.pem");
    std::fs::write(&cert_file, &cert.cert_pem).unwrap();
    std::fs::write(&key_file, &cert.key_pem).unwrap();
    std::fs::write(&other_key, &other.key_pem).unwrap();

    assert!(TlsConfig::from_pem_files(&cert_file, &key_file).is_ok());

    let missing = dir.join("missing.pem");
    let error = TlsConfig::from_pem_files(&missing, &key_file).unwrap_err();
    assert!(matches!(error, TlsError::Read { .. }), "{error:?}");
    assert!(
        error.to_string().starts_with(&format!(
            "cannot read the certificate file {}: ",
            missing.display()
        )),
        "{error}"
    );

    // The key given where the certificate belongs.
    let error = TlsConfig::from_pem_files(&key_file, &key_file).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "{} holds no certificate (a -----BEGIN CERTIFICATE----- block)",
            key_file.display()
        )
    );
    let error = TlsConfig::from_pem_files(&cert_file, &cert_file).unwrap_err();
    assert!(matches!(error, TlsError::NoKey { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .starts_with(&format!("{} holds no private key", cert_file.display()))
    );

    let error = TlsConfig::from_pem_files(&cert_file, &other_key).unwrap_err();
    assert!(matches!(error, TlsError::Rejected { .. }), "{error:?}");
    assert!(
        error.to_string().starts_with(&format!(
            "the certificate {} and the key {} cannot be used together: ",
            cert_file.display(),
            other_key.display()
        )),
        "{error}"
    );

    let broken = cert.cert_pem.replace("-----END CERTIFICATE-----", "");
    let error = TlsConfig::from_pem(broken.as_bytes(), cert.key_pem.as_bytes()).unwrap_err();
    assert!(matches!(error, TlsError::Pem { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .starts_with("the certificate PEM is not valid PEM: "),
        "{error}"
    );

    // Into the application's error with `?`, the message unchanged.
    let wrapped = nestish_core::Error::from(error);
    assert!(
        wrapped
            .to_string()
            .starts_with("the certificate PEM is not valid PEM: ")
    );

    let zero = app()
        .tls_handshake_timeout(Duration::ZERO)
        .build()
        .unwrap_err();
    assert_eq!(
        zero.to_string(),
        "invalid configuration: tls_handshake_timeout must be longer than zero"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_sample_serves_https_with_tls_cert_and_tls_key() {
    let cert = Certificate::generate();
    let dir = std::env::temp_dir().join(format!("nestish-sample-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert_file, key_file) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_file, &cert.cert_pem).unwrap();
    std::fs::write(&key_file, &cert.key_pem).unwrap();

    let tls = nestish_sample::tls(Some(cert_file.into()), Some(key_file.into()))
        .expect("the files are usable")
        .expect("TLS is on");
    let running =
        support::tls::serve_with(nestish_sample::app().expect("the default users"), tls).await;
    let mut h2 = cert.connect_h2(running.addr).await;
    let (head, mut body) = h2.get("/sse").await;
    assert_eq!(head.version, http::Version::HTTP_2);
    assert_eq!(
        read_until(&mut body, "\n\n").await,
        "\ndata: {\"hello\":\"world\"}\n\n"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

// The browser proof: twelve EventSources on one origin.

/// Opens `count` EventSources to `/tls/tick` on the page's origin; the page keeps, for each,
/// whether it opened and how many events it received.
const OPEN_SOURCES: &str = "
    window.sources = [];
    for (let i = 0; i < arguments[0]; i++) {
        const entry = { source: new EventSource('/tls/tick?n=' + i), opened: false, received: 0 };
        entry.source.onopen = () => { entry.opened = true; };
        entry.source.onmessage = () => { entry.received += 1; };
        window.sources.push(entry);
    }";

/// What the page reports: for each source, whether it opened and how many events it received.
async fn sources(browser: &Browser) -> Vec<(bool, u64)> {
    let found = browser
        .execute(
            "return window.sources.map(s => [s.opened, s.received]);",
            json!([]),
        )
        .await;
    serde_json::from_value(found.clone()).unwrap_or_else(|_| panic!("not a list: {found}"))
}

/// Polls the page until `condition` holds of its sources; panics with what it last reported
/// after 20 s.
async fn until_sources(browser: &Browser, what: &str, condition: impl Fn(&[(bool, u64)]) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let seen = sources(browser).await;
        if condition(&seen) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never happened: {what}; the page reports {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Chromium (trusting `cert`'s key, and ignoring no other certificate error) on a page of the
/// app served over TLS with `cert`; `None` where `Browser::launch_with` finds no Chromium.
async fn chromium_on_a_tls_page(cert: &Certificate) -> Option<(Browser, support::Running)> {
    let trust = format!(
        "--ignore-certificate-errors-spki-list={}",
        cert.spki_sha256_base64()
    );
    let browser = Browser::launch_with(&[trust]).await?;
    let tls = support::tls::serve(app(), cert).await;
    browser
        .goto(&format!("https://{}/tls/page", tls.addr))
        .await;
    Some((browser, tls))
}

/// One `EventSource` on a stream that sends no event.
const OPEN_QUIET_SOURCE: &str = "
    const entry = { source: new EventSource('/tls/announced'), opened: false, received: 0 };
    entry.source.onopen = () => { entry.opened = true; };
    entry.source.onmessage = () => { entry.received += 1; };
    window.sources = [entry];";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_fires_open_over_http2_on_the_response_head_alone() {
    // Over HTTP/2 nothing of the body goes out before the stream's first event: the HEADERS
    // frame alone must fire `open`, at once.
    let Some((browser, tls)) = chromium_on_a_tls_page(&Certificate::generate()).await else {
        return;
    };
    browser.execute(OPEN_QUIET_SOURCE, json!([])).await;
    until_sources(&browser, "the quiet source opens", |seen| {
        seen.len() == 1 && seen[0].0
    })
    .await;
    assert_eq!(sources(&browser).await, [(true, 0)]);
    assert_eq!(tls.handle.open_streams(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_opens_twelve_event_sources_over_http2_where_http11_stops_at_six() {
    // Over TLS, ALPN gives HTTP/2: all twelve open on one connection and receive events.
    let Some((browser, tls)) = chromium_on_a_tls_page(&Certificate::generate()).await else {
        return;
    };
    browser.execute(OPEN_SOURCES, json!([12])).await;
    until_sources(&browser, "all twelve receive three events each", |seen| {
        seen.len() == 12
            && seen
                .iter()
                .all(|&(opened, received)| opened && received >= 3)
    })
    .await;
    assert_eq!(tls.handle.open_streams(), 12);
    // Over HTTP/1.1 each would need a connection of its own. Chromium may hold a spare
    // connection to the origin beside the one it uses (a preconnect; seen in CI rehearsals),
    // so the proof is twelve streams on one or two connections, not on exactly one.
    let connections = tls.handle.open_connections();
    assert!(
        (1..=2).contains(&connections),
        "{connections} connections for twelve streams: not multiplexed"
    );

    // Plain HTTP/1.1: six connections per origin, each held by a source; the seventh waits.
    let plain = support::serve(app()).await;
    browser
        .goto(&format!("http://{}/tls/page", plain.addr))
        .await;
    browser.execute(OPEN_SOURCES, json!([12])).await;
    until_sources(&browser, "six sources receive events", |seen| {
        seen.iter()
            .filter(|&&(opened, received)| opened && received >= 3)
            .count()
            == 6
    })
    .await;
    // Settled at six: the browser sends no seventh request while six are held.
    let held = support::settled("the open streams", || plain.handle.open_streams()).await;
    assert_eq!(held, 6);
    assert_eq!(plain.handle.open_connections(), 6);
    let seen = sources(&browser).await;
    assert_eq!(seen.iter().filter(|s| s.0).count(), 6, "{seen:?}");
    let waiting = browser
        .execute(
            "return window.sources.filter(s => s.source.readyState === EventSource.CONNECTING).length;",
            json!([]),
        )
        .await;
    assert_eq!(waiting, 6, "the other six are still connecting");

    // Closing one frees its connection for a seventh: they were waiting, not failed.
    browser
        .execute(
            "window.sources.find(s => s.opened).source.close();",
            json!([]),
        )
        .await;
    until_sources(&browser, "a seventh opens once one closes", |seen| {
        seen.iter().filter(|s| s.0).count() == 7
    })
    .await;
}
