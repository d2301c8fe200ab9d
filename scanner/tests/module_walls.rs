//! The walls between the scanner's modules, checked on the source: no
//! import cycles among the modules of `git`, `git::odb` and `detect`, and the
//! git half never reaches into the detection half (data flows git → sink →
//! detect). `scripts/module_cycles.py` does the same for every crate.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Module → the sibling modules it names, for the modules under `dir`
/// (named `prefix::<module>`), tests and comments left out.
fn graph(dir: &Path, prefix: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut mods: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("listing the sources") {
            let p = e.expect("listing the sources").path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            if p.extension().and_then(|x| x.to_str()) != Some("rs") {
                continue;
            }
            let rel = p.strip_prefix(dir).expect("under the folder");
            let top = rel
                .components()
                .next()
                .expect("a file name")
                .as_os_str()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_owned();
            if matches!(top.as_str(), "lib" | "main" | "mod") {
                continue;
            }
            let text = std::fs::read_to_string(&p).expect("reading a source");
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            let deps = mods.entry(top.clone()).or_default();
            for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
                for pat in [prefix, "use super::"] {
                    let mut rest = line;
                    while let Some(i) = rest.find(pat) {
                        rest = &rest[i + pat.len()..];
                        let name: String = rest
                            .chars()
                            .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                            .collect();
                        if !name.is_empty() && name != top {
                            deps.insert(name);
                        }
                    }
                }
            }
        }
    }
    mods
}

/// A cycle through `start`, if any (depth-first search).
fn cycle_from(g: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    fn walk(
        g: &BTreeMap<String, BTreeSet<String>>,
        start: &str,
        path: &mut Vec<String>,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        let cur = path.last().cloned().unwrap_or_default();
        for next in g.get(&cur).into_iter().flatten() {
            if next == start {
                return true;
            }
            if g.contains_key(next) && seen.insert(next.clone()) {
                path.push(next.clone());
                if walk(g, start, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut path = vec![start.to_owned()];
    walk(g, start, &mut path, &mut BTreeSet::new()).then_some(path)
}

#[test]
fn no_import_cycles_between_scanner_modules() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for (dir, prefix) in [
        (src.join("git"), "crate::git::"),
        (src.join("git/odb"), "crate::git::odb::"),
        (src.join("detect"), "crate::detect::"),
    ] {
        let g = graph(&dir, prefix);
        assert!(g.len() > 3, "{}: modules found", dir.display());
        for m in g.keys() {
            assert_eq!(cycle_from(&g, m), None, "{}: import cycle", dir.display());
        }
    }
}

#[test]
fn the_cycle_check_sees_a_cycle() {
    let mut g = BTreeMap::new();
    g.insert("a".to_owned(), BTreeSet::from(["b".to_owned()]));
    g.insert("b".to_owned(), BTreeSet::from(["c".to_owned()]));
    g.insert("c".to_owned(), BTreeSet::from(["a".to_owned()]));
    assert_eq!(
        cycle_from(&g, "a"),
        Some(vec!["a".to_owned(), "b".to_owned(), "c".to_owned()])
    );
    g.insert("c".to_owned(), BTreeSet::new());
    assert_eq!(cycle_from(&g, "a"), None);
}

#[test]
fn the_git_half_does_not_import_detection() {
    let git = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/git");
    let mut stack = vec![git];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("listing the sources") {
            let p = e.expect("listing the sources").path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().and_then(|x| x.to_str()) == Some("rs") {
                let text = std::fs::read_to_string(&p).expect("reading a source");
                assert!(
                    !text.contains("crate::detect"),
                    "{} imports the detection half",
                    p.display()
                );
            }
        }
    }
}
