//! Builds the checker's copy of the stubs into it: every
//! `checker/stubs/LESSON.txt` becomes an entry of `ARCHIVES` in
//! `src/stubs.rs`, so that a new lesson's archive (written by
//! `BLESS=1 cargo test -p checker --test pristine`) needs no hand edit.

use std::path::Path;

fn main() {
    // Read when the script runs, not when it was compiled: a target folder
    // shared between checkouts must still read this checkout's stubs.
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&manifest).join("stubs");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut entries: Vec<(String, String)> = std::fs::read_dir(&dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "txt"))
                .map(|p| {
                    let id = p.file_stem().unwrap().to_string_lossy().into_owned();
                    println!("cargo:rerun-if-changed={}", p.display());
                    (id, p.display().to_string())
                })
                .collect()
        })
        .unwrap_or_default();
    entries.sort();
    let mut code = String::from("&[\n");
    for (id, path) in entries {
        code.push_str(&format!("    ({id:?}, include_str!({path:?})),\n"));
    }
    code.push(']');
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("stub_archives.rs");
    std::fs::write(out, code).unwrap();
}
