//! What the kernel may hold for one connection, for the bounds of the backpressure tests.

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
