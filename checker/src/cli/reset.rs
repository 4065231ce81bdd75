//! `cargo grade reset LESSON [FILE] [--yes]`: puts a lesson, or one file
//! of it, back as the course shipped it, after saying what changes and
//! asking. It owns the dialogue and the reading of the file named;
//! [`crate::stubs`] owns the stubs, the plan and the backup.

use std::io::Write;
use std::path::{Component, Path, PathBuf};

use super::{Exit, Term, fail, lessons_named, usage_error};
use crate::lessons::Flavor;
use crate::stubs;

/// The options of `cargo grade reset`.
#[derive(clap::Args, Clone, Debug)]
pub struct Args {
    /// The lesson id.
    pub lesson: String,
    /// One file, relative to the lesson (`src/bin/server.rs`).
    pub file: Option<PathBuf>,
    /// Do not ask first.
    #[arg(long)]
    pub yes: bool,
}

/// `cargo grade reset`, asking on the terminal unless `--yes`.
pub fn run(args: &Args, root: &Path) -> Exit {
    reset(root, args, &mut ask_on_the_terminal)
}

/// "Go on? [y/N]" on the terminal, and the answer; `None` when stdin is
/// not a terminal (nobody to ask).
fn ask_on_the_terminal() -> Option<String> {
    if !Term::can_ask() {
        return None;
    }
    print!("Go on? [y/N] ");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().read_line(&mut answer);
    Some(answer)
}

/// Resets the lesson of `args` in the workspace at `root`; `ask` asks the
/// student whether to go on (unless `--yes`), `None` when it cannot.
pub fn reset(root: &Path, args: &Args, ask: &mut dyn FnMut() -> Option<String>) -> Exit {
    let lesson = match lessons_named(std::slice::from_ref(&args.lesson)) {
        Ok(found) => found[0],
        Err(message) => return usage_error(message),
    };
    let package = lesson.package_dir(Flavor::Lesson);
    // A file named from wherever the student stands: `server.rs` from
    // lessons/echo/src/bin, `./lessons/echo/…` from the top.
    let file = args
        .file
        .as_deref()
        .map(|f| relative_to_package(root, &package, f));
    let plan = match stubs::plan(root, lesson, file.as_deref()) {
        Ok(plan) => plan,
        Err(message) => return usage_error(message),
    };
    if plan.is_empty() {
        let what = file
            .as_ref()
            .map_or(package.clone(), |f| format!("{package}/{}", f.display()));
        println!("{what} is already as the course shipped it: nothing to reset.");
        return Exit::Ok;
    }
    // Absolute, so that the paths work from wherever this was run.
    let backup = root.join(stubs::backup_dir(root, lesson));
    println!("This puts back the stub of {}:", lesson.id);
    for f in &plan.restore {
        println!("  restore  {package}/{}", f.display());
    }
    for f in &plan.remove {
        println!("  remove   {package}/{}   (not in the stub)", f.display());
    }
    println!(
        "Your versions will be copied to {}/ first.",
        backup.display()
    );
    if !args.yes {
        let Some(answer) = ask() else {
            return usage_error(
                "reset asks before it replaces your work; answer on a terminal, or add --yes",
            );
        };
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            println!("Nothing was changed.");
            return Exit::Failed;
        }
    }
    match stubs::apply(root, lesson, &plan, &backup) {
        Ok(saved) => {
            println!(
                "Done: {} file(s) reset, {saved} kept in {}/.",
                plan.restore.len() + plan.remove.len(),
                backup.display()
            );
            if saved > 0 {
                println!(
                    "To undo: cp -r {}/. {}/",
                    backup.display(),
                    root.join(&package).display()
                );
            }
            Exit::Ok
        }
        Err(e) => fail(
            Exit::Failed,
            format!(
                "the reset stopped halfway ({e}); your files are in {}/",
                backup.display()
            ),
        ),
    }
}

/// A file named on the command line, relative to the lesson's package
/// when it can be: as given from the workspace or the package, or as it
/// resolves from the current folder.
pub fn relative_to_package(root: &Path, package: &str, given: &Path) -> PathBuf {
    let plain: PathBuf = given
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect();
    if let Ok(rel) = plain.strip_prefix(package) {
        return rel.to_path_buf();
    }
    let package_dir = std::fs::canonicalize(root.join(package)).ok();
    let from_here = std::env::current_dir().ok().map(|d| d.join(&plain));
    // The file itself may be gone (that may be why it is being reset):
    // resolve its folder.
    if let (Some(package_dir), Some(here)) = (package_dir, from_here)
        && let (Some(parent), Some(name)) = (here.parent(), here.file_name())
        && let Ok(parent) = std::fs::canonicalize(parent)
        && let Ok(rel) = parent.join(name).strip_prefix(&package_dir)
    {
        return rel.to_path_buf();
    }
    plain
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lessons;

    fn args(lesson: &str, file: Option<&str>, yes: bool) -> Args {
        Args {
            lesson: lesson.into(),
            file: file.map(PathBuf::from),
            yes,
        }
    }

    fn never_asked() -> Option<String> {
        panic!("asked, with --yes or nothing to do")
    }

    /// A workspace holding the echo stub, with `edit` written over its
    /// server.
    fn workspace(name: &str, edit: Option<&str>) -> (PathBuf, PathBuf) {
        let root =
            std::env::temp_dir().join(format!("grade-cli-reset-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let echo = lessons::find("echo").expect("echo");
        let package = root.join(echo.package_dir(Flavor::Lesson));
        for (rel, text) in stubs::files(echo) {
            let to = package.join(rel);
            std::fs::create_dir_all(to.parent().expect("a folder")).expect("a folder");
            std::fs::write(to, text).expect("a stub file");
        }
        let server = package.join("src/bin/server.rs");
        if let Some(edit) = edit {
            std::fs::write(&server, edit).expect("an edit");
        }
        (root, server)
    }

    #[test]
    fn an_unknown_lesson_or_file_is_a_usage_error() {
        let root = crate::builder::workspace_root();
        assert_eq!(
            reset(&root, &args("nosuch", None, true), &mut never_asked),
            Exit::Usage
        );
        let not_a_stub_file = args("echo", Some("src/nosuch.rs"), true);
        assert_eq!(
            reset(&root, &not_a_stub_file, &mut never_asked),
            Exit::Usage
        );
    }

    #[test]
    fn a_lesson_as_shipped_is_left_alone() {
        let (root, _) = workspace("shipped", None);
        assert_eq!(
            reset(&root, &args("echo", None, false), &mut never_asked),
            Exit::Ok
        );
        assert!(!root.join("backups").exists());
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn nothing_changes_unless_the_student_says_yes() {
        let (root, server) = workspace("asked", Some("my work\n"));
        let mut cannot_ask = || None;
        assert_eq!(
            reset(&root, &args("echo", None, false), &mut cannot_ask),
            Exit::Usage
        );
        let mut says_no = || Some("n\n".to_string());
        assert_eq!(
            reset(&root, &args("echo", None, false), &mut says_no),
            Exit::Failed
        );
        assert_eq!(std::fs::read_to_string(&server).expect("kept"), "my work\n");
        assert!(!root.join("backups").exists());

        let mut says_yes = || Some("y\n".to_string());
        assert_eq!(
            reset(&root, &args("echo", None, false), &mut says_yes),
            Exit::Ok
        );
        assert_ne!(
            std::fs::read_to_string(&server).expect("reset"),
            "my work\n"
        );
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn one_file_is_reset_and_the_students_version_is_kept_in_backups() {
        let (root, server) = workspace("file", Some("my work\n"));
        let one = args("echo", Some("./lessons/echo/src/bin/server.rs"), true);
        assert_eq!(reset(&root, &one, &mut never_asked), Exit::Ok);
        let echo = lessons::find("echo").expect("echo");
        let stub = stubs::files(echo);
        let shipped = &stub
            .iter()
            .find(|(p, _)| p == Path::new("src/bin/server.rs"))
            .expect("a server in the stub")
            .1;
        assert_eq!(&std::fs::read_to_string(&server).expect("reset"), shipped);
        let backups: Vec<_> = std::fs::read_dir(root.join("backups"))
            .expect("backups")
            .flatten()
            .collect();
        assert_eq!(backups.len(), 1);
        let kept = backups[0].path().join("src/bin/server.rs");
        assert_eq!(std::fs::read_to_string(kept).expect("kept"), "my work\n");
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn a_file_is_named_from_the_workspace_the_package_or_here() {
        let root = crate::builder::workspace_root();
        let package = "lessons/echo";
        let rel = |given: &str| relative_to_package(&root, package, Path::new(given));
        assert_eq!(rel("./lessons/echo/src/lib.rs"), Path::new("src/lib.rs"));
        assert_eq!(rel("src/bin/server.rs"), Path::new("src/bin/server.rs"));
        // From here (the checker's folder, where cargo runs the tests).
        let here = std::env::current_dir().expect("here");
        let from_here = pathdiff(&root.join("lessons/echo/src/gone.rs"), &here);
        assert_eq!(rel(&from_here), Path::new("src/gone.rs"));
    }

    /// `to` relative to `from`, with `..` (both absolute).
    fn pathdiff(to: &Path, from: &Path) -> String {
        let to: Vec<_> = to.components().collect();
        let from: Vec<_> = from.components().collect();
        let common = to.iter().zip(&from).take_while(|(a, b)| a == b).count();
        let mut out = PathBuf::new();
        for _ in common..from.len() {
            out.push("..");
        }
        for c in &to[common..] {
            out.push(c);
        }
        out.display().to_string()
    }
}
