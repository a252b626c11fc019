//! JSON Schema 2020-12, as schemars writes it, to TypeScript types.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// The TypeScript names of the document's schemas, by their names in `components.schemas`.
pub(super) struct Names(BTreeMap<String, String>);

impl Names {
    /// A TypeScript identifier for each schema name, distinct from one another and from `taken`.
    pub(super) fn new<'a>(schemas: impl Iterator<Item = &'a String>, taken: &[&str]) -> Self {
        let mut names = BTreeMap::new();
        let mut used: Vec<String> = taken.iter().map(|t| (*t).to_owned()).collect();
        for schema in schemas {
            let name = unique(pascal(schema), &used);
            used.push(name.clone());
            names.insert(schema.clone(), name);
        }
        Self(names)
    }

    /// The TypeScript name of the schema named `schema`.
    pub(super) fn get(&self, schema: &str) -> Option<&str> {
        self.0.get(schema).map(String::as_str)
    }
}

/// `base`, or `base2`, `base3`... the first not in `used`.
pub(super) fn unique(base: String, used: &[String]) -> String {
    if !used.contains(&base) {
        return base;
    }
    (2..)
        .map(|n| format!("{base}{n}"))
        .find(|name| !used.contains(name))
        .unwrap_or(base)
}

/// `name` as a PascalCase identifier: letters and digits kept, every other character a word break.
pub(super) fn pascal(name: &str) -> String {
    let mut out = String::new();
    for word in name.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// `name` as a camelCase identifier.
pub(super) fn camel(name: &str) -> String {
    let pascal = pascal(name);
    let mut chars = pascal.chars();
    match chars.next() {
        Some('_') => pascal,
        Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
        None => pascal,
    }
}

/// A property key: bare where it is an identifier, else a string literal.
pub(super) fn key(name: &str) -> String {
    let identifier = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if identifier {
        name.to_owned()
    } else {
        literal(&Value::String(name.to_owned()))
    }
}

/// A JSON value as a TypeScript literal type.
pub(super) fn literal(value: &Value) -> String {
    match value {
        Value::Array(_) | Value::Object(_) => "unknown".to_owned(),
        // JSON's string escapes are TypeScript's.
        other => other.to_string(),
    }
}

/// A doc comment of `text` at `indent`, or nothing.
pub(super) fn doc(text: Option<&str>, indent: &str) -> String {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return String::new();
    };
    let text = text.replace("*/", "*\\/");
    let mut out = format!("{indent}/**\n");
    for line in text.lines() {
        if line.trim().is_empty() {
            out.push_str(&format!("{indent} *\n"));
        } else {
            out.push_str(&format!("{indent} * {line}\n"));
        }
    }
    out.push_str(&format!("{indent} */\n"));
    out
}

/// The TypeScript type of `schema`, written at nesting `depth` (for indentation).
pub(super) fn ts(schema: &Value, names: &Names, depth: usize) -> String {
    match schema {
        Value::Bool(true) => "unknown".to_owned(),
        Value::Bool(false) => "never".to_owned(),
        Value::Object(object) => object_type(object, names, depth),
        _ => "unknown".to_owned(),
    }
}

fn object_type(schema: &Map<String, Value>, names: &Names, depth: usize) -> String {
    if let Some(Value::String(reference)) = schema.get("$ref") {
        return reference
            .strip_prefix("#/components/schemas/")
            .and_then(|name| names.get(name))
            .map_or_else(|| "unknown".to_owned(), str::to_owned);
    }
    if let Some(value) = schema.get("const") {
        return literal(value);
    }
    if let Some(Value::Array(values)) = schema.get("enum") {
        return union(values.iter().map(literal));
    }
    let mut parts = Vec::new();
    for (keyword, joined) in [("oneOf", true), ("anyOf", true), ("allOf", false)] {
        if let Some(Value::Array(branches)) = schema.get(keyword) {
            let types = branches.iter().map(|b| ts(b, names, depth));
            parts.push(if joined {
                union(types)
            } else {
                intersection(types)
            });
        }
    }
    let own = own_type(schema, names, depth);
    match (own, parts.is_empty()) {
        (Some(own), true) => own,
        (Some(own), false) => {
            parts.insert(0, own);
            intersection(parts.into_iter())
        }
        (None, true) => "unknown".to_owned(),
        (None, false) => intersection(parts.into_iter()),
    }
}

/// The type the schema's `type` (and object keywords) say, if they say one.
fn own_type(schema: &Map<String, Value>, names: &Names, depth: usize) -> Option<String> {
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ if schema.contains_key("properties") || schema.contains_key("additionalProperties") => {
            vec!["object"]
        }
        _ if schema.contains_key("items") || schema.contains_key("prefixItems") => vec!["array"],
        _ => return None,
    };
    Some(union(types.into_iter().map(|t| match t {
        "null" => "null".to_owned(),
        "boolean" => "boolean".to_owned(),
        // An integer's range (u64, i128...) is still a JSON number to JavaScript.
        "integer" | "number" => "number".to_owned(),
        "string" => "string".to_owned(),
        "array" => array(schema, names, depth),
        "object" => object(schema, names, depth),
        _ => "unknown".to_owned(),
    })))
}

fn array(schema: &Map<String, Value>, names: &Names, depth: usize) -> String {
    if let Some(Value::Array(prefix)) = schema.get("prefixItems") {
        let items: Vec<String> = prefix.iter().map(|p| ts(p, names, depth)).collect();
        let rest = match schema.get("items") {
            Some(Value::Bool(false)) | None => String::new(),
            Some(rest) => format!(", ...{}[]", grouped(ts(rest, names, depth))),
        };
        return format!("[{}{rest}]", items.join(", "));
    }
    match schema.get("items") {
        Some(items) => format!("{}[]", grouped(ts(items, names, depth))),
        None => "unknown[]".to_owned(),
    }
}

fn object(schema: &Map<String, Value>, names: &Names, depth: usize) -> String {
    let required: Vec<&str> = match schema.get("required") {
        Some(Value::Array(names)) => names.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let extra = match schema.get("additionalProperties") {
        Some(Value::Bool(false)) => None,
        Some(Value::Bool(true)) | None => Some("unknown".to_owned()),
        Some(values) => Some(ts(values, names, depth + 1)),
    };
    let properties = match schema.get("properties") {
        Some(Value::Object(properties)) if !properties.is_empty() => properties,
        _ => {
            return match extra {
                Some(values) => format!("Record<string, {values}>"),
                // No property, none other allowed: the empty object.
                None => "Record<string, never>".to_owned(),
            };
        }
    };
    let inner = "  ".repeat(depth + 1);
    let mut out = String::from("{\n");
    for (name, property) in properties {
        let description = property.get("description").and_then(Value::as_str);
        out.push_str(&doc(description, &inner));
        let optional = if required.contains(&name.as_str()) {
            ""
        } else {
            "?"
        };
        out.push_str(&format!(
            "{inner}{}{optional}: {};\n",
            key(name),
            ts(property, names, depth + 1)
        ));
    }
    out.push_str(&"  ".repeat(depth));
    out.push('}');
    // Fields beside a map of others (serde's `flatten` of a map): both, as an intersection,
    // since an index signature must hold every field's type.
    match (schema.get("additionalProperties"), extra) {
        (Some(Value::Object(_)), Some(values)) => format!("{out} & Record<string, {values}>"),
        _ => out,
    }
}

fn union(types: impl Iterator<Item = String>) -> String {
    join(types, " | ", "never")
}

fn intersection(types: impl Iterator<Item = String>) -> String {
    join(types, " & ", "unknown")
}

fn join(types: impl Iterator<Item = String>, by: &str, empty: &str) -> String {
    let mut seen: Vec<String> = Vec::new();
    for one in types {
        if !seen.contains(&one) {
            seen.push(one);
        }
    }
    match seen.len() {
        0 => empty.to_owned(),
        1 => seen.remove(0),
        _ => seen.into_iter().map(grouped).collect::<Vec<_>>().join(by),
    }
}

/// `ty` in parentheses where it is a union or an intersection, so that `[]`, `|` or `&` binds
/// to all of it.
fn grouped(ty: String) -> String {
    let mut depth = 0i32;
    let mut top_level_operator = false;
    let mut in_string = false;
    let mut previous = ' ';
    for c in ty.chars() {
        match c {
            '"' if previous != '\\' => in_string = !in_string,
            _ if in_string => {}
            '{' | '(' | '[' | '<' => depth += 1,
            '}' | ')' | ']' | '>' => depth -= 1,
            '|' | '&' if depth == 0 => top_level_operator = true,
            _ => {}
        }
        previous = c;
    }
    if top_level_operator {
        format!("({ty})")
    } else {
        ty
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn names() -> Names {
        Names::new(["Step".to_owned()].iter(), &[])
    }

    #[test]
    fn schemas_become_typescript_types() {
        let names = names();
        let cases = [
            (json!({ "type": "integer", "maximum": 5 }), "number"),
            (json!({ "type": ["integer", "null"] }), "number | null"),
            (json!({ "$ref": "#/components/schemas/Step" }), "Step"),
            (json!({ "enum": ["a", 1] }), "\"a\" | 1"),
            (json!({ "const": "done" }), "\"done\""),
            (
                json!({ "type": "array", "items": { "anyOf": [{ "type": "string" }, { "type": "null" }] } }),
                "(string | null)[]",
            ),
            (
                json!({ "type": "object", "additionalProperties": { "type": "boolean" } }),
                "Record<string, boolean>",
            ),
            (
                json!({ "type": "object", "properties": { "a-b": { "type": "string" }, "c": { "type": "boolean" } }, "required": ["c"] }),
                "{\n  \"a-b\"?: string;\n  c: boolean;\n}",
            ),
            (
                json!({ "type": "array", "prefixItems": [{ "type": "string" }, { "type": "integer" }], "items": false }),
                "[string, number]",
            ),
            (json!(true), "unknown"),
            (json!({}), "unknown"),
        ];
        for (schema, expected) in cases {
            assert_eq!(ts(&schema, &names, 0), expected, "{schema}");
        }
    }

    #[test]
    fn names_are_identifiers_and_distinct() {
        let names = Names::new(
            ["Page_for_Step".to_owned(), "PageForStep".to_owned()].iter(),
            &["Result"],
        );
        assert_eq!(names.get("Page_for_Step"), Some("PageForStep"));
        assert_eq!(names.get("PageForStep"), Some("PageForStep2"));
        let result = Names::new(["Result".to_owned()].iter(), &["Result"]);
        assert_eq!(result.get("Result"), Some("Result2"));
        assert_eq!(camel("ChatController"), "chatController");
        assert_eq!(key("Last-Event-ID"), "\"Last-Event-ID\"");
    }
}
