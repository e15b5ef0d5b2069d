//! The server tests run against: an external one named by
//! `STRATA_TEST_DATABASE_URL`, or a private cluster started once per test
//! process; plus [`ExtraCluster`], a second private server on demand.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::OnceLock;

use strata::cluster::{ClusterInfo, LocalCluster, PgBinaries, StartOptions};

use crate::db::{self, TestDb};
use crate::url;
use crate::watchdog::Watchdog;

/// The variable naming an external server for the tests.
pub const DATABASE_URL_ENV: &str = "STRATA_TEST_DATABASE_URL";

/// The server shared by every test of this process. See [`server`].
#[derive(Debug)]
pub struct TestServer {
    admin_url: String,
    port: u16,
    private: Option<PrivateCluster>,
    pg_bin: OnceLock<Result<PgBinaries, String>>,
}

/// A cluster in its own temp dir, cleaned up by its watchdog.
#[derive(Debug)]
struct PrivateCluster {
    cluster: LocalCluster,
    info: ClusterInfo,
    watchdog: Watchdog,
}

static SERVER: OnceLock<Result<TestServer, String>> = OnceLock::new();

/// The server shared by all tests of this process, started on first use.
///
/// With `STRATA_TEST_DATABASE_URL` set, that server (the URL should name a
/// maintenance database such as `postgres`; its role must be allowed to
/// `CREATE DATABASE`). Otherwise a private cluster: `initdb` in a temp dir,
/// fsync off, 200 connections, a free port on 127.0.0.1, run as the
/// `postgres` user when the tests run as root. It is stopped and its
/// directory removed when the test process exits (see the watchdog in the
/// crate docs).
///
/// # Panics
///
/// When the server cannot be had, e.g. the PostgreSQL server binaries are
/// not installed: the message says how to install them. Tests fail, they
/// never skip.
pub fn server() -> &'static TestServer {
    match SERVER.get_or_init(TestServer::init) {
        Ok(server) => server,
        Err(msg) => panic!("strata-testkit: no test server: {msg}"),
    }
}

impl TestServer {
    fn init() -> Result<TestServer, String> {
        if let Some(url) = std::env::var(DATABASE_URL_ENV)
            .ok()
            .filter(|u| !u.trim().is_empty())
        {
            if !url::has_postgres_scheme(&url) {
                return Err(format!(
                    "{DATABASE_URL_ENV} must start with postgres:// or postgresql://"
                ));
            }
            return Ok(TestServer {
                port: url::port(&url),
                admin_url: url,
                private: None,
                pg_bin: OnceLock::new(),
            });
        }
        let bins = PgBinaries::from_process_env().map_err(|e| e.to_string())?;
        let private = PrivateCluster::start(bins.clone(), "strata-testkit-")?;
        Ok(TestServer {
            admin_url: private.info.url("postgres"),
            port: private.info.port,
            private: Some(private),
            pg_bin: OnceLock::from(Ok(bins)),
        })
    }

    /// The URL of the server's maintenance database (`postgres` for the
    /// private cluster; `STRATA_TEST_DATABASE_URL` as given otherwise).
    pub fn base_url(&self) -> &str {
        &self.admin_url
    }

    /// The URL of `database` on this server (same user, host, options).
    pub fn url(&self, database: &str) -> String {
        url::with_database(&self.admin_url, database)
    }

    /// The server's TCP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// True when the tests run against `STRATA_TEST_DATABASE_URL`.
    pub fn is_external(&self) -> bool {
        self.private.is_none()
    }

    /// The private cluster, `None` with an external server.
    pub fn cluster(&self) -> Option<&LocalCluster> {
        self.private.as_ref().map(|p| &p.cluster)
    }

    /// The PostgreSQL binaries (for running `psql`, `pg_dump`, `pg_ctl` …):
    /// those of the private cluster, or found as [`PgBinaries::find`] does
    /// with an external server.
    ///
    /// # Panics
    ///
    /// With an external server and no binaries installed, with the install
    /// hint.
    pub fn pg_bin(&self) -> &PgBinaries {
        let found = self
            .pg_bin
            .get_or_init(|| PgBinaries::from_process_env().map_err(|e| e.to_string()));
        match found {
            Ok(bins) => bins,
            Err(msg) => panic!("strata-testkit: {msg}"),
        }
    }

    /// A fresh, uniquely named database on this server; see [`crate::fresh_db`].
    pub async fn fresh_db(&self, hint: &str) -> TestDb {
        db::create(&self.admin_url, hint, self.is_external()).await
    }
}

impl TestDb {
    /// [`crate::fresh_db`] for synchronous tests (e.g. ones that run the
    /// `strata` binary). Works inside or outside a tokio runtime.
    ///
    /// # Panics
    ///
    /// As [`crate::fresh_db`].
    pub fn new_blocking(hint: &str) -> TestDb {
        let server = server();
        let hint = hint.to_owned();
        db::block_on(async move { server.fresh_db(&hint).await })
    }
}

impl PrivateCluster {
    fn start(bins: PgBinaries, prefix: &str) -> Result<PrivateCluster, String> {
        Self::start_with(bins, prefix, &StartOptions::for_tests())
    }

    fn start_with(
        bins: PgBinaries,
        prefix: &str,
        opts: &StartOptions,
    ) -> Result<PrivateCluster, String> {
        let dir = tempfile::Builder::new()
            .prefix(prefix)
            .tempdir()
            .map_err(|e| format!("could not create a temp dir: {e}"))?
            .keep();
        // The watchdog first, so the directory goes away whatever happens next.
        let mut watchdog = Watchdog::spawn(&dir, &dir.join("data")).inspect_err(|_| {
            let _ = std::fs::remove_dir_all(&dir);
        })?;
        let started = open_up(&dir)
            .and_then(|()| LocalCluster::new(&dir, bins).map_err(|e| e.to_string()))
            .and_then(|cluster| match cluster.start(opts) {
                Ok(info) => Ok((cluster, info)),
                Err(e) => Err(e.to_string()),
            });
        match started {
            Ok((cluster, info)) => Ok(PrivateCluster {
                cluster,
                info,
                watchdog,
            }),
            Err(e) => {
                watchdog.fire();
                Err(e)
            }
        }
    }
}

/// tempfile makes 0700 directories; the server user must be able to enter
/// it when the tests run as root (LocalCluster then hands it over).
fn open_up(dir: &Path) -> Result<(), String> {
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| format!("could not chmod {}: {e}", dir.display()))
}

/// A second, independent private cluster (its own temp dir, port and
/// `initdb`), for tests that need databases on two servers. It always is a
/// private cluster, also when `STRATA_TEST_DATABASE_URL` is set. Dropping it
/// stops the server and removes its directory; so does the end of the test
/// process, if it is leaked.
#[derive(Debug)]
pub struct ExtraCluster {
    private: PrivateCluster,
}

/// Starts an [`ExtraCluster`].
///
/// # Panics
///
/// When it cannot be started, e.g. the PostgreSQL server binaries are not
/// installed (the message says how to install them).
pub fn start_extra_cluster() -> ExtraCluster {
    start_extra_cluster_with(&StartOptions::for_tests())
}

/// [`start_extra_cluster`] with explicit [`StartOptions`] (e.g. default
/// durability for measurements, or extra server `settings`).
///
/// # Panics
///
/// As [`start_extra_cluster`].
pub fn start_extra_cluster_with(opts: &StartOptions) -> ExtraCluster {
    let started = PgBinaries::from_process_env()
        .map_err(|e| e.to_string())
        .and_then(|bins| PrivateCluster::start_with(bins, "strata-testkit-extra-", opts));
    match started {
        Ok(private) => ExtraCluster { private },
        Err(msg) => panic!("strata-testkit: could not start an extra cluster: {msg}"),
    }
}

impl ExtraCluster {
    /// The cluster, e.g. to stop or inspect it.
    pub fn cluster(&self) -> &LocalCluster {
        &self.private.cluster
    }

    /// The server as it runs now.
    ///
    /// # Panics
    ///
    /// When it is not running.
    pub fn info(&self) -> ClusterInfo {
        match self.private.cluster.status() {
            Ok(status) => match status.info() {
                Some(info) => info.clone(),
                None => panic!("strata-testkit: the extra cluster is not running"),
            },
            Err(e) => panic!("strata-testkit: {e}"),
        }
    }

    /// Its TCP port (of the running server).
    pub fn port(&self) -> u16 {
        self.info().port
    }

    /// The URL of its maintenance database, `postgres`.
    pub fn base_url(&self) -> String {
        self.info().url("postgres")
    }

    /// The URL of `database` on it.
    pub fn url(&self, database: &str) -> String {
        self.info().url(database)
    }

    /// Starts it again (after a stop or a crash) with the test options; a
    /// no-op when it runs.
    ///
    /// # Panics
    ///
    /// When it does not start, with the server log.
    pub fn start(&self) -> ClusterInfo {
        match self.private.cluster.start(&StartOptions::for_tests()) {
            Ok(info) => info,
            Err(e) => panic!("strata-testkit: {e}"),
        }
    }

    /// A fresh database on this cluster; see [`crate::fresh_db`].
    pub async fn fresh_db(&self, hint: &str) -> TestDb {
        db::create(&self.base_url(), hint, false).await
    }

    /// [`ExtraCluster::fresh_db`] for synchronous tests.
    pub fn fresh_db_blocking(&self, hint: &str) -> TestDb {
        let admin = self.base_url();
        let hint = hint.to_owned();
        db::block_on(async move { db::create(&admin, &hint, false).await })
    }
}

impl Drop for ExtraCluster {
    fn drop(&mut self) {
        self.private.watchdog.fire();
    }
}
