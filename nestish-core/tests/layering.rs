//! The layers of `nestish-core`, as the comment at the top of `src/lib.rs` lists them, kept true:
//! a module that uses a module of its own line or of a line above fails this test, as does a
//! module the list forgets, and two files of one folder that use each other.
//!
//! Read from the sources as written: every `crate::` path outside comments and `#[cfg(test)]`
//! modules, with a name the crate root re-exports (`crate::{Error, HttpError}`) counted as a use
//! of the module that defines it.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Uses against the order, each with why it stays: reviewed, not discovered.
const EXCEPTIONS: &[(&str, &str, &str)] = &[
    (
        "error",
        "config",
        "the one start-up `Error` wraps the configuration's problems",
    ),
    (
        "error",
        "server",
        "the one start-up `Error` wraps TLS's errors",
    ),
    (
        "module",
        "app",
        "a module registers onto the `AppBuilder` it is imported into: one layer",
    ),
    (
        "app",
        "module",
        "the `AppBuilder` builds from a module's graph: one layer",
    ),
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The layers from the top, each the modules of one line of the comment.
fn layers(lib: &str) -> Vec<Vec<String>> {
    let start = lib
        .lines()
        .position(|line| line.contains("The layers, from the top"))
        .expect("src/lib.rs opens its code with the comment \"// The layers, from the top ...\"");
    lib.lines()
        .skip(start + 1)
        .skip_while(|line| !line.starts_with("//   "))
        .take_while(|line| line.starts_with("//   "))
        .map(|line| {
            line.trim_start_matches('/')
                .split(',')
                .map(|name| name.trim().to_owned())
                .collect()
        })
        .collect()
}

/// The crate's top-level modules, from their `mod` lines.
fn modules(lib: &str) -> BTreeSet<String> {
    lib.lines()
        .filter_map(|line| {
            let line = line.trim();
            let rest = line
                .strip_prefix("pub mod ")
                .or_else(|| line.strip_prefix("pub(crate) mod "))
                .or_else(|| line.strip_prefix("mod "))?;
            Some(rest.strip_suffix(';')?.to_owned())
        })
        .collect()
}

/// What the crate root re-exports from its modules: name → module.
fn root_names(lib: &str) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    let code = strip_comments(lib);
    for statement in code.split(';') {
        let Some(path) = statement.trim().strip_prefix("pub use ") else {
            continue;
        };
        let Some((module, rest)) = path.split_once("::") else {
            continue;
        };
        let inner = match rest.find('{') {
            Some(open) => rest[open + 1..].trim_end_matches('}'),
            None => rest,
        };
        for item in inner.split(',') {
            let name = item.split([' ', ':']).rfind(|w| !w.is_empty());
            if let Some(name) = name {
                names.insert(name.to_owned(), module.to_owned());
            }
        }
    }
    names
}

/// `text` without `//` comments (doc comments included) and without its `#[cfg(test)] mod
/// tests`, which may reach anywhere.
fn strip_comments(text: &str) -> String {
    let code = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    code.lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first names of every `crate::` path in `code`: `crate::a::b` → `a`,
/// `crate::{a::b, C}` → `a`, `C`.
fn crate_paths(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let end = group
                .char_indices()
                .find(|&(_, c)| {
                    depth += match c {
                        '{' => 1,
                        '}' => -1,
                        _ => 0,
                    };
                    depth == 0
                })
                .map_or(group.len(), |(i, _)| i);
            let mut depth = 0;
            let mut item_start = true;
            for c in group[..end].chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && (c.is_alphanumeric() || c == '_') => {
                        found.push(String::new());
                        item_start = false;
                        found.last_mut().unwrap().push(c);
                    }
                    c if !item_start
                        && depth == 0
                        && (c.is_alphanumeric() || c == '_')
                        && found.last().is_some_and(|name| !name.ends_with(' ')) =>
                    {
                        found.last_mut().unwrap().push(c);
                    }
                    _ if !item_start && depth == 0 => {
                        if let Some(name) = found.last_mut() {
                            if !name.ends_with(' ') {
                                name.push(' ');
                            }
                        }
                    }
                    _ => {}
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            found.push(name);
        }
    }
    found
        .into_iter()
        .map(|name| name.trim().to_owned())
        .collect()
}

fn rust_files(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("the sources are readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
}

#[test]
fn every_module_uses_only_the_layers_below_its_own() {
    let lib = fs::read_to_string(src().join("lib.rs")).expect("src/lib.rs");
    let layers = layers(&lib);
    let rank: BTreeMap<&str, usize> = layers
        .iter()
        .enumerate()
        .flat_map(|(i, line)| line.iter().map(move |name| (name.as_str(), i)))
        .collect();
    let modules = modules(&lib);
    let unlisted: Vec<_> = modules
        .iter()
        .filter(|m| !rank.contains_key(m.as_str()))
        .collect();
    assert!(
        unlisted.is_empty(),
        "modules missing from the layer list in src/lib.rs: {unlisted:?}"
    );
    let roots = root_names(&lib);

    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut problems = BTreeSet::new();
    for file in &files {
        let relative = file.strip_prefix(src()).unwrap();
        let Some(first) = relative.components().next() else {
            continue;
        };
        let from = first
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        if from == "lib" {
            continue;
        }
        let code = strip_comments(&fs::read_to_string(file).unwrap());
        for name in crate_paths(&code) {
            let to = if modules.contains(&name) {
                name.clone()
            } else if let Some(module) = roots.get(&name) {
                module.clone()
            } else {
                continue;
            };
            if to == from || !rank.contains_key(to.as_str()) {
                continue;
            }
            let excepted = EXCEPTIONS.iter().any(|&(a, b, _)| a == from && b == to);
            if rank[to.as_str()] <= rank[from.as_str()] && !excepted {
                problems.insert(format!(
                    "{} uses `crate::{name}` of `{to}`, a layer not below `{from}`'s",
                    relative.display()
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "imports against the layers listed in src/lib.rs (move the code, or the module's line):\n{}",
        problems.into_iter().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn no_two_files_of_a_folder_use_each_other() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut uses: BTreeMap<(PathBuf, String), BTreeSet<String>> = BTreeMap::new();
    for file in files.iter().filter(|f| !f.ends_with("mod.rs")) {
        let folder = file.parent().unwrap().to_owned();
        if folder == src() {
            continue;
        }
        let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
        let code = strip_comments(&fs::read_to_string(file).unwrap());
        let siblings = code
            .match_indices("super::")
            .map(|(at, _)| {
                code[at + "super::".len()..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect::<String>()
            })
            .collect();
        uses.insert((folder, stem), siblings);
    }
    let mut pairs = Vec::new();
    for ((folder, a), used) in &uses {
        for b in used {
            let back = uses.get(&(folder.clone(), b.clone()));
            if a < b && back.is_some_and(|theirs| theirs.contains(a)) {
                pairs.push(format!("{}: {a} <-> {b}", folder.display()));
            }
        }
    }
    assert!(pairs.is_empty(), "files that use each other: {pairs:?}");
}

#[test]
fn the_reader_finds_the_paths_a_use_names() {
    let code = "use crate::{a::b, C, d::{e, f}};\nlet x = crate::g::h();\n$crate::i";
    assert_eq!(crate_paths(code), ["a", "C", "d", "g"]);
    let lib = "// The layers, from the top:\n//   app, module\n//   error\n\nmod app;";
    assert_eq!(layers(lib), [vec!["app", "module"], vec!["error"]]);
}

/// The items of `src/private.rs`, the module generated code names: `pub use` names (a group
/// counted item by item) and `pub` items.
fn private_items(code: &str) -> Vec<String> {
    let mut items = Vec::new();
    for statement in code.split(';') {
        let statement = statement.trim();
        if let Some(path) = statement.strip_prefix("pub use ") {
            match path.find('{') {
                Some(open) => items.extend(
                    path[open + 1..]
                        .trim_end_matches('}')
                        .split(',')
                        .map(str::trim)
                        .filter(|name| !name.is_empty())
                        .map(str::to_owned),
                ),
                None => items.push(path.rsplit("::").next().unwrap_or(path).to_owned()),
            }
        }
    }
    for line in code.lines() {
        for kind in [
            "pub fn ",
            "pub trait ",
            "pub struct ",
            "pub enum ",
            "pub type ",
            "pub const ",
            "pub mod ",
        ] {
            if let Some(rest) = line.strip_prefix(kind) {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                items.push(name);
            }
        }
    }
    items
}

#[test]
fn the_private_contract_of_the_macros_stays_within_a_dozen_items() {
    let code =
        strip_comments(&fs::read_to_string(src().join("private.rs")).expect("src/private.rs"));
    let items = private_items(&code);
    // Twelve, and `doc`: the OpenAPI description's switch and what its body calls.
    assert!(
        items.len() <= 13,
        "__private exposes {} items; the macros' contract is traits, not helpers: {items:?}",
        items.len()
    );
    assert!(items.contains(&"RouteRecord".to_owned()), "{items:?}");
}
