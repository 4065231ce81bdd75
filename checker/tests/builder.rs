//! The builder against throwaway crates: it finds the executables, counts
//! warnings, and reports a crate that does not compile.

use std::path::Path;

use checker::builder;

/// Writes a one-binary crate named `scratch` with `main.rs` into `dir`.
fn scratch_crate(dir: &Path, main: &str) {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"scratch\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(dir.join("src/main.rs"), main).unwrap();
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("checker-builder-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn builds_finds_the_binary_and_counts_warnings() {
    let dir = temp_dir("warn");
    scratch_crate(&dir, "fn main() {\n    let unused = 1;\n}\n");
    let built = builder::build(&dir, &["scratch".to_string()], false).expect("it compiles");
    assert_eq!(built.warnings, 1, "one unused variable");
    let exe = built
        .executables
        .get("scratch")
        .expect("the binary is found");
    assert!(exe.is_file());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_crate_that_does_not_compile_is_reported() {
    let dir = temp_dir("error");
    scratch_crate(&dir, "fn main() {\n    let x: u32 = \"nope\";\n}\n");
    let err =
        builder::build(&dir, &["scratch".to_string()], false).expect_err("it does not compile");
    assert!(err.0.contains("cargo build of scratch failed"), "{}", err.0);
    let _ = std::fs::remove_dir_all(&dir);
}
