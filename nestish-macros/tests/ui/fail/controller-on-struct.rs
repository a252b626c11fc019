use nestish_core::controller;

#[controller]
pub struct AppController;

fn main() {}
