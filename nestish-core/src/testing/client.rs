//! [`TestClient`]: requests over a real socket, one connection each, as a browser or `curl`
//! would send them, and [`TestResponse`]: the answer, read whole.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;

use super::contract::Contract;
use crate::HttpError;

/// How long a request may wait for its answer, or an event stream for its next event, before
/// the test fails with what it has: 10 s, on tokio's clock (under a paused clock, virtual time).
///
/// ```
/// # async fn show(client: &nestish_core::testing::TestClient) {
/// use nestish_core::testing::DEFAULT_TIMEOUT;
/// let slow = client.get("/report").timeout(DEFAULT_TIMEOUT * 3).await;
/// # let _ = slow;
/// # }
/// ```
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Sends requests to a [`TestApp`](super::TestApp), each on a new connection. Cheap to clone.
///
/// ```
/// # async fn show(app: &nestish_core::testing::TestApp) {
/// let client = app.client();
/// let response = client.get("/health").header("x-tenant", "acme").await;
/// assert_eq!(response.status(), 200);
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct TestClient {
    addr: SocketAddr,
    /// What each answer and event is checked against.
    contract: Contract,
}

impl TestClient {
    pub(super) fn new(addr: SocketAddr, contract: Contract) -> Self {
        Self { addr, contract }
    }

    /// The address requests go to.
    ///
    /// ```
    /// # fn show(client: &nestish_core::testing::TestClient) {
    /// assert!(client.addr().ip().is_loopback());
    /// # }
    /// ```
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A request with any method, to `path` (which may carry a query string).
    ///
    /// ```
    /// # async fn show(client: &nestish_core::testing::TestClient) {
    /// let response = client.request(http::Method::OPTIONS, "/chat").await;
    /// # let _ = response;
    /// # }
    /// ```
    pub fn request(&self, method: Method, path: &str) -> TestRequest {
        TestRequest {
            addr: self.addr,
            method,
            path: path.to_owned(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
            timeout: DEFAULT_TIMEOUT,
            contract: self.contract.clone(),
        }
    }

    /// `GET path`.
    ///
    /// ```
    /// # async fn show(client: &nestish_core::testing::TestClient) {
    /// let page = client.get("/").await.text();
    /// # let _ = page;
    /// # }
    /// ```
    pub fn get(&self, path: &str) -> TestRequest {
        self.request(Method::GET, path)
    }

    /// `POST path`.
    ///
    /// ```
    /// # async fn show(client: &nestish_core::testing::TestClient) {
    /// let created = client.post("/chat/messages").json(&serde_json::json!({"text": "hi"})).await;
    /// assert_eq!(created.status(), 201);
    /// # }
    /// ```
    pub fn post(&self, path: &str) -> TestRequest {
        self.request(Method::POST, path)
    }

    /// `PUT path`.
    ///
    /// ```
    /// # async fn show(client: &nestish_core::testing::TestClient) {
    /// let response = client.put("/settings").text("dark").await;
    /// # let _ = response;
    /// # }
    /// ```
    pub fn put(&self, path: &str) -> TestRequest {
        self.request(Method::PUT, path)
    }

    /// `PATCH path`.
    ///
    /// ```
    /// # async fn show(client: &nestish_core::testing::TestClient) {
    /// let response = client.patch("/settings").json(&serde_json::json!({"theme": "dark"})).await;
    /// # let _ = response;
    /// # }
    /// ```
    pub fn patch(&self, path: &str) -> TestRequest {
        self.request(Method::PATCH, path)
    }

    /// `DELETE path`.
    ///
    /// ```
    /// # async fn show(client: &nestish_core::testing::TestClient) {
    /// let response = client.delete("/sessions/current").await;
    /// # let _ = response;
    /// # }
    /// ```
    pub fn delete(&self, path: &str) -> TestRequest {
        self.request(Method::DELETE, path)
    }
}

/// A request being built: headers, query, body. Await it (or call [`send`](Self::send)).
#[must_use = "a TestRequest is sent only when awaited"]
#[derive(Debug)]
pub struct TestRequest {
    addr: SocketAddr,
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Bytes,
    timeout: Duration,
    contract: Contract,
}

impl TestRequest {
    /// Adds a header (a second with the same name is added beside the first).
    ///
    /// # Panics
    ///
    /// If the name or the value is not valid in HTTP: a mistake in the test.
    ///
    /// ```
    /// # async fn show(client: &nestish_core::testing::TestClient) {
    /// let response = client.get("/me").header("authorization", "Bearer t0k3n").await;
    /// # let _ = response;
    /// # }
    /// ```
    #[track_caller]
    pub fn header<K, V>(mut self, name: K, value: V) -> Self
    where
        K: TryInto<HeaderName>,
        K::Error: fmt::Debug,
        V: TryInto<HeaderValue>,
        V::Error: fmt::Debug,
    {
        let name = name.try_into().expect("a valid header name");
        let value = value.try_into().expect("a valid header value");
        self.headers.append(name, value);
        self
    }

    /// Adds a cookie to the request's `Cookie` header.
    ///
    /// ```
    /// # async fn show(client: &nestish_core::testing::TestClient) {
    /// let response = client.get("/me").cookie("session", "abc").cookie("theme", "dark").await;
    /// # let _ = response;
    /// # }
    /// ```
    #[track_caller]
    pub fn cookie(mut self, name: &str, value: &str) -> Self {
        let pair = format!("{name}={value}");
        let cookie = match self.headers.remove(header::COOKIE) {
            Some(before) => format!("{}; {pair}", before.to_str().unwrap_or_default()),
            None => pair,
        };
        self.header(header::COOKIE, cookie)
    }

    /// Appends `query` (any `Serialize` struct or list of pairs) to the path's query string,
    /// form-encoded.
    ///
    /// # Panics
    ///
    /// If `query` cannot be form-encoded (a nested struct): a mistake in the test.
    ///
    /// ```
    /// # async fn show(client: &nestish_core::testing::TestClient) {
    /// let page = client.get("/cats").query(&[("page", "2"), ("q", "a b")]).await; // /cats?page=2&q=a+b
    /// # let _ = page;
    /// # }
    /// ```
    #[track_caller]
    pub fn query<T: serde::Serialize + ?Sized>(mut self, query: &T) -> Self {
        let encoded = serde_urlencoded::to_string(query).expect("a form-encodable query");
        if !encoded.is_empty() {
            self.path
                .push(if self.path.contains('?') { '&' } else { '?' });
            self.path.push_str(&encoded);
        }
        self
    }

    /// Sends `value` as a JSON body, with `Content-Type: application/json`.
    ///
    /// # Panics
    ///
    /// If `value` cannot be serialised: a mistake in the test.
    ///
    /// ```
    /// # async fn show(client: &nestish_core::testing::TestClient) {
    /// let response = client.post("/jobs").json(&serde_json::json!({"name": "build"})).await;
    /// # let _ = response;
    /// # }
    /// ```
    #[track_caller]
    pub fn json<T: serde::Serialize + ?Sized>(mut self, value: &T) -> Self {
        self.body = serde_json::to_vec(value)
            .expect("a serialisable body")
            .into();
        self.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        self
    }

    /// Sends `text` as the body, with `Content-Type: text/plain; charset=utf-8`.
    ///
    /// ```
    /// # async fn show(client: &nestish_core::testing::TestClient) {
    /// let response = client.post("/echo").text("hello").await;
    /// # let _ = response;
    /// # }
    /// ```
    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.body = Bytes::from(text.into());
        self.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        self
    }

    /// Sends `bytes` as the body, with whatever `Content-Type` the headers give (none by
    /// default).
    ///
    /// ```
    /// # async fn show(client: &nestish_core::testing::TestClient) {
    /// let response = client.put("/blob").body(&b"\x00\x01"[..]).await;
    /// # let _ = response;
    /// # }
    /// ```
    pub fn body(mut self, bytes: impl Into<Bytes>) -> Self {
        self.body = bytes.into();
        self
    }

    /// How long to wait for the whole response (for an event stream: for its head, and then
    /// for each next event) before the test fails. Default [`DEFAULT_TIMEOUT`].
    ///
    /// ```
    /// # async fn show(client: &nestish_core::testing::TestClient) {
    /// # use std::time::Duration;
    /// let response = client.get("/slow").timeout(Duration::from_secs(30)).await;
    /// # let _ = response;
    /// # }
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Whether its answer is checked against the route's description (feature `openapi`): on
    /// unless the app switched the check off ([`TestingModule::check_contract`]). Off, for a
    /// request whose answer a test makes wrong on purpose (a fault injected by a stand-in
    /// provider). Without `openapi` nothing is checked, whatever this says.
    ///
    /// [`TestingModule::check_contract`]: super::TestingModule::check_contract
    ///
    /// ```
    /// # async fn show(client: &nestish_core::testing::TestClient) {
    /// let broken = client.get("/report").check_contract(false).await;
    /// # let _ = broken;
    /// # }
    /// ```
    pub fn check_contract(mut self, check: bool) -> Self {
        if !check {
            self.contract.off();
        }
        self
    }

    /// Whether the request has a header `name` of its own.
    pub(super) fn has_header(&self, name: header::HeaderName) -> bool {
        self.headers.contains_key(name)
    }

    pub(super) fn timeout_value(&self) -> Duration {
        self.timeout
    }

    /// The method, the path and the check of what the request reads.
    pub(super) fn contract(&self) -> (Method, String, Contract) {
        (
            self.method.clone(),
            self.path.clone(),
            self.contract.clone(),
        )
    }

    /// Sends the request and reads the whole response.
    ///
    /// # Panics
    ///
    /// When the server cannot be reached, closes the connection without an answer, or does
    /// not answer in time: each a failed test, with what happened.
    ///
    /// ```
    /// # async fn show(client: &nestish_core::testing::TestClient) {
    /// let response = client.get("/").send().await;
    /// # let _ = response;
    /// # }
    /// ```
    pub async fn send(self) -> TestResponse {
        let what = format!("{} {}", self.method, self.path);
        let (method, path) = (self.method.clone(), self.path.clone());
        let contract = self.contract.clone();
        let timeout = self.timeout;
        let exchange = async {
            let (head, body, _connection) = self.open().await?;
            let body = body.collect().await?.to_bytes();
            Ok::<_, crate::BoxError>(TestResponse {
                status: head.status,
                headers: head.headers,
                body,
            })
        };
        match tokio::time::timeout(timeout, exchange).await {
            Ok(Ok(response)) => {
                let (status, headers) = (response.status, &response.headers);
                contract.response(&method, &path, status, headers, &response.body);
                response
            }
            Ok(Err(error)) => panic!("{what}: {error}"),
            Err(_) => panic!("{what}: no complete response within {timeout:?}"),
        }
    }

    /// Sends the request and returns the response head and its body as it arrives, with the
    /// connection's task (dropping it closes the connection).
    pub(super) async fn open(
        mut self,
    ) -> Result<(http::response::Parts, hyper::body::Incoming, Connection), crate::BoxError> {
        let tcp = tokio::net::TcpStream::connect(self.addr).await?;
        tcp.set_nodelay(true)?;
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await?;
        let connection = Connection(tokio::spawn(async move {
            // Its error shows in the response or the body that is being read.
            let _ = connection.await;
        }));
        if !self.headers.contains_key(header::HOST) {
            let host = HeaderValue::try_from(self.addr.to_string())?;
            self.headers.insert(header::HOST, host);
        }
        let mut request = http::Request::new(Full::new(self.body));
        *request.method_mut() = self.method;
        *request.uri_mut() = self.path.parse()?;
        *request.headers_mut() = self.headers;
        let response = sender.send_request(request).await?;
        let (head, body) = response.into_parts();
        Ok((head, body, connection))
    }
}

impl IntoFuture for TestRequest {
    type Output = TestResponse;
    type IntoFuture = Pin<Box<dyn Future<Output = TestResponse> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// A client connection's task: closes the connection when dropped.
#[derive(Debug)]
pub(super) struct Connection(tokio::task::JoinHandle<()>);

impl Drop for Connection {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A response, read whole.
#[derive(Clone, Debug)]
pub struct TestResponse {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl TestResponse {
    /// The status.
    ///
    /// ```
    /// # fn show(response: &nestish_core::testing::TestResponse) {
    /// assert_eq!(response.status(), http::StatusCode::OK);
    /// assert_eq!(response.status(), 200); // StatusCode compares with numbers too
    /// # }
    /// ```
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Every header.
    ///
    /// ```
    /// # fn show(response: &nestish_core::testing::TestResponse) {
    /// assert!(response.headers().contains_key("content-type"));
    /// # }
    /// ```
    #[must_use]
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The first value of header `name`, if it is there and is text.
    ///
    /// ```
    /// # fn show(response: &nestish_core::testing::TestResponse) {
    /// assert_eq!(response.header("content-type"), Some("application/json"));
    /// # }
    /// ```
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)?.to_str().ok()
    }

    /// The body's bytes.
    ///
    /// ```
    /// # fn show(response: &nestish_core::testing::TestResponse) {
    /// assert!(response.bytes().is_empty());
    /// # }
    /// ```
    #[must_use]
    pub fn bytes(&self) -> &Bytes {
        &self.body
    }

    /// The body as text (invalid UTF-8 replaced by U+FFFD).
    ///
    /// ```
    /// # fn show(response: &nestish_core::testing::TestResponse) {
    /// assert_eq!(response.text(), "ok");
    /// # }
    /// ```
    #[must_use]
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON.
    ///
    /// # Panics
    ///
    /// When the body is not a `T`, with the body and serde's reason.
    ///
    /// ```
    /// # fn show(response: &nestish_core::testing::TestResponse) {
    /// let created: serde_json::Value = response.json();
    /// assert_eq!(created["id"], 1);
    /// # }
    /// ```
    #[track_caller]
    #[must_use]
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body).unwrap_or_else(|error| {
            panic!(
                "the body is not a {}: {error}; body: {}",
                std::any::type_name::<T>(),
                self.text()
            )
        })
    }

    /// Asserts that this is the error NestJS (and nestish, through [`HttpError`]) answers:
    /// `status`, and exactly `{"statusCode":…,"message":…,"error":…}` with `message`.
    ///
    /// # Panics
    ///
    /// When the status or the body differs, showing both.
    ///
    /// ```
    /// # fn show(response: &nestish_core::testing::TestResponse) {
    /// response.assert_error(http::StatusCode::NOT_FOUND, "Cannot GET /nope");
    /// # }
    /// ```
    #[track_caller]
    pub fn assert_error(&self, status: StatusCode, message: &str) {
        let expected = HttpError::new(status, message).to_json();
        assert_eq!(
            (self.status, self.text()),
            (status, expected),
            "the response is not the expected error"
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/json; charset=utf-8")
        );
    }

    /// Asserts the status, showing the body when it is another; returns the response, whose
    /// [`json`](Self::json) then reads an error in the app's own format (an exception filter's,
    /// see [`filter`](crate::filter)), where [`assert_error`](Self::assert_error) expects
    /// NestJS's.
    ///
    /// # Panics
    ///
    /// When the status differs, showing the body.
    ///
    /// ```
    /// # fn show(response: &nestish_core::testing::TestResponse) {
    /// let body: serde_json::Value = response.assert_status(http::StatusCode::NOT_FOUND).json();
    /// assert_eq!(body["code"], "no_such_order");
    /// # }
    /// ```
    #[track_caller]
    pub fn assert_status(&self, status: StatusCode) -> &Self {
        assert_eq!(
            self.status,
            status,
            "the response's status is not the expected one; its body: {}",
            self.text()
        );
        self
    }
}
