//! The builder against throwaway crates: it finds the executables, counts
//! warnings, and reports a crate that does not compile. (The compiler's
//! messages about these crates show in the test log: they are expected.)

use std::path::{Path, PathBuf};

use checker::builder;

/// Writes a one-binary crate named `name` into a fresh temporary folder.
fn scratch_crate(name: &str, main: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("checker-builder-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let manifest = format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[workspace]\n"
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    std::fs::write(dir.join("src/main.rs"), main).unwrap();
    dir
}

fn build(dir: &Path, name: &str) -> Result<builder::Built, builder::BuildError> {
    builder::build(dir, &[name.to_string()], false)
}

#[test]
fn builds_finds_the_binary_and_counts_warnings() {
    let dir = scratch_crate("expected_warning", "fn main() {\n    let unused = 1;\n}\n");
    let built = build(&dir, "expected_warning").expect("it compiles");
    assert_eq!(built.warnings, 1, "one unused variable");
    let exe = built
        .executables
        .get("expected_warning")
        .expect("the binary is found");
    assert!(exe.is_file());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_crate_that_does_not_compile_is_reported() {
    let dir = scratch_crate(
        "deliberately_broken",
        "fn main() {\n    let x: u32 = \"nope\";\n}\n",
    );
    let err = build(&dir, "deliberately_broken").expect_err("it does not compile");
    assert!(
        err.0.contains("cargo build of deliberately_broken failed"),
        "{}",
        err.0
    );
    let _ = std::fs::remove_dir_all(&dir);
}
