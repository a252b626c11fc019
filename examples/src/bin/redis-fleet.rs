//! A fleet: several instances behind a load balancer act as one, through the hub on Redis
//! Streams. A message posted to any instance reaches the `GET /events` streams of every
//! instance, with one id sequence, so a client that reconnects to another instance resumes by
//! `Last-Event-ID` there without a gap or a duplicate.
//!
//! ```sh
//! redis-server --port 6379 &
//! REDIS_URL=redis://127.0.0.1:6379 PORT=3001 INSTANCE=a cargo run -p nestish-examples --bin redis-fleet &
//! REDIS_URL=redis://127.0.0.1:6379 PORT=3002 INSTANCE=b cargo run -p nestish-examples --bin redis-fleet &
//! curl -N http://127.0.0.1:3002/events &
//! curl -H 'content-type: application/json' -d '{"text":"hi"}' http://127.0.0.1:3001/messages
//! # b's stream: id: <the id a answered>, data: {"instance":"a","text":"hi"}
//! ```

use std::process::ExitCode;
use std::sync::Arc;

use nestish_core::hub::{Hub, Subscription};
use nestish_core::{
    HttpError, Json, MessageEvent, NestFactory, StatusCode, controller, inject, post, sse,
};

const TOPIC: &str = "fleet";

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct NewMessage {
    text: String,
}

/// Which instance this is, to see in each message where it was posted.
struct Instance(String);

struct FleetController {
    hub: Arc<Hub>,
    instance: Arc<Instance>,
}

#[controller]
impl FleetController {
    // The controller does not know where the hub is: the same code runs on one process with
    // `Hub::new()`.
    #[inject]
    fn new(hub: Arc<Hub>, instance: Arc<Instance>) -> Self {
        Self { hub, instance }
    }

    #[post("messages")]
    async fn post(
        &self,
        #[body] message: Json<NewMessage>,
    ) -> Result<(StatusCode, Json<u64>), HttpError> {
        let data = serde_json::json!({ "instance": self.instance.0, "text": message.0.text });
        let event = MessageEvent::json(&data).map_err(|_| HttpError::internal())?;
        // One Lua script gives the id and appends to the topic's Redis stream at once: ids are
        // one increasing sequence across the fleet (not 1, 2, 3: they carry the time).
        let id = self
            .hub
            .publish(TOPIC, event)
            .await
            .map_err(|_| HttpError::internal())?;
        Ok((StatusCode::CREATED, Json(id)))
    }

    // Every instance reads each topic once from Redis and fans it out to its own streams.
    #[sse("events", retry = "500ms")]
    fn events(&self, #[last_event_id] seen: Option<u64>) -> Subscription {
        self.hub.subscribe(TOPIC, seen)
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let instance = std::env::var("INSTANCE").unwrap_or_else(|_| std::process::id().to_string());
    let app = NestFactory::create()
        .provide(Instance(instance))
        // An async factory: start-up fails, naming Redis's error, if it cannot connect. Once
        // up, the connection reconnects by itself, and streams resume where they were.
        .provide_factory(move || {
            let url = url.clone();
            async move { Hub::redis(url).connect().await }
        })
        .init()
        .await;
    nestish_examples::serve(app, 3000).await
}
