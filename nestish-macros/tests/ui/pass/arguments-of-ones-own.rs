// A type of one's own for every argument source, by implementing the source's trait, and as an
// `Option` of it: the macro reads nothing of the type.
use futures::stream::{self, Stream};
use nestish_core::extract::{
    FromCookie, FromHeader, FromLastEventId, FromParam, FromQuery, FromQueryParam,
};
use nestish_core::header::HeaderValue;
use nestish_core::{controller, get, sse, HttpError, MessageEvent};

#[derive(schemars::JsonSchema)]
pub struct Text(pub String);

impl FromParam for Text {
    fn from_param(value: &str, _name: &str) -> Result<Self, HttpError> {
        Ok(Text(value.to_owned()))
    }
}

impl FromQueryParam for Text {
    fn from_query_param(value: Option<&str>, _name: &str) -> Result<Self, HttpError> {
        Ok(Text(value.unwrap_or("").to_owned()))
    }
}

impl FromQuery for Text {
    fn from_query(query: &str, _name: &str) -> Result<Self, HttpError> {
        Ok(Text(query.to_owned()))
    }
}

impl FromHeader for Text {
    fn from_header(value: Option<&HeaderValue>, _name: &str) -> Result<Self, HttpError> {
        Ok(Text(value.and_then(|v| v.to_str().ok()).unwrap_or("").to_owned()))
    }
}

impl FromCookie for Text {
    fn from_cookie(value: Option<&str>, _name: &str) -> Result<Self, HttpError> {
        Ok(Text(value.unwrap_or("").to_owned()))
    }
}

impl FromLastEventId for Text {
    fn from_last_event_id(value: Option<&HeaderValue>) -> Result<Self, HttpError> {
        Ok(Text(value.and_then(|v| v.to_str().ok()).unwrap_or("").to_owned()))
    }
}

#[derive(Default)]
pub struct OwnController;

#[controller("own")]
impl OwnController {
    #[get(":id")]
    fn all(
        &self,
        #[param("id")] id: Text,
        #[query("q")] q: Text,
        #[query("maybe")] maybe: Option<Text>,
        #[query] query: Text,
        #[header("x-a")] a: Text,
        #[header("x-b")] b: Option<Text>,
        #[cookie("c")] c: Option<Text>,
    ) -> String {
        let _ = (maybe, b, c);
        [id.0, q.0, query.0, a.0].join(",")
    }

    #[sse("events")]
    fn events(&self, #[last_event_id] after: Option<Text>) -> impl Stream<Item = MessageEvent> + Send + 'static {
        let _ = after;
        stream::empty()
    }
}

fn main() {}
