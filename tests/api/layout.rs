//! The house rules of the layout, read from the source: data flows `routes` → `service` →
//! (`domain`, `entity`, `wechat`); `domain` imports nothing outside itself; the feature folders
//! of `service` import each other without cycles.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Source lines, without comments (doc comments name other layers freely).
fn code_of(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `crate::service::<feature>` names in `text`.
fn service_features_named(text: &str) -> BTreeSet<String> {
    text.match_indices("crate::service::")
        .map(|(i, m)| {
            text[i + m.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .filter(|f| !f.is_empty())
        .collect()
}

#[test]
fn domain_imports_nothing_outside_itself() {
    let mut offences = Vec::new();
    for file in rust_files(&src().join("domain")) {
        let code = code_of(&file);
        for (i, _) in code.match_indices("crate::") {
            if !code[i..].starts_with("crate::domain") {
                offences.push(format!(
                    "{}: {}",
                    file.display(),
                    &code[i..i + 30.min(code.len() - i)]
                ));
            }
        }
        for foreign in ["sea_orm", "actix_web", "entity::", "reqwest", "tokio::"] {
            if code.contains(foreign) {
                offences.push(format!("{}: uses {foreign}", file.display()));
            }
        }
    }
    assert!(offences.is_empty(), "{offences:#?}");
}

#[test]
fn lower_layers_never_import_higher_ones() {
    let mut offences = Vec::new();
    for (layer, forbidden) in [
        (
            "domain",
            &[
                "crate::service",
                "crate::routes",
                "crate::jobs",
                "crate::cli",
            ][..],
        ),
        (
            "wechat",
            &[
                "crate::service",
                "crate::routes",
                "crate::jobs",
                "crate::cli",
                "crate::error",
            ],
        ),
        ("service", &["crate::routes", "crate::jobs", "crate::cli"]),
    ] {
        for file in rust_files(&src().join(layer)) {
            let code = code_of(&file);
            for name in forbidden {
                if code.contains(name) {
                    offences.push(format!("{} uses {name}", file.display()));
                }
            }
        }
    }
    assert!(offences.is_empty(), "{offences:#?}");
}

#[test]
fn service_features_import_each_other_without_cycles() {
    let service = src().join("service");
    let mut arrows: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for entry in std::fs::read_dir(&service).unwrap() {
        let path = entry.unwrap().path();
        if !path.is_dir() {
            continue;
        }
        let feature = path.file_name().unwrap().to_string_lossy().into_owned();
        let mut named = BTreeSet::new();
        for file in rust_files(&path) {
            named.extend(service_features_named(&code_of(&file)));
        }
        named.remove(&feature);
        // `support` holds shared helpers and imports no feature.
        named.remove("support");
        arrows.insert(feature, named);
    }
    assert!(arrows.len() >= 4, "{arrows:?}");
    // Depth-first search for a cycle.
    fn visit(
        node: &str,
        arrows: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| n == node) {
            let mut cycle = path[start..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in arrows.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, arrows, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for feature in arrows.keys() {
        let cycle = visit(feature, &arrows, &mut Vec::new(), &mut done);
        assert!(cycle.is_none(), "cycle {cycle:?} in {arrows:#?}");
    }
    let support = code_of(&service.join("support.rs"));
    assert!(service_features_named(&support).is_empty());
}
