//! The reports programs read: `--format json` checked against its
//! published schema, `--format gradescope` against the fields Gradescope
//! documents, and `--format junit` as CI systems read it. Real runs: a
//! wrong server (so there are transcripts and programs to report), and the
//! untouched stub's state does not matter (the wrong program is given).

mod common;

use std::process::Command;

use serde_json::Value;

fn grade(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(assert_cmd::cargo::cargo_bin!("grade"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (out.status.code(), String::from_utf8(out.stdout).unwrap())
}

fn schema(name: &str) -> jsonschema::Validator {
    let path = checker::builder::workspace_root()
        .join("checker/schema")
        .join(name);
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::validator_for(&schema).expect("a valid JSON Schema")
}

fn assert_valid(validator: &jsonschema::Validator, doc: &Value) {
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{doc:#}");
}

/// The echo server that reads once and closes, in the server's role.
fn wrong_server_run(format: &str) -> String {
    let wrong = common::fixture("echo-one-read");
    let program = format!("server={}", wrong.display());
    let (code, out) = grade(&[
        "echo",
        "--solutions",
        "--stage",
        "one-message",
        "--stage",
        "dribble",
        "--program",
        &program,
        "--format",
        format,
    ]);
    assert_eq!(code, Some(1), "{out}");
    out
}

#[test]
fn the_json_report_follows_its_schema_and_keeps_the_wire_as_data() {
    let doc: Value = serde_json::from_str(&wrong_server_run("json")).unwrap();
    assert_valid(&schema("report-v1.schema.json"), &doc);
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["points"], 5);
    let dribble = &doc["lessons"][0]["stages"][1];
    assert_eq!(dribble["id"], "dribble");
    assert_eq!(dribble["verdict"], "failed");
    assert!(
        dribble["hint"].as_str().unwrap().contains("read returns 0"),
        "{dribble:#}"
    );
    let events = dribble["transcript"].as_array().unwrap();
    let got = events
        .iter()
        .find(|e| e["kind"] == "received")
        .expect("a received event");
    assert_eq!(got["peer"], "client");
    assert_eq!(got["data"]["text"], "o");
    assert_eq!(got["data"]["length"], 1);
    assert!(events.iter().any(|e| e["kind"] == "note"));
    let exit = &dribble["programs"][0]["exit"];
    assert!(exit.is_object(), "{exit}");
    assert!(exit["stopped_by_checker"].is_boolean());
}

#[test]
fn a_stubs_report_follows_the_schema_too() {
    // Whatever lessons/ holds, a build's outcome and its stages are reported
    // in the same shape.
    let (_, out) = grade(&["udp-upper", "--stage", "one-datagram", "--format", "json"]);
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_valid(&schema("report-v1.schema.json"), &doc);
    assert_eq!(doc["flavor"], "lesson");
}

#[test]
fn the_gradescope_results_have_only_documented_fields_and_add_up() {
    let doc: Value = serde_json::from_str(&wrong_server_run("gradescope")).unwrap();
    assert_valid(&schema("gradescope-results.schema.json"), &doc);
    assert_eq!(doc["score"], 5.0);
    let tests = doc["tests"].as_array().unwrap();
    let most: f64 = tests.iter().map(|t| t["max_score"].as_f64().unwrap()).sum();
    assert_eq!(most, 10.0);
    assert_eq!(tests.len(), 2);
    assert_eq!(
        tests[0]["name"],
        "echo / one-message: One short message comes back"
    );
    assert_eq!(tests[0]["status"], "passed");
    assert_eq!(tests[1]["status"], "failed");
    assert_eq!(tests[1]["number"], "1.2");
    assert!(tests[1]["output"].as_str().unwrap().contains("transcript"));
    // The schema itself refuses what Gradescope does not know.
    let mut wrong = doc.clone();
    wrong["tests"][0]["points"] = 5.into();
    assert!(!schema("gradescope-results.schema.json").is_valid(&wrong));
}

#[test]
fn the_junit_report_has_a_test_case_per_stage() {
    let xml = wrong_server_run("junit");
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert!(
        xml.contains(r#"<testsuite name="echo" tests="2" skipped="0" errors="0" failures="1""#),
        "{xml}"
    );
    assert!(
        xml.contains(r#"<testcase name="one-message" classname="echo""#),
        "{xml}"
    );
    assert!(
        xml.contains(r#"<testcase name="dribble" classname="echo""#),
        "{xml}"
    );
    assert!(xml.contains(r#"<failure message="#), "{xml}");
    assert!(
        xml.contains("transcript (what the checker did and saw)"),
        "{xml}"
    );
}
