//! `cargo grade`: builds the lessons, runs them on loopback, and scores
//! them stage by stage. See `cargo grade --help`.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::{Parser, ValueEnum};

use checker::lessons::{self, Flavor, Lesson};
use checker::report::{self, Paint, RunReport};
use checker::{Options, builder, process};

#[derive(Parser)]
#[command(
    name = "cargo grade",
    about = "Builds the course's lessons, runs them on loopback, and grades them stage by stage.",
    after_help = "Examples:\n  cargo grade                 grade every lesson\n  cargo grade echo            grade one lesson\n  cargo grade echo --stage binary\n  cargo grade --solutions     grade the reference solutions\n  cargo grade --list          list lessons and stages"
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
    /// `--program server=path/to/binary` (for instructors and debugging).
    #[arg(long = "program", value_name = "ROLE=PATH", value_parser = parse_program)]
    programs: Vec<(String, std::path::PathBuf)>,
    /// How to print the results.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// List the lessons and their stages, then exit.
    #[arg(long)]
    list: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

fn main() -> ExitCode {
    // The programs under test run in process groups of their own, so Ctrl-C
    // at the terminal does not reach them: the checker ends them itself.
    let _ = ctrlc::set_handler(|| {
        process::kill_everything();
        eprintln!("\ninterrupted: every program the checker started has been stopped");
        std::process::exit(130);
    });
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        process::kill_everything();
        default_hook(info);
    }));

    let args = Args::parse();
    let chosen = match choose(&args.lessons) {
        Ok(chosen) => chosen,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    if args.list {
        list(&chosen);
        return ExitCode::SUCCESS;
    }
    for (role, _) in &args.programs {
        if !chosen.iter().any(|l| l.roles.contains(&role.as_str())) {
            eprintln!("no role `{role}` in the chosen lessons; the roles are: server, client");
            return ExitCode::from(2);
        }
    }
    for id in &args.stages {
        if !chosen.iter().any(|l| l.stages.iter().any(|s| s.id == id)) {
            eprintln!("no stage `{id}` in the chosen lessons; `cargo grade --list` shows them");
            return ExitCode::from(2);
        }
    }

    let text = args.format == Format::Text;
    let paint = Paint {
        on: text && std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let cargo_color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let flavor = if args.solutions {
        Flavor::Solution
    } else {
        Flavor::Lesson
    };
    let opts = Options {
        flavor,
        only: &args.stages,
        color: cargo_color,
        programs: &args.programs,
    };
    let root = builder::workspace_root();

    let mut reports = Vec::new();
    for lesson in chosen {
        let dir = checker::package_dir(lesson, flavor);
        if text {
            println!(
                "{}",
                report::lesson_heading(paint, lesson.id, lesson.title, &dir)
            );
        }
        let mut on_stage = |s: &checker::stage::StageReport| {
            if text {
                print!("{}", report::stage_text(paint, s));
                let _ = std::io::stdout().flush();
            }
        };
        let lesson_report = checker::grade_lesson(&root, lesson, &opts, &mut on_stage);
        if let (true, Some(line)) = (text, report::build_text(paint, &lesson_report.build)) {
            print!("{line}");
        }
        reports.push(lesson_report);
    }
    let run = RunReport::new(reports);
    if text {
        print!("{}", report::scoreboard(paint, &run));
    } else {
        println!(
            "{}",
            serde_json::to_string_pretty(&run).expect("the report serialises")
        );
    }
    if run.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The lessons named on the command line, or all of them.
fn choose(ids: &[String]) -> Result<Vec<&'static Lesson>, String> {
    if ids.is_empty() {
        return Ok(lessons::LESSONS.to_vec());
    }
    ids.iter()
        .map(|id| {
            lessons::find(id).ok_or_else(|| {
                let known: Vec<&str> = lessons::LESSONS.iter().map(|l| l.id).collect();
                format!("no lesson `{id}`; the lessons are: {}", known.join(", "))
            })
        })
        .collect()
}

fn list(chosen: &[&'static Lesson]) {
    for lesson in chosen {
        println!(
            "{}: {} ({} points, chapter docs/src/{})",
            lesson.id,
            lesson.title,
            lesson.max_points(),
            lesson.chapter
        );
        for s in lesson.stages {
            println!("  {:<20} {:>3}  {}", s.id, s.points, s.title);
        }
    }
}

fn parse_program(text: &str) -> Result<(String, std::path::PathBuf), String> {
    let (role, path) = text
        .split_once('=')
        .ok_or("expected ROLE=PATH, such as server=target/debug/my-server")?;
    let path = std::path::PathBuf::from(path);
    if !path.is_file() {
        return Err(format!("no program at {}", path.display()));
    }
    Ok((role.to_string(), path))
}
