//! The documentation page: Swagger UI (npm `swagger-ui-dist` 5.35.0: `swagger-ui-bundle.js`,
//! 1.7 MB, and `swagger-ui.css`, 188 kB, Apache-2.0, in `src/openapi/swagger-ui/` with their
//! licence), compiled into the binary and served by the app, so the page works offline and
//! loads nothing from a CDN.

use bytes::Bytes;

use crate::routing::builtin::Document;

const BUNDLE: &[u8] = include_bytes!("../openapi/swagger-ui/swagger-ui-bundle.js");
const STYLE: &[u8] = include_bytes!("../openapi/swagger-ui/swagger-ui.css");

/// The page at `path`, reading the document at `json`, and its two assets beside it.
pub(super) fn documents(path: &str, json: &str, title: &str) -> Vec<Document> {
    let base = path.trim_end_matches('/');
    let script = format!("{base}/swagger-ui-bundle.js");
    let style = format!("{base}/swagger-ui.css");
    // The validator badge would ask validator.swagger.io about the document: not from here.
    let page = format!(
        r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="stylesheet" href="{style}">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{script}"></script>
<script>
window.ui = SwaggerUIBundle({{ url: {json}, dom_id: "#swagger-ui", validatorUrl: null }});
</script>
</body>
</html>
"##,
        title = html_escape(title),
        json = serde_json::Value::from(json),
    );
    vec![
        Document::new(path, "text/html; charset=utf-8", Bytes::from(page)),
        Document::new(
            &script,
            "text/javascript; charset=utf-8",
            Bytes::from_static(BUNDLE),
        ),
        Document::new(&style, "text/css; charset=utf-8", Bytes::from_static(STYLE)),
    ]
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
