//! [`AdminEndpoint`]: the server-level connection of `db create`, `db drop`
//! and `db reset`, on the maintenance database, and where its credentials
//! come from.

use std::fmt;
use std::time::Duration;

use tokio_postgres::Client;
use tokio_postgres::error::SqlState;

use super::endpoint::Endpoint;
use crate::config::{AdminSource, DatabaseConfig, Project, ResolvedEnv};
use crate::error::Error;

/// The fallback when the maintenance database does not exist, as `createdb`.
const TEMPLATE_DATABASE: &str = "template1";

/// A server-level endpoint (the maintenance database `postgres`) with the
/// source of its credentials. `Display` shows the redacted URL and the
/// source; `Debug` shows no password either.
///
/// # Examples
///
/// ```
/// use strata::config::{AdminSource, DbUrl, Libpq};
/// use strata::connect::{AdminEndpoint, Endpoint};
///
/// let url = DbUrl::parse("postgres://admin:hunter2@db/postgres?sslmode=disable").unwrap();
/// let admin = AdminEndpoint::new(Endpoint::for_url(&url, &Libpq::default()).unwrap(), AdminSource::DatabaseUrl);
/// assert_eq!(admin.to_string(), "postgres://admin:***@db/postgres?sslmode=disable (the database URL)");
/// assert!(!format!("{admin:?}").contains("hunter2"));
/// ```
#[derive(Clone)]
pub struct AdminEndpoint {
    endpoint: Endpoint,
    source: AdminSource,
}

impl AdminEndpoint {
    /// An admin endpoint from its parts.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::{AdminSource, DbUrl, Libpq};
    /// use strata::connect::{AdminEndpoint, Endpoint};
    /// let url = DbUrl::parse("postgres://admin@db/postgres?sslmode=disable").unwrap();
    /// let admin = AdminEndpoint::new(Endpoint::for_url(&url, &Libpq::default()).unwrap(), AdminSource::PgVariables);
    /// assert_eq!(admin.source(), &AdminSource::PgVariables);
    /// ```
    pub fn new(endpoint: Endpoint, source: AdminSource) -> AdminEndpoint {
        AdminEndpoint { endpoint, source }
    }

    /// Resolves the server-level endpoint of `db` in `env` (see
    /// [`Resolver::admin`](super::Resolver::admin)).
    ///
    /// # Errors
    ///
    /// As [`Resolver::admin`](super::Resolver::admin).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use strata::config::{AdminSource, ProcessEnv, Project};
    /// use strata::connect::AdminEndpoint;
    ///
    /// let project = Project::from_toml("", std::path::Path::new("/srv/app/strata.toml")).unwrap();
    /// let process = ProcessEnv::from([
    ///     ("DATABASE_URL".to_owned(), "postgres://app:pw@db/shop?sslmode=disable".to_owned()),
    ///     ("PGUSER".to_owned(), "admin".to_owned()),
    /// ]);
    /// let env = project.resolve_env(None, &process).unwrap();
    /// let admin = AdminEndpoint::resolve(&project, &env, &project.databases()[0]).await.unwrap();
    /// assert_eq!(admin.source(), &AdminSource::PgVariables);
    /// assert_eq!(admin.endpoint().redacted(), "postgres://admin@db/postgres?sslmode=disable");
    /// # }
    /// ```
    pub async fn resolve(
        project: &Project,
        env: &ResolvedEnv,
        db: &DatabaseConfig,
    ) -> Result<AdminEndpoint, Error> {
        super::Resolver::new(project, env).admin(db).await
    }

    /// Where to connect.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::{AdminSource, DbUrl, Libpq};
    /// use strata::connect::{AdminEndpoint, Endpoint};
    /// let url = DbUrl::parse("postgres://admin@db/postgres?sslmode=disable").unwrap();
    /// let admin = AdminEndpoint::new(Endpoint::for_url(&url, &Libpq::default()).unwrap(), AdminSource::DatabaseUrl);
    /// assert_eq!(admin.endpoint().database(), "postgres");
    /// ```
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Where the credentials come from, for messages.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::{AdminSource, DbUrl, Libpq};
    /// use strata::connect::{AdminEndpoint, Endpoint};
    /// let url = DbUrl::parse("postgres://admin@db/postgres?sslmode=disable").unwrap();
    /// let admin = AdminEndpoint::new(Endpoint::for_url(&url, &Libpq::default()).unwrap(), AdminSource::LocalCluster);
    /// assert_eq!(admin.source().to_string(), "the local cluster");
    /// ```
    pub fn source(&self) -> &AdminSource {
        &self.source
    }

    /// Connects as [`Endpoint::connect`]; when the maintenance database
    /// `postgres` does not exist, tries `template1` (as `createdb` does).
    ///
    /// # Errors
    ///
    /// [`Error::Connect`] naming the redacted URL.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use std::time::Duration;
    /// use strata::config::{AdminSource, DbUrl, Libpq};
    /// use strata::connect::{AdminEndpoint, Endpoint};
    /// // Nothing listens on port 1.
    /// let url = DbUrl::parse("postgres://admin:hunter2@127.0.0.1:1/postgres?sslmode=disable").unwrap();
    /// let admin = AdminEndpoint::new(Endpoint::for_url(&url, &Libpq::default()).unwrap(), AdminSource::DatabaseUrl);
    /// let err = admin.connect(Duration::ZERO).await.unwrap_err().to_string();
    /// assert!(!err.contains("hunter2"), "{err}");
    /// # }
    /// ```
    pub async fn connect(&self, wait: Duration) -> Result<Client, Error> {
        match self.endpoint.connect(wait).await {
            Err(Error::Connect { source, .. })
                if source.code() == Some(&SqlState::INVALID_CATALOG_NAME) =>
            {
                self.endpoint
                    .on_database(TEMPLATE_DATABASE)
                    .connect(wait)
                    .await
            }
            other => other,
        }
    }
}

impl fmt::Display for AdminEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.endpoint, self.source)
    }
}

impl fmt::Debug for AdminEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminEndpoint")
            .field("endpoint", &self.endpoint)
            .field("source", &self.source)
            .finish()
    }
}
