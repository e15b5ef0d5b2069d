//! Opening connections: TLS as `sslmode` asks ([`crate::tls`]), retries
//! while the server starts, redacted errors.
//!
//! A connection's driver task is spawned on the current tokio runtime. Errors
//! name the redacted URL only; the driver's own messages never contain the
//! password (it is sent in the startup exchange, never echoed), and the CLI
//! scrubs every known secret from its output as a second line of defence.

use std::time::{Duration, Instant};

use tokio_postgres::config::SslMode as PgSslMode;
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, Config, NoTls};

use crate::config::DbUrl;
use crate::error::Error;
use crate::tls::Tls;

/// Connects with the TLS that `config`'s `sslmode` implies and no
/// certificate check (libpq's `prefer` / `require`), retrying as
/// [`connect_with`]. For URLs use [`connect_url`], which honours
/// `verify-ca`, `verify-full` and `sslrootcert`.
///
/// # Errors
/// [`Error::Connect`] with the redacted URL.
pub async fn connect(config: &Config, redacted_url: &str, wait: Duration) -> Result<Client, Error> {
    let tls = match config.get_ssl_mode() {
        PgSslMode::Disable => Tls::None,
        _ => Tls::for_mode(Some(crate::config::SslMode::Require), None, None)?,
    };
    connect_with(config, &tls, redacted_url, wait).await
}

/// Connects to `url` as given (no libpq defaults filled in), with TLS as
/// its `sslmode` and `sslrootcert` ask.
///
/// # Errors
/// As [`Tls::for_mode`] and [`connect_with`].
pub async fn connect_url(url: &DbUrl, wait: Duration) -> Result<Client, Error> {
    let tls = Tls::for_mode(url.ssl_mode(), url.ssl_root_cert(), None)?;
    connect_with(&url.to_pg_config(), &tls, &url.redacted(), wait).await
}

/// Connects, retrying for up to `wait` while the server refuses connections
/// or is starting up (SQLSTATE 57P03). Other errors (authentication, a
/// missing database, a TLS failure) fail at once.
///
/// # Errors
/// [`Error::Connect`] with the redacted URL.
pub async fn connect_with(
    config: &Config,
    tls: &Tls,
    redacted_url: &str,
    wait: Duration,
) -> Result<Client, Error> {
    let deadline = Instant::now() + wait;
    let mut delay = Duration::from_millis(50);
    loop {
        let attempt = match tls {
            Tls::None => config.connect(NoTls).await.map(|(client, connection)| {
                tokio::spawn(async move {
                    // The error, if any, surfaces on the next query as a closed connection.
                    let _ = connection.await;
                });
                client
            }),
            Tls::Rustls(make) => config
                .connect(make.clone())
                .await
                .map(|(client, connection)| {
                    tokio::spawn(async move {
                        let _ = connection.await;
                    });
                    client
                }),
        };
        match attempt {
            Ok(client) => return Ok(client),
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
