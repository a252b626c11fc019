//! The client address of the connection being served, found when a request needs it rather than
//! kept by every connection: an idle SSE client's connection holds not one byte more for it.
//!
//! A connection's task marks itself as the current one (its socket's descriptor, in a thread
//! local) while hyper polls it; hyper calls the service for a new request from within that poll,
//! on both protocols, so the service can ask the socket for its peer there.

use std::cell::Cell;
use std::net::SocketAddr;

#[cfg(unix)]
pub(crate) type Fd = std::os::fd::RawFd;
#[cfg(not(unix))]
pub(crate) type Fd = i32;

/// No descriptor: a transport without one.
pub(crate) const NO_FD: Fd = -1;

thread_local! {
    static CURRENT: Cell<Fd> = const { Cell::new(NO_FD) };
}

/// Runs `poll` with `fd` as the current connection's descriptor.
pub(crate) fn serving<R>(fd: Fd, poll: impl FnOnce() -> R) -> R {
    let outer = CURRENT.with(|current| current.replace(fd));
    let result = poll();
    CURRENT.with(|current| current.set(outer));
    result
}

/// The peer of the connection being served, if there is one with a socket.
pub(crate) fn current() -> Option<SocketAddr> {
    let fd = CURRENT.with(Cell::get);
    if fd == NO_FD {
        return None;
    }
    #[cfg(unix)]
    {
        // SAFETY: `fd` is the socket of the connection whose task is running `serving` on this
        // thread right now: it is open until that task drops its connection, after the poll.
        let socket = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
        socket2::SockRef::from(&socket)
            .peer_addr()
            .ok()?
            .as_socket()
    }
    #[cfg(not(unix))]
    None
}
