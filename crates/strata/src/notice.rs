//! Server notices (`RAISE WARNING`, `RAISE NOTICE`, "relation already
//! exists, skipping" …) raised while migrations run (SPEC §4.2 step 4).
//!
//! tokio-postgres hands them out only from the `Connection` future, which
//! runs on its own task, away from the [`Client`](tokio_postgres::Client)
//! that callers pass around. [`Notices`] is the shared sink between the
//! two: the connection task forwards into it ([`Notices::drive`]), the
//! migrator reads from it (`Migrator::with_notices`) and attaches each
//! migration's notices to its [`Executed`](crate::migrator::Executed).
//!
//! Connections strata opens itself ([`crate::connect`]) forward to the sink
//! of the [`Notices::scope`] they are opened in; outside any scope their
//! notices are dropped, as tokio-postgres does.
//!
//! Notices arrive on the socket before the reply to the request that raised
//! them, and the connection task forwards them before it passes that reply
//! on, so once a reply is in, the notices it followed are in the sink.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::StreamExt;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_postgres::error::DbError;
use tokio_postgres::{AsyncMessage, Connection};

/// How many notices the sink keeps between two reads; the rest are counted
/// in [`Notices::dropped`] (a loop raising a notice per row must not eat
/// the memory).
const KEPT: usize = 1000;

/// One notice from the server.
///
/// ```
/// use strata::notice::Notice;
/// let n = Notice { severity: "WARNING".into(), message: "w1".into(), detail: None, hint: None };
/// assert!(n.is_warning());
/// assert_eq!(n.to_string(), "WARNING: w1");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// `WARNING`, `NOTICE`, `INFO`, `LOG` or `DEBUG` (not localized).
    pub severity: String,
    /// The primary message.
    pub message: String,
    /// DETAIL.
    pub detail: Option<String>,
    /// HINT.
    pub hint: Option<String>,
}

impl Notice {
    /// Whether this is a `WARNING` (shown even without `-v`).
    ///
    /// ```
    /// use strata::notice::Notice;
    /// let n = Notice { severity: "NOTICE".into(), message: "n1".into(), detail: None, hint: None };
    /// assert!(!n.is_warning());
    /// ```
    pub fn is_warning(&self) -> bool {
        self.severity == "WARNING"
    }

    fn of(db: &DbError) -> Notice {
        let severity = db
            .parsed_severity()
            .map_or_else(|| db.severity().to_owned(), |s| s.to_string());
        Notice {
            severity,
            message: db.message().to_owned(),
            detail: db.detail().map(str::to_owned),
            hint: db.hint().map(str::to_owned),
        }
    }
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.severity, self.message)?;
        if let Some(d) = &self.detail {
            write!(f, "\nDETAIL: {d}")?;
        }
        if let Some(h) = &self.hint {
            write!(f, "\nHINT: {h}")?;
        }
        Ok(())
    }
}

#[derive(Debug, Default)]
struct Inner {
    kept: Vec<Notice>,
    /// Notices received so far, kept or not.
    received: u64,
    /// Notices not kept since the last [`Notices::take`].
    dropped: u64,
}

/// A shared sink of server notices; clones share it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use strata::notice::Notices;
/// # let url = std::env::var("DATABASE_URL").unwrap_or_default();
/// # if url.is_empty() { return Ok(()); }
/// let notices = Notices::new();
/// let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
/// tokio::spawn(notices.clone().drive(connection));
/// client.batch_execute("DO $$ BEGIN RAISE WARNING 'careful'; END $$").await?;
/// assert_eq!(notices.take()[0].message, "careful");
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default)]
pub struct Notices {
    inner: Arc<Mutex<Inner>>,
}

tokio::task_local! {
    static CURRENT: Notices;
}

impl Notices {
    /// An empty sink.
    ///
    /// ```
    /// assert!(strata::notice::Notices::new().take().is_empty());
    /// ```
    pub fn new() -> Notices {
        Notices::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves a list, still usable.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a notice (the connection task does this).
    ///
    /// ```
    /// use strata::notice::{Notice, Notices};
    /// let sink = Notices::new();
    /// sink.push(Notice { severity: "NOTICE".into(), message: "n1".into(), detail: None, hint: None });
    /// assert_eq!(sink.received(), 1);
    /// ```
    pub fn push(&self, notice: Notice) {
        let mut inner = self.lock();
        inner.received += 1;
        if inner.kept.len() < KEPT {
            inner.kept.push(notice);
        } else {
            inner.dropped += 1;
        }
    }

    /// The notices received since the last call, oldest first.
    ///
    /// ```
    /// use strata::notice::{Notice, Notices};
    /// let sink = Notices::new();
    /// sink.push(Notice { severity: "NOTICE".into(), message: "n1".into(), detail: None, hint: None });
    /// assert_eq!(sink.take().len(), 1);
    /// assert!(sink.take().is_empty());
    /// ```
    pub fn take(&self) -> Vec<Notice> {
        let mut inner = self.lock();
        inner.dropped = 0;
        std::mem::take(&mut inner.kept)
    }

    /// How many notices were received so far (kept or not): what a caller
    /// compares to tell which request raised which.
    ///
    /// ```
    /// assert_eq!(strata::notice::Notices::new().received(), 0);
    /// ```
    pub fn received(&self) -> u64 {
        self.lock().received
    }

    /// How many notices arrived beyond the ones kept since the last
    /// [`take`](Self::take).
    ///
    /// ```
    /// assert_eq!(strata::notice::Notices::new().dropped(), 0);
    /// ```
    pub fn dropped(&self) -> u64 {
        self.lock().dropped
    }

    /// Drives `connection` (as awaiting it would), forwarding its notices
    /// here. Spawn it where tokio-postgres says to spawn the connection.
    ///
    /// # Errors
    /// The connection's, as awaiting it would return.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn f(url: &str) -> Result<(), tokio_postgres::Error> {
    /// let notices = strata::notice::Notices::new();
    /// let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    /// tokio::spawn(notices.clone().drive(connection));
    /// # drop(client); Ok(()) }
    /// ```
    pub async fn drive<S, T>(
        self,
        mut connection: Connection<S, T>,
    ) -> Result<(), tokio_postgres::Error>
    where
        S: AsyncRead + AsyncWrite + Unpin,
        T: AsyncRead + AsyncWrite + Unpin,
    {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            if let AsyncMessage::Notice(db) = message? {
                self.push(Notice::of(&db));
            }
        }
        Ok(())
    }

    /// Runs `work` so that every connection strata opens inside it
    /// ([`crate::connect`]) forwards its notices here.
    ///
    /// ```no_run
    /// # async fn f(endpoint: strata::connect::Endpoint) -> Result<(), strata::Error> {
    /// use std::time::Duration;
    /// let notices = strata::notice::Notices::new();
    /// let client = notices.scope(endpoint.connect(Duration::ZERO)).await?;
    /// client.batch_execute("DO $$ BEGIN RAISE NOTICE 'hello'; END $$").await.ok();
    /// assert_eq!(notices.take()[0].message, "hello");
    /// # Ok(()) }
    /// ```
    pub async fn scope<F: Future>(&self, work: F) -> F::Output {
        CURRENT.scope(self.clone(), work).await
    }
}

/// Drives a connection strata opened: into the sink of the current
/// [`Notices::scope`], if any (read now, where the connection was opened).
pub(crate) fn drive_in_scope<S, T>(
    connection: Connection<S, T>,
) -> impl Future<Output = Result<(), tokio_postgres::Error>> + Send + 'static
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let sink = CURRENT.try_with(Notices::clone).ok();
    async move {
        match sink {
            Some(sink) => sink.drive(connection).await,
            None => connection.await,
        }
    }
}
