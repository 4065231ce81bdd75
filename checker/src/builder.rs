//! Building what the checker grades, with cargo, so a student never has to
//! build by hand first.
//!
//! Every package asked for is built in one `cargo build --keep-going`, so
//! one lesson that does not compile never stops the others. The compiler's
//! messages are not printed here: they are kept per package, as cargo
//! renders them, for the report to show under the lesson they belong to.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::{process, sandbox, time};

/// The longest a build may take, before the time scale. A first build of
/// every lesson takes about a minute on two cores.
const BUILD_DEADLINE: Duration = Duration::from_secs(15 * 60);

/// The workspace the checker belongs to (where `cargo grade` runs).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("checker/ sits in the workspace")
        .to_path_buf()
}

/// Where a build of the workspace at `root` puts what it makes: a
/// workspace other than the course's own (a submission's scratch copy)
/// builds into a target folder of its own, whatever CARGO_TARGET_DIR says,
/// so that two submissions never share binaries.
pub fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if root == workspace_root() => root.join(dir),
        _ => root.join("target"),
    }
}

/// What the compiler said about one package.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics {
    pub errors: usize,
    /// Warnings in the package's own code (not its dependencies').
    pub warnings: usize,
    /// Every message, as cargo renders it, in order.
    pub rendered: String,
    /// The first error alone, for a short report.
    pub first_error: Option<String>,
}

/// What a build produced.
#[derive(Debug, Default)]
pub struct Built {
    /// Binary name → path of the executable, for every binary that built.
    pub executables: HashMap<String, PathBuf>,
    /// Package name → what the compiler said about it.
    pub packages: HashMap<String, Diagnostics>,
    /// Whether cargo reported success for the whole build.
    pub success: bool,
    /// Cargo's own stderr: a broken manifest is explained there.
    pub cargo_stderr: String,
}

impl Built {
    /// What the compiler said about `package` (nothing, if it said nothing).
    pub fn diagnostics(&self, package: &str) -> Diagnostics {
        self.packages.get(package).cloned().unwrap_or_default()
    }
}

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

/// The package name in a cargo package id:
/// `path+file:///w/lessons/echo#0.1.0` is `echo`, and
/// `path+file:///w/solutions/echo#echo-solution@0.1.0` is `echo-solution`.
fn package_name(id: &str) -> Option<String> {
    let (path, fragment) = id.split_once('#')?;
    if let Some((name, _version)) = fragment.split_once('@') {
        return Some(name.to_string());
    }
    path.rsplit('/').next().map(str::to_string)
}

/// Builds the binaries of `packages` in the workspace at `root`. Nothing is
/// printed: diagnostics are returned, rendered in color when `color`.
pub fn build(root: &Path, packages: &[String], color: bool) -> Built {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let format = if color {
        "json-diagnostic-rendered-ansi"
    } else {
        "json"
    };
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root)
        .args(["build", "--quiet", "--keep-going", "--bins"])
        .args(["--message-format", format])
        .arg(if color {
            "--color=always"
        } else {
            "--color=never"
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // A session and group of its own, that Ctrl-C and `kill_everything`
    // end whole: cargo, its build scripts and every rustc it started.
    process::own_session(&mut cmd);
    let target = target_dir(root);
    if root != workspace_root() {
        cmd.env("CARGO_TARGET_DIR", &target);
    }
    if sandbox::state().is_some() {
        // In the sandbox: nothing to fetch (and no network to fetch with),
        // only the workspace to write in, and limits on the build scripts
        // and compilers.
        cmd.arg("--offline");
        let course = workspace_root();
        let config: Vec<PathBuf> = [".cargo", "rust-toolchain", "rust-toolchain.toml"]
            .iter()
            .map(|name| course.join(name))
            .collect();
        sandbox::show_only(&[root.to_path_buf(), target], &config);
        sandbox::limit(&mut cmd, sandbox::BUILD, root);
    }
    // A checker that is killed takes its build with it.
    crate::platform::die_with_parent(&mut cmd, libc::SIGKILL);
    for p in packages {
        cmd.args(["--package", p]);
    }
    let mut built = Built::default();
    let mut child = match process::spawn_tracked(&mut cmd) {
        Ok(child) => child,
        Err(e) => {
            built.cargo_stderr = format!("cannot run cargo: {e}");
            return built;
        }
    };
    let pgid = child.id() as i32;
    // A build that never ends (a build script that waits for ever) is
    // stopped, like anything else the checker waits for.
    let finished = Arc::new(AtomicBool::new(false));
    let stopped = Arc::new(AtomicBool::new(false));
    {
        let (finished, stopped) = (Arc::clone(&finished), Arc::clone(&stopped));
        let deadline = Instant::now() + time::scaled(BUILD_DEADLINE);
        thread::spawn(move || {
            while !finished.load(Ordering::SeqCst) {
                if Instant::now() > deadline {
                    stopped.store(true, Ordering::SeqCst);
                    process::kill_group(pgid);
                    break;
                }
                // A build script's daemon would hold cargo's pipes open,
                // and cargo would wait for it: strays die as they appear.
                process::kill_strays(process::Strays::Unaccounted);
                thread::sleep(Duration::from_millis(100));
            }
        });
    }
    // Read stderr on a thread of its own, so neither pipe can fill up.
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let stderr_reader = thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut finished_ok = None;
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
                let Some(name) = msg
                    .package_id
                    .as_deref()
                    .filter(|id| id.starts_with("path+"))
                    .and_then(package_name)
                else {
                    continue;
                };
                let Some(diag) = msg.message else { continue };
                let entry = built.packages.entry(name).or_default();
                // Summary lines ("2 warnings emitted") have no span.
                let counted = !diag.spans.is_empty();
                match diag.level.as_str() {
                    "error" if counted => entry.errors += 1,
                    "warning" if counted => entry.warnings += 1,
                    _ => {}
                }
                if let Some(text) = diag.rendered {
                    if diag.level == "error" && counted && entry.first_error.is_none() {
                        entry.first_error = Some(text.clone());
                    }
                    entry.rendered.push_str(&text);
                }
            }
            "build-finished" => finished_ok = msg.success,
            _ => {}
        }
    }
    let status = child.wait();
    finished.store(true, Ordering::SeqCst);
    process::forget_group(pgid);
    // A build script's daemon, however it hid, does not outlive the build.
    process::kill_group(pgid);
    process::kill_strays(process::Strays::Unaccounted);
    built.cargo_stderr = stderr_reader.join().unwrap_or_default();
    if stopped.load(Ordering::SeqCst) {
        built.cargo_stderr = format!(
            "the build was stopped after {} (a build script or proc macro that never ends?)\n{}",
            time::say(time::scaled(BUILD_DEADLINE)),
            built.cargo_stderr
        );
    }
    built.success = matches!(status, Ok(s) if s.success()) && finished_ok != Some(false);
    built
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names_come_out_of_package_ids() {
        assert_eq!(
            package_name("path+file:///w/lessons/echo#0.1.0").as_deref(),
            Some("echo")
        );
        assert_eq!(
            package_name("path+file:///w/solutions/echo#echo-solution@0.1.0").as_deref(),
            Some("echo-solution")
        );
        assert_eq!(package_name("registry+https://x"), None);
    }

    #[test]
    fn another_workspace_builds_into_a_target_folder_of_its_own() {
        let scratch = Path::new("/course/target/grade/submissions/ada");
        assert_eq!(target_dir(scratch), scratch.join("target"));
        let own = target_dir(&workspace_root());
        match std::env::var_os("CARGO_TARGET_DIR") {
            Some(dir) => assert_eq!(own, workspace_root().join(dir)),
            None => assert_eq!(own, workspace_root().join("target")),
        }
    }
}
