//! Validation, NestJS's `ValidationPipe`: a `Valid<Json<T>>` body or a `#[query] Valid<T>` is
//! checked with `T`'s garde rules before the handler runs, and refused with a 400 that names
//! every broken rule by its field path.
//!
//! ```sh
//! cargo run -p nestish-examples --bin validation
//! curl -H 'content-type: application/json' \
//!     -d '{"title":"","items":[{"name":"pen","quantity":0}]}' http://127.0.0.1:3000/orders
//! # {"statusCode":400,"message":["items[0].quantity: lower than 1","title: length is lower than 1"],...}
//! curl 'http://127.0.0.1:3000/orders?page=0'        # the query string, checked the same way
//! ```

use std::process::ExitCode;

use nestish_core::{Json, NestFactory, StatusCode, Valid, controller, get, post};

/// The body. serde's own errors (a missing field, a string for a number) are 400s with their
/// path too; garde's rules then check the values.
#[derive(serde::Deserialize, garde::Validate, schemars::JsonSchema)]
struct NewOrder {
    #[garde(length(chars, min = 1, max = 100))]
    title: String,
    // `dive` checks every item with its own rules: errors read `items[2].quantity`.
    #[garde(length(min = 1, max = 50), dive)]
    items: Vec<Item>,
}

#[derive(serde::Deserialize, garde::Validate, schemars::JsonSchema)]
struct Item {
    #[garde(length(chars, min = 1, max = 100))]
    name: String,
    #[garde(range(min = 1, max = 1000))]
    quantity: u32,
}

/// The whole query string as one struct: `?page=2&per_page=20`.
#[derive(serde::Deserialize, garde::Validate, schemars::JsonSchema)]
struct Page {
    #[garde(range(min = 1))]
    page: u32,
    #[serde(default = "per_page")]
    #[garde(range(min = 1, max = 100))]
    per_page: u32,
}

fn per_page() -> u32 {
    20
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct Created {
    items: usize,
}

#[derive(Default)]
struct OrdersController;

#[controller("orders")]
impl OrdersController {
    // The handler only ever sees a valid order: no checks to repeat here.
    #[post]
    fn create(&self, #[body] order: Valid<Json<NewOrder>>) -> (StatusCode, Json<Created>) {
        let Valid(Json(order)) = order;
        (
            StatusCode::CREATED,
            Json(Created {
                items: order.items.len(),
            }),
        )
    }

    #[get]
    fn list(&self, #[query] page: Valid<Page>) -> String {
        let Valid(Page { page, per_page }) = page;
        format!("page {page}, {per_page} per page")
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    nestish_examples::serve(NestFactory::create().build(), 3000).await
}
