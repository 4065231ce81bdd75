//! `cargo grade [LESSONS]`: the ordinary grading run. It owns the options
//! of that run, turns them into a [`Request`], prints the stages as they
//! end ([`Printer`]), the report in the format asked, the `--report-dir`
//! files, and `--list`. `--watch` is the same run again and again: see
//! [`super::watch`] (which uses this module's [`prepare`]).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::ValueEnum;

use super::{Exit, Term, fail, lessons_or_all};
use crate::course::Stage;
use crate::lessons::{Flavor, Lesson};
use crate::report::StageReport;
use crate::report::{self, LessonReport, Paint, RunReport};
use crate::run::{self, Observer, Request};
use crate::verdict::Verdict;
use crate::{export, progress, sandbox, submission, time};

/// The options of a grading run (`cargo grade --help`).
#[derive(clap::Args, Clone, Debug, Default)]
pub struct Args {
    /// Lessons to grade, by id (default: all, in course order).
    pub lessons: Vec<String>,
    /// Grade the reference solutions in solutions/ instead of lessons/.
    #[arg(long)]
    pub solutions: bool,
    /// Run only this stage (by id); repeat for more.
    #[arg(long = "stage", value_name = "ID")]
    pub stages: Vec<String>,
    /// Grade this program in the given role instead of the built one, e.g.
    /// `cargo grade echo --program server=path/to/binary` (one lesson only).
    #[arg(long = "program", value_name = "ROLE=PATH", value_parser = parse_program)]
    pub programs: Vec<(String, PathBuf)>,
    /// How to print the results.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// List the lessons and their stages, then exit.
    #[arg(long)]
    pub list: bool,
    /// How many stages run at once (default: the number of cores).
    #[arg(short = 'j', long = "jobs", value_name = "N")]
    pub jobs: Option<usize>,
    /// Multiply every deadline by F, for a slow or busy machine (also
    /// GRADE_TIME_SCALE in the environment).
    #[arg(long, value_name = "F", value_parser = time::parse_scale)]
    pub time_scale: Option<f64>,
    /// Grade again whenever a file under lessons/ is saved: the lesson
    /// that changed (or only the lessons named). Ctrl-C stops.
    #[arg(long, conflicts_with_all = ["solutions", "list", "format"])]
    pub watch: bool,
    /// Grade the lessons of another checkout (a student's clone, or its
    /// lessons/ folder) with this checkout's checker. Only its lessons/ is
    /// read; it is built in a scratch folder under target/grade/.
    #[arg(long, value_name = "DIR", conflicts_with = "solutions")]
    pub submission: Option<PathBuf>,
    /// Also write the reports into DIR: report.json and report.txt.
    #[arg(long, value_name = "DIR")]
    pub report_dir: Option<PathBuf>,
    /// Run what is built and graded in a sandbox: a network of its own
    /// (loopback only), an offline build, and limits on CPU, memory, files
    /// and processes. For code you did not write.
    #[arg(long)]
    pub sandbox: bool,
}

/// How the results are printed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For a person, as the stages end.
    #[default]
    Text,
    /// The course's versioned report (checker/schema/report-v1.schema.json).
    Json,
    /// JUnit XML: a test case per stage.
    Junit,
    /// Gradescope's results.json.
    Gradescope,
    /// GitHub Classroom's autograding result (base64 JSON, one line).
    Classroom,
}

/// What to grade and where, from the command line; `--list` is answered
/// here (as an `Err` that is the exit status, like a usage error).
pub fn prepare<'a>(args: &'a Args, root: &Path) -> Result<(Request<'a>, Workspace), Exit> {
    let request = plan(args).map_err(|message| fail(Exit::Usage, message))?;
    if args.list {
        print!("{}", list_text(&request.lessons));
        return Err(Exit::Ok);
    }
    let workspace = Workspace::new(root, args.submission.as_deref())
        .map_err(|message| fail(Exit::Usage, message))?;
    if sandbox::state().is_some() {
        sandbox::set_workdir(workspace.graded.join("target/grade/workdir"));
    }
    Ok((request, workspace))
}

/// `cargo grade [LESSONS] [OPTIONS]`, in the checkout at `root`.
pub fn run(args: &Args, root: &Path) -> Exit {
    let (request, workspace) = match prepare(args, root) {
        Ok(ready) => ready,
        Err(exit) => return exit,
    };

    let text = args.format == Format::Text;
    let term = Term::stdout();
    let mut printer = Printer::new(
        Paint {
            on: text && term.colour,
        },
        text,
        text && term.terminal,
    );
    let started = Instant::now();
    let run = match workspace.grade(&request, &mut printer) {
        Ok(run) => run,
        Err(message) => return fail(Exit::CheckerError, message),
    };
    printer.clear_status();
    let context = export::Context {
        course: &workspace.course,
        graded: &workspace.lessons,
    };
    if let Some(dir) = &args.report_dir
        && let Err(e) = write_reports(dir, &run, &context)
    {
        let message = format!("could not write the reports in {}: {e}", dir.display());
        return fail(Exit::CheckerError, message);
    }
    match args.format {
        Format::Text => print!("{}", report::scoreboard(printer.paint, &run)),
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&export::json_report(&run, &context))
                .expect("the report serialises")
        ),
        Format::Junit => println!("{}", export::junit(&run)),
        Format::Classroom => println!("{}", export::classroom(&run)),
        Format::Gradescope => println!(
            "{}",
            serde_json::to_string_pretty(&export::gradescope(&run, started.elapsed()))
                .expect("the report serialises")
        ),
    }
    Exit::of_run(&run)
}

/// What is graded, and where.
#[derive(Clone, Debug)]
pub struct Workspace {
    /// This checkout: its checker, stages and points are the ones used.
    pub course: PathBuf,
    /// The lessons folder graded (and watched).
    pub lessons: PathBuf,
    /// The workspace they are built in: the course itself, or a scratch
    /// copy for another checkout's lessons.
    pub graded: PathBuf,
    /// The lessons are another checkout's (`--submission`).
    pub submission: bool,
}

impl Workspace {
    /// The course at `root`, grading its own lessons, or those of the
    /// checkout `submission` (in a scratch workspace).
    pub fn new(root: &Path, submission: Option<&Path>) -> Result<Workspace, String> {
        let (lessons, graded) = match submission {
            None => (root.join("lessons"), root.to_path_buf()),
            Some(dir) => {
                let lessons = submission::lessons_dir(dir)?;
                let scratch = submission::scratch_for(root, &lessons);
                (lessons, scratch)
            }
        };
        Ok(Workspace {
            course: root.to_path_buf(),
            lessons,
            graded,
            submission: submission.is_some(),
        })
    }

    /// One grading run; the student's own results are kept for
    /// `cargo grade progress`.
    pub fn grade(&self, request: &Request, printer: &mut Printer) -> Result<RunReport, String> {
        if self.submission {
            submission::prepare(&self.course, &self.lessons, &self.graded)?;
        }
        let run = run::grade(&self.graded, request, printer);
        if request.flavor == Flavor::Lesson
            && request.programs.is_empty()
            && let Err(e) = progress::record(&self.graded, &run)
        {
            eprintln!("cargo grade: could not keep the results in target/grade/: {e}");
        }
        Ok(run)
    }
}

/// Turns the command line into a grading request, or a usage error.
pub fn plan(args: &Args) -> Result<Request<'_>, String> {
    let chosen = lessons_or_all(&args.lessons)?;
    for id in &args.stages {
        if !chosen.iter().any(|l| l.stage(id).is_some()) {
            return Err(format!(
                "no stage `{id}` in the chosen lessons; `cargo grade --list` shows them"
            ));
        }
    }
    if !args.programs.is_empty() {
        let [lesson] = chosen.as_slice() else {
            return Err(
                "--program grades one lesson: name it, as in `cargo grade echo --program server=PATH`"
                    .into(),
            );
        };
        for (role, _) in &args.programs {
            if lesson.role(role).is_none() {
                return Err(format!(
                    "no role `{role}` in {}; its roles are: {}",
                    lesson.id,
                    lesson.role_list()
                ));
            }
        }
    }
    let lessons = chosen
        .into_iter()
        .map(|lesson| {
            let stages: Vec<_> = lesson
                .stages
                .iter()
                .filter(|s| args.stages.is_empty() || args.stages.iter().any(|id| id == s.id))
                .collect();
            (lesson, stages)
        })
        .filter(|(_, stages)| !stages.is_empty())
        .collect();
    Ok(Request {
        flavor: if args.solutions {
            Flavor::Solution
        } else {
            Flavor::Lesson
        },
        lessons,
        programs: &args.programs,
        jobs: args.jobs.unwrap_or_else(run::default_jobs).max(1),
        color: Term::stderr().colour,
    })
}

/// `--report-dir`: the JSON report and the text one, for a person.
pub fn write_reports(
    dir: &Path,
    run: &RunReport,
    context: &export::Context,
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let json = serde_json::to_string_pretty(&export::json_report(run, context))
        .expect("the report serialises");
    std::fs::write(dir.join("report.json"), json + "\n")?;
    std::fs::write(
        dir.join("report.txt"),
        report::full_text(Paint { on: false }, run),
    )
}

/// Prints the run as it goes: on a terminal, a status line says what is
/// running; finished stages are printed above it, in course order.
pub struct Printer {
    paint: Paint,
    text: bool,
    live: bool,
    status_shown: bool,
    /// Print each lesson and stage as it ends (not in watch mode, which
    /// shows a screen of its own once the run is over).
    stages: bool,
    /// How long the last build took.
    build_took: Option<Duration>,
    out: Box<dyn Write>,
}

impl Printer {
    /// A printer on stdout: `text` prints the stages as they end, `live`
    /// draws a status line (on a terminal only).
    pub fn new(paint: Paint, text: bool, live: bool) -> Printer {
        Printer {
            paint,
            text,
            live,
            status_shown: false,
            stages: true,
            build_took: None,
            out: Box::new(std::io::stdout()),
        }
    }

    /// A printer that shows only the status line: the caller prints the
    /// results once the run is over (`--watch`).
    pub fn status_only(paint: Paint, live: bool) -> Printer {
        Printer {
            stages: false,
            ..Printer::new(paint, true, live)
        }
    }

    /// How long the last build took.
    pub fn build_took(&self) -> Option<Duration> {
        self.build_took
    }

    /// Erases the status line, if one is shown.
    pub fn clear_status(&mut self) {
        if self.status_shown {
            let _ = write!(self.out, "\r\x1b[2K");
            let _ = self.out.flush();
            self.status_shown = false;
        }
    }

    fn status(&mut self, line: &str) {
        if self.live {
            // Keep the status to one line of an ordinary terminal.
            let line: String = line.chars().take(100).collect();
            let _ = write!(self.out, "\r\x1b[2K{}", self.paint.dim(&line));
            let _ = self.out.flush();
            self.status_shown = true;
        }
    }

    fn say(&mut self, text: &str) {
        if self.text && self.stages {
            self.clear_status();
            let _ = write!(self.out, "{text}");
            let _ = self.out.flush();
        }
    }
}

impl Observer for Printer {
    fn building(&mut self, packages: &[String]) {
        self.status(&format!("building {} …", packages.join(", ")));
    }

    fn built(&mut self, took: Duration) {
        self.build_took = Some(took);
    }

    fn lesson_start(&mut self, l: &LessonReport) {
        let heading = report::lesson_heading(self.paint, l.id, l.title, &l.package_dir);
        self.say(&format!("{heading}\n"));
        if let Some(build) = report::build_text(self.paint, l) {
            self.say(&build);
        }
    }

    fn stage(&mut self, l: &LessonReport, s: &StageReport) {
        // With a build that failed, the build's lines say it all.
        if l.build.ok || s.verdict != Verdict::NotRun {
            self.say(&report::stage_text(self.paint, s));
        }
    }

    fn running(&mut self, now: &[(&'static str, &'static str, Duration)]) {
        if now.is_empty() {
            return;
        }
        let list: Vec<String> = now
            .iter()
            .map(|(lesson, stage, took)| format!("{lesson}/{stage} {:.1}s", took.as_secs_f64()))
            .collect();
        self.status(&format!("  running: {}", list.join(", ")));
    }
}

/// `--list`: the lessons and their stages, with points and roles.
pub fn list_text(chosen: &[(&'static Lesson, Vec<&'static Stage>)]) -> String {
    let mut out = String::new();
    for (lesson, stages) in chosen {
        out += &format!(
            "{}: {} ({} points, chapter docs/src/{})\n",
            lesson.id,
            lesson.title,
            lesson.max_points(),
            lesson.chapter
        );
        for s in stages {
            out += &format!(
                "  {:<20} {:>3}  {:<52} [{}]\n",
                s.id,
                s.points,
                s.title,
                s.roles.join(", ")
            );
        }
    }
    out
}

/// `--program ROLE=PATH`.
pub fn parse_program(text: &str) -> Result<(String, PathBuf), String> {
    let (role, path) = text
        .split_once('=')
        .ok_or("expected ROLE=PATH, such as server=target/debug/my-server")?;
    let path = PathBuf::from(path);
    if !path.is_file() {
        return Err(format!("no program at {}", path.display()));
    }
    Ok((role.to_string(), path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lessons;
    use std::cell::RefCell;
    use std::rc::Rc;

    /// What a [`Printer`] wrote, for tests.
    #[derive(Clone, Default)]
    struct Captured(Rc<RefCell<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn args(lessons: &[&str], stages: &[&str]) -> Args {
        Args {
            lessons: lessons.iter().map(|s| s.to_string()).collect(),
            stages: stages.iter().map(|s| s.to_string()).collect(),
            ..Args::default()
        }
    }

    #[test]
    fn a_plan_names_lessons_and_stages_or_says_what_is_wrong() {
        let every = args(&[], &[]);
        let all = plan(&every).expect("every lesson");
        assert_eq!(all.lessons.len(), lessons::LESSONS.len());
        assert_eq!(all.flavor, Flavor::Lesson);
        assert!(all.jobs >= 1);

        let binary = args(&["echo"], &["binary"]);
        let one = plan(&binary).expect("one stage");
        assert_eq!(one.lessons.len(), 1);
        let ids: Vec<&str> = one.lessons[0].1.iter().map(|s| s.id).collect();
        assert_eq!(ids, ["binary"]);

        let bad = plan(&args(&["echo"], &["nosuch"])).err().expect("no stage");
        assert!(
            bad.starts_with("no stage `nosuch` in the chosen lessons"),
            "{bad}"
        );
        let bad = plan(&args(&["nosuch"], &[])).err().expect("no lesson");
        assert!(bad.starts_with("no lesson `nosuch`"), "{bad}");
    }

    #[test]
    fn a_given_program_needs_one_lesson_and_one_of_its_roles() {
        let program = |role: &str| (role.to_string(), PathBuf::from("/bin/true"));
        let mut many = args(&[], &[]);
        many.programs = vec![program("server")];
        let bad = plan(&many).err().expect("one lesson");
        assert!(bad.starts_with("--program grades one lesson"), "{bad}");
        let mut wrong = args(&["framing"], &[]);
        wrong.programs = vec![program("nosuch")];
        assert_eq!(
            plan(&wrong).err().as_deref(),
            Some("no role `nosuch` in framing; its roles are: server, client")
        );
        let mut right = args(&["framing"], &[]);
        right.programs = vec![program("server")];
        assert_eq!(plan(&right).expect("a plan").programs.len(), 1);

        assert!(parse_program("no-equals").is_err());
        assert!(parse_program("server=/no/such/program").is_err());
    }

    #[test]
    fn the_list_shows_each_lesson_then_its_stages() {
        let echo_args = args(&["echo"], &[]);
        let request = plan(&echo_args).expect("echo");
        let text = list_text(&request.lessons);
        let echo = lessons::find("echo").expect("echo");
        assert!(
            text.starts_with("echo: TCP echo server and client (100 points"),
            "{text}"
        );
        assert_eq!(text.lines().count(), 1 + echo.stages.len());
        assert!(text.lines().skip(1).all(|l| l.starts_with("  ")), "{text}");
    }

    fn captured(live: bool, stages: bool) -> (Printer, Captured) {
        let out = Captured::default();
        let mut printer = if stages {
            Printer::new(Paint { on: false }, true, live)
        } else {
            Printer::status_only(Paint { on: false }, live)
        };
        printer.out = Box::new(out.clone());
        (printer, out)
    }

    fn text(out: &Captured) -> String {
        String::from_utf8(out.0.borrow().clone()).expect("text")
    }

    #[test]
    fn the_status_line_is_drawn_only_when_live_and_erased_before_a_result() {
        let (mut quiet, out) = captured(false, true);
        quiet.running(&[("echo", "binary", Duration::from_millis(1500))]);
        assert_eq!(text(&out), "");

        let (mut live, out) = captured(true, true);
        live.running(&[]);
        assert_eq!(text(&out), "");
        live.running(&[("echo", "binary", Duration::from_millis(1500))]);
        assert_eq!(text(&out), "\r\x1b[2K  running: echo/binary 1.5s");
        live.say("done\n");
        assert!(
            text(&out).ends_with("1.5s\r\x1b[2Kdone\n"),
            "{:?}",
            text(&out)
        );
        live.clear_status();
        assert!(text(&out).ends_with("done\n"), "{:?}", text(&out));

        let long = "x".repeat(300);
        let (mut live, out) = captured(true, true);
        live.building(&[long]);
        assert_eq!(text(&out).chars().count(), "\r\x1b[2K".len() + 100);
    }

    #[test]
    fn in_watch_mode_only_the_status_and_the_build_time_are_kept() {
        let (mut watch, out) = captured(true, false);
        watch.say("a stage\n");
        assert_eq!(text(&out), "");
        watch.built(Duration::from_secs(2));
        assert_eq!(watch.build_took(), Some(Duration::from_secs(2)));
    }

    #[test]
    fn reports_are_written_as_json_and_text() {
        let dir = std::env::temp_dir().join(format!("grade-cli-reports-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let run = RunReport::new(Vec::new());
        let root = crate::builder::workspace_root();
        let context = export::Context {
            course: &root,
            graded: &root.join("lessons"),
        };
        write_reports(&dir.join("deep"), &run, &context).expect("written");
        let json: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("deep/report.json")).expect("report.json"),
        )
        .expect("JSON");
        assert_eq!(json["passed"], true);
        assert!(dir.join("deep/report.txt").is_file());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn another_checkouts_lessons_are_graded_in_a_scratch_workspace() {
        let root = Path::new("/course");
        let own = Workspace::new(root, None).expect("the course");
        assert_eq!(own.lessons, root.join("lessons"));
        assert_eq!(own.graded, root);
        assert!(!own.submission);
        let missing = Path::new("/no/such/checkout");
        assert!(Workspace::new(root, Some(missing)).is_err());
    }
}
