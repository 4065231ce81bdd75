//! Which namespaces the sandbox asks for (a plain value, so that both the
//! portable half and the Linux half of this module can name it).

/// The namespaces [`super::enter_namespaces`] puts the checker in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Namespaces {
    /// A user and a network namespace: a loopback of its own.
    Network,
    /// Those, a mount namespace with a `/proc` of its own, and a PID
    /// namespace whose first process (an init) ends every process in it
    /// when it ends with the checker.
    All,
}
