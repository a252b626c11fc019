//! [`ConnectionInfo`]: the connection a request came on.

use std::net::SocketAddr;

/// The client's side of the connection a request came on: on every request nestish's server
/// serves, as a request extension (another server, or a test calling the app in-process, may
/// not set it). Read it from `#[req]`, or in a tower layer.
///
/// ```
/// use nestish_core::{ConnectionInfo, RequestParts, controller, get};
///
/// #[derive(Default)]
/// pub struct WhoController;
///
/// #[controller]
/// impl WhoController {
///     #[get("whoami")]
///     fn whoami(&self, #[req] req: &RequestParts) -> String {
///         match req.extensions.get::<ConnectionInfo>() {
///             Some(connection) => format!("you are {}", connection.peer_addr()),
///             None => "no connection".to_owned(),
///         }
///     }
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionInfo {
    peer_addr: SocketAddr,
}

impl ConnectionInfo {
    pub(crate) fn new(peer_addr: SocketAddr) -> Self {
        Self { peer_addr }
    }

    /// The client's address and port, as the server's socket sees them (behind a proxy, the
    /// proxy's: read `X-Forwarded-For` then, from a proxy you trust).
    ///
    /// ```
    /// # fn show(connection: &nestish_core::ConnectionInfo) {
    /// println!("{}", connection.peer_addr().ip());
    /// # }
    /// ```
    #[must_use]
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer_addr
    }
}
