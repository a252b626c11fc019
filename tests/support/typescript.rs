//! Generated TypeScript clients, compiled by `tsc --strict` (npm) and run by Node.js: a scratch
//! folder that sees `tests/clients/node_modules` (for `eventsource-parser`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use super::tools;

/// A folder for one program: the generated client, the program using it, and the npm packages
/// of `tests/clients` (for `eventsource-parser`).
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nestish-ts-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    std::os::unix::fs::symlink(
        tools::clients_dir().join("node_modules"),
        dir.join("node_modules"),
    )
    .expect("node_modules linked");
    std::fs::write(dir.join("package.json"), r#"{ "type": "commonjs" }"#)
        .expect("package.json is written");
    dir
}

/// `tsc --strict` on the files of `dir`, emitting JavaScript to `dir/out` (`--noEmit` when
/// `emit` is false); its report on failure.
pub async fn tsc(tsc: &Path, dir: &Path, files: &[&str], emit: bool) -> Result<(), String> {
    let mut command = tokio::process::Command::new(tsc);
    command
        .args(["--strict", "--target", "es2022", "--module", "nodenext"])
        .args(["--lib", "es2022,dom,dom.iterable"]);
    if emit {
        command.args(["--outDir", "out"]);
    } else {
        command.arg("--noEmit");
    }
    let output = command
        .args(files)
        .current_dir(dir)
        .kill_on_drop(true)
        .output()
        .await
        .expect("tsc runs");
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// Compiles `client` and the program `check` (a file of `tests/typescript`) with `tsc --strict`;
/// the folder and a Node.js command that runs it there with `env`. `None` without tsc or Node.
pub async fn compile_check(
    name: &str,
    client: &str,
    check: &str,
    env: &[(&str, String)],
) -> Option<(PathBuf, tokio::process::Command)> {
    let (Some(tsc_path), Some(node)) = (tools::npm_program("tsc"), tools::npm_program("node"))
    else {
        return None;
    };
    let dir = scratch(name);
    std::fs::write(dir.join("client.ts"), client).expect("the client is written");
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/typescript")
        .join(check);
    std::fs::copy(&source, dir.join("check.ts")).expect("the program is copied");
    if let Err(report) = tsc(&tsc_path, &dir, &["client.ts", "check.ts"], true).await {
        panic!("tsc --strict {check}:\n{report}");
    }
    let mut command = tokio::process::Command::new(node);
    command
        .arg("out/check.js")
        .current_dir(&dir)
        .kill_on_drop(true);
    for (key, value) in env {
        command.env(key, value);
    }
    Some((dir, command))
}

/// Compiles and runs the program `check` against `client` (see [`compile_check`]); the JSON it
/// prints.
pub async fn run_check(
    name: &str,
    client: &str,
    check: &str,
    env: &[(&str, String)],
) -> Option<Value> {
    let (dir, mut command) = compile_check(name, client, check, env).await?;
    let output = tokio::time::timeout(Duration::from_secs(60), command.output())
        .await
        .expect("the program ends within a minute")
        .expect("node runs");
    assert!(
        output.status.success(),
        "node {check}:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
    Some(serde_json::from_slice(&output.stdout).expect("the program prints JSON"))
}
