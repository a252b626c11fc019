//! The hub's one connection to Redis, a single server or a cluster: commands and scripts go
//! through [`ConnectionLike`] whichever it is, and only listening differs (Pub/Sub on a single
//! server, sharded Pub/Sub on a cluster, where a classic `PUBLISH` would be broadcast to every
//! node).

use redis::aio::{ConnectionLike, ConnectionManager};
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, Pipeline, RedisFuture, RedisResult, Value};

/// A connection to a single Redis (multiplexed, reconnecting by itself) or to a Redis Cluster
/// (one connection per node, following the slots). Both are RESP3 and carry the Pub/Sub
/// messages beside the commands, and both subscribe again by themselves after a reconnection.
#[derive(Clone)]
pub(super) enum Conn {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl Conn {
    /// Whether it is a cluster's.
    pub(super) fn is_cluster(&self) -> bool {
        matches!(self, Self::Cluster(_))
    }

    /// The command a publication is announced with, in the publish script.
    pub(super) fn announce_command(&self) -> &'static str {
        match self {
            Self::Single(_) => "PUBLISH",
            Self::Cluster(_) => "SPUBLISH",
        }
    }

    /// Listens to `channels`, which share one slot (SSUBSCRIBE wants them so).
    pub(super) async fn listen(&mut self, channels: &[String]) -> RedisResult<()> {
        match self {
            Self::Single(conn) => conn.subscribe(channels).await,
            Self::Cluster(conn) => conn.ssubscribe(channels).await,
        }
    }

    /// Stops listening to `channels`, which share one slot.
    pub(super) async fn unlisten(&mut self, channels: &[String]) -> RedisResult<()> {
        match self {
            Self::Single(conn) => conn.unsubscribe(channels).await,
            Self::Cluster(conn) => conn.sunsubscribe(channels).await,
        }
    }
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Single(conn) => conn.req_packed_command(cmd),
            Self::Cluster(conn) => conn.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Single(conn) => conn.req_packed_commands(cmd, offset, count),
            Self::Cluster(conn) => conn.req_packed_commands(cmd, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Single(conn) => conn.get_db(),
            Self::Cluster(conn) => conn.get_db(),
        }
    }
}
