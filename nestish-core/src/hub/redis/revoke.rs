//! Revocations between instances: one Pub/Sub channel, `<prefix>revoked`, on a connection of its
//! own, so that the announcements' connection and its reader are left as they are. A revocation
//! is published there ([`publish`]) and every instance, the publisher included, hands it to its
//! hub's listeners ([`listen`]).
//!
//! A revocation is a message, not a record: an instance that is away from Redis when it is
//! published does not hear it (its streams end at their credentials' expiry instead).

use std::sync::Weak;
use std::time::Duration;

use futures_util::StreamExt;
use redis::aio::PubSub;
use tokio::sync::oneshot;

use crate::hub::revoke::Listeners;

/// How often the listener tries Redis again while it is away.
const RECONNECT_EVERY: Duration = Duration::from_millis(200);

/// Publishes the revocation of `key` on `channel`.
pub(super) async fn publish(
    mut conn: impl redis::aio::ConnectionLike,
    channel: &str,
    key: &str,
) -> redis::RedisResult<()> {
    redis::cmd("PUBLISH")
        .arg(channel)
        .arg(key)
        .query_async::<i64>(&mut conn)
        .await
        .map(drop)
}

/// Subscribes to `channel` on a connection of its own (an error if Redis cannot be reached now),
/// then hands every revocation on it to `listeners` until `hub_gone` completes (the backend is
/// dropped) or they are gone, reconnecting while Redis is away.
pub(super) async fn listen(
    client: redis::Client,
    channel: String,
    listeners: Weak<Listeners>,
    hub_gone: oneshot::Receiver<()>,
) -> redis::RedisResult<()> {
    let pubsub = subscribe(&client, &channel).await?;
    tokio::spawn(async move {
        tokio::select! {
            () = run(client, channel, listeners, pubsub) => {}
            _ = hub_gone => {}
        }
    });
    Ok(())
}

async fn subscribe(client: &redis::Client, channel: &str) -> redis::RedisResult<PubSub> {
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.subscribe(channel).await?;
    Ok(pubsub)
}

async fn run(client: redis::Client, channel: String, listeners: Weak<Listeners>, first: PubSub) {
    let mut pubsub = Some(first);
    loop {
        let connection = match pubsub.take() {
            Some(connection) => connection,
            None => match subscribe(&client, &channel).await {
                Ok(connection) => {
                    tracing::info!("hub: revocations are heard again from Redis");
                    connection
                }
                Err(_) => {
                    tokio::time::sleep(RECONNECT_EVERY).await;
                    continue;
                }
            },
        };
        let mut messages = connection.into_on_message();
        while let Some(message) = messages.next().await {
            let Some(listeners) = listeners.upgrade() else {
                return;
            };
            match message.get_payload::<String>() {
                Ok(key) => listeners.deliver(&key),
                Err(_) => tracing::warn!("hub: skipped a revocation that is not text"),
            }
        }
        tracing::warn!("hub: the Redis connection for revocations was lost; reconnecting");
    }
}
