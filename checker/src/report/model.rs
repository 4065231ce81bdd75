//! The report's data: one model, built by a run and read by every format.

use serde::Serialize;
use serde::ser::{SerializeStruct, Serializer};

use crate::course::{Flavor, Lesson, Stage};
use crate::process::ProgramReport;
use crate::verdict::{Failure, Verdict};
use crate::wire::Event;

/// How a lesson's build went.
#[derive(Clone, Debug, Serialize)]
pub struct BuildReport {
    /// Every program of the lesson was built.
    pub ok: bool,
    pub warnings: usize,
    /// Why it did not build, in one line.
    pub error: Option<String>,
    /// The compiler's first error, as cargo renders it.
    pub first_error: Option<String>,
    /// Everything the compiler said about the package (shown in the text
    /// report; too long for the JSON one, which has the first error).
    #[serde(skip_serializing)]
    pub diagnostics: String,
}

/// One lesson's results.
#[derive(Clone, Debug, Serialize)]
pub struct LessonReport {
    pub id: &'static str,
    pub title: &'static str,
    /// 1 sockets, 2 protocol modules, 3 remote objects.
    pub level: u8,
    pub flavor: Flavor,
    pub package: String,
    /// Where the package lives (`lessons/echo`).
    pub package_dir: String,
    pub chapter: String,
    pub build: BuildReport,
    pub stages: Vec<StageReport>,
    pub points: u32,
    pub max_points: u32,
}

impl LessonReport {
    /// A lesson's report before its stages have run.
    pub fn new(lesson: &'static Lesson, flavor: Flavor, build: BuildReport) -> LessonReport {
        LessonReport {
            id: lesson.id,
            title: lesson.title,
            level: lesson.level,
            flavor,
            package: lesson.package_name(flavor),
            package_dir: lesson.package_dir(flavor),
            chapter: lesson.chapter.to_string(),
            build,
            stages: Vec::new(),
            points: 0,
            max_points: 0,
        }
    }

    /// Adds up the points once the stages are in.
    pub fn finish(&mut self) {
        (self.points, self.max_points) = total(&self.stages);
    }
}

/// A whole run.
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    pub lessons: Vec<LessonReport>,
    pub points: u32,
    pub max_points: u32,
    /// Every stage of every lesson graded passed.
    pub passed: bool,
}

impl RunReport {
    pub fn new(lessons: Vec<LessonReport>) -> RunReport {
        let points = lessons.iter().map(|l| l.points).sum();
        let max_points = lessons.iter().map(|l| l.max_points).sum();
        let passed = lessons
            .iter()
            .all(|l| l.build.ok && l.stages.iter().all(|s| s.verdict.earns_points()));
        RunReport {
            lessons,
            points,
            max_points,
            passed,
        }
    }
}

/// The outcome of one stage, as the report shows it. Serialised as the
/// JSON report's `stage` (see `checker/schema/report-v1.schema.json`): the
/// failure's words flattened beside the verdict.
#[derive(Clone, Debug)]
pub struct StageReport {
    pub id: &'static str,
    pub title: &'static str,
    pub verdict: Verdict,
    pub points: u32,
    pub max_points: u32,
    pub seconds: f64,
    /// Present unless the stage passed.
    pub failure: Option<Failure>,
    /// The hint shown: the failure's own, else the stage's.
    pub hint: Option<String>,
    /// What was sent and received, in order (kept for failed stages only).
    pub transcript: Vec<Event>,
    /// How many earlier events were left out of `transcript`.
    pub transcript_omitted: usize,
    /// Every program the stage started.
    pub programs: Vec<ProgramReport>,
    /// The process groups the stage started, for tests that check that
    /// nothing survives.
    pub process_groups: Vec<i32>,
    /// The stage's own hint, which says where to start: what a program
    /// reading the report is given for a stage not implemented yet.
    pub stage_hint: &'static str,
}

impl Serialize for StageReport {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let failure = self.failure.as_ref();
        let hint = self
            .hint
            .as_deref()
            .or_else(|| (self.verdict == Verdict::NotImplemented).then_some(self.stage_hint));
        let mut s = serializer.serialize_struct("StageReport", 13)?;
        s.serialize_field("id", self.id)?;
        s.serialize_field("title", self.title)?;
        s.serialize_field("verdict", &self.verdict)?;
        s.serialize_field("points", &self.points)?;
        s.serialize_field("max_points", &self.max_points)?;
        s.serialize_field("seconds", &self.seconds)?;
        s.serialize_field("summary", &failure.map(|f| &f.summary))?;
        s.serialize_field("expected", &failure.and_then(|f| f.expected.as_ref()))?;
        s.serialize_field("got", &failure.and_then(|f| f.got.as_ref()))?;
        s.serialize_field("hint", &hint)?;
        s.serialize_field("transcript", &self.transcript)?;
        s.serialize_field("transcript_omitted", &self.transcript_omitted)?;
        s.serialize_field("programs", &self.programs)?;
        s.end()
    }
}

impl StageReport {
    /// A stage that was not run, for `reason`.
    pub fn not_run(stage: &'static Stage, failure: Failure) -> StageReport {
        StageReport {
            id: stage.id,
            title: stage.title,
            verdict: failure.verdict,
            points: 0,
            max_points: stage.points,
            seconds: 0.0,
            failure: Some(failure),
            hint: None,
            transcript: Vec::new(),
            transcript_omitted: 0,
            programs: Vec::new(),
            process_groups: Vec::new(),
            stage_hint: stage.hint,
        }
    }
}

/// Points for a lesson run: earned, and possible.
pub fn total(stages: &[StageReport]) -> (u32, u32) {
    stages
        .iter()
        .fold((0, 0), |(p, m), s| (p + s.points, m + s.max_points))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lessons;

    #[test]
    fn a_stage_not_implemented_yet_carries_its_own_hint_in_json() {
        let stage = &lessons::find("echo").unwrap().stages[0];
        let report =
            StageReport::not_run(stage, Failure::not_implemented("the todo!() at x.rs:1:1"));
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["verdict"], "not_implemented");
        assert_eq!(json["hint"], stage.hint);
        assert_eq!(
            json["summary"],
            "not implemented yet: the todo!() at x.rs:1:1"
        );
        assert!(json["expected"].is_null() && json.get("failure").is_none());
        assert!(json.get("process_groups").is_none() && json.get("stage_hint").is_none());
    }
}
