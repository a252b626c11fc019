//! What the kernel may hold for one connection, for the bounds of the backpressure tests, and
//! what it reports for the server's end of a connection.

use std::net::SocketAddr;
use std::os::fd::RawFd;

/// The most the kernel may buffer for `client`'s connection to this process's server, as it
/// reports it: the server's send buffer, checked to be the `configured` one (the kernel doubles
/// it for its bookkeeping), and the client's receive buffer (doubled too). A server that left
/// the send buffer to the kernel's autotuning would let it grow to `tcp_wmem`'s maximum.
pub async fn buffers(client: &tokio::net::TcpStream, configured: usize) -> usize {
    let send_buffer = send_buffer_of(server_end(client).await);
    assert_eq!(
        send_buffer,
        reported_send_buffer(configured),
        "the server's socket does not have the configured send buffer"
    );
    let receive_buffer = socket2::SockRef::from(client)
        .recv_buffer_size()
        .expect("SO_RCVBUF");
    send_buffer + receive_buffer
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
/// within [`super::PATIENCE`], for the server to accept it. In a current-thread test the
/// server has also set its socket options by then: its accept loop does both in one step.
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
    let value: libc::c_int = socket_option(fd, libc::SOL_SOCKET, libc::SO_SNDBUF);
    usize::try_from(value).expect("a size")
}

/// Socket option `name` at `level` of socket `fd`, as the kernel fills a `T` with it.
fn socket_option<T>(fd: RawFd, level: libc::c_int, name: libc::c_int) -> T {
    let mut value = std::mem::MaybeUninit::<T>::zeroed();
    let mut len = std::mem::size_of::<T>() as libc::socklen_t;
    // SAFETY: `value` and `len` outlive the call and `len` is `value`'s size.
    let status =
        unsafe { libc::getsockopt(fd, level, name, value.as_mut_ptr().cast(), &raw mut len) };
    assert_eq!(
        status,
        0,
        "getsockopt({level}, {name}): {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: the options read here (an int, `tcp_info`) are plain integers, valid whatever
    // the kernel wrote, and zeroed where it wrote less.
    unsafe { value.assume_init() }
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
    Some((
        address(fd, libc::getsockname)?,
        address(fd, libc::getpeername)?,
    ))
}

/// What `call` (`getsockname` or `getpeername`) says of socket `fd`, if it is an IP socket.
fn address(
    fd: RawFd,
    call: unsafe extern "C" fn(
        libc::c_int,
        *mut libc::sockaddr,
        *mut libc::socklen_t,
    ) -> libc::c_int,
) -> Option<SocketAddr> {
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
}

/// The backlog of this process's listening socket on `addr`, as the kernel keeps it: for a
/// listener, `TCP_INFO`'s `tcpi_sacked` is its accept queue's maximum (Linux's
/// `sk_max_ack_backlog`), the backlog given to `listen` capped at `net.core.somaxconn`.
pub fn listen_backlog(addr: SocketAddr) -> u32 {
    let listener = open_descriptors()
        .into_iter()
        .find(|&fd| {
            address(fd, libc::getsockname) == Some(addr) && address(fd, libc::getpeername).is_none()
        })
        .unwrap_or_else(|| panic!("no listening socket on {addr}"));
    let info: libc::tcp_info = socket_option(listener, libc::IPPROTO_TCP, libc::TCP_INFO);
    assert_eq!(
        info.tcpi_state, 10,
        "TCP_LISTEN: the socket on {addr} is a listener"
    );
    info.tcpi_sacked
}

/// `net.core.somaxconn`: the kernel's cap on any listen backlog.
pub fn somaxconn() -> u32 {
    std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .ok()
        .and_then(|max| max.trim().parse().ok())
        .unwrap_or(u32::MAX)
}
