//! `cargo grade`: builds the lessons, runs them on loopback, and scores
//! them stage by stage. See `cargo grade --help`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};

use checker::lessons::{self, Flavor, Lesson};
use checker::report::{self, LessonReport, Paint, RunReport};
use checker::run::{self, Observer, Request};
use checker::stage::{StageReport, Verdict};
use checker::{builder, process, time};

#[derive(Parser)]
#[command(
    name = "cargo grade",
    bin_name = "cargo grade",
    about = "Builds the course's lessons, runs them on loopback, and grades them stage by stage.",
    after_help = "Examples:\n  cargo grade                 grade every lesson\n  cargo grade echo            grade one lesson\n  cargo grade echo --stage binary\n  cargo grade --solutions     grade the reference solutions\n  cargo grade --list          list lessons and stages\n  cargo grade peer dns        start the checker's DNS server by hand"
)]
struct Args {
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
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
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
    // The programs under test run in process groups of their own, so Ctrl-C
    // at the terminal does not reach them: the checker ends them itself.
    let _ = ctrlc::set_handler(|| {
        process::kill_everything();
        eprintln!("\ninterrupted: every program the checker started has been stopped");
        std::process::exit(130);
    });
    let _guard = StopAllOnExit;

    // `cargo grade peer NAME`: one of the checker's peers, by hand.
    let raw: Vec<String> = std::env::args().skip(1).collect();
    if raw.first().map(String::as_str) == Some("peer") {
        return peer(raw.get(1).map(String::as_str));
    }

    let args = Args::parse();
    if let Some(scale) = args.time_scale {
        time::set_scale(scale);
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
    };
    let run = run::grade(&builder::workspace_root(), &request, &mut printer);
    printer.clear_status();
    if text {
        print!("{}", report::scoreboard(printer.paint, &run));
    } else {
        println!(
            "{}",
            serde_json::to_string_pretty(&run).expect("the report serialises")
        );
    }
    exit_code(&run)
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
        args.lessons
            .iter()
            .map(|id| {
                lessons::find(id)
                    .ok_or_else(|| format!("no lesson `{id}`; the lessons are: {}", lessons::ids()))
            })
            .collect::<Result<_, _>>()?
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
        if self.text {
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

fn list(chosen: &[(&'static Lesson, Vec<&'static checker::stage::Stage>)]) {
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
