//! The checker's shape, guarded: its modules form layers whose imports
//! point one way (down), no files of `checker/src` import each other in a
//! circle, and every Linux-only call lives in `platform/`.
//!
//! The layers are listed in `LAYERS` below, bottom first, as `lib.rs`
//! describes them. A new top-level module must be given a layer here.
//! Each check is also run on a planted mistake (a copy of the sources with
//! one bad line added), so that it is shown to fail when it should.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The checker's top-level modules, by layer, bottom first. A module may
/// use those of its own layer (without a cycle) and of the layers below.
const LAYERS: &[&[&str]] = &[
    &["verdict", "flag", "time", "platform"],
    &["wire", "process", "sandbox", "builder"],
    &["ctx"],
    &["peer", "contract"],
    &["course"],
    &["lessons"],
    &["report"],
    &["run"],
    &[
        "export",
        "progress",
        "stubs",
        "submission",
        "watch",
        "class",
        "release",
    ],
    &["cli"],
];

/// Words that mark a call only Linux has. Each may appear in
/// `platform/` alone (comments aside; `/proc` only as the start of a
/// path literal, so that a message may name it).
const LINUX_ONLY: &[&str] = &[
    "prctl",
    "PR_SET_PDEATHSIG",
    "\"/proc",
    "TCP_INFO",
    "libc::sendfile",
    "unshare",
    "CLONE_NEW",
    "SIOCGIFFLAGS",
    "SIOCSIFFLAGS",
    "SUBREAPER",
    "NO_NEW_PRIVS",
    "libc::mount",
    "libc::MS_",
    "libc::ST_",
    "chroot(",
    "target_os = \"linux\"",
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, relative to it.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

/// The module path of a file: `wire/tcp.rs` is `["wire", "tcp"]`,
/// `wire/mod.rs` is `["wire"]`, `lib.rs` is `[]`.
fn module_of(file: &Path) -> Vec<String> {
    let mut parts: Vec<String> = file
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts
}

/// Code without comments (line comments and doc comments), and without
/// the test module at the end of a file: tests may reach anywhere.
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    text.lines()
        .map(|line| {
            let mut in_string = false;
            let bytes = line.as_bytes();
            for i in 0..bytes.len() {
                match bytes[i] {
                    b'"' if i == 0 || bytes[i - 1] != b'\\' => in_string = !in_string,
                    b'/' if !in_string && bytes.get(i + 1) == Some(&b'/') => {
                        return &line[..i];
                    }
                    _ => {}
                }
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The module paths a file's code names: `crate::a::b` anywhere, `super::x`
/// relative to it, and in a `mod.rs` the children it re-exports
/// (`pub use child::…`).
fn references(file: &Path, text: &str) -> Vec<Vec<String>> {
    let me = module_of(file);
    let is_parent = file.ends_with("mod.rs") || file.ends_with("lib.rs");
    let code = code(text);
    let mut out = Vec::new();
    let words = |rest: &str| -> Vec<String> {
        // `a::b::{c, d}` or `a::b::c;`: the path up to the first brace,
        // or the whole path.
        rest.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .next()
            .unwrap_or("")
            .split("::")
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect()
    };
    for (i, _) in code.match_indices("crate::") {
        let before = code[..i].chars().last();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // `checker::crate_x`, not a path of ours
        }
        out.push(words(&code[i + "crate::".len()..]));
    }
    for (i, _) in code.match_indices("super::") {
        // `super` is the module above this file's own module.
        let mut base = me.clone();
        base.pop();
        base.extend(words(&code[i + "super::".len()..]));
        out.push(base);
    }
    if is_parent {
        for line in code.lines() {
            let line = line.trim_start();
            let rest = line
                .strip_prefix("pub use ")
                .or_else(|| line.strip_prefix("use "));
            if let Some(rest) = rest
                && !rest.starts_with("crate::")
                && !rest.starts_with("super::")
                && !rest.starts_with("std::")
            {
                let mut path = me.clone();
                path.extend(words(rest));
                out.push(path);
            }
        }
    }
    out
}

/// The file a module path lands in: the deepest module of it that has a
/// file (`wire::tcp::Conn` is in `wire/tcp.rs`).
fn resolve(all: &BTreeMap<Vec<String>, PathBuf>, path: &[String]) -> Option<PathBuf> {
    (1..=path.len())
        .rev()
        .find_map(|n| all.get(&path[..n]).cloned())
}

fn layer_of(top: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&top))
}

/// Every problem with the shape of the sources under `dir`.
fn problems(dir: &Path) -> Vec<String> {
    let all: BTreeMap<Vec<String>, PathBuf> = files(dir)
        .into_iter()
        .filter(|f| !f.starts_with("bin"))
        .map(|f| (module_of(&f), f))
        .collect();
    let mut problems = Vec::new();
    let mut edges: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
    for (module, file) in &all {
        let text = fs::read_to_string(dir.join(file)).unwrap();
        let Some(top) = module.first() else { continue };
        let Some(mine) = layer_of(top) else {
            problems.push(format!(
                "checker/src/{}: the module `{top}` has no layer: add it to LAYERS in checker/tests/layers.rs",
                file.display()
            ));
            continue;
        };
        for path in references(file, &text) {
            let Some(target) = resolve(&all, &path) else {
                continue;
            };
            if &target == file {
                continue;
            }
            let their_top = module_of(&target).first().cloned().unwrap_or_default();
            if let Some(theirs) = layer_of(&their_top)
                && theirs > mine
            {
                problems.push(format!(
                    "checker/src/{} (layer {}, `{top}`) uses crate::{} (layer {}, `{their_top}`): an import that points up a layer",
                    file.display(),
                    mine + 1,
                    path.join("::"),
                    theirs + 1
                ));
            }
            edges.entry(file.clone()).or_default().insert(target);
        }
    }
    for cycle in cycles(&edges) {
        let names: Vec<String> = cycle
            .iter()
            .map(|f| format!("checker/src/{}", f.display()))
            .collect();
        problems.push(format!(
            "these files import each other in a circle: {}",
            names.join(" → ")
        ));
    }
    problems
}

/// The circles in a graph: one path around each strongly connected group
/// of more than one node (Tarjan's algorithm, then a walk inside it).
fn cycles(edges: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Vec<Vec<PathBuf>> {
    struct Tarjan<'a> {
        edges: &'a BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        index: BTreeMap<&'a PathBuf, usize>,
        low: BTreeMap<&'a PathBuf, usize>,
        stack: Vec<&'a PathBuf>,
        on_stack: BTreeSet<&'a PathBuf>,
        groups: Vec<Vec<PathBuf>>,
    }
    impl<'a> Tarjan<'a> {
        fn visit(&mut self, v: &'a PathBuf) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in self.edges.get(v).into_iter().flatten() {
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v, low);
                } else if self.on_stack.contains(w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut group = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    group.push(w.clone());
                    if w == v {
                        break;
                    }
                }
                if group.len() > 1 {
                    group.reverse();
                    self.groups.push(group);
                }
            }
        }
    }
    let mut t = Tarjan {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        groups: Vec::new(),
    };
    for v in edges.keys() {
        if !t.index.contains_key(v) {
            t.visit(v);
        }
    }
    t.groups
}

/// Linux-only calls outside `platform/`.
fn linux_calls(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for file in files(dir) {
        if file.starts_with("platform") {
            continue;
        }
        let text = fs::read_to_string(dir.join(&file)).unwrap();
        for (n, line) in code(&text).lines().enumerate() {
            for word in LINUX_ONLY {
                if line.contains(word) {
                    found.push(format!(
                        "checker/src/{}:{}: `{word}` is Linux's: call it through crate::platform",
                        file.display(),
                        n + 1
                    ));
                }
            }
        }
    }
    found
}

/// A scratch copy of the sources, with `line` added to `file`.
fn planted(file: &str, line: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "checker-layers-{}-{}",
        std::process::id(),
        file.replace('/', "-")
    ));
    let _ = fs::remove_dir_all(&dir);
    for f in files(&src()) {
        let to = dir.join(&f);
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        fs::copy(src().join(&f), &to).unwrap();
    }
    let path = dir.join(file);
    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, format!("{line}\n{text}")).unwrap();
    dir
}

#[test]
fn imports_point_down_the_layers_and_close_no_circle() {
    let problems = problems(&src());
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}

#[test]
fn linux_only_calls_live_in_the_platform_module() {
    let found = linux_calls(&src());
    assert!(found.is_empty(), "\n{}\n", found.join("\n"));
}

#[test]
fn an_upward_import_is_caught() {
    // The process layer reaching up for a lesson's stage type.
    let dir = planted("process/spawn.rs", "use crate::course::Stage;");
    let problems = problems(&dir);
    fs::remove_dir_all(&dir).unwrap();
    assert!(
        problems.iter().any(|p| p.contains("process/spawn.rs")
            && p.contains("crate::course::Stage")
            && p.contains("points up a layer")),
        "{problems:?}"
    );
}

#[test]
fn a_circle_within_a_layer_is_caught() {
    // wire/render.rs is used by wire/tcp.rs; make it use tcp back.
    let dir = planted("wire/render.rs", "use super::tcp::Conn;");
    let problems = problems(&dir);
    fs::remove_dir_all(&dir).unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("in a circle") && p.contains("wire/render.rs")),
        "{problems:?}"
    );
}

#[test]
fn a_linux_call_outside_the_platform_module_is_caught() {
    let dir = planted(
        "wire/tcp.rs",
        "fn stray() -> Option<String> { std::fs::read_to_string(\"/proc/self/status\").ok() }",
    );
    let found = linux_calls(&dir);
    fs::remove_dir_all(&dir).unwrap();
    assert!(
        found
            .iter()
            .any(|p| p.contains("wire/tcp.rs:1") && p.contains("/proc")),
        "{found:?}"
    );
}

#[test]
fn a_module_without_a_layer_is_caught() {
    let dir = planted("lib.rs", "pub mod grab_bag;");
    fs::write(dir.join("grab_bag.rs"), "pub fn x() {}\n").unwrap();
    let problems = problems(&dir);
    fs::remove_dir_all(&dir).unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("`grab_bag` has no layer")),
        "{problems:?}"
    );
}
