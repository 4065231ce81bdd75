//! Gates: in a lesson run, the first stage that starts a server finds out
//! whether it starts at all; when it does not, the later stages that need
//! it say "not run: fix that stage first" at once instead of each waiting
//! out its deadline.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use crate::flag::Flag;
use crate::verdict::Failure;

/// What a server role's first start showed, for the stages after it.
#[derive(Clone)]
enum Gate {
    /// It started (or the stage that owns it never tried): go ahead.
    Open,
    /// It did not start in stage `by`; `todo` if it stopped at a todo!().
    Blocked {
        by: &'static str,
        todo: Option<String>,
    },
}

/// Per lesson run: for each role, the first stage (in course order) that
/// runs it finds out whether the program starts at all. The other stages
/// that start it wait for that answer, and when it is no, say so at once.
pub struct Gates {
    owners: Vec<(&'static str, &'static str)>,
    state: Mutex<HashMap<&'static str, Gate>>,
    changed: Condvar,
}

impl Gates {
    /// Gates for these stages (id and roles), in the order they are
    /// graded.
    pub fn new(stages: &[(&'static str, &'static [&'static str])]) -> Gates {
        let mut owners: Vec<(&'static str, &'static str)> = Vec::new();
        for &(stage, roles) in stages {
            for &role in roles {
                if !owners.iter().any(|(r, _)| *r == role) {
                    owners.push((role, stage));
                }
            }
        }
        Gates {
            owners,
            state: Mutex::new(HashMap::new()),
            changed: Condvar::new(),
        }
    }

    /// The stage that finds out whether `role` starts.
    pub fn owner(&self, role: &str) -> Option<&'static str> {
        self.owners
            .iter()
            .find(|(r, _)| *r == role)
            .map(|(_, s)| *s)
    }

    /// Records the owner's answer (only the first answer counts).
    pub(crate) fn resolve(
        &self,
        role: &'static str,
        started: bool,
        by: &'static str,
        todo: Option<String>,
    ) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.entry(role).or_insert(if started {
            Gate::Open
        } else {
            Gate::Blocked { by, todo }
        });
        self.changed.notify_all();
    }

    /// A stage ended: the roles it owned and never started are open.
    pub fn stage_over(&self, stage: &str) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        for (role, owner) in &self.owners {
            if *owner == stage {
                state.entry(role).or_insert(Gate::Open);
            }
        }
        self.changed.notify_all();
    }

    /// Waits for the owner's answer about `role`, or until `over` is set.
    pub(crate) fn wait(&self, role: &str, name: &str, over: &Flag) -> Result<(), Failure> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            match state.get(role) {
                Some(Gate::Open) => return Ok(()),
                Some(Gate::Blocked {
                    todo: Some(place), ..
                }) => {
                    return Err(Failure::not_implemented(place.clone()));
                }
                Some(Gate::Blocked { by, todo: None }) => {
                    return Err(Failure::not_run(format!(
                        "fix `{by}` first (the {name} did not start there)"
                    )));
                }
                None if over.is_set() => return Err(Failure::timed_out("the stage is over")),
                None => {}
            }
            state = self
                .changed
                .wait_timeout(state, Duration::from_millis(50))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}
