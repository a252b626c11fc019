// Every parameter attribute, an #[inject] constructor, a fallible async SSE route and a POST stream.
use std::sync::Arc;

use futures::stream::{self, Stream};
use nestish_core::{
    controller, get, inject, post, sse, HttpError, Json, MessageEvent, NestFactory, RequestParts,
};

pub struct Catalog {
    names: Vec<String>,
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
pub struct Page {
    pub offset: Option<usize>,
}

pub struct CatsController {
    catalog: Arc<Catalog>,
    audit: Option<Arc<String>>,
}

#[controller("cats")]
impl CatsController {
    #[inject]
    fn new(catalog: Arc<Catalog>, audit: Option<Arc<String>>) -> Self {
        Self { catalog, audit }
    }

    #[get(":id")]
    fn one(
        &self,
        #[param("id")] id: usize,
        #[query("fields")] fields: Option<String>,
        #[header("x-tenant")] tenant: String,
        #[req] req: &RequestParts,
    ) -> Result<String, HttpError> {
        let name = self.catalog.names.get(id).ok_or_else(|| HttpError::not_found("no such cat"))?;
        Ok(format!("{name} {fields:?} {tenant} {} {:?}", req.method, self.audit))
    }

    #[get]
    fn page(&self, #[query] page: Page) -> Json<usize> {
        Json(page.offset.unwrap_or(0))
    }

    #[get("files/*path")]
    fn file(&self, #[param("path")] path: String) -> String {
        path
    }

    #[sse(":id/events")]
    async fn events(
        &self,
        #[param("id")] id: u64,
        #[last_event_id] last: Option<u64>,
    ) -> Result<impl Stream<Item = MessageEvent> + Send + 'static, HttpError> {
        let _ = last;
        if id == 0 {
            return Err(HttpError::not_found("no cat 0"));
        }
        Ok(stream::iter(vec![MessageEvent::new(id.to_string())]))
    }

    #[sse("complete", method = "POST")]
    fn complete(&self, #[body] prompt: Json<String>) -> impl Stream<Item = String> + Send + 'static {
        stream::iter(prompt.0.split(' ').map(str::to_owned).collect::<Vec<_>>())
    }

    #[post("raw")]
    async fn raw(&self, #[body] bytes: nestish_core::Bytes) -> String {
        bytes.len().to_string()
    }
}

fn main() {
    let _app = NestFactory::create()
        .provide(Catalog { names: vec!["Tom".into()] })
        .build()
        .unwrap();
}
