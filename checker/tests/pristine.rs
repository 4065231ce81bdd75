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
//!   The tests a stub ships (`mod tests`) are the solution's, token for
//!   token: the stub fails them as not implemented, the reference passes.
//! - `checker/stubs/X.txt`, from which `cargo grade reset` restores a
//!   lesson, is `lessons/X` as shipped.
//! - every crate root of `lessons/` and `solutions/` warns of missing docs.
//! - the code the lessons share in spirit ([`SHARED`]: the argument reader,
//!   the client cap) is the same, byte for byte, in every copy: each lesson
//!   is a crate a student can read alone, so each has its own copy, and
//!   this check keeps the copies from drifting.

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

/// Files the lessons share in spirit, and the lessons that hold a copy
/// (in `lessons/` and in `solutions/` alike; `None`: every lesson, a new
/// one included). Every copy must be the same.
const SHARED: &[(&str, Option<&[&str]>)] = &[
    ("src/cli.rs", None),
    ("src/limits.rs", Some(&["echo", "framing"])),
];

fn main() {
    let args = Arguments::from_args();
    let mut trials = Vec::new();
    for &(file, holders) in SHARED {
        let name = Path::new(file)
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy();
        trials.push(Trial::test(format!("shared::{name}"), move || {
            shared_copies_agree(file, holders)
        }));
    }
    for &lesson in lessons::LESSONS {
        trials.push(Trial::test(
            format!("{}::missing-docs", lesson.id),
            move || missing_docs_warned(lesson),
        ));
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

/// Every copy of `file` (in `lessons/P` and `solutions/P` for each lesson
/// P of `holders`, or of every lesson) is the same as the first; else, the
/// two files and the first line where they part.
fn shared_copies_agree(file: &str, holders: Option<&[&str]>) -> Result<(), Failed> {
    let root = builder::workspace_root();
    let every: Vec<&str> = lessons::LESSONS.iter().map(|l| l.id).collect();
    let mut copies = Vec::new();
    for &id in holders.unwrap_or(&every) {
        let lesson = lessons::LESSONS
            .iter()
            .find(|l| l.id == id)
            .ok_or_else(|| format!("{file} is shared with {id}, which is no lesson"))?;
        for flavor in [Flavor::Solution, Flavor::Lesson] {
            let rel = format!("{}/{file}", lesson.package_dir(flavor));
            let text = std::fs::read_to_string(root.join(&rel))
                .map_err(|e| format!("{rel} is a shared copy, but cannot be read: {e}"))?;
            copies.push((rel, text));
        }
    }
    let ((first, reference), others) = copies.split_first().ok_or("no copy at all")?;
    let mut problems = Vec::new();
    for (rel, text) in others {
        if let Some(problem) = first_difference(first, reference, rel, text) {
            problems.push(problem);
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        problems.push(format!(
            "the copies of {file} are shared in spirit and must stay identical: change one, then copy it over the others"
        ));
        Err(problems.join("\n").into())
    }
}

/// Where `b` first departs from `a`, line by line, or `None` if they are
/// the same.
fn first_difference(a_name: &str, a: &str, b_name: &str, b: &str) -> Option<String> {
    if a == b {
        return None;
    }
    let (mut a_lines, mut b_lines) = (a.split('\n'), b.split('\n'));
    for number in 1.. {
        match (a_lines.next(), b_lines.next()) {
            (Some(x), Some(y)) if x == y => continue,
            (x, y) => {
                let show =
                    |line: Option<&str>| line.map_or("(end of file)".into(), |l| format!("{l:?}"));
                return Some(format!(
                    "{b_name} differs from {a_name} at line {number}:\n  {a_name}: {}\n  {b_name}: {}",
                    show(x),
                    show(y)
                ));
            }
        }
    }
    unreachable!("two different texts differ at some line")
}

/// Every crate root (the library and each program) of both flavors of
/// `lesson` says `#![warn(missing_docs)]` (or `deny`): the references are
/// what students imitate, and every public item says why it is there.
fn missing_docs_warned(lesson: &'static Lesson) -> Result<(), Failed> {
    let root = builder::workspace_root();
    let mut problems = Vec::new();
    for flavor in [Flavor::Solution, Flavor::Lesson] {
        let dir = root.join(lesson.package_dir(flavor));
        let roots = files(&dir).into_iter().filter(|f| {
            f == Path::new("src/lib.rs")
                || (f.starts_with("src/bin") && f.extension().is_some_and(|e| e == "rs"))
        });
        for rel in roots {
            let text = std::fs::read_to_string(dir.join(&rel)).map_err(|e| e.to_string())?;
            let file = syn::parse_file(&text).map_err(|e| format!("{}: {e}", rel.display()))?;
            let warned = file.attrs.iter().any(|a| {
                (a.path().is_ident("warn") || a.path().is_ident("deny"))
                    && a.meta
                        .to_token_stream()
                        .to_string()
                        .contains("missing_docs")
            });
            if !warned {
                problems.push(format!(
                    "{}/{}: a crate root without #![warn(missing_docs)]",
                    lesson.package_dir(flavor),
                    rel.display()
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n").into())
    }
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
            // The tests beside the code (`mod tests { ... }`): a stub ships
            // the reference's own.
            syn::Item::Mod(m) if m.content.is_some() => undocumented(&mut m.attrs),
            _ => continue, // `use`, `mod x;`: a stub may import less
        }
        let name = match &item {
            syn::Item::Fn(f) => f.sig.ident.to_string(),
            syn::Item::Const(c) => c.ident.to_string(),
            syn::Item::Static(s) => s.ident.to_string(),
            syn::Item::Struct(s) => s.ident.to_string(),
            syn::Item::Enum(e) => e.ident.to_string(),
            syn::Item::Trait(t) => t.ident.to_string(),
            syn::Item::Type(t) => t.ident.to_string(),
            syn::Item::Mod(m) => format!("mod {}", m.ident),
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
