//! The registry: every lesson, in course order, with its package, programs
//! and stages. Adding a lesson is one module here and one line in [`LESSONS`].

pub mod echo;
pub mod framing;
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
pub const LESSONS: &[&Lesson] = &[&echo::LESSON, &udp_upper::LESSON, &framing::LESSON];

/// Finds a lesson by id.
pub fn find(id: &str) -> Option<&'static Lesson> {
    LESSONS.iter().copied().find(|l| l.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lesson_is_worth_100_points_in_unique_readable_stages() {
        let mut ids: Vec<&str> = LESSONS.iter().map(|l| l.id).collect();
        ids.dedup();
        assert_eq!(ids.len(), LESSONS.len(), "lesson ids are unique");
        for lesson in LESSONS {
            assert_eq!(lesson.max_points(), 100, "{}", lesson.id);
            let mut stage_ids: Vec<&str> = lesson.stages.iter().map(|s| s.id).collect();
            stage_ids.sort_unstable();
            stage_ids.dedup();
            assert_eq!(
                stage_ids.len(),
                lesson.stages.len(),
                "stage ids in {} are unique",
                lesson.id
            );
            for stage in lesson.stages {
                // The text report gives ids 20 columns and titles 52.
                assert!(
                    stage.id.len() <= 20 && stage.title.len() <= 52,
                    "{}: {:?} is too long",
                    lesson.id,
                    stage.title
                );
                assert!(!stage.hint.is_empty() && stage.points > 0);
            }
            let chapter = crate::builder::workspace_root()
                .join("docs/src")
                .join(lesson.chapter);
            assert!(
                chapter.is_file(),
                "{} has no chapter at {}",
                lesson.id,
                chapter.display()
            );
        }
    }
}
