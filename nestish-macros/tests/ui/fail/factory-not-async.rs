use nestish_core::NestFactory;

pub struct Pool;

fn main() {
    let _ = NestFactory::create().provide_factory(|| Pool);
}
