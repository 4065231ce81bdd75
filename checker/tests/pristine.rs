//! Maintainer checks on the course as shipped, run by `.ci/run` as
//! `cargo test --test pristine` (the course's `dev check`). They look at
//! `lessons/`, so they hold only on an untouched checkout: a student's
//! work would rightly fail them, which is why they are not part of a plain
//! `cargo test`.
//!
//! - every stub builds without a warning, and fails every stage at once
//!   with "not implemented yet", naming its `todo!()`;
//! - `lessons/X` and `solutions/X` hold the same files, and whatever a stub
//!   hands over as given (every item without a `todo!()`) is the
//!   solution's code, token for token (doc comments aside).
//! - `checker/stubs/X.txt`, from which `cargo grade reset` restores a
//!   lesson, is `lessons/X` as shipped.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use checker::builder::{self, Built};
use checker::lessons::{self, Flavor, Lesson};
use checker::report::{self, Paint};
use checker::run;
use checker::verdict::Verdict;
use libtest_mimic::{Arguments, Failed, Trial};
use quote::ToTokens;

fn main() {
    let args = Arguments::from_args();
    let mut trials = Vec::new();
    for &lesson in lessons::LESSONS {
        trials.push(Trial::test(
            format!("{}::stub-builds-cleanly", lesson.id),
            move || stub_builds_cleanly(lesson),
        ));
        trials.push(Trial::test(format!("{}::mirror", lesson.id), move || {
            mirror(lesson)
        }));
        trials.push(Trial::test(
            format!("{}::stub-archive", lesson.id),
            move || stub_archive(lesson),
        ));
        for stage in lesson.stages {
            trials.push(Trial::test(
                format!("{}::stub::{}", lesson.id, stage.id),
                move || stub_stage(lesson, stage.id),
            ));
        }
    }
    libtest_mimic::run(&args, trials).exit();
}

fn stubs() -> &'static Built {
    static BUILT: OnceLock<Built> = OnceLock::new();
    BUILT.get_or_init(|| {
        let packages: Vec<String> = lessons::LESSONS
            .iter()
            .map(|l| l.package_name(Flavor::Lesson))
            .collect();
        builder::build(&builder::workspace_root(), &packages, false)
    })
}

fn stub_builds_cleanly(lesson: &'static Lesson) -> Result<(), Failed> {
    let (_, build) = run::lesson_binaries(lesson, Flavor::Lesson, stubs(), &[]);
    if build.ok && build.warnings == 0 {
        return Ok(());
    }
    Err(format!(
        "the stub of {} must build without warnings: {:?}, {} warning(s)\n{}",
        lesson.id, build.error, build.warnings, build.diagnostics
    )
    .into())
}

fn stub_stage(lesson: &'static Lesson, id: &str) -> Result<(), Failed> {
    let stage = lesson.stage(id).expect("a registered stage");
    let (bins, build) = run::lesson_binaries(lesson, Flavor::Lesson, stubs(), &[]);
    if !build.ok {
        return Err(format!("the stub of {} does not build", lesson.id).into());
    }
    let report = checker::run::run_stage(lesson, stage, Arc::new(bins), None);
    let text = report::stage_text(Paint { on: false }, &report);
    for &pgid in &report.process_groups {
        if !checker::process::live_members(pgid).is_empty() {
            return Err(format!("processes of group {pgid} survived:\n{text}").into());
        }
    }
    let summary = report.failure.as_ref().map(|f| f.summary.clone());
    let names_todo = summary
        .as_deref()
        .is_some_and(|s| s.contains(&format!("lessons/{}/src/", lesson.package)));
    if report.verdict != Verdict::NotImplemented || !names_todo {
        return Err(format!(
            "a stub's stage must fail as not implemented, naming its todo!():\n{text}"
        )
        .into());
    }
    // A stub stops at once: the stage must not wait out a deadline.
    if report.seconds > 1.0 {
        return Err(format!("the stub took {:.2}s on {id}", report.seconds).into());
    }
    Ok(())
}

/// Every file below `dir`, relative to it.
fn files(dir: &Path) -> BTreeSet<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeSet<PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else if let Ok(rel) = path.strip_prefix(root) {
                out.insert(rel.to_path_buf());
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(dir, dir, &mut out);
    out
}

/// `cargo grade reset` restores from the checker's own copy of the stub:
/// it must be the stub as shipped. `BLESS=1` writes it anew.
fn stub_archive(lesson: &'static Lesson) -> Result<(), Failed> {
    let root = builder::workspace_root();
    let packed = checker::stubs::pack(&root.join(lesson.package_dir(Flavor::Lesson)))?;
    let path = root.join(checker::stubs::archive_path(lesson));
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&path, &packed).map_err(|e| format!("{}: {e}", path.display()))?;
        return Ok(());
    }
    let kept = std::fs::read_to_string(&path).unwrap_or_default();
    if kept != packed {
        return Err(format!(
            "{} is not lessons/{} as shipped: run `BLESS=1 cargo test -p checker --test pristine {}::stub-archive`, then rebuild",
            path.display(),
            lesson.package,
            lesson.id
        )
        .into());
    }
    // What the checker was built with, too (it embeds the archive).
    if checker::stubs::unpack(&kept) != checker::stubs::files(lesson) {
        return Err("the checker was built with an older archive: rebuild it".into());
    }
    Ok(())
}

fn mirror(lesson: &'static Lesson) -> Result<(), Failed> {
    let root = builder::workspace_root();
    let stub_dir = root.join(lesson.package_dir(Flavor::Lesson));
    let solution_dir = root.join(lesson.package_dir(Flavor::Solution));
    let (stub_files, solution_files) = (files(&stub_dir), files(&solution_dir));
    let mut problems = Vec::new();
    for only in stub_files.symmetric_difference(&solution_files) {
        problems.push(format!(
            "{} is in one of {} and {} only: they mirror each other file for file",
            only.display(),
            stub_dir.display(),
            solution_dir.display()
        ));
    }
    for file in stub_files.intersection(&solution_files) {
        if file.extension().is_some_and(|e| e == "rs") {
            let stub = std::fs::read_to_string(stub_dir.join(file)).map_err(|e| e.to_string())?;
            let solution =
                std::fs::read_to_string(solution_dir.join(file)).map_err(|e| e.to_string())?;
            problems.extend(
                given_code_differs(&stub, &solution)
                    .map_err(|e| format!("{}: {e}", file.display()))?
                    .into_iter()
                    .map(|p| format!("{}: {p}", file.display())),
            );
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n").into())
    }
}

/// The items of a file by name, as tokens without doc comments; methods
/// are named `Type::method`.
fn items(source: &str) -> Result<Vec<(String, String, bool)>, String> {
    let file = syn::parse_file(source).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    let undocumented =
        |attrs: &mut Vec<syn::Attribute>| attrs.retain(|a| !a.path().is_ident("doc"));
    for item in file.items {
        let mut item = item;
        match &mut item {
            syn::Item::Impl(imp) => {
                let ty = imp.self_ty.to_token_stream().to_string();
                let of = imp
                    .trait_
                    .as_ref()
                    .map(|(_, p, _)| format!("{} for ", p.to_token_stream()))
                    .unwrap_or_default();
                for inner in &mut imp.items {
                    let name = match inner {
                        syn::ImplItem::Fn(f) => {
                            undocumented(&mut f.attrs);
                            f.sig.ident.to_string()
                        }
                        syn::ImplItem::Const(c) => {
                            undocumented(&mut c.attrs);
                            c.ident.to_string()
                        }
                        syn::ImplItem::Type(t) => t.ident.to_string(),
                        _ => continue,
                    };
                    let tokens = inner.to_token_stream().to_string();
                    let exercise = tokens.contains("todo !");
                    out.push((format!("{of}{ty}::{name}"), tokens, exercise));
                }
                continue;
            }
            syn::Item::Fn(f) => undocumented(&mut f.attrs),
            syn::Item::Const(c) => undocumented(&mut c.attrs),
            syn::Item::Static(s) => undocumented(&mut s.attrs),
            syn::Item::Struct(s) => undocumented(&mut s.attrs),
            syn::Item::Enum(e) => undocumented(&mut e.attrs),
            syn::Item::Trait(t) => undocumented(&mut t.attrs),
            syn::Item::Type(t) => undocumented(&mut t.attrs),
            _ => continue, // `use`, `mod`: a stub may import less
        }
        let name = match &item {
            syn::Item::Fn(f) => f.sig.ident.to_string(),
            syn::Item::Const(c) => c.ident.to_string(),
            syn::Item::Static(s) => s.ident.to_string(),
            syn::Item::Struct(s) => s.ident.to_string(),
            syn::Item::Enum(e) => e.ident.to_string(),
            syn::Item::Trait(t) => t.ident.to_string(),
            syn::Item::Type(t) => t.ident.to_string(),
            _ => unreachable!("filtered above"),
        };
        let tokens = item.to_token_stream().to_string();
        let exercise = tokens.contains("todo !");
        out.push((name, tokens, exercise));
    }
    Ok(out)
}

/// What a stub hands over that is not the solution's code.
fn given_code_differs(stub: &str, solution: &str) -> Result<Vec<String>, String> {
    let (stub, solution) = (items(stub)?, items(solution)?);
    let mut problems = Vec::new();
    for (name, tokens, exercise) in &stub {
        if *exercise {
            continue;
        }
        match solution.iter().find(|(n, _, _)| n == name) {
            None => problems.push(format!(
                "the stub hands over `{name}`, which the solution does not have"
            )),
            Some((_, theirs, _)) if theirs != tokens => problems.push(format!(
                "the stub hands over `{name}` as given, but it differs from the solution's"
            )),
            Some(_) => {}
        }
    }
    Ok(problems)
}
