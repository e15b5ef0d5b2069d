//! [`Endpoint`]: a database ready to connect to — the driver settings with
//! libpq's defaults filled in, the TLS connector and the redacted URL.

use std::fmt;
use std::time::Duration;

use tokio_postgres::config::{Host, SslMode as DriverSslMode};
use tokio_postgres::{Client, Config};

use super::retry::connect_with;
use super::tls::{Tls, TlsParams};
use crate::cluster::ClusterInfo;
use crate::config::{DbUrl, Libpq, Param};
use crate::error::Error;

/// A database ready to connect to. `Display` shows the URL with its
/// password replaced by `***`; `Debug` shows no password either.
///
/// # Examples
///
/// ```
/// use strata::config::{DbUrl, Libpq};
/// use strata::connect::Endpoint;
///
/// let url = DbUrl::parse("postgres://app:hunter2@db.internal/shop?sslmode=disable").unwrap();
/// let endpoint = Endpoint::for_url(&url, &Libpq::default()).unwrap();
/// assert_eq!(endpoint.to_string(), "postgres://app:***@db.internal/shop?sslmode=disable");
/// assert_eq!(endpoint.database(), "shop");
/// assert!(!format!("{endpoint:?}").contains("hunter2"));
/// ```
#[derive(Clone)]
pub struct Endpoint {
    config: Config,
    tls: Tls,
    configured: DbUrl,
    redacted: String,
    effective: DbUrl,
    database: String,
    created: bool,
    started: Option<ClusterInfo>,
}

impl Endpoint {
    /// The endpoint of `url` with libpq's defaults from `libpq` filled in
    /// and TLS as its `sslmode` / `sslrootcert` ask. On a Unix socket TLS
    /// is off whatever `sslmode` says, as libpq does. No policy check runs
    /// here: [`Endpoint::resolve`] runs them before it gets here.
    ///
    /// # Errors
    ///
    /// As [`Libpq::effective`] (a `PG*` variable or service strata cannot
    /// take), and as [`Tls::from_params`]: `verify-ca` / `verify-full`
    /// without trusted roots, an unreadable or empty `sslrootcert`, a client
    /// key others may read.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::{DbUrl, Libpq};
    /// use strata::connect::Endpoint;
    /// use strata::tls::Tls;
    ///
    /// // A socket connection never uses TLS, whatever sslmode says.
    /// let url = DbUrl::parse("postgres://app@%2Frun%2Fpostgresql/shop?sslmode=require").unwrap();
    /// let endpoint = Endpoint::for_url(&url, &Libpq::default()).unwrap();
    /// assert!(matches!(endpoint.tls(), Tls::None));
    /// ```
    pub fn for_url(url: &DbUrl, libpq: &Libpq) -> Result<Endpoint, Error> {
        let effective = libpq.effective(url)?;
        let mut config = libpq.driver_config(&effective);
        // libpq never uses TLS on a Unix socket, whatever sslmode says.
        let socket_only = !config.get_hosts().is_empty()
            && config.get_hostaddrs().is_empty()
            && config
                .get_hosts()
                .iter()
                .all(|h| matches!(h, Host::Unix(_)));
        let tls = if socket_only {
            config.ssl_mode(DriverSslMode::Disable);
            Tls::None
        } else {
            Tls::from_params(&TlsParams {
                mode: effective.ssl_mode(),
                root_cert: effective.ssl_root_cert().map(str::to_owned),
                cert: effective.param(Param::SslCert).map(str::to_owned),
                key: effective.param(Param::SslKey).map(str::to_owned),
                home: libpq.home().map(std::path::Path::to_path_buf),
            })?
        };
        let database = config.get_dbname().unwrap_or_default().to_owned();
        Ok(Endpoint {
            config,
            tls,
            configured: url.clone(),
            redacted: url.redacted(),
            effective,
            database,
            created: false,
            started: None,
        })
    }

    /// The effective connection, as libpq would make it: the URL after its
    /// service file and the `PG*` variables (see
    /// [`Libpq::effective`]). Its `Display` redacts the password.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::{DbUrl, Libpq, ProcessEnv, Project};
    /// use strata::connect::Endpoint;
    /// let project = Project::from_toml("", std::path::Path::new("/srv/app/strata.toml")).unwrap();
    /// let process = ProcessEnv::from([("PGDATABASE".to_owned(), "shop".to_owned())]);
    /// let libpq = Libpq::from_env(&project.resolve_env(None, &process).unwrap());
    /// let url = DbUrl::parse("postgres://app@db.internal?sslmode=disable").unwrap();
    /// let endpoint = Endpoint::for_url(&url, &libpq).unwrap();
    /// assert_eq!(endpoint.database(), "shop");
    /// assert_eq!(endpoint.effective().database(), "shop");
    /// ```
    pub fn effective(&self) -> &DbUrl {
        &self.effective
    }

    /// Where this endpoint connects, with nothing secret: the effective
    /// hosts, ports and database (`db.internal:5432/shop`), for a banner
    /// line. A stable function: see [`DbUrl::endpoint_summary`].
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::{DbUrl, Libpq};
    /// use strata::connect::Endpoint;
    /// let url = DbUrl::parse("postgres://app:pw@db.internal:6432/shop?sslmode=disable").unwrap();
    /// let endpoint = Endpoint::for_url(&url, &Libpq::default()).unwrap();
    /// assert_eq!(endpoint.summary(), "db.internal:6432/shop");
    /// ```
    pub fn summary(&self) -> String {
        self.effective.endpoint_summary()
    }

    /// Connects, retrying for up to `wait` while the server refuses
    /// connections or is starting up; other errors fail at once.
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
    /// use strata::config::{DbUrl, Libpq};
    /// use strata::connect::Endpoint;
    ///
    /// // Port 1 on localhost: nothing listens there.
    /// let url = DbUrl::parse("postgres://app:hunter2@127.0.0.1:1/app?sslmode=disable").unwrap();
    /// let endpoint = Endpoint::for_url(&url, &Libpq::default()).unwrap();
    /// let err = endpoint.connect(Duration::ZERO).await.unwrap_err().to_string();
    /// assert!(err.contains("127.0.0.1:1") && !err.contains("hunter2"), "{err}");
    /// # }
    /// ```
    pub async fn connect(&self, wait: Duration) -> Result<Client, Error> {
        connect_with(&self.config, &self.tls, &self.redacted, wait).await
    }

    /// The URL with the password replaced by `***`.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::{DbUrl, Libpq};
    /// use strata::connect::Endpoint;
    /// let url = DbUrl::parse("postgres://app:pw@db/shop?sslmode=disable").unwrap();
    /// let endpoint = Endpoint::for_url(&url, &Libpq::default()).unwrap();
    /// assert_eq!(endpoint.redacted(), "postgres://app:***@db/shop?sslmode=disable");
    /// ```
    pub fn redacted(&self) -> &str {
        &self.redacted
    }

    /// The database name (what `--confirm` must repeat).
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::{DbUrl, Libpq};
    /// use strata::connect::Endpoint;
    /// let url = DbUrl::parse("postgres://app@db/shop?sslmode=disable").unwrap();
    /// assert_eq!(Endpoint::for_url(&url, &Libpq::default()).unwrap().database(), "shop");
    /// ```
    pub fn database(&self) -> &str {
        &self.database
    }

    /// The driver settings, password included (a secret: never print
    /// `get_password()`; the driver's own `Debug` redacts it).
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::{DbUrl, Libpq};
    /// use strata::connect::Endpoint;
    /// let url = DbUrl::parse("postgres://app@db:6432/shop?sslmode=disable").unwrap();
    /// let endpoint = Endpoint::for_url(&url, &Libpq::default()).unwrap();
    /// assert_eq!(endpoint.pg_config().get_ports(), &[6432]);
    /// ```
    pub fn pg_config(&self) -> &Config {
        &self.config
    }

    /// The TLS connector chosen for this endpoint.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::{DbUrl, Libpq};
    /// use strata::connect::Endpoint;
    /// use strata::tls::Tls;
    /// let url = DbUrl::parse("postgres://app@db/shop?sslmode=require").unwrap();
    /// let endpoint = Endpoint::for_url(&url, &Libpq::default()).unwrap();
    /// assert!(matches!(endpoint.tls(), Tls::Rustls(_)));
    /// ```
    pub fn tls(&self) -> &Tls {
        &self.tls
    }

    /// True when resolving this endpoint created its database in the
    /// project's local cluster (see [`LocalDatabase`](super::LocalDatabase)).
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::{DbUrl, Libpq};
    /// use strata::connect::Endpoint;
    /// let url = DbUrl::parse("postgres://app@db/shop?sslmode=disable").unwrap();
    /// assert!(!Endpoint::for_url(&url, &Libpq::default()).unwrap().created_local_database());
    /// ```
    pub fn created_local_database(&self) -> bool {
        self.created
    }

    pub(super) fn mark_created(mut self, created: bool) -> Endpoint {
        self.created = created;
        self
    }

    /// The project's local cluster, when resolving this endpoint started
    /// it (it was not running before): where it runs, so the caller can
    /// say so and how to stop it. `None` for a URL, and for a cluster that
    /// was already running.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::{DbUrl, Libpq};
    /// use strata::connect::Endpoint;
    /// let url = DbUrl::parse("postgres://app@db/shop?sslmode=disable").unwrap();
    /// assert!(Endpoint::for_url(&url, &Libpq::default()).unwrap().started_local_cluster().is_none());
    /// ```
    pub fn started_local_cluster(&self) -> Option<&ClusterInfo> {
        self.started.as_ref()
    }

    pub(super) fn mark_started(mut self, started: Option<ClusterInfo>) -> Endpoint {
        self.started = started;
        self
    }

    /// The same server and credentials on database `name` (its redacted URL
    /// names it too).
    pub(super) fn on_database(&self, name: &str) -> Endpoint {
        let mut other = self.clone();
        other.config.dbname(name);
        other.effective = self.effective.with_database(name);
        other.configured = self.configured.with_database(name);
        other.redacted = other.configured.redacted();
        other.database = name.to_owned();
        other
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted)
    }
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("url", &self.redacted)
            .field("database", &self.database)
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}
