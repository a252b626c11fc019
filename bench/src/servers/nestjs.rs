//! NestJS 11 on Node.js, the optional fifth server: `@Sse()` routes in plain JavaScript
//! (`nestjs/main.js`, decorators applied with `Reflect.decorate`), on the Express adapter.
//!
//! It runs only when `node` and `npm` are on `PATH`. Its npm packages are installed, once, into
//! a cache directory outside the repository (`$TMPDIR/nestish-bench-nestjs`); the harness
//! starts `taskset -c 0 node main.js ...` there, so the measured pid is node's own.

use std::io;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use super::Config;

const MAIN_JS: &str = include_str!("../../nestjs/main.js");
const PACKAGE_JSON: &str = include_str!("../../nestjs/package.json");

/// The prepared directory, once [`prepare`] succeeded.
static DIR: OnceLock<PathBuf> = OnceLock::new();

/// What [`prepare`] found, for the notes under the table.
pub(crate) struct Installed {
    pub node: String,
    pub nestjs: String,
}

fn cache_dir() -> PathBuf {
    std::env::temp_dir().join("nestish-bench-nestjs")
}

/// `program --version`, if it runs.
fn version(program: &str) -> Option<String> {
    let output = Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// Writes `text` to `path` unless it already holds it; returns whether it wrote.
fn write_if_changed(path: &Path, text: &str) -> io::Result<bool> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == text) {
        return Ok(false);
    }
    std::fs::write(path, text)?;
    Ok(true)
}

/// Checks for `node` and `npm`, writes the app into the cache directory and runs
/// `npm install` there when its `node_modules` is missing or `package.json` changed.
pub(crate) fn prepare() -> Result<Installed, String> {
    let node = version("node").ok_or("`node` is not on PATH")?;
    version("npm").ok_or("`npm` is not on PATH")?;
    let dir = cache_dir();
    let io = |error: io::Error| format!("{}: {error}", dir.display());
    std::fs::create_dir_all(&dir).map_err(io)?;
    write_if_changed(&dir.join("main.js"), MAIN_JS).map_err(io)?;
    let changed = write_if_changed(&dir.join("package.json"), PACKAGE_JSON).map_err(io)?;
    if changed || !dir.join("node_modules").is_dir() {
        eprintln!("nestjs: npm install in {}", dir.display());
        let status = Command::new("npm")
            .args(["install", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .status()
            .map_err(|error| format!("cannot run npm: {error}"))?;
        if !status.success() {
            // A half-installed tree would be taken as installed next time.
            let _ = std::fs::remove_dir_all(dir.join("node_modules"));
            return Err(format!("npm install failed ({status})"));
        }
    }
    let core = dir.join("node_modules/@nestjs/core/package.json");
    let nestjs = std::fs::read_to_string(&core)
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|json| json["version"].as_str().map(str::to_owned))
        .ok_or_else(|| format!("no version in {}", core.display()))?;
    let _ = DIR.set(dir);
    Ok(Installed { node, nestjs })
}

/// The command line that runs the app (`node main.js`), after a successful [`prepare`].
pub(crate) fn command() -> io::Result<(&'static str, Vec<String>)> {
    let dir = DIR
        .get()
        .ok_or_else(|| io::Error::other("nestjs is not installed (node/npm missing?)"))?;
    Ok(("node", vec![dir.join("main.js").display().to_string()]))
}

/// `server nestjs`: prepares the app and replaces this process with node.
pub(crate) fn serve(config: Config) -> io::Result<()> {
    prepare().map_err(io::Error::other)?;
    let (program, args) = command()?;
    let mut node = Command::new(program);
    node.args(args)
        .args(["--port", &config.port.to_string()])
        .args(["--tick-ms", &config.tick.as_millis().to_string()]);
    if let Some(period) = config.hub {
        node.args(["--hub-ms", &period.as_millis().to_string()]);
    }
    // Only returns if it failed.
    Err(node.exec())
}
