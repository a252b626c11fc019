//! Schemas nestish writes itself: its error body, and a parameter's schema without `null`.

use schemars::{Schema, json_schema};

/// The name of NestJS's error body among the document's schemas.
pub(crate) const ERROR_BODY: &str = "HttpErrorBody";

/// NestJS's error body, as every [`HttpError`](crate::HttpError) writes it:
/// `{"statusCode":404,"message":"...","error":"Not Found"}`, with `message` a list of every
/// failure for a validation error.
pub(crate) fn error_body() -> Schema {
    json_schema!({
        "type": "object",
        "description": "NestJS's error body",
        "properties": {
            "statusCode": { "type": "integer", "minimum": 100, "maximum": 599 },
            "message": {
                "description": "why; one line per failure for a validation error",
                "anyOf": [
                    { "type": "string" },
                    { "type": "array", "items": { "type": "string" } }
                ]
            },
            "error": { "type": "string", "description": "the status's reason phrase" }
        },
        "required": ["statusCode", "message", "error"]
    })
}

/// A reference to the error body.
pub(crate) fn error_ref() -> Schema {
    Schema::new_ref(format!("#/components/schemas/{ERROR_BODY}"))
}

/// `schema` without `null` among its values: what an `Option<T>` parameter holds when present
/// (schemars writes `Option<T>` as `T` or `null`: `"type": ["integer", "null"]`, or an `anyOf`
/// with a `null` branch).
pub(crate) fn without_null(mut schema: Schema) -> Schema {
    let Some(object) = schema.as_object_mut() else {
        return schema;
    };
    if let Some(serde_json::Value::Array(types)) = object.get_mut("type") {
        types.retain(|t| t != "null");
        if let [only] = types.as_slice() {
            let only = only.clone();
            object.insert("type".into(), only);
        }
        return schema;
    }
    let is_null = |branch: &serde_json::Value| branch.get("type").is_some_and(|t| t == "null");
    let rest: Vec<_> = match object.get("anyOf") {
        Some(serde_json::Value::Array(branches)) if branches.iter().any(is_null) => {
            branches.iter().filter(|b| !is_null(b)).cloned().collect()
        }
        _ => return schema,
    };
    match rest.as_slice() {
        [only] if object.len() == 1 => Schema::try_from(only.clone()).unwrap_or(schema),
        _ => {
            object.insert("anyOf".into(), serde_json::Value::Array(rest));
            schema
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_optional_values_null_is_taken_out() {
        let mut generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
        let number = without_null(generator.subschema_for::<Option<u32>>());
        assert_eq!(number.get("type"), Some(&serde_json::json!("integer")));
        let text = without_null(generator.subschema_for::<Option<String>>());
        assert_eq!(text.as_value(), &serde_json::json!({ "type": "string" }));
    }
}
