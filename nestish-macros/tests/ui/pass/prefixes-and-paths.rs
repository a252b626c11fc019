// Prefixes and paths in every spelling NestJS accepts; fully qualified attributes; every method.
use futures::stream::{self, Stream};
use nestish_core::{controller, delete, patch, put};

#[derive(Default)]
pub struct CatsController;

#[controller("/cats/")]
impl CatsController {
    #[nestish_core::get]
    fn all(&self) -> &'static str {
        "all"
    }

    #[nestish_core::get("/by-name/tom-%26-jerry/")]
    fn tom(&self) -> String {
        String::from("tom")
    }

    #[put("")]
    fn replace(&self) {}

    #[patch("/")]
    fn update(&self) {}

    #[delete("a/b.c/~d")]
    fn remove(&self) {}

    #[nestish_core::sse("live")]
    fn live(&self) -> impl Stream<Item = String> + Send + 'static {
        stream::iter(vec![String::from("meow")])
    }
}

#[derive(Default)]
pub struct Unit;

mod nested {
    #[nestish_core::controller("nested")]
    impl super::Unit {
        #[nestish_core::get]
        fn get(&self) -> &'static str {
            "nested"
        }
    }
}

fn main() {
    let _app = nestish_core::NestFactory::create().build().unwrap();
}
