//! Pipes: `Valid<T>` arguments answer NestJS's ValidationPipe body, every error with its field
//! path, serde's own errors too, and never the client's long values.

use nestish_core::testing::Test;
use nestish_core::{Json, StatusCode, Valid, controller, get, post};

#[derive(serde::Deserialize, garde::Validate, schemars::JsonSchema)]
pub struct Conversation {
    #[garde(length(min = 1))]
    pub title: String,
    #[garde(length(max = 3), dive)]
    pub messages: Vec<Message>,
}

#[derive(serde::Deserialize, garde::Validate, schemars::JsonSchema)]
pub struct Message {
    #[garde(skip)]
    #[expect(dead_code, reason = "deserialised and documented, never read")]
    pub role: Role,
    #[garde(length(min = 1, max = 200))]
    pub text: String,
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
}

#[derive(serde::Deserialize, garde::Validate, schemars::JsonSchema)]
pub struct Page {
    #[garde(range(min = 1, max = 50))]
    pub size: u32,
}

#[derive(Default)]
pub struct ConversationsController;

#[controller("conversations")]
impl ConversationsController {
    #[post]
    fn create(&self, #[body] conversation: Valid<Json<Conversation>>) -> String {
        format!(
            "{}: {} messages",
            conversation.title,
            conversation.messages.len()
        )
    }

    #[get]
    fn list(&self, #[query] page: Valid<Page>) -> String {
        format!("{} per page", page.size)
    }
}

async fn app() -> nestish_core::testing::TestApp {
    Test::create_testing_module()
        .controllers::<(ConversationsController,)>()
        .start()
        .await
        .unwrap()
}

fn messages(response: &nestish_core::testing::TestResponse) -> Vec<String> {
    assert_eq!(
        response.status(),
        StatusCode::BAD_REQUEST,
        "{}",
        response.text()
    );
    let body: serde_json::Value = response.json();
    assert_eq!(body["statusCode"], 400);
    assert_eq!(body["error"], "Bad Request");
    serde_json::from_value(body["message"].clone()).expect("an array of messages")
}

#[tokio::test]
async fn a_valid_body_and_query_reach_the_handler() {
    let app = app().await;
    let created = app
        .post("/conversations")
        .json(&serde_json::json!({
            "title": "plans",
            "messages": [{"role": "user", "text": "hi"}],
        }))
        .await;
    assert_eq!(created.text(), "plans: 1 messages");
    assert_eq!(
        app.get("/conversations?size=20").await.text(),
        "20 per page"
    );
}

#[tokio::test]
async fn every_rule_broken_is_one_message_with_its_field_path() {
    let app = app().await;
    let refused = app
        .post("/conversations")
        .json(&serde_json::json!({
            "title": "",
            "messages": [
                {"role": "user", "text": "fine"},
                {"role": "assistant", "text": ""},
            ],
        }))
        .await;
    let mut all = messages(&refused);
    all.sort();
    assert_eq!(all.len(), 2, "{all:?}");
    assert!(all[0].starts_with("messages[1].text: "), "{all:?}");
    assert!(all[1].starts_with("title: "), "{all:?}");
}

#[tokio::test]
async fn serdes_own_error_comes_with_its_path_and_a_short_echo() {
    let app = app().await;
    let long_role = "r".repeat(5_000);
    let refused = app
        .post("/conversations")
        .json(&serde_json::json!({
            "title": "t",
            "messages": [{"role": "user", "text": "a"}, {"role": long_role, "text": "b"}],
        }))
        .await;
    let all = messages(&refused);
    assert_eq!(all.len(), 1, "{all:?}");
    assert!(
        all[0].starts_with("messages[1].role: unknown variant `rrrr"),
        "{all:?}"
    );
    assert!(
        all[0].len() < 200,
        "the client's value is not echoed whole: {all:?}"
    );
}

#[tokio::test]
async fn a_query_is_validated_the_same_way() {
    let app = app().await;
    let too_big = messages(&app.get("/conversations?size=500").await);
    assert_eq!(too_big.len(), 1);
    assert!(too_big[0].starts_with("size: "), "{too_big:?}");
    let not_a_number = messages(&app.get("/conversations?size=many").await);
    assert!(
        not_a_number[0].contains("invalid digit"),
        "{not_a_number:?}"
    );
}
