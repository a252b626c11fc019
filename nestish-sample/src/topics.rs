//! Who may read which hub topic: [`TopicsGuard`] grants a logged-in user the chat and their own
//! notifications, so the chat's and the notifications' streams subscribe through a
//! `GrantedHub` and cannot open another user's topic, whatever a request names.

use nestish_core::hub::TopicGrant;
use nestish_core::{Guard, GuardRequest, HttpError};

use crate::auth::User;
use crate::{chat, notifications};

/// Grants the user [`AuthGuard`](crate::auth::AuthGuard) let in the subscriptions they may
/// have: the chat's topic and their own notifications'. Name it after `AuthGuard`:
/// `#[use_guards(AuthGuard, TopicsGuard)]`.
pub struct TopicsGuard;

impl Guard for TopicsGuard {
    async fn can_activate(&self, request: &mut GuardRequest<'_>) -> Result<(), HttpError> {
        let Some(user) = request.get::<User>() else {
            tracing::error!(
                route = request.route(),
                "TopicsGuard runs after AuthGuard: #[use_guards(AuthGuard, TopicsGuard)]"
            );
            return Err(HttpError::internal());
        };
        let own = TopicGrant::subscribe(notifications::topic(&user.name));
        request.grant(TopicGrant::subscribe(chat::TOPIC));
        request.grant(own);
        Ok(())
    }
}
