//! Arguments without an attribute (`Guarded<T>`, a type of one's own) and `#[cookie]`, over a
//! real socket.

use nestish_core::extract::CustomArgument;
use nestish_core::testing::Test;
use nestish_core::{
    Guard, GuardRequest, Guarded, HttpError, RequestParts, StatusCode, controller, get, use_guards,
};

#[derive(Clone, Debug, PartialEq)]
pub struct User {
    pub name: String,
}

/// Lets in the request whose `user` cookie names someone, storing who.
pub struct UserGuard;

impl Guard for UserGuard {
    async fn can_activate(&self, request: &mut GuardRequest<'_>) -> Result<(), HttpError> {
        let name = request
            .cookie("user")
            .ok_or_else(|| HttpError::unauthorized("who are you?"))?
            .to_owned();
        request.insert(User { name });
        Ok(())
    }
}

/// The page size a client asks for in `x-page-size`, 10 by default, at most 100.
pub struct PageSize(usize);

impl CustomArgument for PageSize {
    fn from_parts(parts: &RequestParts) -> Result<Self, HttpError> {
        let Some(value) = parts.headers.get("x-page-size") else {
            return Ok(Self(10));
        };
        match value.to_str().ok().and_then(|v| v.parse().ok()) {
            Some(size) if size <= 100 => Ok(Self(size)),
            _ => Err(HttpError::bad_request("x-page-size is a number up to 100")),
        }
    }
}

#[derive(Default)]
pub struct ProfileController;

#[controller("profile")]
impl ProfileController {
    #[get("me")]
    #[use_guards(UserGuard)]
    fn me(&self, user: Guarded<User>, page: PageSize) -> String {
        format!("{} {}", user.name, page.0)
    }

    /// Reads a `Guarded<User>` with no guard to store one: the app's mistake.
    #[get("forgot-the-guard")]
    fn forgot(&self, user: Guarded<User>) -> String {
        user.name.clone()
    }

    #[get("theme")]
    fn theme(
        &self,
        #[cookie("theme")] theme: Option<String>,
        #[cookie("visits")] visits: u32,
    ) -> String {
        format!("{} {visits}", theme.as_deref().unwrap_or("light"))
    }
}

async fn app() -> nestish_core::testing::TestApp {
    Test::create_testing_module()
        .controllers::<(ProfileController,)>()
        .provide(UserGuard)
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_handler_reads_what_its_guard_stored_and_its_own_argument_types() {
    let app = app().await;
    assert_eq!(
        app.get("/profile/me").cookie("user", "ada").await.text(),
        "ada 10"
    );
    let custom = app
        .get("/profile/me")
        .cookie("user", "ada")
        .header("x-page-size", "25")
        .await;
    assert_eq!(custom.text(), "ada 25");
    app.get("/profile/me")
        .cookie("user", "ada")
        .header("x-page-size", "1000")
        .await
        .assert_error(StatusCode::BAD_REQUEST, "x-page-size is a number up to 100");
    app.get("/profile/me")
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "who are you?");
}

#[tokio::test]
async fn reading_a_guarded_value_no_guard_stored_is_a_500_not_a_panic() {
    let app = app().await;
    app.get("/profile/forgot-the-guard")
        .cookie("user", "ada")
        .await
        .assert_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error");
    // The server goes on serving.
    assert_eq!(
        app.get("/profile/me").cookie("user", "bo").await.text(),
        "bo 10"
    );
}

#[tokio::test]
async fn cookies_are_read_by_name_required_or_optional() {
    let app = app().await;
    let both = app
        .get("/profile/theme")
        .header("cookie", "theme=dark; visits=3")
        .await;
    assert_eq!(both.text(), "dark 3");
    assert_eq!(
        app.get("/profile/theme").cookie("visits", "1").await.text(),
        "light 1"
    );
    app.get("/profile/theme")
        .await
        .assert_error(StatusCode::BAD_REQUEST, "cookie \"visits\" is required");
    let bad = app.get("/profile/theme").cookie("visits", "many").await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert!(
        bad.text().contains("cookie \\\"visits\\\" is invalid"),
        "{}",
        bad.text()
    );
}
