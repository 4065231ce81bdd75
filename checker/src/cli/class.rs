//! `cargo grade class DIR`: every submission of a class graded by a child
//! checker (`cargo grade --sandbox --submission …`), a few at a time on a
//! [`pool`], each under a deadline, into a gradebook. It owns
//! the command's options, the child checker's command line, what a
//! child's end means for the student ([`outcome`]), the progress line and
//! the summary; [`crate::class`] owns the submissions, the cache and the
//! gradebook.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::pool::{self, Done, Ended, Snapshot, Ticker};
use super::{Exit, Term, fail, lessons_or_all, usage_error};
use crate::class::{self, Entry, Outcome};
use crate::submission::Refusal;
use crate::{platform, process, run, submission, time};

/// The options of `cargo grade class`.
#[derive(clap::Args, Clone, Debug)]
pub struct Args {
    /// The folder of submissions.
    pub dir: PathBuf,
    /// Lessons to grade (default: all).
    pub lessons: Vec<String>,
    /// Where the gradebook and the reports go (default:
    /// target/grade/class).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// How many submissions are graded at once (default: half the
    /// cores, at least one).
    #[arg(long, value_name = "N")]
    pub parallel: Option<usize>,
    /// A submission still running after this many minutes is stopped.
    #[arg(long, value_name = "MINUTES", default_value_t = 20)]
    pub deadline: u64,
    /// Grade again even where nothing changed.
    #[arg(long)]
    pub again: bool,
}

/// A class run, its defaults filled in.
#[derive(Clone, Debug)]
pub struct Options {
    /// The course's checkout (its manifests are what a submission's are
    /// compared with).
    pub course: PathBuf,
    pub lessons: Vec<String>,
    /// Where the gradebook and the students' folders go (absolute).
    pub out: PathBuf,
    /// Submissions graded at once.
    pub parallel: usize,
    /// Each submission's deadline, before the time scale.
    pub deadline: Duration,
    /// Grade again even where nothing changed.
    pub again: bool,
    /// `--time-scale`, passed on to the child checkers.
    pub time_scale: Option<f64>,
}

impl Options {
    /// The options of `args`, for the course at `root`.
    pub fn new(args: &Args, root: &Path, time_scale: Option<f64>) -> Options {
        Options {
            course: root.to_path_buf(),
            lessons: args.lessons.clone(),
            out: match &args.out {
                Some(out) => std::path::absolute(out).unwrap_or_else(|_| out.clone()),
                None => root.join("target/grade/class"),
            },
            parallel: args
                .parallel
                .unwrap_or_else(|| (run::default_jobs() / 2).max(1)),
            deadline: Duration::from_secs(args.deadline * 60),
            again: args.again,
            time_scale,
        }
    }
}

/// What a submission's grading gave, for the pool.
type Graded = (Outcome, bool);

/// `cargo grade class DIR`: every submission graded, the gradebook
/// written, a summary printed. [`Exit::Failed`] when a submission could
/// not be graded at all.
pub fn run(dir: &Path, options: &Options) -> Exit {
    let chosen = match lessons_or_all(&options.lessons) {
        Ok(chosen) => chosen,
        Err(message) => return usage_error(message),
    };
    let entries = match class::entries(dir) {
        Ok(entries) => entries,
        Err(message) => return usage_error(message),
    };
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            let message = format!("cannot find the checker's own program: {e}");
            return fail(Exit::CheckerError, message);
        }
    };
    if let Err(e) = std::fs::create_dir_all(&options.out) {
        return fail(
            Exit::CheckerError,
            format!("{}: {e}", options.out.display()),
        );
    }
    // Orphans of the child checkers' programs (a child checker killed at
    // its deadline, without a PID namespace) come to this process, which
    // kills them after each child and at its end.
    platform::adopt_orphans();
    let parallel = options.parallel.clamp(1, entries.len());
    let child = ChildChecker {
        exe,
        jobs: (run::default_jobs() / parallel).max(1),
        lessons: options.lessons.clone(),
        time_scale: options.time_scale.map(|f| f.to_string()),
    };
    let deadline = time::scaled(options.deadline);
    println!(
        "Grading {} submissions in {}: {parallel} at a time, each in the sandbox, stopped after {}",
        entries.len(),
        dir.display(),
        time::say(deadline)
    );

    let started = Instant::now();
    let terminal = Term::stdout().terminal;
    let grade_one = |entry: &Entry| child.grade(entry, &options.out, options.again, deadline);
    let row = |entry: &Entry, outcome: &Outcome| {
        let refused = refusals(&options.course, entry);
        class::row(&entry.student, &chosen, outcome, &refused)
    };
    // Off a terminal, a line per submission as it ends; on one, a bar.
    let finished = |entry: &Entry, (outcome, kept): &Graded, took: Duration| {
        if !terminal {
            let row = row(entry, outcome);
            println!("{}", row_line(&row, *kept, took));
        }
    };
    let mut bar = |s: &Snapshot<Graded>| {
        let running: Vec<&str> = s
            .running
            .iter()
            .map(|&i| entries[i].student.as_str())
            .collect();
        let line = progress_line(
            s.done(),
            entries.len(),
            mean_fresh(s.results),
            parallel,
            started.elapsed(),
            &running,
        );
        print!("\r\x1b[2K{line}");
        if s.over {
            println!();
        }
        let _ = std::io::stdout().flush();
    };
    let ticker = terminal.then_some(Ticker {
        every: Duration::from_millis(250),
        show: &mut bar,
    });
    let results = pool::run_all(&entries, parallel, grade_one, finished, ticker);

    let rows: Vec<class::Row> = entries
        .iter()
        .zip(&results)
        .map(|(e, r)| {
            let outcome = r.as_ref().map_or_else(
                || Outcome::NotGraded("not graded".into()),
                |d| d.result.0.clone(),
            );
            row(e, &outcome)
        })
        .collect();
    let (path, _csv) = match class::write_gradebook(&options.out, &chosen, &rows) {
        Ok(written) => written,
        Err(message) => return fail(Exit::CheckerError, message),
    };
    let kept = results.iter().flatten().filter(|d| d.result.1).count();
    println!("\n{}", class::table(&chosen, &rows).trim_end());
    println!(
        "\nGraded {} submissions in {:.1}s ({kept} unchanged since the last run, kept).\nGradebook: {}\nReports:   {}/students/STUDENT/report.txt and report.json",
        entries.len(),
        started.elapsed().as_secs_f64(),
        path.display(),
        options.out.display()
    );
    for (said, count) in class::protections(&options.out, &entries) {
        let of = if count == entries.len() {
            String::new()
        } else {
            format!(" ({count} of {} submissions)", entries.len())
        };
        println!("Sandbox{of}: {said}");
    }
    // 1 when a submission could not be graded at all (stopped, no report).
    let ungraded = results.iter().any(|r| {
        !matches!(
            r,
            Some(Done {
                result: (Outcome::Graded(_), _),
                ..
            })
        )
    });
    if ungraded { Exit::Failed } else { Exit::Ok }
}

/// What the checker refuses of a submission (see
/// [`submission::refusals`]); nothing when it has no lessons.
fn refusals(course: &Path, entry: &Entry) -> Vec<Refusal> {
    submission::lessons_dir(&entry.dir)
        .map(|lessons| submission::refusals(course, &lessons))
        .unwrap_or_default()
}

/// The child checker that grades one submission: this very program, in
/// the sandbox, on the submission's lessons, writing its reports in the
/// student's folder.
pub struct ChildChecker {
    /// The checker's own program.
    pub exe: PathBuf,
    /// `-j`: stages at once in each child.
    pub jobs: usize,
    /// The lessons graded (all when empty).
    pub lessons: Vec<String>,
    /// `--time-scale`, as given.
    pub time_scale: Option<String>,
}

impl ChildChecker {
    /// The child's command line for the submission at `submission`, its
    /// reports into `out`; its output (both streams) goes to `log`.
    pub fn command(&self, submission: &Path, out: &Path, log: std::fs::File) -> Command {
        let mut cmd = Command::new(&self.exe);
        cmd.arg("--sandbox")
            .arg("--submission")
            .arg(submission)
            .arg("--report-dir")
            .arg(out)
            .args(["-j", &self.jobs.to_string()])
            .args(&self.lessons)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_or(Stdio::null(), Into::into))
            .stderr(log);
        if let Some(scale) = &self.time_scale {
            cmd.args(["--time-scale", scale]);
        }
        cmd
    }

    /// What the options that change a grade are, for the cache key.
    fn key_options(&self) -> String {
        format!("{:?}/{:?}", self.lessons, self.time_scale)
    }

    /// Grades `entry` into its folder under `out`, unless its last report
    /// still stands (and `again` is not asked): the outcome, and whether
    /// the last report was kept.
    pub fn grade(&self, entry: &Entry, out: &Path, again: bool, deadline: Duration) -> Graded {
        let out = class::student_dir(out, &entry.student);
        let _ = std::fs::create_dir_all(&out);
        let key = class::inputs_key(entry, &self.exe, &self.key_options());
        if !again && let Some(report) = class::kept_report(&out, key) {
            return (Outcome::Graded(report), true);
        }
        class::forget(&out);
        if let Err(why) = submission::lessons_dir(&entry.dir) {
            return (Outcome::NotGraded(why), false);
        }
        let log = match std::fs::File::create(out.join("output.log")) {
            Ok(log) => log,
            Err(e) => return (Outcome::NotGraded(format!("output.log: {e}")), false),
        };
        let ended = pool::run_child(self.command(&entry.dir, &out, log), deadline);
        let outcome = outcome(&ended, class::read_report(&out), deadline);
        if matches!(outcome, Outcome::Graded(_)) {
            class::remember(&out, key);
        }
        (outcome, false)
    }
}

/// What a child checker's end means for the student: its report when it
/// wrote one, else why there is none. `deadline` is the one it had.
pub fn outcome(ended: &Ended, report: Option<Value>, deadline: Duration) -> Outcome {
    let why = match ended {
        Ended::Exited(status) => match report {
            Some(report) => return Outcome::Graded(report),
            None => format!(
                "the checker stopped without a report ({}); see output.log",
                process::describe_status(*status)
            ),
        },
        Ended::TimedOut => format!("stopped after {}", time::say(deadline)),
        Ended::Interrupted => "interrupted".to_string(),
        Ended::CannotStart(e) => format!("cannot start the checker: {e}"),
        Ended::Lost(e) => format!("cannot wait for the checker: {e}"),
    };
    Outcome::NotGraded(why)
}

/// A submission's line as it ends, off a terminal.
pub fn row_line(row: &class::Row, kept: bool, took: Duration) -> String {
    format!(
        "  {:<20} {:>4} points  {}{}  ({:.1}s)",
        row.student,
        row.total,
        row.status,
        if kept { ", unchanged: kept" } else { "" },
        took.as_secs_f64()
    )
}

/// How long a submission graded now (not kept) took, on average.
pub fn mean_fresh(results: &[Option<Done<Graded>>]) -> Option<Duration> {
    let fresh: Vec<Duration> = results
        .iter()
        .flatten()
        .filter(|d| !d.result.1)
        .map(|d| d.took)
        .collect();
    (!fresh.is_empty()).then(|| fresh.iter().sum::<Duration>() / fresh.len() as u32)
}

/// The progress line on a terminal: a bar, the count, the time so far, an
/// estimate of the time left, and who is being graded; at most 120
/// characters.
pub fn progress_line(
    done: usize,
    total: usize,
    mean: Option<Duration>,
    parallel: usize,
    elapsed: Duration,
    running: &[&str],
) -> String {
    let width = 30;
    let filled = (done * width).checked_div(total).unwrap_or(width);
    let left = mean.map_or("estimating…".to_string(), |mean| {
        let rest = total.saturating_sub(done) as u32 * mean / parallel.max(1) as u32;
        format!("about {}s left", rest.as_secs())
    });
    let line = format!(
        "[{}{}] {done}/{total} · {}s · {left} · now: {}",
        "#".repeat(filled),
        ".".repeat(width - filled),
        elapsed.as_secs(),
        running.join(", ")
    );
    line.chars().take(120).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;
    use std::process::ExitStatus;

    fn child() -> ChildChecker {
        ChildChecker {
            exe: PathBuf::from("/course/grade"),
            jobs: 2,
            lessons: vec!["echo".into()],
            time_scale: Some("1.5".into()),
        }
    }

    #[test]
    fn the_child_checker_grades_the_submission_in_the_sandbox_into_its_folder() {
        let log = std::fs::File::open("/dev/null").expect("a file");
        let cmd = child().command(Path::new("/class/ada"), Path::new("/out/ada"), log);
        assert_eq!(cmd.get_program(), "/course/grade");
        let args: Vec<_> = cmd.get_args().map(|a| a.to_string_lossy()).collect();
        assert_eq!(
            args,
            [
                "--sandbox",
                "--submission",
                "/class/ada",
                "--report-dir",
                "/out/ada",
                "-j",
                "2",
                "echo",
                "--time-scale",
                "1.5"
            ]
        );
        let no_color = cmd.get_envs().find(|(k, _)| *k == "NO_COLOR");
        assert_eq!(no_color.and_then(|(_, v)| v), Some("1".as_ref()));
        assert_ne!(
            child().key_options(),
            ChildChecker {
                time_scale: None,
                ..child()
            }
            .key_options()
        );
    }

    #[test]
    fn a_child_without_a_report_or_past_its_deadline_leaves_the_student_ungraded() {
        let minute = Duration::from_secs(60);
        let report = serde_json::json!({"lessons": []});
        let exited = |code: i32| Ended::Exited(ExitStatus::from_raw(code << 8));
        let said = |o: Outcome| match o {
            Outcome::Graded(r) => format!("graded {r}"),
            Outcome::NotGraded(why) => why,
        };
        // A failed run exits 1, with its report: the student is graded.
        assert_eq!(
            said(outcome(&exited(1), Some(report.clone()), minute)),
            "graded {\"lessons\":[]}"
        );
        assert_eq!(
            said(outcome(&exited(3), None, minute)),
            "the checker stopped without a report (exited with code 3); see output.log"
        );
        assert_eq!(
            said(outcome(&Ended::TimedOut, Some(report), minute)),
            "stopped after 60s"
        );
        assert_eq!(
            said(outcome(&Ended::Interrupted, None, minute)),
            "interrupted"
        );
        let missing = std::io::Error::from(std::io::ErrorKind::NotFound);
        assert!(
            said(outcome(&Ended::CannotStart(missing), None, minute))
                .starts_with("cannot start the checker: ")
        );
    }

    #[test]
    fn a_submission_without_lessons_is_not_started() {
        let base = std::env::temp_dir().join(format!("grade-cli-class-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let entry = Entry {
            student: "ada".into(),
            dir: base.join("class/ada"),
        };
        std::fs::create_dir_all(&entry.dir).expect("a submission");
        let checker = ChildChecker {
            exe: PathBuf::from("/no/such/checker"),
            ..child()
        };
        let (outcome, kept) =
            checker.grade(&entry, &base.join("out"), false, Duration::from_secs(1));
        assert!(!kept);
        match outcome {
            Outcome::NotGraded(why) => assert!(why.contains("holds no lesson"), "{why}"),
            Outcome::Graded(r) => panic!("graded: {r}"),
        }
        assert!(base.join("out/students/ada").is_dir());
        let _ = std::fs::remove_dir_all(&base);
    }

    #[test]
    fn the_progress_line_fills_estimates_and_fits_a_terminal() {
        let line = progress_line(0, 4, None, 2, Duration::from_secs(3), &["ada", "bob"]);
        assert_eq!(
            line,
            format!(
                "[{}] 0/4 · 3s · estimating… · now: ada, bob",
                ".".repeat(30)
            )
        );
        let line = progress_line(
            2,
            4,
            Some(Duration::from_secs(10)),
            2,
            Duration::from_secs(20),
            &[],
        );
        assert!(
            line.starts_with(&format!(
                "[{}{}] 2/4 · 20s · about 10s left",
                "#".repeat(15),
                ".".repeat(15)
            )),
            "{line}"
        );
        let many: Vec<String> = (0..40).map(|i| format!("student{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(
            progress_line(1, 40, None, 8, Duration::ZERO, &many)
                .chars()
                .count(),
            120
        );
    }

    #[test]
    fn only_submissions_graded_now_count_towards_the_estimate() {
        let done = |kept: bool, secs: u64| {
            Some(Done {
                result: (Outcome::NotGraded(String::new()), kept),
                took: Duration::from_secs(secs),
            })
        };
        assert_eq!(mean_fresh(&[None, done(true, 0)]), None);
        assert_eq!(
            mean_fresh(&[done(false, 10), done(true, 0), done(false, 20), None]),
            Some(Duration::from_secs(15))
        );
        let row = class::Row {
            student: "ada".into(),
            points: vec![35],
            total: 35,
            status: "ok".into(),
        };
        assert_eq!(
            row_line(&row, true, Duration::from_millis(1500)),
            "  ada                    35 points  ok, unchanged: kept  (1.5s)"
        );
    }
}
