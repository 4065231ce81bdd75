//! Scripted peers: the checker playing the other side for a program under
//! test. A peer listens on loopback, port 0, and runs a script for each
//! connection (TCP, each on its own thread, so many clients are served at
//! once) or for each datagram (UDP). A script is plain Rust on a [`Conn`]
//! or a [`Udp`]: expect bytes, a line, up to a delimiter; reply whole, in
//! pieces, a byte at a time; stay silent; half-close, close, reset; drop,
//! duplicate or forge a datagram.
//!
//! A stage starts its peers, runs the program under test, then calls
//! `finish()` on each peer: the peer stops waiting and hands back what each
//! script returned. Several peers can serve one stage (an HTTP redirect
//! from one to another, a name server beside an object server).

use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crate::ctx::Ctx;
use crate::flag::Flag;
use crate::time;
use crate::verdict::{Failure, Outcome};
use crate::wire::{Conn, Decoder, Transcript, Udp};

/// What one connection's script returned, in the order they were accepted.
type Results<T> = Arc<Mutex<Vec<Option<Result<T, Failure>>>>>;

/// A TCP peer: accepts connections and runs a script on each.
pub struct TcpPeer<T> {
    name: String,
    addr: SocketAddr,
    stop: Flag,
    results: Results<T>,
    accepting: Option<JoinHandle<Vec<JoinHandle<()>>>>,
}

impl<T: Send + 'static> TcpPeer<T> {
    /// The address the program under test should connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting and waiting, waits for the scripts to end, and
    /// returns what each connection's script returned, in accept order.
    pub fn finish(mut self) -> Vec<Result<T, Failure>> {
        self.stop.set();
        let handles = self
            .accepting
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        for h in handles {
            // A script that panicked recorded nothing: reported below.
            let _ = h.join();
        }
        let mut results = self.results.lock().unwrap_or_else(|e| e.into_inner());
        results
            .drain(..)
            .map(|r| r.unwrap_or_else(|| Err(Failure::checker_error("a peer's script panicked"))))
            .collect()
    }

    /// [`TcpPeer::finish`] for a peer that expects exactly one connection:
    /// its script's result, or why there was none.
    pub fn finish_one(self, who: &str) -> Result<T, Failure> {
        let (name, addr) = (self.name.clone(), self.addr);
        let mut results = self.finish();
        if results.is_empty() {
            return Err(
                Failure::failed(format!("the {who} never connected to {name} at {addr}")).hint(
                    format!("connect to the address given on the command line ({addr})"),
                ),
            );
        }
        // The first connection is the one graded.
        results.remove(0)
    }
}

/// A UDP peer: receives datagrams and runs a script on each, keeping a
/// state the stage gets back.
pub struct UdpPeer<S> {
    addr: SocketAddr,
    stop: Flag,
    serving: Option<JoinHandle<Result<S, Failure>>>,
}

impl<S: Send + 'static> UdpPeer<S> {
    /// The address the program under test should send to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops waiting for datagrams and returns the script's state, or the
    /// first failure a script returned.
    pub fn finish(mut self) -> Result<S, Failure> {
        self.stop.set();
        match self.serving.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            _ => Err(Failure::checker_error("a UDP peer's script panicked")),
        }
    }
}

/// One datagram a UDP peer received.
pub struct Datagram {
    pub bytes: Vec<u8>,
    pub from: SocketAddr,
    /// Its number, from 1, in the order received.
    pub number: usize,
}

impl Ctx {
    /// Starts a TCP peer named `name` on 127.0.0.1, port 0. `script` runs on
    /// each accepted connection, on a thread of its own, with the
    /// connection's number (from 1).
    pub fn tcp_peer<T, F>(&self, name: &str, script: F) -> Result<TcpPeer<T>, Failure>
    where
        T: Send + 'static,
        F: Fn(&mut Conn, usize) -> Result<T, Failure> + Send + Sync + 'static,
    {
        self.tcp_peer_at("127.0.0.1:0", name, None, script)
    }

    /// [`Ctx::tcp_peer`] on a given loopback address (`[::1]:0`, or the
    /// port of a UDP peer), its messages shown by `decoder`.
    pub fn tcp_peer_at<T, F>(
        &self,
        addr: &str,
        name: &str,
        decoder: Option<Decoder>,
        script: F,
    ) -> Result<TcpPeer<T>, Failure>
    where
        T: Send + 'static,
        F: Fn(&mut Conn, usize) -> Result<T, Failure> + Send + Sync + 'static,
    {
        let listener = TcpListener::bind(addr).map_err(|e| {
            Failure::checker_error(format!("the checker cannot listen on {addr}: {e}"))
        })?;
        listener
            .set_nonblocking(true)
            .map_err(|e| Failure::checker_error(e.to_string()))?;
        let local = listener
            .local_addr()
            .map_err(|e| Failure::checker_error(e.to_string()))?;
        self.note(format!("{name} listens on {local}"));
        let stop = self.peer_flag();
        let results: Results<T> = Arc::default();
        let accepting = {
            let (stop, results, log) = (
                stop.clone(),
                Arc::clone(&results),
                self.transcript().clone(),
            );
            let name = name.to_string();
            let script = Arc::new(script);
            thread::spawn(move || {
                accept_loop(listener, &name, &log, decoder, &stop, &results, script)
            })
        };
        Ok(TcpPeer {
            name: name.to_string(),
            addr: local,
            stop,
            results,
            accepting: Some(accepting),
        })
    }

    /// Starts a UDP peer named `name` on 127.0.0.1, port 0. `script` runs on
    /// each datagram, in order, with the peer's socket and a state that
    /// [`UdpPeer::finish`] hands back.
    pub fn udp_peer<S, F>(&self, name: &str, state: S, script: F) -> Result<UdpPeer<S>, Failure>
    where
        S: Send + 'static,
        F: FnMut(&mut S, &Udp, Datagram) -> Outcome + Send + 'static,
    {
        self.udp_peer_at("127.0.0.1:0", name, None, state, script)
    }

    /// [`Ctx::udp_peer`] on a given loopback address, its datagrams shown
    /// by `decoder`.
    pub fn udp_peer_at<S, F>(
        &self,
        addr: &str,
        name: &str,
        decoder: Option<Decoder>,
        mut state: S,
        mut script: F,
    ) -> Result<UdpPeer<S>, Failure>
    where
        S: Send + 'static,
        F: FnMut(&mut S, &Udp, Datagram) -> Outcome + Send + 'static,
    {
        let mut socket = Udp::bind(self.transcript(), name, addr)?;
        if let Some(d) = decoder {
            socket.decode_with(d);
        }
        let local = socket.addr();
        self.note(format!("{name} listens on UDP {local}"));
        let stop = self.peer_flag();
        let serving = {
            let stop = stop.clone();
            thread::spawn(move || {
                let mut number = 0;
                // Wait "for ever": the stage's own deadline and `stop` end it.
                while let Some((bytes, from)) = socket.recv(Duration::from_secs(3600), &stop)? {
                    number += 1;
                    script(
                        &mut state,
                        &socket,
                        Datagram {
                            bytes,
                            from,
                            number,
                        },
                    )?;
                }
                Ok(state)
            })
        };
        Ok(UdpPeer {
            addr: local,
            stop,
            serving: Some(serving),
        })
    }
}

/// Accepts until `stop`, running `script` on each connection on a thread of
/// its own; returns those threads.
fn accept_loop<T, F>(
    listener: TcpListener,
    name: &str,
    log: &Transcript,
    decoder: Option<Decoder>,
    stop: &Flag,
    results: &Results<T>,
    script: Arc<F>,
) -> Vec<JoinHandle<()>>
where
    T: Send + 'static,
    F: Fn(&mut Conn, usize) -> Result<T, Failure> + Send + Sync + 'static,
{
    let accepted = Accepted {
        name,
        log,
        decoder,
        results,
        script,
    };
    let mut handles = Vec::new();
    while !stop.is_set() {
        match listener.accept() {
            Ok((stream, from)) => handles.push(accepted.serve(stream, from, stop.clone())),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                stop.wait(Duration::from_millis(5));
            }
            Err(e) => {
                log.note(format!("{name} could not accept: {e}"));
                stop.wait(Duration::from_millis(20));
            }
        }
    }
    // A program that connected and exited before the loop above came round
    // (a busy machine) is still in the listen queue: it did connect. Those
    // connections are served too, with a stop flag of their own, set after
    // the usual patience.
    let late = Flag::default();
    let mut any = false;
    while let Ok((stream, from)) = listener.accept() {
        handles.push(accepted.serve(stream, from, late.clone()));
        any = true;
    }
    if any {
        let late = late.clone();
        thread::spawn(move || {
            thread::sleep(time::patience());
            late.set();
        });
    }
    handles
}

/// What serving one accepted connection needs.
struct Accepted<'a, T, F> {
    name: &'a str,
    log: &'a Transcript,
    decoder: Option<Decoder>,
    results: &'a Results<T>,
    script: Arc<F>,
}

impl<T, F> Accepted<'_, T, F>
where
    T: Send + 'static,
    F: Fn(&mut Conn, usize) -> Result<T, Failure> + Send + Sync + 'static,
{
    /// Runs the script on `stream` on a thread of its own, its result kept
    /// in accept order.
    fn serve(&self, stream: std::net::TcpStream, from: SocketAddr, stop: Flag) -> JoinHandle<()> {
        let number = {
            let mut r = self.results.lock().unwrap_or_else(|e| e.into_inner());
            r.push(None);
            r.len()
        };
        let conn_name = if number == 1 {
            self.name.to_string()
        } else {
            format!("{} (connection {number})", self.name)
        };
        self.log
            .note(format!("{conn_name} accepted a connection from {from}"));
        let (log, results, script, decoder) = (
            self.log.clone(),
            Arc::clone(self.results),
            Arc::clone(&self.script),
            self.decoder,
        );
        thread::spawn(move || {
            let outcome = stream
                .set_nonblocking(false)
                .map_err(|e| Failure::checker_error(e.to_string()))
                .and_then(|()| Conn::wrap(&log, &conn_name, stream, Some(stop)))
                .and_then(|mut conn| {
                    if let Some(d) = decoder {
                        conn.decode_with(d);
                    }
                    script(&mut conn, number)
                });
            results.lock().unwrap_or_else(|e| e.into_inner())[number - 1] = Some(outcome);
        })
    }
}
