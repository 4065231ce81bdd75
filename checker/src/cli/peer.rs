//! `cargo grade peer NAME`: starts one of the checker's peers by hand (the
//! DNS server, the HTTP server…), to try a program, or dig, curl, nc,
//! against it. The peers themselves are the lessons'.

use super::{Exit, fail, usage_error};
use crate::lessons::{self, HandPeer, Lesson};

/// The options of `cargo grade peer`.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct Args {
    /// The peer's name (without one, the list).
    pub name: Option<String>,
}

/// Starts the peer named, until it is stopped; without a name, or with
/// one that is no peer, the list of peers (a usage error).
pub fn run(args: &Args) -> Exit {
    let (lesson, peer) = match find(args.name.as_deref()) {
        Ok(found) => found,
        Err(message) => return usage_error(message),
    };
    println!("lesson {}: {}", lesson.id, lesson.title);
    match (peer.run)() {
        Ok(()) => Exit::Ok,
        Err(e) => fail(Exit::Failed, format!("the {} peer stopped: {e}", peer.name)),
    }
}

/// The peer called `name`, with its lesson, or a message that lists them.
pub fn find(name: Option<&str>) -> Result<(&'static Lesson, &'static HandPeer), String> {
    let peers: Vec<_> = lessons::LESSONS
        .iter()
        .filter_map(|l| l.peer.as_ref().map(|p| (*l, p)))
        .collect();
    peers
        .iter()
        .find(|(_, p)| Some(p.name) == name)
        .copied()
        .ok_or_else(|| {
            let names: Vec<String> = peers
                .iter()
                .map(|(l, p)| format!("{} (lesson {})", p.name, l.id))
                .collect();
            format!(
                "usage: cargo grade peer NAME; the peers are: {}",
                names.join(", ")
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peer_is_found_by_name_or_the_list_is_given() {
        let (lesson, peer) = find(Some("dns")).expect("the DNS peer");
        assert_eq!((lesson.id, peer.name), ("resolver", "dns"));
        for name in [None, Some("nosuch")] {
            let message = find(name).err().expect("no such peer");
            assert!(
                message.starts_with(
                    "usage: cargo grade peer NAME; the peers are: dns (lesson resolver)"
                ),
                "{message}"
            );
        }
        assert_eq!(
            run(&Args {
                name: Some("nosuch".into())
            }),
            Exit::Usage
        );
    }
}
