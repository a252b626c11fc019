//! [`OpenApi`]: what [`AppBuilder::openapi`](crate::AppBuilder::openapi) is given.

/// The document's title and version, and where the app serves it.
///
/// ```
/// use nestish_core::openapi::OpenApi;
///
/// let openapi = OpenApi::new("Chat", "1.0.0")
///     .description("Rooms and their messages, live")
///     .docs_path("/api-docs");
/// let builder = nestish_core::NestFactory::create().openapi(openapi);
/// # let _ = builder;
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct OpenApi {
    pub(crate) title: String,
    pub(crate) version: String,
    pub(crate) description: Option<String>,
    pub(crate) json_path: String,
    pub(crate) json_31_path: String,
    pub(crate) docs_path: Option<String>,
}

impl OpenApi {
    /// A document of `title` (`info.title`) at `version` (`info.version`: the API's, not
    /// OpenAPI's), served at `/openapi.json`, `/openapi-3.1.json` and `/docs`.
    pub fn new(title: impl Into<String>, version: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            version: version.into(),
            description: None,
            json_path: "/openapi.json".to_owned(),
            json_31_path: "/openapi-3.1.json".to_owned(),
            docs_path: Some("/docs".to_owned()),
        }
    }

    /// `info.description` (Markdown).
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Where the OpenAPI 3.2 document is served (`/openapi.json`); a leading `/` is implied.
    pub fn json_path(mut self, path: &str) -> Self {
        self.json_path = absolute(path);
        self
    }

    /// Where its OpenAPI 3.1 form is served (`/openapi-3.1.json`); a leading `/` is implied.
    pub fn json_31_path(mut self, path: &str) -> Self {
        self.json_31_path = absolute(path);
        self
    }

    /// Where the documentation page is served (`/docs`); a leading `/` is implied.
    pub fn docs_path(mut self, path: &str) -> Self {
        self.docs_path = Some(absolute(path));
        self
    }

    /// Serves no documentation page, only the documents.
    pub fn without_docs(mut self) -> Self {
        self.docs_path = None;
        self
    }
}

/// `path` with one leading `/`: a request's path always has one.
fn absolute(path: &str) -> String {
    format!("/{}", path.trim_start_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::OpenApi;

    #[test]
    fn paths_are_absolute_whatever_was_given() {
        let openapi = OpenApi::new("t", "1")
            .json_path("api.json")
            .docs_path("//docs");
        assert_eq!(openapi.json_path, "/api.json");
        assert_eq!(openapi.docs_path.as_deref(), Some("/docs"));
    }
}
