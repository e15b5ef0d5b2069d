//! A loopback TCP proxy to the real server, for faults in the link: cut
//! it at a given message (the COMMIT, or its reply), or freeze the
//! server's replies on demand.

#![allow(clippy::unwrap_used)] // tests may panic

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// The simple-query message `COMMIT` (client to server).
const COMMIT_QUERY: &[u8] = b"Q\0\0\0\x0bCOMMIT\0";
/// Its CommandComplete reply (server to client), sent once it committed.
const COMMIT_DONE: &[u8] = b"C\0\0\0\x0bCOMMIT\0";

/// What the proxy does to the link.
#[derive(Clone, Copy)]
pub enum Cut {
    /// Drop the server's reply to COMMIT and everything after it.
    AfterCommitted,
    /// Drop COMMIT itself: the server never receives it.
    BeforeCommit,
    /// Forward everything until [`Proxy::freeze`]; then drop every reply of
    /// the server on the connections open at that moment, keeping them open
    /// (later connections, such as a cancel request's, work).
    Never,
}

/// A running proxy.
pub struct Proxy {
    /// Its loopback port.
    pub port: u16,
    open: Arc<Mutex<Vec<Arc<AtomicBool>>>>,
}

impl Proxy {
    /// From now on, the server's replies on the connections open now are
    /// read and dropped.
    pub fn freeze(&self) {
        for frozen in self.open.lock().unwrap().iter() {
            frozen.store(true, Ordering::SeqCst);
        }
    }
}

/// A proxy on a free loopback port to `upstream`; with a cut, cuts the
/// first connection whose traffic shows its pattern and forwards the later
/// ones untouched.
pub fn proxy(upstream: String, cut: Cut) -> Proxy {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let armed = Arc::new(AtomicBool::new(true));
    let open: Arc<Mutex<Vec<Arc<AtomicBool>>>> = Arc::default();
    let registry = open.clone();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { return };
            let Ok(server) = TcpStream::connect(&upstream) else {
                return;
            };
            let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            let (up, down) = match cut {
                Cut::BeforeCommit => (Some((COMMIT_QUERY, armed.clone())), None),
                Cut::AfterCommitted => (None, Some((COMMIT_DONE, armed.clone()))),
                Cut::Never => (None, None),
            };
            let no_freeze = Arc::new(AtomicBool::new(false));
            std::thread::spawn(move || pump(client, server, up, &no_freeze));
            let frozen = Arc::new(AtomicBool::new(false));
            registry.lock().unwrap().push(frozen.clone());
            std::thread::spawn(move || pump(s2, c2, down, &frozen));
        }
    });
    Proxy { port, open }
}

/// Copies `from` to `to` (dropping what arrives while `frozen`); with `cut`
/// armed, stops at its pattern: what came before it is forwarded, then both
/// sockets are closed.
fn pump(
    mut from: TcpStream,
    mut to: TcpStream,
    cut: Option<(&'static [u8], Arc<AtomicBool>)>,
    frozen: &AtomicBool,
) {
    let mut held: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if frozen.load(Ordering::SeqCst) {
            continue;
        }
        held.extend_from_slice(&buf[..n]);
        if let Some((pattern, armed)) = &cut
            && armed.load(Ordering::SeqCst)
        {
            if let Some(i) = held.windows(pattern.len()).position(|w| w == *pattern) {
                armed.store(false, Ordering::SeqCst);
                let _ = to.write_all(&held[..i]);
                let _ = to.shutdown(Shutdown::Both);
                let _ = from.shutdown(Shutdown::Both);
                return;
            }
            // Keep back only a tail that starts the pattern (the rest of
            // it may be in the next read); forward everything else now.
            let partial = (1..pattern.len())
                .rev()
                .find(|k| held.ends_with(&pattern[..*k]))
                .unwrap_or(0);
            let send = held.len() - partial;
            if to.write_all(&held[..send]).is_err() {
                break;
            }
            held.drain(..send);
            continue;
        }
        if to.write_all(&held).is_err() {
            break;
        }
        held.clear();
    }
    let _ = to.write_all(&held);
    let _ = to.shutdown(Shutdown::Write);
}
