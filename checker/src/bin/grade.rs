//! `cargo grade`: builds the lessons, runs them on loopback, and scores
//! them stage by stage. See `cargo grade --help`.
//!
//! This file only reads the command line and hands it to the subcommand's
//! module in [`checker::cli`], where the work (and its tests) lives.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use checker::cli::{self, Exit};
use checker::{builder, platform, sandbox, time};

#[derive(Parser)]
#[command(
    name = "cargo grade",
    bin_name = "cargo grade",
    about = "Builds the course's lessons, runs them on loopback, and grades them stage by stage.",
    after_help = "Examples:\n  cargo grade                 grade every lesson\n  cargo grade echo            grade one lesson\n  cargo grade echo --stage binary\n  cargo grade --watch echo    grade echo again on every save\n  cargo grade progress        where you stand, and what to do next\n  cargo grade hint            the hint of the next stage to work on\n  cargo grade reset echo      put echo back as the course shipped it\n  cargo grade --solutions     grade the reference solutions\n  cargo grade --list          list lessons and stages\n  cargo grade peer dns        start the checker's DNS server by hand",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    grade: cli::grade::Args,
}

#[derive(Subcommand)]
enum Command {
    /// Where you stand: each lesson's points from your last runs, and the
    /// next stage to work on. Instant: nothing is built or run.
    Progress,
    /// The hint of the next stage you have not passed (or of LESSON's, or
    /// of one STAGE), and the section of the book to read.
    Hint(cli::hint::Args),
    /// Put a lesson, or one file of it, back as the course shipped it.
    /// What it replaces is first copied into backups/.
    Reset(cli::reset::Args),
    /// Start one of the checker's peers by hand, to try a program (or dig,
    /// curl, nc) against it.
    Peer(cli::peer::Args),
    /// Write the student repository into OUT: lessons, checker, book, a
    /// student README and a GitHub Classroom workflow; no solutions.
    Release(cli::release::Args),
    /// Write a Gradescope autograder into OUT (zip its contents and upload
    /// them): setup.sh, run_autograder and the course without solutions.
    GradescopeBundle(cli::release::BundleArgs),
    /// Grade a class: DIR holds one folder per student (a clone, or its
    /// lessons/). Writes a gradebook CSV and each student's reports.
    Class(cli::class::Args),
}

fn main() -> ExitCode {
    let args = Cli::parse();
    // Before any thread exists: a process with threads cannot enter a
    // namespace of its own.
    if args.grade.sandbox {
        let state = sandbox::enter();
        if let Some(note) = &state.note {
            eprintln!("cargo grade: {note}");
        }
    }
    // Ctrl-C, a panic or the end of main: no program outlives the checker.
    let _guard = cli::stop_everything_at_the_end();
    if args.command.is_none() {
        // A daemon a program starts (setsid, a double fork) stays our
        // descendant, and dies at the end of its stage (the sandbox, when
        // asked for, has already done this).
        platform::adopt_orphans();
    }
    if let Some(scale) = args.grade.time_scale {
        time::set_scale(scale);
    }
    let root = builder::workspace_root();
    let exit: Exit = match &args.command {
        None if args.grade.watch => cli::watch::from_args(&args.grade, &root),
        None => cli::grade::run(&args.grade, &root),
        Some(Command::Progress) => cli::progress::run(&root),
        Some(Command::Hint(hint)) => cli::hint::run(hint, &root),
        Some(Command::Reset(reset)) => cli::reset::run(reset, &root),
        Some(Command::Peer(peer)) => cli::peer::run(peer),
        Some(Command::Release(release)) => cli::release::student(release, &root),
        Some(Command::GradescopeBundle(bundle)) => cli::release::gradescope(bundle, &root),
        Some(Command::Class(class)) => {
            let options = cli::class::Options::new(class, &root, args.grade.time_scale);
            cli::class::run(&class.dir, &options)
        }
    };
    exit.into()
}
