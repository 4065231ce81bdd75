//! `cargo grade hint [LESSON [STAGE]]`: the hint of the next stage to work
//! on (or of the lesson's, or of one stage), with what its last run said
//! and the section of the book to read. Instant: it reads the results
//! kept by [`crate::progress`].

use std::path::Path;

use super::{Exit, Term, lessons_named, usage_error};
use crate::progress;

/// The options of `cargo grade hint`.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct Args {
    /// A lesson id (default: the first lesson not finished).
    pub lesson: Option<String>,
    /// A stage id of that lesson (default: its first not passed).
    pub stage: Option<String>,
}

/// Prints the hint, or says which lesson or stage does not exist.
pub fn run(args: &Args, root: &Path) -> Exit {
    match text(Term::stdout(), root, args) {
        Ok(text) => {
            print!("{text}");
            Exit::Ok
        }
        Err(message) => usage_error(message),
    }
}

/// What `cargo grade hint` prints, for the workspace at `root`, or why
/// the lesson or stage named is not one.
pub fn text(term: Term, root: &Path, args: &Args) -> Result<String, String> {
    let all = progress::standings(root);
    let chosen = match args.lesson.as_deref() {
        None => progress::next_in_course(&all).map(|(s, stage)| (s, Some(stage))),
        Some(id) => {
            let Some(s) = all.iter().find(|s| s.lesson.id == id) else {
                return Err(lessons_named(&[id.to_string()]).err().unwrap_or_default());
            };
            match args.stage.as_deref() {
                None => Some((s, s.next_stage())),
                Some(sid) => match s.lesson.stage(sid) {
                    Some(found) => Some((s, Some(found))),
                    None => {
                        return Err(format!(
                            "no stage `{sid}` in {id}; `cargo grade --list {id}` shows them"
                        ));
                    }
                },
            }
        }
    };
    Ok(match chosen {
        None => "Every stage of the course passes: no hint needed.\n".to_string(),
        Some((s, None)) => format!(
            "Every stage of {} passes. `cargo grade hint LESSON STAGE` gives the hint of any stage.\n",
            s.lesson.id
        ),
        // A lesson that does not compile runs no stage: that comes first
        // (unless a stage was named).
        Some((s, Some(_))) if args.stage.is_none() && s.does_not_compile() => {
            format!("{}\n", s.fix_the_build())
        }
        Some((s, Some(stage))) => progress::hint_text(term.paint(), root, s, stage),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lessons;

    fn args(lesson: Option<&str>, stage: Option<&str>) -> Args {
        Args {
            lesson: lesson.map(Into::into),
            stage: stage.map(Into::into),
        }
    }

    #[test]
    fn with_no_run_yet_the_hint_is_the_first_stage_of_the_course() {
        let root = std::env::temp_dir().join(format!("grade-cli-hint-{}", std::process::id()));
        let plain = Term::decide(false, None);
        let first = lessons::LESSONS[0];
        let text = text(plain, &root, &args(None, None)).expect("a hint");
        let heading = format!("{} / {} (", first.id, first.stages[0].id);
        assert!(text.starts_with(&heading), "{text}");
        assert!(text.contains("last run: not graded yet"), "{text}");

        let framing = lessons::find("framing").expect("framing");
        let named = args(Some("framing"), Some(framing.stages[1].id));
        let text = super::text(plain, &root, &named).expect("a hint");
        assert!(text.contains(framing.stages[1].hint), "{text}");
    }

    #[test]
    fn an_unknown_lesson_or_stage_is_refused() {
        let root = std::env::temp_dir();
        let plain = Term::decide(false, None);
        let lesson = text(plain, &root, &args(Some("nosuch"), None)).err();
        assert!(lesson.expect("refused").starts_with("no lesson `nosuch`"));
        assert_eq!(
            text(plain, &root, &args(Some("echo"), Some("nosuch")))
                .err()
                .as_deref(),
            Some("no stage `nosuch` in echo; `cargo grade --list echo` shows them")
        );
        assert_eq!(run(&args(Some("nosuch"), None), &root), Exit::Usage);
    }
}
