//! Interrupting a run (SPEC §4.2 step 7): the process-wide "stop" request
//! and the cancel requests it sends.
//!
//! Every connection strata opens ([`crate::connect`]) registers its cancel
//! token here, with the TLS setting it was opened with, until its driver
//! task ends. [`request`] (the CLI calls it on SIGINT or SIGTERM; an
//! application embedding strata may call it from its own handler) marks the
//! process interrupted and sends each open connection's server a cancel
//! request, so the running statement fails at once and the usual error
//! path rolls back the current migration and releases the migration lock.
//! Between statements and migrations, and while polling for the lock, the
//! library checks [`requested`] and stops with [`Error::Interrupted`].

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tokio_postgres::{CancelToken, NoTls};

use crate::error::Error;
use crate::tls::Tls;

static REQUESTED: AtomicBool = AtomicBool::new(false);
static NEXT_ID: AtomicU64 = AtomicU64::new(0);
static OPEN: Mutex<Vec<(u64, CancelToken, Tls)>> = Mutex::new(Vec::new());

/// Marks the process interrupted and asks the server of every open strata
/// connection to cancel its running statement; returns once every cancel
/// request was sent (or failed: the connection may already be gone).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// assert!(!strata::interrupt::requested());
/// strata::interrupt::request().await; // no connection open: nothing to cancel
/// assert!(strata::interrupt::requested());
/// # }
/// ```
pub async fn request() {
    REQUESTED.store(true, Ordering::SeqCst);
    let open: Vec<(CancelToken, Tls)> = match OPEN.lock() {
        Ok(list) => list
            .iter()
            .map(|(_, t, tls)| (t.clone(), tls.clone()))
            .collect(),
        Err(poisoned) => poisoned
            .into_inner()
            .iter()
            .map(|(_, t, tls)| (t.clone(), tls.clone()))
            .collect(),
    };
    let cancels = open.into_iter().map(|(token, tls)| async move {
        // Bounded: a server that does not answer the cancel connection
        // must not keep the interrupted process alive.
        let send = async {
            let _ = match tls {
                Tls::None => token.cancel_query(NoTls).await,
                Tls::Rustls(make) => token.cancel_query(make).await,
            };
        };
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), send).await;
    });
    futures_util::future::join_all(cancels).await;
}

/// Whether [`request`] was called in this process.
///
/// ```
/// let _stopping = strata::interrupt::requested();
/// ```
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// `Err(Error::Interrupted)` once [`request`] was called: where a run
/// checks before its next step.
pub(crate) fn check() -> Result<(), Error> {
    if requested() {
        return Err(Error::Interrupted);
    }
    Ok(())
}

/// Registers an open connection; returns the id to [`forget`] it by when
/// its driver task ends.
pub(crate) fn register(token: CancelToken, tls: &Tls) -> u64 {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let mut list = OPEN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    list.push((id, token, tls.clone()));
    id
}

/// Forgets a connection whose driver task ended.
pub(crate) fn forget(id: u64) {
    let mut list = OPEN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    list.retain(|(i, _, _)| *i != id);
}
