//! Building what the checker grades, with cargo, so a student never has to
//! build by hand first. Compiler messages are shown as cargo renders them.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Deserialize;

/// The workspace the checker belongs to (where `cargo grade` runs).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("checker/ sits in the workspace")
        .to_path_buf()
}

/// What a build produced.
#[derive(Debug, Default)]
pub struct Built {
    /// Binary name → path of the executable.
    pub executables: HashMap<String, PathBuf>,
    /// Compiler warnings in the packages built (not their dependencies).
    pub warnings: usize,
}

/// Why a build failed.
#[derive(Debug)]
pub struct BuildError(pub String);

#[derive(Deserialize)]
struct Message {
    reason: String,
    package_id: Option<String>,
    target: Option<Target>,
    executable: Option<PathBuf>,
    message: Option<Diagnostic>,
    success: Option<bool>,
}

#[derive(Deserialize)]
struct Target {
    name: String,
}

#[derive(Deserialize)]
struct Diagnostic {
    level: String,
    rendered: Option<String>,
    spans: Vec<serde_json::Value>,
}

/// Builds the binaries of `packages` (in the workspace at `root`). Cargo's
/// progress and the compiler's messages go to our stderr; `color` asks for
/// them in color.
pub fn build(root: &Path, packages: &[String], color: bool) -> Result<Built, BuildError> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let format = if color {
        "json-diagnostic-rendered-ansi"
    } else {
        "json"
    };
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root)
        // --quiet: no progress lines; the compiler's messages still come,
        // through the JSON below.
        .args(["build", "--quiet", "--bins", "--message-format", format])
        .arg(if color {
            "--color=always"
        } else {
            "--color=never"
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for p in packages {
        cmd.args(["--package", p]);
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| BuildError(format!("cannot run cargo: {e}")))?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut built = Built::default();
    let mut finished_ok = None;
    let mut err = std::io::stderr().lock();
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        let Ok(msg) = serde_json::from_str::<Message>(&line) else {
            continue;
        };
        match msg.reason.as_str() {
            "compiler-artifact" => {
                if let (Some(exe), Some(target)) = (msg.executable, msg.target) {
                    built.executables.insert(target.name, exe);
                }
            }
            "compiler-message" => {
                let ours = msg
                    .package_id
                    .as_deref()
                    .is_some_and(|id| id.starts_with("path+"));
                if let (true, Some(diag)) = (ours, msg.message) {
                    // Summary lines ("2 warnings emitted") have no span.
                    if diag.level == "warning" && !diag.spans.is_empty() {
                        built.warnings += 1;
                    }
                    if let Some(text) = diag.rendered {
                        let _ = err.write_all(text.as_bytes());
                    }
                }
            }
            "build-finished" => finished_ok = msg.success,
            _ => {}
        }
    }
    let status = child
        .wait()
        .map_err(|e| BuildError(format!("waiting for cargo: {e}")))?;
    if status.success() && finished_ok != Some(false) {
        Ok(built)
    } else {
        Err(BuildError(format!(
            "cargo build of {} failed: see the compiler's messages above",
            packages.join(", ")
        )))
    }
}
