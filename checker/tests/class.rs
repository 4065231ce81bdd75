//! `cargo grade class`, as an instructor runs it: a folder of submissions
//! for the echo lesson, made here from the stubs and the references, graded
//! by one command into a gradebook. Five are ordinary (complete, partial,
//! not compiling, hanging, cheating by editing `checker/`); four are
//! hostile (a build script that reaches for the network, a fork bomb, a
//! disk filler, a memory hog). Each is graded, stopped or reported, the run
//! goes on, and nothing is left behind.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use checker::lessons;

const MARK: &str = "CHECKER_TEST_MARK";

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A submission: the echo stub, with `files` (relative to lessons/echo)
/// written over it.
fn submission(class: &Path, student: &str, files: &[(&str, String)]) -> PathBuf {
    let dir = class.join(student);
    let echo = lessons::find("echo").unwrap();
    for (rel, text) in checker::stubs::files(echo) {
        write(&dir.join("lessons/echo").join(rel), &text);
    }
    for (rel, text) in files {
        write(&dir.join("lessons/echo").join(rel), text);
    }
    dir
}

fn reference(rel: &str) -> String {
    let root = checker::builder::workspace_root();
    std::fs::read_to_string(root.join("solutions/echo").join(rel)).unwrap()
}

/// A server that announces, then does `body` (Rust statements).
fn server_that(body: &str) -> String {
    format!(
        "fn main() {{\n    let listener = std::net::TcpListener::bind(\"127.0.0.1:0\").unwrap();\n    println!(\"listening on {{}}\", listener.local_addr().unwrap());\n    {body}\n}}\n"
    )
}

fn live_marked(mark: &str) -> Vec<i32> {
    checker::process::marked(MARK, mark)
}

fn grade_class(class: &Path, out: &Path, mark: &str) -> (String, String) {
    let result = Command::new(assert_cmd::cargo::cargo_bin!("grade"))
        .arg("class")
        .arg(class)
        .arg("echo")
        .arg("--out")
        .arg(out)
        .args(["--parallel", "2"])
        .env("NO_COLOR", "1")
        .env(MARK, mark)
        .output()
        .unwrap();
    assert!(result.status.success(), "{result:?}");
    let stdout = String::from_utf8(result.stdout).unwrap();
    let csv = std::fs::read_to_string(out.join("gradebook.csv")).unwrap();
    (stdout, csv)
}

fn gradebook_row<'a>(csv: &'a str, student: &str) -> &'a str {
    csv.lines()
        .find(|l| l.starts_with(&format!("{student},")))
        .unwrap_or_else(|| panic!("no row for {student} in\n{csv}"))
}

#[test]
fn a_class_is_graded_into_a_gradebook_and_hostile_submissions_are_contained() {
    let base = std::env::temp_dir().join(format!("grade-class-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let (class, out) = (base.join("submissions"), base.join("out"));
    // A service on the machine's own loopback that no submission may reach.
    let outside = TcpListener::bind("127.0.0.1:0").unwrap();
    outside.set_nonblocking(true).unwrap();
    let port = outside.local_addr().unwrap().port();

    submission(
        &class,
        "complete",
        &[
            ("src/bin/server.rs", reference("src/bin/server.rs")),
            ("src/bin/client.rs", reference("src/bin/client.rs")),
        ],
    );
    submission(
        &class,
        "partial",
        &[("src/bin/server.rs", reference("src/bin/server.rs"))],
    );
    submission(
        &class,
        "broken",
        &[("src/bin/server.rs", "fn main() { oops }\n".into())],
    );
    submission(
        &class,
        "hangs",
        &[(
            "src/bin/server.rs",
            "fn main() { loop { std::thread::park(); } }\n".into(),
        )],
    );
    // The partial server, and a checker edited to pass everything: only
    // lessons/ is read, so it earns what the partial one earns.
    let cheat = submission(
        &class,
        "cheat",
        &[("src/bin/server.rs", reference("src/bin/server.rs"))],
    );
    write(
        &cheat.join("checker/src/lessons/echo.rs"),
        "// every stage passes\npub fn run() -> bool { true }\n",
    );
    write(&cheat.join("checker/tests/grade.rs"), "fn main() {}\n");
    submission(
        &class,
        "hostile-network",
        &[(
            "build.rs",
            format!(
                "fn main() {{\n    let r = std::net::TcpStream::connect((\"127.0.0.1\", {port}));\n    println!(\"cargo:warning=reaching the outside: {{:?}}\", r.map(|_| \"connected\"));\n}}\n"
            ),
        )],
    );
    submission(
        &class,
        "hostile-forks",
        &[(
            "src/bin/server.rs",
            server_that(
                "let mut kids = Vec::new(); loop { if let Ok(k) = std::process::Command::new(\"sleep\").arg(\"600\").spawn() { kids.push(k); } std::thread::sleep(std::time::Duration::from_millis(1)); }",
            ),
        )],
    );
    submission(
        &class,
        "hostile-disk",
        &[(
            "src/bin/server.rs",
            server_that(
                "use std::io::Write; let mut f = std::fs::File::create(\"filler\").unwrap(); let block = vec![7u8; 1 << 20]; loop { f.write_all(&block).unwrap(); }",
            ),
        )],
    );
    submission(
        &class,
        "hostile-memory",
        &[(
            "src/bin/server.rs",
            server_that(
                "let mut hog: Vec<Vec<u8>> = Vec::new(); loop { hog.push(vec![1u8; 16 << 20]); }",
            ),
        )],
    );

    let mark = format!("class-{}", std::process::id());
    let (stdout, csv) = grade_class(&class, &out, &mark);
    assert!(csv.starts_with("student,echo,total,max,status\n"), "{csv}");
    assert_eq!(gradebook_row(&csv, "complete"), "complete,100,100,100,ok");
    assert_eq!(gradebook_row(&csv, "partial"), "partial,75,75,100,ok");
    assert_eq!(gradebook_row(&csv, "cheat"), "cheat,75,75,100,ok");
    assert_eq!(
        gradebook_row(&csv, "broken"),
        "broken,0,0,100,does not compile: echo"
    );
    assert_eq!(gradebook_row(&csv, "hangs"), "hangs,0,0,100,ok");
    let hangs = std::fs::read_to_string(out.join("students/hangs/report.txt")).unwrap();
    assert!(
        hangs.contains("printed no `listening on ADDRESS` line"),
        "{hangs}"
    );

    // Hostile ones: each is stopped and scores nothing; the run went on.
    for student in ["hostile-forks", "hostile-disk", "hostile-memory"] {
        let row = gradebook_row(&csv, student);
        assert!(row.starts_with(&format!("{student},0,0,100,")), "{row}");
    }
    let log = std::fs::read_to_string(out.join("students/hostile-network/output.log")).unwrap();
    let isolated = !log.contains("no network namespace");
    if isolated {
        assert!(
            outside.accept().is_err(),
            "a build script reached the machine's loopback from the sandbox"
        );
    } else {
        eprintln!("note: no network namespace on this machine; the network check is skipped");
    }
    let forks = std::fs::read_to_string(out.join("students/hostile-forks/report.txt")).unwrap();
    assert!(
        forks.contains("processes in its group (it forks"),
        "{forks}"
    );
    let disk = std::fs::read_to_string(out.join("students/hostile-disk/report.json")).unwrap();
    assert!(
        disk.contains("SIGXFSZ: it wrote a file over the size limit"),
        "{disk}"
    );
    let memory = std::fs::read_to_string(out.join("students/hostile-memory/report.txt")).unwrap();
    assert!(memory.contains("CRASH"), "{memory}");
    let leftovers = live_marked(&mark);
    assert!(leftovers.is_empty(), "processes left behind: {leftovers:?}");

    // Again: nothing changed, nothing is graded again.
    let (again, csv_again) = grade_class(&class, &out, &mark);
    assert_eq!(csv_again, csv);
    assert_eq!(
        again.matches("unchanged: kept").count(),
        9,
        "{again}\n{stdout}"
    );

    // Clean up, with the scratch workspaces of these submissions.
    let course = checker::builder::workspace_root();
    for entry in std::fs::read_dir(&class).unwrap().flatten() {
        let lessons = entry.path().join("lessons");
        let _ = std::fs::remove_dir_all(checker::submission::scratch_for(&course, &lessons));
    }
    let _ = std::fs::remove_dir_all(&base);
}
