//! The registry: every lesson, in course order, with its package, programs
//! and stages. Adding a lesson is one module here and one line in [`LESSONS`].

pub mod echo;
pub mod udp_upper;

use crate::stage::Stage;

/// One lesson of the course.
pub struct Lesson {
    /// The id on the command line (`cargo grade echo`).
    pub id: &'static str,
    pub title: &'static str,
    /// The student's package under `lessons/`; the reference is the same
    /// name with `-solution`, under `solutions/`.
    pub package: &'static str,
    /// The programs, by role. The student's binary is `PACKAGE-ROLE`, the
    /// reference's `PACKAGE-ROLE-solution`.
    pub roles: &'static [&'static str],
    /// The book chapter, under docs/src/.
    pub chapter: &'static str,
    pub stages: &'static [Stage],
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

impl Lesson {
    pub fn package_name(&self, flavor: Flavor) -> String {
        match flavor {
            Flavor::Lesson => self.package.to_string(),
            Flavor::Solution => format!("{}-solution", self.package),
        }
    }

    pub fn binary_name(&self, role: &str, flavor: Flavor) -> String {
        match flavor {
            Flavor::Lesson => format!("{}-{role}", self.package),
            Flavor::Solution => format!("{}-{role}-solution", self.package),
        }
    }

    pub fn max_points(&self) -> u32 {
        self.stages.iter().map(|s| s.points).sum()
    }
}

/// Every lesson, in the order the course teaches them.
pub const LESSONS: &[&Lesson] = &[&echo::LESSON, &udp_upper::LESSON];

/// Finds a lesson by id.
pub fn find(id: &str) -> Option<&'static Lesson> {
    LESSONS.iter().copied().find(|l| l.id == id)
}
