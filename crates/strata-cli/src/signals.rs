//! SIGINT and SIGTERM (SPEC §4.2 step 7), through tokio's signal support.
//!
//! The first signal asks the library to stop ([`strata::interrupt::request`]:
//! a cancel request to the server of every open connection, for the
//! running statement), and the command then ends on its own error path —
//! the current migration rolled back, the lock released, the report or the
//! JSON document written — with exit 130 (SIGINT) or 143 (SIGTERM). A
//! second signal, or a command still running [`GRACE`] after the first,
//! exits at once; the server still rolls back what was in flight.

use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use tokio::signal::unix::{SignalKind, signal};

/// The exit code after SIGINT (SPEC §9).
pub const INTERRUPTED_SIGINT: u8 = 130;
/// The exit code after SIGTERM.
pub const INTERRUPTED_SIGTERM: u8 = 143;

/// How long the command may take to clean up after the first signal.
const GRACE: Duration = Duration::from_secs(30);

/// The exit code of the first signal received, 0 before any.
static RECEIVED: AtomicU8 = AtomicU8::new(0);

/// The exit code of the signal received (130 or 143), if one was.
pub fn received() -> Option<u8> {
    match RECEIVED.load(Ordering::SeqCst) {
        0 => None,
        code => Some(code),
    }
}

/// The signal's name for an exit code of [`received`].
pub fn name(code: u8) -> &'static str {
    if code == INTERRUPTED_SIGTERM {
        "SIGTERM"
    } else {
        "SIGINT"
    }
}

/// Starts listening (call inside the runtime, before the command runs).
/// Without signal support the command runs as it would have without it.
pub fn listen() {
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return;
    };
    tokio::spawn(async move {
        let first = tokio::select! {
            _ = int.recv() => INTERRUPTED_SIGINT,
            _ = term.recv() => INTERRUPTED_SIGTERM,
        };
        RECEIVED.store(first, Ordering::SeqCst);
        eprintln!(
            "interrupted ({}): cancelling the running statement and rolling back; press Ctrl-C again to exit at once",
            name(first)
        );
        strata::interrupt::request().await;
        let code = tokio::select! {
            _ = int.recv() => Some(INTERRUPTED_SIGINT),
            _ = term.recv() => Some(INTERRUPTED_SIGTERM),
            () = tokio::time::sleep(GRACE) => None,
        };
        match code {
            Some(code) => eprintln!("interrupted again ({}): exiting now", name(code)),
            None => eprintln!(
                "interrupted ({}): still cleaning up after {}s, exiting now; the server rolls back what was in flight",
                name(first),
                GRACE.as_secs()
            ),
        }
        std::process::exit(i32::from(code.unwrap_or(first)));
    });
}
