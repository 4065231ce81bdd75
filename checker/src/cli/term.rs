//! The one place that decides what the terminal gets: live status lines
//! (only on a terminal), colour (only on a terminal, and never when
//! `NO_COLOR` is set: <https://no-color.org>), and questions (only when
//! stdin is a terminal).

use std::ffi::OsStr;
use std::io::IsTerminal;

use crate::report::Paint;

/// What one output stream allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Term {
    /// A person watches it: a status line may be drawn and redrawn.
    pub terminal: bool,
    /// Colour is welcome.
    pub colour: bool,
}

impl Term {
    /// Standard output, where the reports go.
    pub fn stdout() -> Term {
        Term::decide(
            std::io::stdout().is_terminal(),
            std::env::var_os("NO_COLOR").as_deref(),
        )
    }

    /// Standard error, where cargo's messages go.
    pub fn stderr() -> Term {
        Term::decide(
            std::io::stderr().is_terminal(),
            std::env::var_os("NO_COLOR").as_deref(),
        )
    }

    /// The decision itself: colour only on a terminal and without
    /// `NO_COLOR` (set to anything, even empty).
    pub fn decide(terminal: bool, no_color: Option<&OsStr>) -> Term {
        Term {
            terminal,
            colour: terminal && no_color.is_none(),
        }
    }

    /// The colours for this stream.
    pub fn paint(self) -> Paint {
        Paint { on: self.colour }
    }

    /// Whether someone at a terminal can answer a question (stdin is one).
    pub fn can_ask() -> bool {
        std::io::stdin().is_terminal()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_needs_a_terminal_and_no_no_color() {
        let set = Some(OsStr::new("1"));
        assert_eq!(
            Term::decide(true, None),
            Term {
                terminal: true,
                colour: true
            }
        );
        assert!(!Term::decide(true, set).colour);
        assert!(!Term::decide(true, Some(OsStr::new(""))).colour);
        assert!(Term::decide(true, set).terminal);
        assert_eq!(
            Term::decide(false, None),
            Term {
                terminal: false,
                colour: false
            }
        );
        assert!(!Term::decide(false, None).paint().on);
        assert_eq!(
            Term::decide(true, None).paint().red("x"),
            "\x1b[31mx\x1b[0m"
        );
    }
}
