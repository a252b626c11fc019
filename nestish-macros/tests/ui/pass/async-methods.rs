// Route methods may be `async fn`, SSE ones included.
use futures::stream::{self, Stream};
use nestish_core::{controller, get, post, sse, HttpError, Json, MessageEvent};

#[derive(Default)]
pub struct JobsController {
    name: String,
}

#[controller("jobs")]
impl JobsController {
    #[get]
    async fn list(&self) -> Json<Vec<String>> {
        Json(vec![self.name.clone()])
    }

    #[post("start")]
    async fn start(&self) -> Result<String, HttpError> {
        Err(HttpError::forbidden("no"))
    }

    #[sse("progress")]
    async fn progress(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        stream::iter(vec![MessageEvent::new("50%")])
    }

    // Methods without a route attribute stay ordinary methods.
    fn helper(&self) -> usize {
        self.name.len()
    }
}

fn main() {
    let _ = JobsController::default().helper();
    let _app = nestish_core::NestFactory::create().build().unwrap();
}
