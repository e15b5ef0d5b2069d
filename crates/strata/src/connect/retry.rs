//! Opening one connection: the driver task spawned on the current tokio
//! runtime, retries while the server starts, errors naming the redacted URL.
//!
//! The driver's own messages never contain the password (it is sent in the
//! startup exchange, never echoed), and the CLI scrubs every known secret
//! from its output as a second line of defence.

use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite};
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, Config, Connection, NoTls};

use super::tls::Tls;
use crate::config::DbUrl;
use crate::error::{Error, TlsError};
use crate::interrupt;

/// Connects to `url` as given (no libpq defaults filled in), with TLS as
/// its `sslmode` and `sslrootcert` ask.
///
/// # Errors
/// As [`Tls::for_mode`] and [`connect_with`].
///
/// # Examples
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use strata::config::DbUrl;
///
/// let url = DbUrl::parse("postgres://app:secret@db.internal/app?sslmode=verify-full")?;
/// // Waits up to 10 s for a server that is still starting.
/// let client = strata::connect::connect_url(&url, Duration::from_secs(10)).await?;
/// client.simple_query("SELECT 1").await?;
/// # Ok(()) }
/// ```
pub async fn connect_url(url: &DbUrl, wait: Duration) -> Result<Client, Error> {
    super::Endpoint::for_url(url, &crate::config::Libpq::default())?
        .connect(wait)
        .await
}

/// Connects, retrying for up to `wait` while the server refuses connections,
/// is starting up (SQLSTATE 57P03) or has too many connections (53300).
/// Other errors (authentication, a missing database, a TLS failure) fail at
/// once. Each attempt, startup and authentication included, is bounded by
/// the config's `connect_timeout`; running out of it fails at once
/// ([`Error::ConnectTimeout`]): a server that accepts and never answers is
/// not one that is starting.
///
/// # Errors
/// [`Error::Connect`] or [`Error::ConnectTimeout`], with the redacted URL.
///
/// # Examples
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use strata::config::DbUrl;
/// use strata::tls::Tls;
///
/// let url = DbUrl::parse("postgres://postgres@127.0.0.1:5432/postgres")?;
/// let client =
///     strata::connect::connect_with(&url.to_pg_config(), &Tls::None, &url.redacted(), Duration::ZERO)
///         .await?;
/// # drop(client);
/// # Ok(()) }
/// ```
///
/// A server that is not there fails once `wait` is over, naming the URL
/// without its password:
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::time::Duration;
/// use strata::config::DbUrl;
/// use strata::tls::Tls;
///
/// // Port 1 on localhost: nothing listens there.
/// let url = DbUrl::parse("postgres://app:hunter2@127.0.0.1:1/app").unwrap();
/// let err = strata::connect::connect_with(&url.to_pg_config(), &Tls::None, &url.redacted(), Duration::ZERO)
///     .await
///     .unwrap_err();
/// let text = err.to_string();
/// assert!(text.contains("127.0.0.1:1"), "{text}");
/// assert!(!text.contains("hunter2"));
/// # }
/// ```
pub async fn connect_with(
    config: &Config,
    tls: &Tls,
    redacted_url: &str,
    wait: Duration,
) -> Result<Client, Error> {
    // A `wait` too large for an `Instant` (`Duration::MAX`) waits for ever.
    let deadline = Instant::now().checked_add(wait);
    let mut delay = Duration::from_millis(50);
    // tokio-postgres bounds only the socket's connect with `connect_timeout`;
    // libpq bounds the whole establishment, startup and authentication
    // included, so a server that accepts and never answers cannot hang us.
    // libpq's bound is per host: several hosts get one each.
    let hosts = config
        .get_hosts()
        .len()
        .max(config.get_hostaddrs().len())
        .max(1);
    let limit = config
        .get_connect_timeout()
        .map(|t| t.saturating_mul(u32::try_from(hosts).unwrap_or(u32::MAX)));
    loop {
        let attempt = attempt(config, tls);
        let attempt = match limit {
            Some(limit) => match tokio::time::timeout(limit, attempt).await {
                Ok(result) => result,
                Err(_) => {
                    return Err(Error::ConnectTimeout {
                        url: redacted_url.to_owned(),
                        after: limit,
                    });
                }
            },
            None => attempt.await,
        };
        match attempt {
            Ok(client) => return Ok(client),
            Err(e) => {
                let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
                if let Some(reason) = super::tls::describe_tls_error(&e) {
                    // Never the TLS library's debug text.
                    return Err(TlsError::Handshake {
                        url: redacted_url.to_owned(),
                        reason,
                    }
                    .into());
                }
                if !is_transient(&e) || left == Some(Duration::ZERO) {
                    return Err(Error::Connect {
                        url: redacted_url.to_owned(),
                        source: e,
                    });
                }
                interrupt::check()?;
                tokio::time::sleep(left.map_or(delay, |l| delay.min(l))).await;
                delay = (delay * 2).min(Duration::from_secs(1));
            }
        }
    }
}

/// One connection attempt, its driver task spawned.
async fn attempt(config: &Config, tls: &Tls) -> Result<Client, tokio_postgres::Error> {
    match tls {
        Tls::None => config
            .connect(NoTls)
            .await
            .map(|(client, connection)| spawn_driver(client, connection, tls)),
        Tls::Rustls(make) => config
            .connect(make.clone())
            .await
            .map(|(client, connection)| spawn_driver(client, connection, tls)),
    }
}

/// Spawns the task that drives `connection`: its notices go to the sink of
/// the scope connecting (crate::notice), and its statement can be cancelled
/// on SIGINT/SIGTERM while it is open (crate::interrupt).
fn spawn_driver<S, T>(client: Client, connection: Connection<S, T>, tls: &Tls) -> Client
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let id = interrupt::register(client.cancel_token(), tls);
    let driver = crate::notice::drive_in_scope(connection);
    tokio::spawn(async move {
        // The error, if any, surfaces on the next query as a closed connection.
        let _ = driver.await;
        interrupt::forget(id);
    });
    client
}

/// True for errors that can go away by waiting: connection refused, no
/// socket yet, "the database system is starting up" (57P03) or "too many
/// connections" (53300).
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// // Nothing listens on port 1: refused, which a starting server also does.
/// let err = tokio_postgres::connect("host=127.0.0.1 port=1 user=x", tokio_postgres::NoTls)
///     .await
///     .err()
///     .unwrap();
/// assert!(strata::connect::is_transient(&err));
/// # }
/// ```
pub fn is_transient(e: &tokio_postgres::Error) -> bool {
    if e.code() == Some(&SqlState::CANNOT_CONNECT_NOW)
        || e.code() == Some(&SqlState::TOO_MANY_CONNECTIONS)
    {
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
