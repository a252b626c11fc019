//! Writes the versioned name of `__private`, as thiserror does: the code `nestish-macros`
//! generates names `nestish_core::__private_<major>_<minor>_<patch>` of its own version, so a
//! macros crate and a runtime of different versions fail to compile at once, on that name.

use std::env;
use std::fs;
use std::path::PathBuf;

fn main() {
    let part = |name: &str| env::var(name).expect("cargo sets the package's version");
    let name = format!(
        "__private_{}_{}_{}",
        part("CARGO_PKG_VERSION_MAJOR"),
        part("CARGO_PKG_VERSION_MINOR"),
        part("CARGO_PKG_VERSION_PATCH"),
    );
    let module = format!(
        "/// Not public API: what the code `#[controller]` generates names.\n\
         #[doc(hidden)]\n\
         pub mod {name} {{\n    pub use crate::private::*;\n}}\n"
    );
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::write(out.join("private.rs"), module).expect("OUT_DIR is writable");
    println!("cargo:rerun-if-changed=build.rs");
}
