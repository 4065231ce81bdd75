//! The builder against throwaway workspaces: it finds the executables,
//! counts warnings, keeps each package's compiler messages to itself (a
//! passing test run prints none of them), and builds the other packages
//! when one does not compile.

use std::path::PathBuf;

use checker::builder;

/// Writes a workspace of one-binary crates, `(name, main.rs)`, into a
/// fresh temporary folder.
fn scratch_workspace(tag: &str, crates: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("checker-builder-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let members: Vec<String> = crates.iter().map(|(n, _)| format!("\"{n}\"")).collect();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[workspace]\nresolver = \"3\"\nmembers = [{}]\n",
            members.join(", ")
        ),
    )
    .unwrap();
    for (name, main) in crates {
        std::fs::create_dir_all(dir.join(name).join("src")).unwrap();
        let manifest =
            format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n");
        std::fs::write(dir.join(name).join("Cargo.toml"), manifest).unwrap();
        std::fs::write(dir.join(name).join("src/main.rs"), main).unwrap();
    }
    dir
}

#[test]
fn one_broken_package_does_not_stop_the_others() {
    let dir = scratch_workspace(
        "keep-going",
        &[
            ("expected_warning", "fn main() {\n    let unused = 1;\n}\n"),
            (
                "deliberately_broken",
                "fn main() {\n    let x: u32 = \"nope\";\n}\n",
            ),
        ],
    );
    let built = builder::build(
        &dir,
        &["expected_warning".into(), "deliberately_broken".into()],
        false,
    );
    assert!(!built.success);
    let exe = built
        .executables
        .get("expected_warning")
        .expect("the package that compiles is built anyway");
    assert!(exe.is_file());
    assert!(!built.executables.contains_key("deliberately_broken"));

    let warned = built.diagnostics("expected_warning");
    assert_eq!(
        (warned.errors, warned.warnings),
        (0, 1),
        "one unused variable"
    );
    assert!(warned.rendered.contains("unused variable"));

    let broken = built.diagnostics("deliberately_broken");
    assert_eq!(broken.errors, 1);
    let first = broken.first_error.expect("the first error is kept");
    assert!(first.contains("mismatched types"), "{first}");
    let _ = std::fs::remove_dir_all(&dir);
}
