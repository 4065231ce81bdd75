//! `cargo grade release OUT` and `cargo grade gradescope-bundle OUT`: what
//! an instructor hands out. It owns their options and messages;
//! [`crate::release`] writes the files.

use std::path::{Path, PathBuf};

use super::{Exit, lessons_named, usage_error};
use crate::release::{self, Written};

/// The options of `cargo grade release`.
#[derive(clap::Args, Clone, Debug)]
pub struct Args {
    /// A new folder.
    pub out: PathBuf,
}

/// The options of `cargo grade gradescope-bundle`.
#[derive(clap::Args, Clone, Debug)]
pub struct BundleArgs {
    /// A new folder.
    pub out: PathBuf,
    /// Lessons to grade (default: all).
    pub lessons: Vec<String>,
}

/// Writes the student repository.
pub fn student(args: &Args, root: &Path) -> Exit {
    written(
        release::student_release(root, &args.out),
        &args.out,
        "student release",
    )
}

/// Writes the Gradescope autograder.
pub fn gradescope(args: &BundleArgs, root: &Path) -> Exit {
    if let Err(message) = lessons_named(&args.lessons) {
        return usage_error(message);
    }
    written(
        release::gradescope_bundle(root, &args.out, &args.lessons),
        &args.out,
        "Gradescope autograder",
    )
}

/// Says what was written, or why not (a folder that is not new, one that
/// cannot be written: the instructor's to fix, so a usage error).
fn written(result: Result<Written, String>, out: &Path, what: &str) -> Exit {
    match result {
        Ok(written) => {
            println!(
                "Wrote the {what} in {} ({} files).",
                out.display(),
                written.files
            );
            Exit::Ok
        }
        Err(message) => usage_error(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_that_is_not_new_or_an_unknown_lesson_is_refused() {
        let root = crate::builder::workspace_root();
        // The course itself is not an empty folder: nothing is written.
        let taken = Args { out: root.clone() };
        assert_eq!(student(&taken, &root), Exit::Usage);
        let unknown = BundleArgs {
            out: std::env::temp_dir().join("grade-cli-never-written"),
            lessons: vec!["nosuch".into()],
        };
        assert_eq!(gradescope(&unknown, &root), Exit::Usage);
        assert!(!unknown.out.exists());
        assert_eq!(
            written(
                Ok(Written { files: 3 }),
                Path::new("out"),
                "student release"
            ),
            Exit::Ok
        );
    }
}
