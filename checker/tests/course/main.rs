//! The course's registry as tests, in one run so that they overlap: every
//! stage passes on its reference ([`references`]) and every planted
//! mistake fails the stage aimed at it, as diagnosed ([`mistakes`]).
//!
//! `cargo test --test course -- mistakes` runs only the mistakes,
//! `-- references::echo` only echo's stages on its reference.

#[path = "../common/mod.rs"]
mod common;
mod mistakes;
mod references;

use libtest_mimic::Arguments;

fn main() {
    let mut args = Arguments::from_args();
    // Nearly every test waits on sockets and deadlines, not on the CPU:
    // run many more at once than there are cores.
    args.test_threads.get_or_insert(12);
    let mut trials = mistakes::trials();
    trials.extend(references::trials());
    libtest_mimic::run(&args, trials).exit();
}
