//! What a client program did ([`Finished`]), and the checks a stage makes
//! on it: its exit code, its output, its error message.

use crate::verdict::{Failure, Outcome};
use crate::wire;

/// What a client program did.
#[derive(Debug)]
pub struct Finished {
    /// The role's name, for messages ("client").
    pub who: &'static str,
    pub code: Option<i32>,
    /// How it ended, in words ("exited with code 1").
    pub how: String,
    /// It crashed: a panic or a signal.
    pub crashed: bool,
    pub stdout: Vec<u8>,
    pub stdout_total: u64,
    pub stderr: String,
}

impl Finished {
    /// The program must have exited with code 0.
    pub fn expect_success(&self) -> Outcome {
        if self.code == Some(0) {
            return Ok(());
        }
        let f = if self.crashed {
            Failure::crashed(format!("the {} {}", self.who, self.how))
        } else {
            Failure::failed(format!("the {} {}", self.who, self.how))
        };
        Err(f
            .expected("exit code 0")
            .got(format!("stderr: {}", one_line_or_count(&self.stderr))))
    }

    /// The program must fail cleanly: non-zero exit, no panic, and exactly
    /// one line on stderr that says what went wrong.
    pub fn expect_one_line_error(&self) -> Outcome {
        let expected = "exit code 1 and one line on stderr that says what went wrong";
        let who = self.who;
        if self.crashed {
            return Err(Failure::crashed(format!("the {who} {} instead of reporting the error", self.how))
                .expected(expected)
                .got(format!("stderr: {}", one_line_or_count(&self.stderr)))
                .hint("no unwrap() or expect() on network results: return the error and let main print it"));
        }
        if self.code == Some(0) {
            return Err(Failure::failed(format!(
                "the {who} exited with code 0, as if all went well"
            ))
            .expected(expected)
            .got(format!("exit code 0, stdout {}", wire::show(&self.stdout))));
        }
        let lines = self.stderr.lines().filter(|l| !l.trim().is_empty()).count();
        if lines != 1 {
            return Err(Failure::failed(format!(
                "the {who} {} but printed {lines} lines on stderr",
                self.how
            ))
            .expected(expected)
            .got(format!("stderr: {}", wire::quote_text(&self.stderr))));
        }
        Ok(())
    }
}

impl Finished {
    /// The program must exit with `code` and print exactly `stdout`;
    /// `what` says what it was asked ("query www.example.test").
    pub fn expect_exit(&self, what: &str, code: i32, stdout: &[u8]) -> Outcome {
        let who = self.who;
        if self.crashed {
            return Err(Failure::crashed(format!("{what}: the {who} {}", self.how))
                .got(format!("stderr: {}", wire::quote_text(self.stderr.trim()))));
        }
        if self.code != Some(code) {
            return Err(Failure::failed(format!(
                "{what}: the {who} {}, not with code {code}",
                self.how
            ))
            .expected(format!("exit code {code}, stdout {}", wire::show(stdout)))
            .got(format!(
                "stdout {}, stderr {}",
                wire::show(&self.stdout),
                wire::quote_text(self.stderr.trim())
            )));
        }
        wire::compare(&format!("{what}: what it printed"), stdout, &self.stdout)
    }

    /// [`Finished::expect_one_line_error`], and the line must say `word`
    /// (such as "refused"): failing for some other reason is not enough.
    pub fn expect_error_saying(&self, word: &str) -> Outcome {
        self.expect_one_line_error()?;
        if self.stderr.to_lowercase().contains(word) {
            return Ok(());
        }
        Err(Failure::failed(format!(
            "the {} failed, but did not say that the connection was {word}",
            self.who
        ))
        .expected(format!("one line on stderr that says `{word}`"))
        .got(format!("stderr: {}", wire::quote_text(self.stderr.trim())))
        .hint("print the error itself: the io::Error's text names what happened"))
    }
}

fn one_line_or_count(text: &str) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    match lines.as_slice() {
        [] => "(empty)".into(),
        [one] => wire::quote_text(one),
        [first, ..] => format!(
            "{} (and {} more lines)",
            wire::quote_text(first),
            lines.len() - 1
        ),
    }
}
