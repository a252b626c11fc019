//! What the kernel may hold for one connection, for the bounds of the backpressure tests, and
//! what it reports for the server's end of a connection.

use std::net::SocketAddr;
use std::os::fd::RawFd;

/// The most the kernel may buffer for one connection: the send buffer's ceiling and the
/// client's receive buffer (which the kernel doubles for its bookkeeping).
pub fn buffers(client_rcvbuf: usize) -> usize {
    let wmem = std::fs::read_to_string("/proc/sys/net/ipv4/tcp_wmem").unwrap_or_default();
    let wmem_max: usize = wmem
        .split_whitespace()
        .nth(2)
        .and_then(|n| n.parse().ok())
        .unwrap_or(4 * 1024 * 1024);
    wmem_max + 2 * client_rcvbuf
}

/// What the kernel reports (`getsockopt(SO_SNDBUF)`) for a send buffer set to `bytes`: Linux
/// caps the request at `net.core.wmem_max` and doubles it for its bookkeeping.
pub fn reported_send_buffer(bytes: usize) -> usize {
    let wmem_max = std::fs::read_to_string("/proc/sys/net/core/wmem_max")
        .ok()
        .and_then(|max| max.trim().parse().ok())
        .unwrap_or(usize::MAX);
    2 * bytes.min(wmem_max)
}

/// The server's end of `client`'s connection: the socket of this process (the server runs in
/// the test) whose local address is the client's peer and whose peer is the client. Waits,
/// within [`super::PATIENCE`], for the server to accept it.
pub async fn server_end(client: &tokio::net::TcpStream) -> RawFd {
    let ends = (
        client.peer_addr().expect("a peer address"),
        client.local_addr().expect("a local address"),
    );
    let mut found = None;
    super::eventually("the server accepts the connection", || {
        found = open_descriptors()
            .into_iter()
            .find(|&fd| addresses(fd) == Some(ends));
        found.is_some()
    })
    .await;
    found.expect("found")
}

/// The kernel's `SO_SNDBUF` of socket `fd` of this process.
pub fn send_buffer_of(fd: RawFd) -> usize {
    let mut value: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `value` and `len` outlive the call and `len` is `value`'s size.
    let status = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_SNDBUF,
            (&raw mut value).cast(),
            &raw mut len,
        )
    };
    assert_eq!(
        status,
        0,
        "getsockopt(SO_SNDBUF): {}",
        std::io::Error::last_os_error()
    );
    usize::try_from(value).expect("a size")
}

/// The descriptors this process has open now.
fn open_descriptors() -> Vec<RawFd> {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd lists this process's descriptors")
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .collect()
}

/// A TCP socket's local and peer addresses; `None` for any other descriptor, or one closed
/// since it was listed (raw calls, so a closed one is an error, never harm).
fn addresses(fd: RawFd) -> Option<(SocketAddr, SocketAddr)> {
    let ask = |call: unsafe extern "C" fn(
        libc::c_int,
        *mut libc::sockaddr,
        *mut libc::socklen_t,
    ) -> libc::c_int| {
        // SAFETY: socket2 hands a storage and its length that outlive the call.
        let ((), addr) = unsafe {
            socket2::SockAddr::try_init(|storage, len| {
                if call(fd, storage.cast(), len) == 0 {
                    Ok(())
                } else {
                    Err(std::io::Error::last_os_error())
                }
            })
        }
        .ok()?;
        addr.as_socket()
    };
    Some((ask(libc::getsockname)?, ask(libc::getpeername)?))
}
