//! `cargo grade`: builds the lessons, runs them on loopback, and scores
//! them stage by stage. See `cargo grade --help`.

use std::io::{IsTerminal, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

use checker::lessons::{self, Flavor, Lesson};
use checker::report::StageReport;
use checker::report::{self, LessonReport, Paint, RunReport};
use checker::run::{self, Observer, Request};
use checker::verdict::Verdict;
use checker::{builder, export, process, progress, stubs, submission, time, watch};

#[derive(Parser)]
#[command(
    name = "cargo grade",
    bin_name = "cargo grade",
    about = "Builds the course's lessons, runs them on loopback, and grades them stage by stage.",
    after_help = "Examples:\n  cargo grade                 grade every lesson\n  cargo grade echo            grade one lesson\n  cargo grade echo --stage binary\n  cargo grade --watch echo    grade echo again on every save\n  cargo grade progress        where you stand, and what to do next\n  cargo grade hint            the hint of the next stage to work on\n  cargo grade reset echo      put echo back as the course shipped it\n  cargo grade --solutions     grade the reference solutions\n  cargo grade --list          list lessons and stages\n  cargo grade peer dns        start the checker's DNS server by hand",
    args_conflicts_with_subcommands = true
)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// Lessons to grade, by id (default: all, in course order).
    lessons: Vec<String>,
    /// Grade the reference solutions in solutions/ instead of lessons/.
    #[arg(long)]
    solutions: bool,
    /// Run only this stage (by id); repeat for more.
    #[arg(long = "stage", value_name = "ID")]
    stages: Vec<String>,
    /// Grade this program in the given role instead of the built one, e.g.
    /// `cargo grade echo --program server=path/to/binary` (one lesson only).
    #[arg(long = "program", value_name = "ROLE=PATH", value_parser = parse_program)]
    programs: Vec<(String, PathBuf)>,
    /// How to print the results.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// List the lessons and their stages, then exit.
    #[arg(long)]
    list: bool,
    /// How many stages run at once (default: the number of cores).
    #[arg(short = 'j', long = "jobs", value_name = "N")]
    jobs: Option<usize>,
    /// Multiply every deadline by F, for a slow or busy machine (also
    /// GRADE_TIME_SCALE in the environment).
    #[arg(long, value_name = "F", value_parser = time::parse_scale)]
    time_scale: Option<f64>,
    /// Grade again whenever a file under lessons/ is saved: the lesson
    /// that changed (or only the lessons named). Ctrl-C stops.
    #[arg(long, conflicts_with_all = ["solutions", "list", "format"])]
    watch: bool,
    /// Grade the lessons of another checkout (a student's clone, or its
    /// lessons/ folder) with this checkout's checker. Only its lessons/ is
    /// read; it is built in a scratch folder under target/grade/.
    #[arg(long, value_name = "DIR", conflicts_with = "solutions")]
    submission: Option<PathBuf>,
    /// Also write the reports into DIR: report.json and report.txt.
    #[arg(long, value_name = "DIR")]
    report_dir: Option<PathBuf>,
    /// Run what is built and graded in a sandbox: a network of its own
    /// (loopback only), an offline build, and limits on CPU, memory, files
    /// and processes. For code you did not write.
    #[arg(long)]
    sandbox: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Where you stand: each lesson's points from your last runs, and the
    /// next stage to work on. Instant: nothing is built or run.
    Progress,
    /// The hint of the next stage you have not passed (or of LESSON's, or
    /// of one STAGE), and the section of the book to read.
    Hint {
        /// A lesson id (default: the first lesson not finished).
        lesson: Option<String>,
        /// A stage id of that lesson (default: its first not passed).
        stage: Option<String>,
    },
    /// Put a lesson, or one file of it, back as the course shipped it.
    /// What it replaces is first copied into backups/.
    Reset {
        /// The lesson id.
        lesson: String,
        /// One file, relative to the lesson (`src/bin/server.rs`).
        file: Option<PathBuf>,
        /// Do not ask first.
        #[arg(long)]
        yes: bool,
    },
    /// Start one of the checker's peers by hand, to try a program (or dig,
    /// curl, nc) against it.
    Peer {
        /// The peer's name (without one, the list).
        name: Option<String>,
    },
    /// Write the student repository into OUT: lessons, checker, book, a
    /// student README and a GitHub Classroom workflow; no solutions.
    Release {
        /// A new folder.
        out: PathBuf,
    },
    /// Write a Gradescope autograder into OUT (zip its contents and upload
    /// them): setup.sh, run_autograder and the course without solutions.
    GradescopeBundle {
        /// A new folder.
        out: PathBuf,
        /// Lessons to grade (default: all).
        lessons: Vec<String>,
    },
    /// Grade a class: DIR holds one folder per student (a clone, or its
    /// lessons/). Writes a gradebook CSV and each student's reports.
    Class {
        /// The folder of submissions.
        dir: PathBuf,
        /// Lessons to grade (default: all).
        lessons: Vec<String>,
        /// Where the gradebook and the reports go (default:
        /// target/grade/class).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// How many submissions are graded at once (default: half the
        /// cores, at least one).
        #[arg(long, value_name = "N")]
        parallel: Option<usize>,
        /// A submission still running after this many minutes is stopped.
        #[arg(long, value_name = "MINUTES", default_value_t = 20)]
        deadline: u64,
        /// Grade again even where nothing changed.
        #[arg(long)]
        again: bool,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// For a person, as the stages end.
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

/// Stops every program the checker started when dropped: also when the
/// main thread unwinds from a panic. (A stage's own panic is caught where
/// it happens and reported as the checker's error; it never gets here.)
struct StopAllOnExit;

impl Drop for StopAllOnExit {
    fn drop(&mut self) {
        process::kill_everything();
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    // Before any thread exists: a process with threads cannot enter a
    // namespace of its own.
    if args.sandbox {
        let state = checker::sandbox::enter();
        if let Some(note) = &state.note {
            eprintln!("cargo grade: {note}");
        }
    }
    // The programs under test run in process groups of their own, so Ctrl-C
    // at the terminal does not reach them: the checker ends them itself.
    let _ = ctrlc::set_handler(|| {
        process::kill_everything();
        eprintln!("\ninterrupted: every program the checker started has been stopped");
        std::process::exit(130);
    });
    let _guard = StopAllOnExit;

    if let Some(scale) = args.time_scale {
        time::set_scale(scale);
    }
    let root = builder::workspace_root();
    match &args.command {
        Some(Command::Peer { name }) => return peer(name.as_deref()),
        Some(Command::Progress) => return show_progress(&root),
        Some(Command::Hint { lesson, stage }) => {
            return hint(&root, lesson.as_deref(), stage.as_deref());
        }
        Some(Command::Reset { lesson, file, yes }) => {
            return reset(&root, lesson, file.as_deref(), *yes);
        }
        Some(Command::Release { out }) => {
            return report_written(
                checker::release::student_release(&root, out),
                out,
                "student release",
            );
        }
        Some(Command::GradescopeBundle { out, lessons }) => {
            if let Err(message) = lessons_named(lessons) {
                return usage_error(&message);
            }
            return report_written(
                checker::release::gradescope_bundle(&root, out, lessons),
                out,
                "Gradescope autograder",
            );
        }
        Some(Command::Class {
            dir,
            lessons,
            out,
            parallel,
            deadline,
            again,
        }) => {
            let options = ClassOptions {
                lessons: lessons.clone(),
                out: match out {
                    Some(out) => std::path::absolute(out).unwrap_or_else(|_| out.clone()),
                    None => root.join("target/grade/class"),
                },
                parallel: parallel.unwrap_or_else(|| (run::default_jobs() / 2).max(1)),
                deadline: Duration::from_secs(deadline * 60),
                again: *again,
                time_scale: args.time_scale,
            };
            return grade_class(dir, &options);
        }
        None => {}
    }
    let request = match plan(&args) {
        Ok(request) => request,
        Err(message) => {
            eprintln!("cargo grade: {message}");
            return ExitCode::from(2);
        }
    };
    if args.list {
        list(&request.lessons);
        return ExitCode::SUCCESS;
    }

    // Another checkout's lessons are graded in a scratch workspace.
    let (lessons_dir, graded_root) = match &args.submission {
        None => (root.join("lessons"), root.clone()),
        Some(dir) => match submission::lessons_dir(dir) {
            Ok(lessons) => {
                let scratch = submission::scratch_for(&root, &lessons);
                (lessons, scratch)
            }
            Err(message) => {
                eprintln!("cargo grade: {message}");
                return ExitCode::from(2);
            }
        },
    };
    let workspace = Workspace {
        course: root,
        lessons: lessons_dir,
        graded: graded_root,
        submission: args.submission.is_some(),
    };
    if checker::sandbox::state().is_some() {
        checker::sandbox::set_workdir(workspace.graded.join("target/grade/workdir"));
    }
    if args.watch {
        return watch_loop(&workspace, &request, !args.lessons.is_empty());
    }

    let text = args.format == Format::Text;
    let terminal = std::io::stdout().is_terminal();
    let color = std::env::var_os("NO_COLOR").is_none();
    let mut printer = Printer {
        paint: Paint {
            on: text && terminal && color,
        },
        text,
        live: text && terminal,
        status_shown: false,
        stages: true,
        build_took: None,
    };
    let started = std::time::Instant::now();
    let run = match workspace.grade(&request, &mut printer) {
        Ok(run) => run,
        Err(message) => {
            eprintln!("cargo grade: {message}");
            return ExitCode::from(3);
        }
    };
    printer.clear_status();
    let context = export::Context {
        course: &workspace.course,
        graded: &workspace.lessons,
    };
    if let Some(dir) = &args.report_dir
        && let Err(e) = write_reports(dir, &run, &context)
    {
        eprintln!(
            "cargo grade: could not write the reports in {}: {e}",
            dir.display()
        );
        return ExitCode::from(3);
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
    exit_code(&run)
}

/// What is graded, and where.
struct Workspace {
    /// This checkout: its checker, stages and points are the ones used.
    course: PathBuf,
    /// The lessons folder graded (and watched).
    lessons: PathBuf,
    /// The workspace they are built in: the course itself, or a scratch
    /// copy for another checkout's lessons.
    graded: PathBuf,
    submission: bool,
}

impl Workspace {
    /// One grading run; the student's own results are kept for
    /// `cargo grade progress`.
    fn grade(&self, request: &Request, printer: &mut Printer) -> Result<RunReport, String> {
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

/// `cargo grade --watch`: grades, then again on every save, until Ctrl-C.
fn watch_loop(ws: &Workspace, request: &Request, named: bool) -> ExitCode {
    let terminal = std::io::stdout().is_terminal();
    let paint = Paint {
        on: terminal && std::env::var_os("NO_COLOR").is_none(),
    };
    let mut printer = Printer {
        paint,
        text: true,
        live: terminal,
        status_shown: false,
        stages: false,
        build_took: None,
    };
    let dir = std::fs::canonicalize(&ws.lessons).unwrap_or_else(|_| ws.lessons.clone());
    let changes = match watch::Changes::watch(&dir) {
        Ok(changes) => changes,
        Err(message) => {
            eprintln!("cargo grade: {message}");
            return ExitCode::from(3);
        }
    };
    // First: the lessons named, or the one the student is working on.
    let first: Vec<&'static Lesson> = if named {
        request.lessons.iter().map(|(l, _)| *l).collect()
    } else {
        let all = progress::standings(&ws.graded);
        progress::next_in_course(&all)
            .map(|(s, _)| s.lesson)
            .into_iter()
            .collect()
    };
    let mut cause = "first run".to_string();
    let mut due = first;
    loop {
        if !due.is_empty() {
            let chosen = Request {
                lessons: request
                    .lessons
                    .iter()
                    .filter(|(l, _)| due.iter().any(|d| d.id == l.id))
                    .cloned()
                    .collect(),
                programs: request.programs,
                ..*request
            };
            let started = std::time::Instant::now();
            let result = ws.grade(&chosen, &mut printer);
            let took = started.elapsed();
            let build = printer.build_took.unwrap_or_default();
            printer.clear_status();
            if terminal {
                // Clear the screen and its scroll-back, cursor to the top.
                print!("\x1b[2J\x1b[3J\x1b[H");
            }
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let clock = &time::utc_stamp(now)[11..];
            println!(
                "{}",
                paint.bold(&format!(
                    "cargo grade --watch: graded at {}:{}:{} UTC ({cause}; built in {:.1}s, ran in {:.1}s)",
                    &clock[..2],
                    &clock[2..4],
                    &clock[4..],
                    build.as_secs_f64(),
                    took.saturating_sub(build).as_secs_f64()
                ))
            );
            match result {
                Ok(run) => print!("{}", watch::screen(paint, &run)),
                Err(message) => println!("cargo grade: {message}"),
            }
        }
        println!(
            "{}",
            paint.dim(&format!(
                "watching {} for saves; Ctrl-C stops",
                ws.lessons.display()
            ))
        );
        let _ = std::io::stdout().flush();
        due.clear();
        while due.is_empty() {
            let Some(batch) = changes.next() else {
                return ExitCode::SUCCESS;
            };
            let paths = match batch {
                Ok(paths) => paths,
                Err(message) => {
                    eprintln!("cargo grade: watching: {message}");
                    continue;
                }
            };
            // An editor's temporary files are gone by now: name a file that
            // is still there.
            let mut paths = paths;
            paths.sort_by_key(|p| !p.is_file());
            for path in &paths {
                let Some(lesson) = watch::lesson_of(&dir, path) else {
                    continue;
                };
                let wanted = request.lessons.iter().any(|(l, _)| l.id == lesson.id);
                if wanted && !due.iter().any(|d| d.id == lesson.id) {
                    due.push(lesson);
                    let rel = path.strip_prefix(&dir).unwrap_or(path);
                    let shown = Path::new(dir.file_name().unwrap_or_default()).join(rel);
                    cause = format!("you saved {}", shown.display());
                }
            }
        }
    }
}

fn report_written(
    result: Result<checker::release::Written, String>,
    out: &Path,
    what: &str,
) -> ExitCode {
    match result {
        Ok(written) => {
            println!(
                "Wrote the {what} in {} ({} files).",
                out.display(),
                written.files
            );
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("cargo grade: {message}");
            ExitCode::from(2)
        }
    }
}

/// `--report-dir`: the JSON report and the text one, for a person.
fn write_reports(dir: &Path, run: &RunReport, context: &export::Context) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let json = serde_json::to_string_pretty(&export::json_report(run, context))
        .expect("the report serialises");
    std::fs::write(dir.join("report.json"), json + "\n")?;
    std::fs::write(
        dir.join("report.txt"),
        report::full_text(Paint { on: false }, run),
    )
}

struct ClassOptions {
    lessons: Vec<String>,
    out: PathBuf,
    parallel: usize,
    deadline: Duration,
    again: bool,
    time_scale: Option<f64>,
}

/// `cargo grade class DIR`: every submission graded by a child checker in
/// the sandbox, a few at a time, into a gradebook.
fn grade_class(dir: &Path, options: &ClassOptions) -> ExitCode {
    use checker::class::{self, Entry, Outcome};
    use std::sync::Mutex;
    use std::time::Instant;

    let chosen: Vec<&'static Lesson> = if options.lessons.is_empty() {
        lessons::LESSONS.to_vec()
    } else {
        match lessons_named(&options.lessons) {
            Ok(chosen) => chosen,
            Err(message) => return usage_error(&message),
        }
    };
    let entries = match class::entries(dir) {
        Ok(entries) => entries,
        Err(message) => {
            eprintln!("cargo grade: {message}");
            return ExitCode::from(2);
        }
    };
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("cargo grade: cannot find the checker's own program: {e}");
            return ExitCode::from(3);
        }
    };
    if let Err(e) = std::fs::create_dir_all(&options.out) {
        eprintln!("cargo grade: {}: {e}", options.out.display());
        return ExitCode::from(3);
    }
    let parallel = options.parallel.clamp(1, entries.len());
    let child_jobs = (run::default_jobs() / parallel).max(1);
    let scale = options.time_scale.map(|f| f.to_string());
    let key_options = format!("{:?}/{:?}", options.lessons, scale);
    println!(
        "Grading {} submissions in {}: {parallel} at a time, each in the sandbox, stopped after {}",
        entries.len(),
        dir.display(),
        time::say(time::scaled(options.deadline))
    );

    let started = Instant::now();
    // Popped from the end: reversed, so that students go in order.
    let queue = Mutex::new(entries.iter().enumerate().rev().collect::<Vec<_>>());
    let results: Mutex<Vec<Option<(Outcome, bool, Duration)>>> =
        Mutex::new(entries.iter().map(|_| None).collect());
    let running: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let grade_one = |entry: &Entry| -> (Outcome, bool) {
        let out = options.out.join("students").join(&entry.student);
        let _ = std::fs::create_dir_all(&out);
        let key = class::inputs_key(entry, &exe, &key_options);
        let key_file = out.join("inputs.key");
        if !options.again
            && let Some(key) = key
            && std::fs::read_to_string(&key_file).ok() == Some(format!("{key:x}"))
            && let Some(report) = std::fs::read_to_string(out.join("report.json"))
                .ok()
                .and_then(|t| serde_json::from_str(&t).ok())
        {
            return (Outcome::Graded(report), true);
        }
        let _ = std::fs::remove_file(&key_file);
        let _ = std::fs::remove_file(out.join("report.json"));
        if let Err(why) = submission::lessons_dir(&entry.dir) {
            return (Outcome::NotGraded(why), false);
        }
        let log = match std::fs::File::create(out.join("output.log")) {
            Ok(log) => log,
            Err(e) => return (Outcome::NotGraded(format!("output.log: {e}")), false),
        };
        let mut cmd = std::process::Command::new(&exe);
        cmd.arg("--sandbox")
            .arg("--submission")
            .arg(&entry.dir)
            .arg("--report-dir")
            .arg(&out)
            .args(["-j", &child_jobs.to_string()])
            .args(&options.lessons)
            .env("NO_COLOR", "1")
            .stdin(std::process::Stdio::null())
            .stdout(
                log.try_clone()
                    .map_or(std::process::Stdio::null(), Into::into),
            )
            .stderr(log)
            .process_group(0);
        // A child checker dies with this one, whatever ends it.
        checker::platform::die_with_parent(&mut cmd, libc::SIGTERM);
        if let Some(scale) = &scale {
            cmd.args(["--time-scale", scale]);
        }
        let mut child = match cmd.spawn() {
            Ok(child) => child,
            Err(e) => {
                return (
                    Outcome::NotGraded(format!("cannot start the checker: {e}")),
                    false,
                );
            }
        };
        let pgid = child.id() as i32;
        if !process::track_group_politely(pgid) {
            let _ = child.wait();
            return (Outcome::NotGraded("interrupted".into()), false);
        }
        let deadline = Instant::now() + time::scaled(options.deadline);
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if Instant::now() > deadline => break None,
                Ok(None) => std::thread::sleep(Duration::from_millis(100)),
                Err(_) => break None,
            }
        };
        process::stop_group_politely(pgid);
        let _ = child.wait();
        let Some(status) = status else {
            return (
                Outcome::NotGraded(format!(
                    "stopped after {}",
                    time::say(time::scaled(options.deadline))
                )),
                false,
            );
        };
        match std::fs::read_to_string(out.join("report.json"))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
        {
            Some(report) => {
                if let Some(key) = key {
                    let _ = std::fs::write(&key_file, format!("{key:x}"));
                }
                (Outcome::Graded(report), false)
            }
            None => (
                Outcome::NotGraded(format!(
                    "the checker stopped without a report ({}); see output.log",
                    process::describe_status(status)
                )),
                false,
            ),
        }
    };

    let terminal = std::io::stdout().is_terminal();
    std::thread::scope(|scope| {
        for _ in 0..parallel {
            scope.spawn(|| {
                loop {
                    if process::stopping() {
                        break;
                    }
                    let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop();
                    let Some((index, entry)) = next else { break };
                    running
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(entry.student.clone());
                    let began = Instant::now();
                    let (outcome, skipped) = grade_one(entry);
                    running
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .retain(|s| *s != entry.student);
                    let took = began.elapsed();
                    if !terminal {
                        let row = class::row(&entry.student, &chosen, &outcome);
                        println!(
                            "  {:<20} {:>4} points  {}{}  ({:.1}s)",
                            entry.student,
                            row.total,
                            row.status,
                            if skipped { ", unchanged: kept" } else { "" },
                            took.as_secs_f64()
                        );
                    }
                    results.lock().unwrap_or_else(|e| e.into_inner())[index] =
                        Some((outcome, skipped, took));
                }
            });
        }
        if terminal {
            // The progress bar, with an estimate from the submissions done.
            loop {
                let (done, graded_time) = {
                    let r = results.lock().unwrap_or_else(|e| e.into_inner());
                    let done: Vec<_> = r.iter().flatten().collect();
                    let fresh: Vec<Duration> = done
                        .iter()
                        .filter(|(_, s, _)| !s)
                        .map(|(_, _, t)| *t)
                        .collect();
                    let mean = (!fresh.is_empty())
                        .then(|| fresh.iter().sum::<Duration>() / fresh.len() as u32);
                    (done.len(), mean)
                };
                let total = entries.len();
                let width = 30;
                let filled = done * width / total;
                let left = graded_time.map_or("estimating…".to_string(), |mean| {
                    let rest = (total - done) as u32 * mean / parallel as u32;
                    format!("about {}s left", rest.as_secs())
                });
                let now = running.lock().unwrap_or_else(|e| e.into_inner()).join(", ");
                let line = format!(
                    "[{}{}] {done}/{total} · {}s · {left} · now: {now}",
                    "#".repeat(filled),
                    ".".repeat(width - filled),
                    started.elapsed().as_secs()
                );
                print!("\r\x1b[2K{}", line.chars().take(120).collect::<String>());
                let _ = std::io::stdout().flush();
                if done == total {
                    println!();
                    break;
                }
                std::thread::sleep(Duration::from_millis(250));
            }
        }
    });

    let results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    let rows: Vec<class::Row> = entries
        .iter()
        .zip(&results)
        .map(|(e, r)| {
            let outcome = r.as_ref().map_or_else(
                || Outcome::NotGraded("not graded".into()),
                |(o, _, _)| o.clone(),
            );
            class::row(&e.student, &chosen, &outcome)
        })
        .collect();
    let csv = class::gradebook(&chosen, &rows);
    let path = options.out.join("gradebook.csv");
    if let Err(e) = std::fs::write(&path, &csv) {
        eprintln!("cargo grade: {}: {e}", path.display());
        return ExitCode::from(3);
    }
    let kept = results.iter().flatten().filter(|(_, s, _)| *s).count();
    let not_isolated = entries.iter().any(|e| {
        std::fs::read_to_string(
            options
                .out
                .join("students")
                .join(&e.student)
                .join("output.log"),
        )
        .is_ok_and(|log| log.contains("no network namespace"))
    });
    println!("\n{}", csv.trim_end().replace(',', "\t"));
    println!(
        "\nGraded {} submissions in {:.1}s ({kept} unchanged since the last run, kept).\nGradebook: {}\nReports:   {}/students/STUDENT/report.txt and report.json",
        entries.len(),
        started.elapsed().as_secs_f64(),
        path.display(),
        options.out.display()
    );
    if not_isolated {
        println!(
            "note: this machine refused a network namespace: the submissions ran with limits, but could reach the network (see a student's output.log)"
        );
    }
    // 1 when a submission could not be graded at all (stopped, no report).
    let ungraded = results
        .iter()
        .any(|r| !matches!(r, Some((Outcome::Graded(_), _, _))));
    if ungraded {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// `cargo grade progress`.
fn show_progress(root: &Path) -> ExitCode {
    let paint = Paint {
        on: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    print!(
        "{}",
        progress::overview(paint, root, &progress::standings(root))
    );
    ExitCode::SUCCESS
}

/// `cargo grade hint [LESSON [STAGE]]`.
fn hint(root: &Path, lesson: Option<&str>, stage: Option<&str>) -> ExitCode {
    let paint = Paint {
        on: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let all = progress::standings(root);
    let chosen = match lesson {
        None => progress::next_in_course(&all).map(|(s, stage)| (s, Some(stage))),
        Some(id) => match all.iter().find(|s| s.lesson.id == id) {
            None => {
                return usage_error(&lessons_named(&[id.to_string()]).err().unwrap_or_default());
            }
            Some(s) => match stage {
                None => Some((s, s.next_stage())),
                Some(sid) => match s.lesson.stage(sid) {
                    Some(found) => Some((s, Some(found))),
                    None => {
                        eprintln!(
                            "cargo grade: no stage `{sid}` in {id}; `cargo grade --list {id}` shows them"
                        );
                        return ExitCode::from(2);
                    }
                },
            },
        },
    };
    match chosen {
        None => println!("Every stage of the course passes: no hint needed."),
        Some((s, None)) => println!(
            "Every stage of {} passes. `cargo grade hint LESSON STAGE` gives the hint of any stage.",
            s.lesson.id
        ),
        // A lesson that does not compile runs no stage: that comes first
        // (unless a stage was named).
        Some((s, Some(_))) if stage.is_none() && s.does_not_compile() => {
            println!("{}", s.fix_the_build());
        }
        Some((s, Some(stage))) => print!("{}", progress::hint_text(paint, root, s, stage)),
    }
    ExitCode::SUCCESS
}

/// `cargo grade reset LESSON [FILE] [--yes]`.
fn reset(root: &Path, id: &str, file: Option<&Path>, yes: bool) -> ExitCode {
    let lesson = match lessons_named(&[id.to_string()]) {
        Ok(found) => found[0],
        Err(message) => return usage_error(&message),
    };
    let package = lesson.package_dir(Flavor::Lesson);
    // A file named from wherever the student stands: `server.rs` from
    // lessons/echo/src/bin, `./lessons/echo/…` from the top.
    let file = file.map(|f| relative_to_package(root, &package, f));
    let plan = match stubs::plan(root, lesson, file.as_deref()) {
        Ok(plan) => plan,
        Err(message) => {
            eprintln!("cargo grade: {message}");
            return ExitCode::from(2);
        }
    };
    if plan.is_empty() {
        let what = file
            .as_ref()
            .map_or(package.clone(), |f| format!("{package}/{}", f.display()));
        println!("{what} is already as the course shipped it: nothing to reset.");
        return ExitCode::SUCCESS;
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
    if !yes {
        if !std::io::stdin().is_terminal() {
            eprintln!(
                "cargo grade: reset asks before it replaces your work; answer on a terminal, or add --yes"
            );
            return ExitCode::from(2);
        }
        print!("Go on? [y/N] ");
        let _ = std::io::stdout().flush();
        let mut answer = String::new();
        let _ = std::io::stdin().read_line(&mut answer);
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            println!("Nothing was changed.");
            return ExitCode::FAILURE;
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
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!(
                "cargo grade: the reset stopped halfway ({e}); your files are in {}/",
                backup.display()
            );
            ExitCode::FAILURE
        }
    }
}

/// A file named on the command line, relative to the lesson's package
/// when it can be: as given from the workspace or the package, or as it
/// resolves from the current folder.
fn relative_to_package(root: &Path, package: &str, given: &Path) -> PathBuf {
    let plain: PathBuf = given
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
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

/// The lessons named, in the order given, or why one is not a lesson.
fn lessons_named(ids: &[String]) -> Result<Vec<&'static Lesson>, String> {
    ids.iter()
        .map(|id| {
            lessons::find(id)
                .ok_or_else(|| format!("no lesson `{id}`; the lessons are: {}", lessons::ids()))
        })
        .collect()
}

/// Says what was wrong with the command line; exit code 2.
fn usage_error(message: &str) -> ExitCode {
    eprintln!("cargo grade: {message}");
    ExitCode::from(2)
}

/// Starts the peer called `name`, or says which there are.
fn peer(name: Option<&str>) -> ExitCode {
    let peers: Vec<_> = lessons::LESSONS
        .iter()
        .filter_map(|l| l.peer.as_ref().map(|p| (l, p)))
        .collect();
    let Some((lesson, found)) = peers.iter().find(|(_, p)| Some(p.name) == name) else {
        let names: Vec<String> = peers
            .iter()
            .map(|(l, p)| format!("{} (lesson {})", p.name, l.id))
            .collect();
        eprintln!(
            "cargo grade: usage: cargo grade peer NAME; the peers are: {}",
            names.join(", ")
        );
        return ExitCode::from(2);
    };
    println!("lesson {}: {}", lesson.id, lesson.title);
    match (found.run)() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cargo grade: the {} peer stopped: {e}", found.name);
            ExitCode::FAILURE
        }
    }
}

fn exit_code(run: &RunReport) -> ExitCode {
    let checker_failed = run
        .lessons
        .iter()
        .flat_map(|l| &l.stages)
        .any(|s| s.verdict == Verdict::CheckerError);
    if checker_failed {
        ExitCode::from(3)
    } else if run.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Turns the command line into a grading request, or a usage error.
fn plan(args: &Args) -> Result<Request<'_>, String> {
    let chosen: Vec<&'static Lesson> = if args.lessons.is_empty() {
        lessons::LESSONS.to_vec()
    } else {
        lessons_named(&args.lessons)?
    };
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
        color: std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    })
}

/// Prints the run as it goes: on a terminal, a status line says what is
/// running; finished stages are printed above it, in course order.
struct Printer {
    paint: Paint,
    text: bool,
    live: bool,
    status_shown: bool,
    /// Print each lesson and stage as it ends (not in watch mode, which
    /// shows a screen of its own once the run is over).
    stages: bool,
    /// How long the last build took.
    build_took: Option<Duration>,
}

impl Printer {
    fn clear_status(&mut self) {
        if self.status_shown {
            print!("\r\x1b[2K");
            let _ = std::io::stdout().flush();
            self.status_shown = false;
        }
    }

    fn status(&mut self, line: &str) {
        if self.live {
            // Keep the status to one line of an ordinary terminal.
            let line: String = line.chars().take(100).collect();
            print!("\r\x1b[2K{}", self.paint.dim(&line));
            let _ = std::io::stdout().flush();
            self.status_shown = true;
        }
    }

    fn say(&mut self, text: &str) {
        if self.text && self.stages {
            self.clear_status();
            print!("{text}");
            let _ = std::io::stdout().flush();
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

fn list(chosen: &[(&'static Lesson, Vec<&'static checker::course::Stage>)]) {
    for (lesson, stages) in chosen {
        println!(
            "{}: {} ({} points, chapter docs/src/{})",
            lesson.id,
            lesson.title,
            lesson.max_points(),
            lesson.chapter
        );
        for s in stages {
            println!(
                "  {:<20} {:>3}  {:<52} [{}]",
                s.id,
                s.points,
                s.title,
                s.roles.join(", ")
            );
        }
    }
}

fn parse_program(text: &str) -> Result<(String, PathBuf), String> {
    let (role, path) = text
        .split_once('=')
        .ok_or("expected ROLE=PATH, such as server=target/debug/my-server")?;
    let path = PathBuf::from(path);
    if !path.is_file() {
        return Err(format!("no program at {}", path.display()));
    }
    Ok((role.to_string(), path))
}
