//! The reader task, one per hub: reads every announcement from the connection once and hands it to
//! the local subscribers of its topic; after the connection was lost, waits for it to come back
//! and tells every local subscriber to re-read from its last id what it may have missed.

use std::sync::Weak;
use std::time::Duration;

use redis::{PushInfo, PushKind, Value};
use tokio::sync::mpsc::UnboundedReceiver;

use super::scripts::decode_announcement;
use super::{Live, Shared};

/// How often the reader tries Redis again while it is away.
const RECONNECT_EVERY: Duration = Duration::from_millis(200);

/// Starts the reader task of the hub `shared`; it ends with the hub.
pub(super) fn spawn(shared: Weak<Shared>, pushes: UnboundedReceiver<PushInfo>) {
    tokio::spawn(run(shared, pushes));
}

async fn run(shared: Weak<Shared>, mut pushes: UnboundedReceiver<PushInfo>) {
    while let Some(push) = pushes.recv().await {
        match push.kind {
            PushKind::Message | PushKind::SMessage => {
                let Some(shared) = shared.upgrade() else {
                    return;
                };
                deliver(&shared, &push.data);
            }
            // Sent by a cluster node whose slot moved (a failover, a resharding): the
            // instance listens again, on the slot's new master, and the topic's subscribers
            // re-read what they may have missed meanwhile. (The hub's own unsubscriptions come
            // back so too, for topics it no longer holds.)
            PushKind::SUnsubscribe => {
                let Some(shared) = shared.upgrade() else {
                    return;
                };
                moved(&shared, &push.data).await;
            }
            PushKind::Disconnection => {
                tracing::warn!("hub: the Redis connection was lost; reconnecting");
                if !reconnected(&shared).await {
                    return;
                }
                tracing::info!("hub: the Redis connection is back; subscribers catch up");
                let Some(shared) = shared.upgrade() else {
                    return;
                };
                for local in shared.local().topics.values() {
                    // No receiver left is not an error: the topic is about to be forgotten.
                    let _ = local.live.send(Live::Resync);
                }
            }
            _ => {}
        }
    }
}

/// Listens again to a channel the server unsubscribed the hub from, if its topic is still held,
/// and tells the topic's subscribers to re-read from their last id.
async fn moved(shared: &Shared, data: &[Value]) {
    let Some(Value::BulkString(channel)) = data.first() else {
        return;
    };
    let Some(topic) = std::str::from_utf8(channel)
        .ok()
        .and_then(|channel| shared.keys.topic_of(channel))
    else {
        return;
    };
    if !shared.local().topics.contains_key(topic) {
        return;
    }
    let channels = [shared.keys.channel(topic)];
    while let Err(error) = shared.conn.clone().listen(&channels).await {
        tracing::debug!(%error, %topic, "hub: could not listen again to a moved topic; retrying");
        tokio::time::sleep(RECONNECT_EVERY).await;
    }
    if let Some(local) = shared.local().topics.get(topic) {
        let _ = local.live.send(Live::Resync);
    }
}

/// Hands an announcement (`[channel, message]`) to the local subscribers of its topic, if any.
fn deliver(shared: &Shared, data: &[Value]) {
    // Counted whether or not a local subscriber wants it: what the instance reads is the cost.
    shared
        .received
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let [_channel, Value::BulkString(message)] = data else {
        return;
    };
    let Some(announced) = decode_announcement(message) else {
        tracing::warn!("hub: skipped an announcement that the hub did not write");
        return;
    };
    if let Some(local) = shared.local().topics.get_mut(announced.topic) {
        let live = match announced.event.id() {
            Some(id) => {
                local.last = Some((announced.base, id));
                Live::Event {
                    base: announced.base,
                    event: announced.event,
                }
            }
            // A presence announcement: no event of the topic.
            None => Live::Announcement(announced.event),
        };
        let _ = local.live.send(live);
    }
}

/// Listens to the channels of every topic held again until Redis answers (which also makes the
/// connection reconnect); false when the hub is gone. The connection subscribes again by itself
/// after a reconnection, but does not say whether that worked: listening again is harmless, and
/// sure.
async fn reconnected(shared: &Weak<Shared>) -> bool {
    loop {
        let Some(strong) = shared.upgrade() else {
            return false;
        };
        let mut conn = strong.conn.clone();
        let groups = super::interest::every_channel(&strong);
        drop(strong);
        let mut answered = true;
        if groups.is_empty() {
            answered = redis::cmd("PING").exec_async(&mut conn).await.is_ok();
        }
        for channels in &groups {
            if conn.listen(channels).await.is_err() {
                answered = false;
                break;
            }
        }
        if answered {
            return true;
        }
        tokio::time::sleep(RECONNECT_EVERY).await;
    }
}
