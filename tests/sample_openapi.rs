//! The sample's OpenAPI document, checked by two tools nobody here wrote: `@redocly/cli lint`
//! (npm) finds no error in it, and `schemathesis` (PyPI) finds no failure against the running
//! sample, its SSE routes included (it reads each event stream and checks every event against
//! the route's `itemSchema`).

mod sample_support;
mod support;

use serde_json::Value;
use support::tools;

/// The document at `path`, saved in a folder of its own for the tools to read.
async fn saved(
    addr: std::net::SocketAddr,
    path: &str,
    dir: &std::path::Path,
) -> (Value, std::path::PathBuf) {
    let (head, body) = support::get(addr, path).await;
    assert_eq!(head.status, 200);
    let file = dir.join(path.trim_start_matches('/'));
    std::fs::write(&file, &body).expect("the document is written");
    (serde_json::from_str(&body).expect("JSON"), file)
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("nestish-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    dir
}

#[tokio::test]
async fn every_sse_route_of_the_sample_has_an_item_schema_and_redocly_finds_no_error() {
    let (addr, _) = sample_support::logged_in().await;
    let dir = scratch("sample-redocly");
    let (document, file) = saved(addr, "/openapi.json", &dir).await;
    assert_eq!(document["openapi"], "3.2.0");
    let mut streams = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("methods") {
            let Some(media) = operation["responses"]["200"]["content"].get("text/event-stream")
            else {
                continue;
            };
            assert!(
                media["itemSchema"]["oneOf"].is_array(),
                "{method} {path}: {media:#}"
            );
            streams.push(path.clone());
        }
    }
    for sample in [
        "/assistant/answers/{id}/events",
        "/chat/events",
        "/jobs/{name}/progress",
        "/notifications/events",
        "/sse",
    ] {
        assert!(
            streams.iter().any(|s| s == sample),
            "{sample} in {streams:?}"
        );
    }
    // The typed streams: a job's steps, `/sse`'s hello.
    let item = |path: &str| {
        document["paths"][path]["get"]["responses"]["200"]["content"]["text/event-stream"]
            ["itemSchema"]["oneOf"][0]
            .clone()
    };
    let step = item("/jobs/{name}/progress");
    // `message` goes without an `event:` line: the branch does not require one.
    assert_eq!(step["properties"]["event"]["const"], "message");
    assert_eq!(step["required"], serde_json::json!(["data", "id"]));
    assert_eq!(
        step["properties"]["data"]["contentSchema"]["$ref"],
        "#/components/schemas/Step"
    );
    assert_eq!(
        document["components"]["schemas"]["Step"]["required"],
        serde_json::json!(["job", "step", "of", "resumedAfter"])
    );
    let hello = item("/sse");
    assert_eq!(
        hello["properties"]["data"]["contentSchema"]["$ref"],
        "#/components/schemas/Hello"
    );
    // The chat's hub subscription: its messages (no `event:` name) and presence events.
    let message = item("/chat/events");
    assert_eq!(message["properties"]["event"]["const"], "message");
    assert_eq!(
        message["properties"]["data"]["contentSchema"]["$ref"],
        "#/components/schemas/ChatMessage"
    );
    let chat = &document["paths"]["/chat/events"]["get"]["responses"]["200"]["content"]["text/event-stream"]
        ["itemSchema"]["oneOf"];
    let names: Vec<&serde_json::Value> = chat
        .as_array()
        .expect("the chat's events")
        .iter()
        .map(|branch| &branch["properties"]["event"]["const"])
        .collect();
    assert_eq!(names, ["message", "join", "leave", "missed"]);
    // A user's notifications: the chat's messages that mention them, as `mention` events.
    let mention = item("/notifications/events");
    assert_eq!(mention["properties"]["event"]["const"], "mention");
    assert_eq!(
        mention["properties"]["data"]["contentSchema"]["$ref"],
        "#/components/schemas/ChatMessage"
    );
    let Some(redocly) = tools::npm_program("redocly") else {
        return;
    };
    let (_, file_31) = saved(addr, "/openapi-3.1.json", &dir).await;
    for file in [file, file_31] {
        let output = tokio::process::Command::new(&redocly)
            .arg("lint")
            .arg(&file)
            .env("REDOCLY_TELEMETRY", "off")
            .env("REDOCLY_SUPPRESS_UPDATE_NOTICE", "true")
            .current_dir(&dir)
            .output()
            .await
            .expect("redocly runs");
        assert!(
            output.status.success(),
            "redocly lint {}:\n{}{}",
            file.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Where serde and JSON Schema read a body differently, on the one operation whose body is all
/// numbers with defaults: JSON Schema counts `563.0` as an integer, serde_json does not read it
/// into a `u64` (a schema-valid body refused); serde reads a struct from a JSON array too, so
/// `[]` is the defaults (a schema-violating body accepted). The operation is tested with every
/// other check.
const FLOATS: &str = "[[operations]]
include-path = \"/assistant/answers\"
include-method = \"POST\"
checks.positive_data_acceptance.enabled = false
checks.negative_data_rejection.enabled = false
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_failure_against_the_running_sample() {
    if !tools::available("schemathesis") {
        return;
    }
    let (addr, cookie) = sample_support::logged_in().await;
    let dir = scratch("sample-schemathesis");
    let (_, file) = saved(addr, "/openapi.json", &dir).await;
    // Each event stream is read for two events (the sample's are endless); the session goes
    // where the document's `session` security scheme says (its cookie), so schemathesis knows
    // which requests carry it.
    let token = cookie.strip_prefix("session=").expect("session=<token>");
    let config = dir.join("schemathesis.toml");
    std::fs::write(
        &config,
        format!(
            "max-stream-events = 2\n\n[auth.openapi.session]\napi_key = \"{token}\"\n\n{FLOATS}"
        ),
    )
    .expect("the configuration is written");
    let output = tokio::process::Command::new("schemathesis")
        .arg("--config-file")
        .arg(&config)
        .arg("--no-color")
        .arg("run")
        .arg(&file)
        .arg("--url")
        .arg(format!("http://{addr}"))
        // Logging out would end the session the rest of the run uses.
        .args(["--exclude-path", "/logout"])
        // Every check (schemathesis's default), as the configuration narrows it.
        .args(["--max-examples", "10", "--request-timeout", "3"])
        .args(["--phases", "examples,coverage,fuzzing"])
        .arg("--seed=1")
        .current_dir(&dir)
        .output()
        .await
        .expect("schemathesis runs");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::write(
        std::env::temp_dir().join("nestish-schemathesis-report.txt"),
        &report,
    )
    .expect("the report is kept");
    assert!(output.status.success(), "schemathesis:\n{report}");
    // It tested every operation it selected (all but `/logout`), the event streams among them.
    let count = |label: &str| {
        let at = report
            .find(label)
            .unwrap_or_else(|| panic!("{label} in {report}"));
        report[at + label.len()..]
            .trim_start()
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or_else(|| panic!("a count after {label} in {report}"))
    };
    assert_eq!(count("Tested:"), count("Selected:"), "{report}");
    assert!(count("Tested:") >= 17, "{report}");
    let _ = std::fs::remove_dir_all(&dir);
}
