//! The sample's TypeScript client (`nestish_core::openapi::typescript`, as `sample-client` writes
//! it), checked by the official TypeScript compiler (`tsc --strict`, from npm) and used from
//! Node.js against the running sample: a chat message arrives, a job's progress resumes after a
//! forced reconnect with its last id, an assistant's token stream is read and cancelled.

mod sample_support;
mod support;

use nestish_core::openapi::typescript;
use std::time::Duration;

use support::tools;
use support::typescript::{run_check, scratch, tsc};

/// The sample's client, as `sample-client` writes it.
fn sample_client() -> String {
    let app = nestish_sample::app()
        .expect("the default users")
        .build()
        .expect("the sample builds");
    typescript(app.api().expect("the sample describes itself"))
}

#[tokio::test]
async fn the_samples_client_compiles_with_tsc_strict() {
    let client = sample_client();
    for export in [
        "export class ApiClient",
        "export type Step = {",
        "export type JobsProgressEvent =\n  | { event: \"message\"; data: Step; id: string };",
        "export type RunStatus = \"running\" | \"done\" | \"cancelled\" | \"too_large\" | \"failed\";",
        "jobsProgress(args: JobsProgressArgs, options?: SubscribeOptions): Subscription<JobsProgressEvent>",
        "chatPost(args: ChatPostArgs, options?: RequestOptions): Promise<Result<ChatPostAnswer, ChatPostError>>",
    ] {
        assert!(client.contains(export), "{export} in:\n{client}");
    }
    let Some(tsc_path) = tools::npm_program("tsc") else {
        return;
    };
    let dir = scratch("sample-tsc");
    std::fs::write(dir.join("client.ts"), &client).expect("the client is written");
    if let Err(report) = tsc(&tsc_path, &dir, &["client.ts"], false).await {
        panic!("tsc --strict --noEmit on the sample's client:\n{report}");
    }
    // tsc does fail on a type error in the same file: the check above is not vacuous.
    std::fs::write(
        dir.join("client.ts"),
        format!("{client}\nconst wrong: Step = {{ job: 1 }};\n"),
    )
    .expect("the client is written");
    let report = tsc(&tsc_path, &dir, &["client.ts"], false)
        .await
        .expect_err("a wrong Step does not compile");
    assert!(report.contains("client.ts"), "{report}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Where the sample's compiled client is checked in; the sample serves it at `/client.js`.
const SERVED_CLIENT: &str = "nestish-sample/src/client.js";

/// The command that writes [`SERVED_CLIENT`] again.
const REFRESH: &str = "NESTISH_BLESS=1 cargo test --test typescript_client the_served_client_is_the_samples_client_compiled";

/// `client.ts` of `dir` compiled to an ES module, `dir/out/client.js`, by the pinned `tsc`
/// (`tests/clients`' package-lock), with every option that shapes its output given here rather
/// than read from a tsconfig.json or package.json: the same file on every machine.
async fn compile_for_browsers(tsc_path: &std::path::Path, dir: &std::path::Path) -> String {
    let output = tokio::process::Command::new(tsc_path)
        .args(["--strict", "--target", "es2022", "--module", "es2022"])
        .args([
            "--moduleResolution",
            "bundler",
            "--lib",
            "es2022,dom,dom.iterable",
        ])
        .args([
            "--newLine",
            "lf",
            "--removeComments",
            "false",
            "--sourceMap",
            "false",
        ])
        .args(["--declaration", "false", "--outDir", "out", "client.ts"])
        .current_dir(dir)
        .kill_on_drop(true)
        .output()
        .await
        .expect("tsc runs");
    assert!(
        output.status.success(),
        "tsc on the sample's client:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let js = std::fs::read_to_string(dir.join("out/client.js")).expect("tsc wrote client.js");
    format!(
        "// The sample's TypeScript client compiled to JavaScript by tsc, served at /client.js.\n\
         // Do not edit: `{REFRESH}` writes it again.\n{js}"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_served_client_is_the_samples_client_compiled() {
    // Served as it is checked in, as JavaScript: a browser runs a module of no other type.
    let addr = support::start_with(nestish_sample::app().expect("the default users")).await;
    let (head, served) = support::get(addr, "/client.js").await;
    assert_eq!(head.status, 200);
    assert_eq!(
        head.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(served, nestish_sample::pages::CLIENT_JS);
    // ...and that file is the client of today's routes and runtime.
    let Some(tsc_path) = tools::npm_program("tsc") else {
        return;
    };
    let dir = scratch("sample-served");
    std::fs::write(dir.join("client.ts"), sample_client()).expect("the client is written");
    let compiled = compile_for_browsers(&tsc_path, &dir).await;
    let _ = std::fs::remove_dir_all(&dir);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(SERVED_CLIENT);
    if std::env::var_os("NESTISH_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &compiled).expect("the served client is written");
        return;
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    if checked_in != compiled {
        let line = checked_in
            .lines()
            .zip(compiled.lines())
            .position(|(old, new)| old != new)
            .unwrap_or_else(|| checked_in.lines().count().min(compiled.lines().count()));
        panic!(
            "{SERVED_CLIENT} is not the sample's client compiled today (first difference at \
             line {}): write it again with `{REFRESH}`",
            line + 1
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_uses_the_samples_client_against_the_running_sample() {
    let (addr, cookie) = sample_support::logged_in().await;
    let Some(summary) = run_check(
        "sample-node",
        &sample_client(),
        "sample_client_check.ts",
        &[("BASE_URL", format!("http://{addr}")), ("COOKIE", cookie)],
    )
    .await
    else {
        return;
    };
    // The chat: the message posted through the client came back on the stream, with its id;
    // a blank one was refused as a value carrying NestJS's error body.
    let chat = &summary["chat"];
    assert!(chat["id"].is_string(), "{chat}");
    assert_eq!(chat["refusal"]["statusCode"], 400, "{chat}");
    // The job: every step once, in order. The forced reconnect after step 2 resumed after it
    // (Last-Event-ID 2), the server's end of each 5-step connection was followed by one that
    // resumed after its last step, and the 204 after step 12 ended the subscription.
    let job = &summary["job"];
    let steps: Vec<(u64, Option<u64>)> =
        serde_json::from_value(job["steps"].clone()).expect("the steps");
    let mut expected = vec![(1, None), (2, None)];
    expected.extend((3..=7).map(|s| (s, Some(2))));
    expected.extend((8..=12).map(|s| (s, Some(7))));
    assert_eq!(steps, expected, "{job}");
    assert_eq!(job["connections"], 4, "three streams and the 204: {job}");
    assert_eq!(job["lastEventId"], "12", "{job}");
    // Three connections opened (the 204 is not one), and each of them was lost to another:
    // the forced reconnect, then the server's end of two 5-step connections.
    assert_eq!(
        job["hooks"],
        serde_json::json!({ "opened": 3, "reconnecting": 3 }),
        "{job}"
    );
    // After a connection the server ended, the client waited the server's `retry: 500`, not
    // its own 3 s default; after the forced reconnect it did not wait at all.
    let waited = job["waitedMs"]["8"]
        .as_u64()
        .expect("the wait before step 8");
    assert!((500..3000).contains(&waited), "{job}");
    // The assistant: three tokens read, then the stream left and the answer cancelled.
    let assistant = &summary["assistant"];
    assert_eq!(
        assistant["tokens"].as_array().map(Vec::len),
        Some(3),
        "{assistant}"
    );
    assert_eq!(assistant["connections"], 1, "{assistant}");
    assert_eq!(assistant["status"], "cancelled", "{assistant}");
    assert_eq!(assistant["refusedWith"], 404, "{assistant}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_resumes_with_its_last_id_after_its_connection_is_cut() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};

    let (addr, cookie) = sample_support::logged_in().await;
    // Both "instances" are the sample: moving to B cuts the open connections, as when an
    // instance vanishes, and the next connection reaches the same sample.
    let relay = support::balancer::Balancer::start(addr, addr).await;
    let Some((dir, mut command)) = support::typescript::compile_check(
        "sample-drop",
        &sample_client(),
        "sample_drop_check.ts",
        &[
            ("BASE_URL", format!("http://{}", relay.addr)),
            ("COOKIE", cookie),
        ],
    )
    .await
    else {
        return;
    };
    let mut node = command
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("node starts");
    let mut lines = tokio::io::BufReader::new(node.stdout.take().expect("stdout")).lines();
    let mut stdin = node.stdin.take().expect("stdin");
    let wait = Duration::from_secs(30);
    let first = tokio::time::timeout(wait, lines.next_line())
        .await
        .expect("node reads step 2")
        .expect("stdout");
    assert_eq!(first.as_deref(), Some("cut"));
    relay.move_to_b();
    stdin.write_all(b"go\n").await.expect("node is told");
    // Its end of the pipe closed, so that Node does not wait on it.
    drop(stdin);
    let last = tokio::time::timeout(wait, lines.next_line())
        .await
        .expect("node reads step 8")
        .expect("stdout")
        .expect("a summary");
    let status = tokio::time::timeout(wait, node.wait())
        .await
        .expect("node ends")
        .expect("node's status");
    assert!(status.success(), "{last}");
    let _ = std::fs::remove_dir_all(&dir);
    let summary: serde_json::Value = serde_json::from_str(&last).expect("JSON");
    let steps: Vec<(u64, Option<u64>)> =
        serde_json::from_value(summary["steps"].clone()).expect("the steps");
    // Every step once, in order, across the cut...
    assert_eq!(
        steps.iter().map(|s| s.0).collect::<Vec<_>>(),
        (1..=8).collect::<Vec<_>>(),
        "{summary}"
    );
    // ...and the connection after the cut resumed after the last step read before it (2, or
    // a step already on its way when the relay cut it).
    let resumed: Vec<u64> = steps.iter().filter_map(|s| s.1).collect();
    let first_resumed = *resumed.first().expect("a resumed connection");
    assert!((2..=5).contains(&first_resumed), "{summary}");
    assert_eq!(
        steps[first_resumed as usize].1,
        Some(first_resumed),
        "{summary}"
    );
    assert!(summary["connections"].as_u64() >= Some(2), "{summary}");
}
