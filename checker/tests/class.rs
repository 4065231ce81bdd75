//! `cargo grade class`, as an instructor runs it: a folder of submissions
//! for the echo lesson, made here from the stubs and the references, graded
//! by one command into a gradebook. Five are ordinary (complete, partial,
//! not compiling, hanging, cheating by editing `checker/`); seven are
//! hostile (a build script that reaches for the network, a fork bomb, a
//! disk filler, a memory hog, a lesson that is a link to a classmate's, a
//! lesson that adds a dependency, and a neighbour whose program and build
//! script start daemons with `setsid` and a cleared environment, and whose
//! build script reads and writes where it should not). Each is graded,
//! stopped, refused or reported, the run goes on, and nothing is left
//! behind. A second class run, with the namespaces turned off, shows what
//! the fallback still contains.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use checker::lessons;

const MARK: &str = "CHECKER_TEST_MARK";

/// This run's own number (digits only): the process id, which another
/// run in another PID namespace may share, and the time.
fn run_id() -> &'static str {
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        format!("{}{nanos:09}", std::process::id())
    })
}

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
    grade_class_with(class, out, mark, &[])
}

fn grade_class_with(
    class: &Path,
    out: &Path,
    mark: &str,
    env: &[(&str, &str)],
) -> (String, String) {
    let result = Command::new(assert_cmd::cargo::cargo_bin!("grade"))
        .arg("class")
        .arg(class)
        .arg("echo")
        .arg("--out")
        .arg(out)
        .args(["--parallel", "2"])
        .env("NO_COLOR", "1")
        .env(MARK, mark)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(result.status.success(), "{result:?}");
    let stdout = String::from_utf8(result.stdout).unwrap();
    let csv = std::fs::read_to_string(out.join("gradebook.csv")).unwrap();
    (stdout, csv)
}

/// The daemons of the neighbour's program and build script, by their
/// command lines.
fn daemons(tag: &str) -> [String; 2] {
    let id = run_id();
    [
        format!("sleep 981.{id}{tag}"),
        format!("sleep 982.{id}{tag}"),
    ]
}

/// What can outlive its grading: a daemon started the way issue 23 found
/// (`setsid -f`, the environment cleared: out of its group, its session
/// and the checker's mark), as Rust statements.
fn start_daemon(command: &str) -> String {
    format!(
        "std::process::Command::new(\"setsid\").args([\"-f\", \"sh\", \"-c\", \"exec {command}\"]).env_clear().env(\"PATH\", \"/usr/bin:/bin\").status()"
    )
}

/// A submission whose program starts a daemon at each start (then stops,
/// like the stub), and whose build script starts one too and then looks
/// where it should not: a classmate's folder (to read and to write), the
/// course's checkout (directly, and through the init's `/proc/1/root`),
/// the reports, `/etc/shadow`, the crate cache (to write), the other
/// scratch workspaces. It writes what it found in its scratch workspace
/// (`snoop.txt`); the program notes its daemons in `daemons.txt` where it
/// runs.
fn neighbour(class: &Path, out: &Path, tag: &str) {
    let course = checker::builder::workspace_root();
    let classmate = class.join("complete/lessons/echo/src/bin/server.rs");
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cargo"));
    let [program, build] = daemons(tag);
    let looks = [
        ("classmate", classmate.clone()),
        ("course", course.join("Cargo.toml")),
        (
            "course through the init",
            Path::new("/proc/1/root").join(course.join("Cargo.toml").strip_prefix("/").unwrap()),
        ),
        ("reports", out.to_path_buf()),
        ("shadow", PathBuf::from("/etc/shadow")),
    ];
    let looks: String = looks
        .iter()
        .map(|(what, path)| {
            format!(
                "    writeln!(f, \"{what}: {{}}\", if std::fs::metadata({path:?}).is_ok() {{ \"seen\" }} else {{ \"hidden\" }}).unwrap();\n"
            )
        })
        .collect();
    // The test itself, by its command line: a process of yours.
    let mine = format!("/proc/{}/cmdline", std::process::id());
    let me = std::env::current_exe().unwrap();
    let me = me.file_name().unwrap().to_string_lossy();
    let looks = format!(
        "{looks}    let mine = std::fs::read({mine:?}).is_ok_and(|c| String::from_utf8_lossy(&c).contains({me:?}));\n    writeln!(f, \"your processes: {{}}\", if mine {{ \"seen\" }} else {{ \"hidden\" }}).unwrap();\n"
    );
    let probe = cargo_home.join(format!("grade-snoop-{}", run_id()));
    let build_rs = format!(
        "use std::io::Write;\nfn main() {{\n    let daemon = {};\n    let dir = std::path::PathBuf::from(std::env::var(\"CARGO_MANIFEST_DIR\").unwrap());\n    let mut f = std::fs::File::create(dir.join(\"../../snoop.txt\")).unwrap();\n    writeln!(f, \"daemon: {{:?}}\", daemon.map(|s| s.success())).unwrap();\n{looks}    let append = std::fs::OpenOptions::new().append(true).open({classmate:?}).is_ok();\n    writeln!(f, \"classmate writable: {{append}}\").unwrap();\n    let created = std::fs::File::create({probe:?}).is_ok();\n    if created {{ let _ = std::fs::remove_file({probe:?}); }}\n    writeln!(f, \"crate cache writable: {{created}}\").unwrap();\n    let seen = std::fs::read_dir(dir.join(\"../../..\")).map(|d| d.count()).unwrap_or(0);\n    writeln!(f, \"workspaces seen: {{seen}}\").unwrap();\n}}\n",
        start_daemon(&build)
    );
    let server_rs = format!(
        "use std::io::Write;\nfn main() {{\n    let daemon = {};\n    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(\"daemons.txt\").unwrap();\n    writeln!(f, \"{{:?}}\", daemon.map(|s| s.success())).unwrap();\n    todo!()\n}}\n",
        start_daemon(&program)
    );
    submission(
        class,
        "neighbour",
        &[("build.rs", build_rs), ("src/bin/server.rs", server_rs)],
    );
}

/// The neighbour's findings: its scratch workspace's `snoop.txt`, and
/// how many daemons its program says it started.
fn neighbour_findings(class: &Path) -> (String, usize) {
    let course = checker::builder::workspace_root();
    let scratch = checker::submission::scratch_for(&course, &class.join("neighbour/lessons"));
    let snoop = std::fs::read_to_string(scratch.join("snoop.txt")).unwrap();
    let started = std::fs::read_to_string(scratch.join("target/grade/workdir/daemons.txt"))
        .unwrap_or_default()
        .matches("Ok(true)")
        .count();
    (snoop, started)
}

/// Nothing of the neighbour's daemons runs a second after the class run
/// returned.
fn assert_no_daemon_left(tag: &str) {
    std::thread::sleep(std::time::Duration::from_secs(1));
    for daemon in daemons(tag) {
        let left = checker::process::running_with(&daemon);
        assert!(left.is_empty(), "`{daemon}` still runs: {left:?}");
    }
}

fn gradebook_row<'a>(csv: &'a str, student: &str) -> &'a str {
    csv.lines()
        .find(|l| l.starts_with(&format!("{student},")))
        .unwrap_or_else(|| panic!("no row for {student} in\n{csv}"))
}

#[test]
fn a_class_is_graded_into_a_gradebook_and_hostile_submissions_are_contained() {
    let base = std::env::temp_dir().join(format!("grade-class-{}", run_id()));
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

    // A lesson that is a link to a classmate's (relative, as a student
    // would make it), and one that adds a dependency.
    std::fs::create_dir_all(class.join("linked/lessons")).unwrap();
    std::os::unix::fs::symlink(
        "../../complete/lessons/echo",
        class.join("linked/lessons/echo"),
    )
    .unwrap();
    let echo = lessons::find("echo").unwrap();
    let manifest = checker::stubs::files(echo)
        .into_iter()
        .find(|(rel, _)| rel == Path::new("Cargo.toml"))
        .unwrap()
        .1;
    submission(
        &class,
        "deps",
        &[(
            "Cargo.toml",
            format!("{manifest}\n[dependencies]\nnum_cpus = \"1\"\n"),
        )],
    );
    neighbour(&class, &out, "");

    let mark = format!("class-{}", run_id());
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
    // Refused, with a status that says why; the console shows the
    // gradebook's fields, not its commas.
    assert_eq!(
        gradebook_row(&csv, "linked"),
        "linked,0,0,100,echo not graded: lessons/echo is a symbolic link (links are not followed)"
    );
    assert_eq!(
        gradebook_row(&csv, "deps"),
        "deps,0,0,100,echo not graded: lessons/echo/Cargo.toml adds or changes dependencies (`num_cpus`): a submission cannot add any"
    );
    let line = stdout
        .lines()
        .find(|l| l.starts_with("linked "))
        .unwrap_or_else(|| panic!("no console row for linked in\n{stdout}"));
    let fields: Vec<&str> = line
        .split("  ")
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .collect();
    assert_eq!(
        fields,
        [
            "linked",
            "0",
            "0",
            "100",
            "echo not graded: lessons/echo is a symbolic link (links are not followed)"
        ],
        "{stdout}"
    );

    // The neighbour: its daemons started, and none outlived the run.
    let (snoop, started) = neighbour_findings(&class);
    assert!(snoop.starts_with("daemon: Ok(true)\n"), "{snoop}");
    assert!(started >= 1, "the program started no daemon");
    assert_eq!(gradebook_row(&csv, "neighbour"), "neighbour,0,0,100,ok");
    assert_no_daemon_left("");
    // What protected the machine, said once for the whole class.
    let said = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Sandbox: "))
        .unwrap_or_else(|| panic!("no `Sandbox:` line in\n{stdout}"));
    if said.contains("files: only its own workspace") {
        assert_eq!(
            snoop,
            "daemon: Ok(true)\nclassmate: hidden\ncourse: hidden\ncourse through the init: hidden\nreports: hidden\nshadow: hidden\nyour processes: hidden\nclassmate writable: false\ncrate cache writable: false\nworkspaces seen: 1\n"
        );
    } else {
        eprintln!("note: no mount namespace on this machine ({said}); the file checks are skipped");
    }
    let isolated = said.contains("network: a loopback of its own");
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
        12,
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

/// Where this machine allows namespaces, they are turned off here: the
/// fallback (the checker adopting orphans) still finds and kills the
/// daemons, and the neighbour's build script then sees what it should
/// not (which shows that its checks above can fail).
#[test]
fn without_namespaces_daemons_are_still_killed() {
    let base = std::env::temp_dir().join(format!("grade-class-fallback-{}", run_id()));
    let _ = std::fs::remove_dir_all(&base);
    let (class, out) = (base.join("submissions"), base.join("out"));
    neighbour(&class, &out, "1");
    let mark = format!("fallback-{}", run_id());
    let (stdout, _) = grade_class_with(&class, &out, &mark, &[("GRADE_SANDBOX_NAMESPACES", "0")]);
    let said = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Sandbox: "))
        .unwrap_or_else(|| panic!("no `Sandbox:` line in\n{stdout}"));
    assert!(said.contains("files: not hidden"), "{said}");
    assert!(said.contains("network: not isolated"), "{said}");
    let (snoop, started) = neighbour_findings(&class);
    assert!(snoop.starts_with("daemon: Ok(true)\n"), "{snoop}");
    assert!(started >= 1, "the program started no daemon");
    assert!(snoop.contains("\ncourse: seen\n"), "{snoop}");
    assert!(snoop.contains("\nyour processes: seen\n"), "{snoop}");
    if said.starts_with("processes: adopted by the checker") {
        assert_no_daemon_left("1");
    } else {
        eprintln!("note: this system cannot adopt orphans ({said}): daemons may outlive the run");
        for daemon in daemons("1") {
            for pid in checker::process::running_with(&daemon) {
                // SAFETY: kill(2) has no memory effects.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        }
    }
    let course = checker::builder::workspace_root();
    let lessons = class.join("neighbour/lessons");
    let _ = std::fs::remove_dir_all(checker::submission::scratch_for(&course, &lessons));
    let _ = std::fs::remove_dir_all(&base);
}
