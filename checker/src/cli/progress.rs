//! `cargo grade progress`: where the student stands, from the results of
//! their last runs (kept by [`crate::progress`]). Instant: nothing is
//! built or run.

use std::path::Path;

use super::{Exit, Term};
use crate::progress;

/// Prints each lesson's points and the next stage to work on.
pub fn run(root: &Path) -> Exit {
    print!("{}", text(Term::stdout(), root));
    Exit::Ok
}

/// What `cargo grade progress` prints, for the workspace at `root`.
pub fn text(term: Term, root: &Path) -> String {
    progress::overview(term.paint(), root, &progress::standings(root))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lessons;

    #[test]
    fn with_no_run_yet_every_lesson_is_listed() {
        let root = std::env::temp_dir().join(format!("grade-cli-progress-{}", std::process::id()));
        let shown = text(Term::decide(false, None), &root);
        for lesson in lessons::LESSONS {
            assert!(
                shown.contains(lesson.id),
                "{} missing from\n{shown}",
                lesson.id
            );
        }
        assert!(!shown.contains("\x1b["), "{shown}");
        assert_eq!(run(&root), Exit::Ok);
    }
}
