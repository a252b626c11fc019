//! A real Redis Cluster per test: three masters and three replicas (`redis-server
//! --cluster-enabled yes` each, joined by `redis-cli --cluster create`), on free loopback ports,
//! in a temporary directory, without persistence, every node killed when the test drops it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use super::redis::Session;

/// How long a node may be unreachable before the others count it as failed: short, so that a
/// failover takes a second or two.
const NODE_TIMEOUT_MS: &str = "1000";

/// How long the cluster may take to form, or to recover after a failover.
const FORMING: Duration = Duration::from_secs(30);

/// A Redis Cluster this test owns.
pub struct Cluster {
    dir: PathBuf,
    nodes: Vec<Node>,
}

struct Node {
    port: u16,
    child: Option<Child>,
}

impl Cluster {
    /// Starts one and waits until every node says `cluster_state:ok` and every replica has its
    /// master's data; `None` (the test is skipped) when `redis-server` or `redis-cli` is not
    /// installed outside CI, where a missing one fails the test.
    pub async fn start() -> Option<Self> {
        if !super::tools::available("redis-server") || !super::tools::available("redis-cli") {
            return None;
        }
        // A port picked free may be taken before its node binds it (another test's server, or
        // a client's outgoing connection on a cluster bus port): then the cluster starts again on
        // other ports, and only the third such failure fails the test.
        let mut attempt = 1;
        let (dir, nodes) = loop {
            match launch_nodes().await {
                Ok(launched) => break launched,
                Err(log) if attempt < 3 => {
                    eprintln!("a cluster node did not start; trying other ports: {log}");
                    attempt += 1;
                }
                Err(log) => panic!("a cluster node never got ready; its log: {log}"),
            }
        };
        let cluster = Self { dir, nodes };
        let addresses: Vec<String> = cluster
            .nodes
            .iter()
            .map(|node| format!("127.0.0.1:{}", node.port))
            .collect();
        let created = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(&addresses)
            .args(["--cluster-replicas", "1", "--cluster-yes"])
            .stdin(Stdio::null())
            .output()
            .await
            .expect("redis-cli runs");
        assert!(
            created.status.success(),
            "redis-cli --cluster create: {}",
            String::from_utf8_lossy(&created.stdout)
        );
        cluster.until_ok().await;
        Some(cluster)
    }

    /// The seed nodes' URLs, comma-separated: the first three nodes.
    pub fn seeds(&self) -> String {
        self.nodes[..3]
            .iter()
            .map(|node| format!("redis://127.0.0.1:{}", node.port))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Sends `args` to node `index`; the answer as [`Session::command`] gives it.
    pub async fn command(&self, index: usize, args: &[&str]) -> String {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.nodes[index].port));
        Session::open(addr)
            .await
            .unwrap_or_else(|| panic!("node {index} accepts a connection"))
            .command(args)
            .await
    }

    /// The nodes running now that are masters.
    pub async fn masters(&self) -> Vec<usize> {
        let mut masters = Vec::new();
        for index in self.running() {
            if self.command(index, &["ROLE"]).await == "*3" {
                // A master's ROLE has three elements; a replica's five.
                masters.push(index);
            }
        }
        masters
    }

    /// The master holding the keys that match `pattern` (`KEYS` on each master lists its own).
    pub async fn master_of(&self, pattern: &str) -> usize {
        for index in self.masters().await {
            if self.command(index, &["KEYS", pattern]).await != "*0" {
                return index;
            }
        }
        panic!("no master holds {pattern}");
    }

    /// Runs `args` on every master.
    pub async fn on_every_master(&self, args: &[&str]) {
        for index in self.masters().await {
            let answer = self.command(index, args).await;
            assert!(
                !answer.starts_with('-'),
                "{args:?} on node {index}: {answer}"
            );
        }
    }

    /// Kills node `index` at once (`SIGKILL`), as a crash would.
    pub async fn kill(&mut self, index: usize) {
        if let Some(mut child) = self.nodes[index].child.take() {
            child.kill().await.expect("the node is killed");
        }
    }

    /// Fails master `index` over to its replica, the way an operator does before maintenance
    /// (`CLUSTER FAILOVER` on the replica: the master stops taking writes, the replica catches
    /// up, then takes its place); returns the replica's index once the cluster is ok again.
    pub async fn fail_over(&self, index: usize) -> usize {
        let id = self.command(index, &["CLUSTER", "MYID"]).await;
        let mut replica = None;
        for other in self.running() {
            let nodes = self.command(other, &["CLUSTER", "NODES"]).await;
            let myself = nodes.lines().find(|line| line.contains("myself"));
            if myself.is_some_and(|line| line.split(' ').nth(3) == Some(id.as_str())) {
                replica = Some(other);
            }
        }
        let replica = replica.expect("the master has a replica");
        assert_eq!(self.command(replica, &["CLUSTER", "FAILOVER"]).await, "+OK");
        let promoted = tokio::time::timeout(FORMING, async {
            while self.command(replica, &["ROLE"]).await != "*3" {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await;
        assert!(promoted.is_ok(), "the replica never took over");
        self.until_ok().await;
        replica
    }

    /// Waits until every running node says `cluster_state:ok` and every running replica's link
    /// to its master is up.
    pub async fn until_ok(&self) {
        let ok = tokio::time::timeout(FORMING, async {
            loop {
                let mut ok = true;
                for index in self.running() {
                    let info = self.command(index, &["CLUSTER", "INFO"]).await;
                    let replication = self.command(index, &["INFO", "replication"]).await;
                    ok &= info.contains("cluster_state:ok");
                    ok &= replication.contains("role:master")
                        || replication.contains("master_link_status:up");
                }
                if ok {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await;
        assert!(ok.is_ok(), "the cluster never got to cluster_state:ok");
    }

    fn running(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.nodes.len()).filter(|index| self.nodes[*index].child.is_some())
    }
}

/// Six nodes on free ports in a new temporary directory, or the log of the first that did not
/// start (the others are killed when dropped).
async fn launch_nodes() -> Result<(PathBuf, Vec<Node>), String> {
    let ports = free_ports(6);
    let dir = std::env::temp_dir().join(format!(
        "nestish-redis-cluster-{}-{}",
        std::process::id(),
        ports[0]
    ));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let mut nodes = Vec::new();
    for port in ports {
        match launch(&dir, port).await {
            Ok(child) => nodes.push(Node {
                port,
                child: Some(child),
            }),
            Err(log) => {
                drop(nodes);
                let _ = std::fs::remove_dir_all(&dir);
                return Err(log);
            }
        }
    }
    Ok((dir, nodes))
}

/// `count` free loopback ports whose cluster bus ports (10,000 above) are free too.
fn free_ports(count: usize) -> Vec<u16> {
    let mut held = Vec::new();
    let mut ports = Vec::new();
    while ports.len() < count {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().expect("its address").port();
        let bus = port
            .checked_add(10_000)
            .and_then(|bus| std::net::TcpListener::bind(("127.0.0.1", bus)).ok());
        if let Some(bus) = bus {
            held.push(bus);
            ports.push(port);
        }
        held.push(listener);
    }
    ports
}

/// Starts a cluster node on `port` and waits until it accepts connections; its log if it ends
/// first.
async fn launch(dir: &std::path::Path, port: u16) -> Result<Child, String> {
    super::redis::try_spawn(
        Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--cluster-enabled", "yes"])
            .args(["--cluster-config-file", &format!("nodes-{port}.conf")])
            .args(["--cluster-node-timeout", NODE_TIMEOUT_MS])
            .args(["--save", "", "--appendonly", "no", "--logfile", ""])
            .arg("--dir")
            .arg(dir),
        port,
    )
    .await
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            if let Some(child) = &mut node.child {
                let _ = child.start_kill();
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
