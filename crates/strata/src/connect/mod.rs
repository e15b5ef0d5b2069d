//! A resolved database → a connection: the one path from a URL in
//! strata.toml, env files and `PG*` variables to a [`tokio_postgres::Client`].
//!
//! [`Endpoint::resolve`] (or a [`Resolver`] for several databases) does, in
//! this order: read the database's URL variable in the environment (or start
//! the project's local cluster when the variable is unset and the
//! environment allows it, SPEC §6), fill in what libpq fills in (the
//! service file and every `PG*` variable: [`Libpq::effective`], then
//! `.pgpass`), run the environment's URL policy on that effective
//! connection, and choose TLS as `sslmode`, `sslrootcert`, `sslcert` and
//! `sslkey` ask ([`tls`]; never on a Unix socket, as libpq).
//! [`Endpoint::summary`] is the redacted effective host/port/database.
//!
//! [`Endpoint::connect`] then connects, retrying while the server starts. [`AdminEndpoint`] is the
//! server-level (maintenance database) connection of `db create` / `db drop`.
//!
//! Every type here redacts the password in `Display` and `Debug`.
//!
//! [`Libpq::effective`]: crate::config::Libpq::effective
//!
//! ```no_run
//! # async fn f() -> Result<(), Box<dyn std::error::Error>> {
//! use std::path::Path;
//! use std::time::Duration;
//! use strata::config::{Project, process_env_snapshot};
//! use strata::connect::Endpoint;
//!
//! let project = Project::discover(Path::new("."))?;
//! let env = project.resolve_env(None, &process_env_snapshot())?;
//! for db in project.databases() {
//!     let endpoint = Endpoint::resolve(&project, &env, db).await?;
//!     println!("{}: {endpoint}", db.name); // postgres://app:***@db.internal/app
//!     let client = endpoint.connect(Duration::from_secs(10)).await?;
//!     client.simple_query("SELECT 1").await?;
//! }
//! # Ok(()) }
//! ```

mod admin;
mod endpoint;
pub(crate) mod local;
mod resolve;
mod retry;
pub mod tls;

pub use admin::AdminEndpoint;
pub use endpoint::Endpoint;
pub use local::{local_cluster, local_database_name};
pub use resolve::{LocalDatabase, Resolver};
pub use retry::{connect_url, connect_with, is_transient};
