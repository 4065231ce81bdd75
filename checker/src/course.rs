//! What a course is made of, as data: a [`Lesson`] has roles (its
//! programs), [`Stage`]s, [`Mistake`]s (wrong solutions its stages catch)
//! and maybe a [`HandPeer`]. The lessons themselves are values of these
//! types, in [`crate::lessons`].

use std::time::Duration;

use crate::ctx::{Cast, Ctx};
use crate::verdict::{Outcome, Verdict};

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

/// One graded step of a lesson.
pub struct Stage {
    /// Stable id, used on the command line and in JSON (`half-close`).
    pub id: &'static str,
    pub title: &'static str,
    pub points: u32,
    /// Shown when the stage fails: where to look, for a beginner.
    pub hint: &'static str,
    /// The watchdog, before the time scale: past it the stage is stopped.
    pub deadline: Duration,
    /// The roles whose programs it runs (ids from the lesson's roles).
    pub roles: &'static [&'static str],
    pub run: fn(&mut Ctx) -> Outcome,
}

impl Stage {
    /// Who this stage is, for its [`Ctx`].
    pub fn cast(&'static self, lesson: &'static Lesson) -> Cast {
        Cast {
            stage: self.id,
            roles: self.roles,
            names: lesson.roles.iter().map(|r| (r.id, r.name)).collect(),
        }
    }
}
