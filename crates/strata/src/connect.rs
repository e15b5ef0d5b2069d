//! Opening connections: retries while the server starts, redacted errors.
//!
//! A connection's driver task is spawned on the current tokio runtime. Errors
//! name the redacted URL only; the driver's own messages never contain the
//! password (it is sent in the startup exchange, never echoed), and the CLI
//! scrubs every known secret from its output as a second line of defence.

use std::time::{Duration, Instant};

use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, Config, NoTls};

use crate::error::Error;

/// Connects, retrying for up to `wait` while the server refuses connections
/// or is starting up (SQLSTATE 57P03). Other errors fail at once.
///
/// # Errors
/// [`Error::Connect`] with the redacted URL.
pub async fn connect(config: &Config, redacted_url: &str, wait: Duration) -> Result<Client, Error> {
    let deadline = Instant::now() + wait;
    let mut delay = Duration::from_millis(50);
    loop {
        match config.connect(NoTls).await {
            Ok((client, connection)) => {
                tokio::spawn(async move {
                    // The error, if any, surfaces on the next query as a closed connection.
                    let _ = connection.await;
                });
                return Ok(client);
            }
            Err(e) => {
                let now = Instant::now();
                if !is_transient(&e) || now >= deadline {
                    return Err(Error::Connect {
                        url: redacted_url.to_owned(),
                        source: e,
                    });
                }
                tokio::time::sleep(delay.min(deadline - now)).await;
                delay = (delay * 2).min(Duration::from_secs(1));
            }
        }
    }
}

/// True for errors that go away when a starting server is ready: connection
/// refused, no socket yet, or "the database system is starting up".
pub fn is_transient(e: &tokio_postgres::Error) -> bool {
    if e.code() == Some(&SqlState::CANNOT_CONNECT_NOW) {
        return true;
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionRefused
                    | std::io::ErrorKind::NotFound
                    | std::io::ErrorKind::ConnectionReset
            );
        }
        source = s.source();
    }
    false
}
