//! The registry: every lesson, in course order, with its package, its
//! programs (roles), its stages and the plausible mistakes its stages catch.
//!
//! Everything else follows from this table: `cargo grade`, the tests (one
//! per stage, reference and stub, one per mistake), the README's lesson
//! table, each chapter's tables of stages and of common mistakes. Adding a
//! lesson is one module here and one line in [`LESSONS`]; the tests then
//! name whatever else is missing.

pub mod chat;
pub mod echo;
pub mod fetch;
pub mod framing;
pub mod resolver;
pub mod rpc;
pub mod udp_upper;

use crate::stage::{Stage, Verdict};

/// One lesson of the course.
pub struct Lesson {
    /// The id on the command line (`cargo grade echo`).
    pub id: &'static str,
    pub title: &'static str,
    /// 1 sockets, 2 protocol modules, 3 remote objects.
    pub level: u8,
    /// The student's package under `lessons/`; the reference is the same
    /// name with `-solution`, under `solutions/`.
    pub package: &'static str,
    /// The programs, by role. The student's binary is `PACKAGE-ROLE`, the
    /// reference's `PACKAGE-ROLE-solution`.
    pub roles: &'static [Role],
    /// The book chapter, under docs/src/.
    pub chapter: &'static str,
    pub stages: &'static [Stage],
    /// Plausible wrong solutions, each a program in `checker/fixtures`: the
    /// checker's tests prove each is caught, and the chapter lists them.
    pub mistakes: &'static [Mistake],
    /// The checker's peer, to start by hand: `cargo grade peer NAME`.
    pub peer: Option<HandPeer>,
    /// The chapter's sections, each with the stages it prepares for:
    /// `cargo grade hint` sends a student there. A stage not listed is
    /// sent to the section every chapter has, [`CONTRACT`].
    pub reading: &'static [(&'static str, &'static [&'static str])],
}

/// The section of every chapter that states what the programs must do.
pub const CONTRACT: &str = "The exercise contract";

/// A peer of the checker's that a student can start by hand, to try their
/// program (or dig, curl, nc) against it.
pub struct HandPeer {
    pub name: &'static str,
    /// Serves on loopback until the process is stopped.
    pub run: fn() -> std::io::Result<()>,
}

/// One of a lesson's programs.
pub struct Role {
    /// The id: in binary names (`echo-server`) and `--program server=PATH`.
    pub id: &'static str,
    /// How messages name it: "server", "name server".
    pub name: &'static str,
}

/// A plausible wrong solution, and how the checker must diagnose it.
pub struct Mistake {
    /// The mistake, as the chapter's table states it.
    pub what: &'static str,
    /// The program that makes it: `checker/fixtures/src/bin/FIXTURE.rs`.
    pub fixture: &'static str,
    /// The role it plays.
    pub role: &'static str,
    /// An easier stage it passes, so that it is a plausible attempt and
    /// not a broken program; `None` where the role has no easier stage.
    pub passes: Option<&'static str>,
    /// The stage aimed at this mistake.
    pub fails: &'static str,
    /// The verdict that stage gives.
    pub verdict: Verdict,
    /// A phrase of the diagnosis the student reads: the chapter quotes it.
    pub says: &'static str,
    /// Keep its whole text report as a golden file (checker/tests/golden/).
    pub golden: bool,
}

/// Whose code is graded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Flavor {
    /// The student's work, in lessons/.
    Lesson,
    /// The reference solutions, in solutions/.
    Solution,
}

/// A stage's roles, for the usual case of one program.
pub const SERVER: &[&str] = &["server"];
pub const CLIENT: &[&str] = &["client"];

/// The usual two roles of lessons 1 to 3.
pub const SERVER_AND_CLIENT: &[Role] = &[
    Role {
        id: "server",
        name: "server",
    },
    Role {
        id: "client",
        name: "client",
    },
];

impl Lesson {
    pub fn package_name(&self, flavor: Flavor) -> String {
        match flavor {
            Flavor::Lesson => self.package.to_string(),
            Flavor::Solution => format!("{}-solution", self.package),
        }
    }

    /// Where the graded package lives, relative to the workspace.
    pub fn package_dir(&self, flavor: Flavor) -> String {
        match flavor {
            Flavor::Lesson => format!("lessons/{}", self.package),
            Flavor::Solution => format!("solutions/{}", self.package),
        }
    }

    pub fn binary_name(&self, role: &str, flavor: Flavor) -> String {
        match flavor {
            Flavor::Lesson => format!("{}-{role}", self.package),
            Flavor::Solution => format!("{}-{role}-solution", self.package),
        }
    }

    pub fn role(&self, id: &str) -> Option<&'static Role> {
        self.roles.iter().find(|r| r.id == id)
    }

    pub fn stage(&self, id: &str) -> Option<&'static Stage> {
        self.stages.iter().find(|s| s.id == id)
    }

    /// The heading of the chapter's section to read for stage `id`.
    pub fn section_for(&self, id: &str) -> &'static str {
        self.reading
            .iter()
            .find(|(_, stages)| stages.contains(&id))
            .map_or(CONTRACT, |(heading, _)| heading)
    }

    pub fn max_points(&self) -> u32 {
        self.stages.iter().map(|s| s.points).sum()
    }

    /// The role ids, joined for messages: "server, client".
    pub fn role_list(&self) -> String {
        self.roles
            .iter()
            .map(|r| r.id)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Every lesson, in the order the course teaches them.
pub const LESSONS: &[&Lesson] = &[
    &echo::LESSON,
    &udp_upper::LESSON,
    &framing::LESSON,
    &resolver::LESSON,
    &fetch::LESSON,
    &rpc::LESSON,
    &chat::LESSON,
];

/// Finds a lesson by id.
/// The table of lessons the README shows (and a student release's too).
pub fn readme_table() -> String {
    let mut table = String::from(
        "| # | Lesson | Level | `cargo grade …` | Stages | Chapter |\n|---|---|---|---|---|---|\n",
    );
    for (n, lesson) in LESSONS.iter().enumerate() {
        table.push_str(&format!(
            "| {} | {} | {} | `{}` | {} | [{}](docs/src/{}) |\n",
            n + 1,
            lesson.title,
            lesson.level,
            lesson.id,
            lesson.stages.len(),
            lesson.chapter,
            lesson.chapter
        ));
    }
    table
}

pub fn find(id: &str) -> Option<&'static Lesson> {
    LESSONS.iter().copied().find(|l| l.id == id)
}

/// The lesson ids, joined for messages.
pub fn ids() -> String {
    LESSONS.iter().map(|l| l.id).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_lesson_is_worth_100_points_in_unique_readable_stages() {
        let ids: BTreeSet<&str> = LESSONS.iter().map(|l| l.id).collect();
        assert_eq!(ids.len(), LESSONS.len(), "lesson ids are unique");
        let packages: BTreeSet<&str> = LESSONS.iter().map(|l| l.package).collect();
        assert_eq!(packages.len(), LESSONS.len(), "packages are unique");
        for lesson in LESSONS {
            assert_eq!(lesson.max_points(), 100, "{}", lesson.id);
            assert!((1..=3).contains(&lesson.level), "{}", lesson.id);
            let stage_ids: BTreeSet<&str> = lesson.stages.iter().map(|s| s.id).collect();
            assert_eq!(
                stage_ids.len(),
                lesson.stages.len(),
                "stage ids in {} are unique",
                lesson.id
            );
            let role_ids: BTreeSet<&str> = lesson.roles.iter().map(|r| r.id).collect();
            assert_eq!(role_ids.len(), lesson.roles.len(), "{}", lesson.id);
            for stage in lesson.stages {
                // The text report gives ids 20 columns and titles 52.
                assert!(
                    stage.id.len() <= 20 && stage.title.len() <= 52,
                    "{}: {:?} is too long",
                    lesson.id,
                    stage.title
                );
                assert!(!stage.hint.is_empty() && stage.points > 0);
                assert!(!stage.roles.is_empty(), "{}: {}", lesson.id, stage.id);
                for role in stage.roles {
                    assert!(
                        role_ids.contains(role),
                        "{}: stage {} names the unknown role {role}",
                        lesson.id,
                        stage.id
                    );
                }
            }
        }
    }

    #[test]
    fn every_mistake_names_real_stages_and_roles_and_fails_a_stage_of_its_role() {
        for lesson in LESSONS {
            assert!(
                lesson.mistakes.len() >= 3,
                "{} needs at least three wrong-solution fixtures",
                lesson.id
            );
            assert!(
                lesson.mistakes.iter().filter(|m| m.golden).count() >= 3,
                "{} keeps at least three golden reports",
                lesson.id
            );
            for m in lesson.mistakes {
                let fails = lesson
                    .stage(m.fails)
                    .unwrap_or_else(|| panic!("{}: no stage {}", lesson.id, m.fails));
                assert!(
                    fails.roles.contains(&m.role),
                    "{}: {}",
                    lesson.id,
                    m.fixture
                );
                if let Some(passes) = m.passes {
                    let passes = lesson
                        .stage(passes)
                        .unwrap_or_else(|| panic!("{}: no stage {passes}", lesson.id));
                    assert!(passes.roles.contains(&m.role), "{}", m.fixture);
                }
                assert!(!m.verdict.earns_points(), "{}", m.fixture);
                assert!(!m.says.is_empty() && !m.what.is_empty(), "{}", m.fixture);
            }
        }
    }
}
