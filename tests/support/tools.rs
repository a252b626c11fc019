//! External programs the client tests drive (Node.js, Chromium): found, or skipped outside CI.

use std::path::Path;

/// Whether `program` can be run. When it cannot, the test is skipped with a message, except
/// under CI (`CI=true`), where `.ci/run` installs it and a missing program is a failure.
pub fn available(program: &str) -> bool {
    let found = std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| Path::new(&dir).join(program).is_file())
    });
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{program} is missing under CI: .ci/run must install it"
        );
        eprintln!("skipped: {program} is not installed (`.ci/run` installs it)");
    }
    found
}
