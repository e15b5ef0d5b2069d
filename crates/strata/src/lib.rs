//! strata: a PostgreSQL database and schema-migration manager.
//!
//! The library owns every algorithm; the `strata` binary only renders what it
//! returns. It never prints and never exits: errors are typed
//! ([`error::Error`]), progress arrives as [`migrator::Event`]s, results as
//! reports.
//!
//! # An application that checks its schema at start-up
//!
//! The runtime must fail fast on an incompatible schema and never migrate
//! unless it opts in (SPEC §7). With the migrations embedded in the binary
//! at build time ([`embed_migrations!`]), one query decides:
//!
//! ```no_run
//! # async fn start() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use strata::config::{DbUrl, Libpq};
//! use strata::connect::Endpoint;
//!
//! // libpq's rules: PGPASSWORD / ~/.pgpass fill a missing password, TLS is
//! // what `sslmode` asks; connecting waits up to 30 s for a starting server.
//! let url = DbUrl::parse(&std::env::var("DATABASE_URL")?)?;
//! let client = Endpoint::for_url(&url, &Libpq::from_process_env())?
//!     .connect(Duration::from_secs(30))
//!     .await?;
//!
//! let migrations = strata::embed_migrations!("$CARGO_MANIFEST_DIR/tests/fixtures/embedded")?;
//! match strata::verify(&client, &migrations).await {
//!     Ok(()) => { /* serve */ }
//!     Err(strata::Incompatible::Problems { problems, .. }) => {
//!         for p in &problems {
//!             eprintln!("schema problem: {p}"); // e.g. "V3__orders.sql: not applied; run `strata migrate`"
//!         }
//!         std::process::exit(1);
//!     }
//!     Err(e) => return Err(e.into()),
//! }
//! # Ok(()) }
//! ```
//!
//! # An application that migrates on start (opt-in)
//!
//! With a strata.toml, [`connect::Endpoint::resolve`] resolves a database
//! exactly as the CLI does: the environment and its env files, the URL
//! policy, libpq's defaults, TLS, and the local cluster where allowed.
//!
//! ```no_run
//! # async fn start() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use strata::config::{Project, process_env_snapshot};
//! use strata::connect::Endpoint;
//! use strata::{Migrator, TableName};
//!
//! let project = Project::discover(std::path::Path::new("."))?;
//! let env = project.resolve_env(None, &process_env_snapshot())?;
//! let endpoint = Endpoint::resolve(&project, &env, &project.databases()[0]).await?;
//! let client = endpoint.connect(Duration::from_secs(30)).await?;
//!
//! // The migration lock is taken on this session and released on every
//! // path, failures included (and by the server if the process dies).
//! let migrations = strata::embed_migrations!("$CARGO_MANIFEST_DIR/tests/fixtures/embedded")?;
//! let report = Migrator::new(&migrations, TableName::default())
//!     .run(&client, &mut |_event| {})
//!     .await?;
//! for m in &report.executed {
//!     println!("applied {} ({} ms)", m.script, m.execution_ms);
//! }
//! # Ok(()) }
//! ```
//!
//! # The rest of a migration's life
//!
//! [`rollback`] runs down parts, [`repair`] fixes the history after a
//! failure or an intended edit, [`baseline`] marks an existing database,
//! and [`adopt`] takes over the history of flyway, dbmate, golang-migrate,
//! sqlx, node-pg-migrate or refinery. Each is what the CLI command of the
//! same name calls.

pub mod adopt;
pub mod backup;
pub mod baseline;
pub mod cache;
pub mod cluster;
pub mod config;
pub mod connect;
pub mod database;
pub mod drift;
pub mod error;
pub mod history;
pub mod interrupt;
pub mod lint;
pub mod lock;
pub mod migration;
pub mod migrator;
pub mod notice;
pub mod plan;
pub mod repair;
pub mod rollback;
pub mod roundtrip;
pub mod scaffold;
pub mod schema;
pub mod shadow;
pub mod source;
pub mod sql;
pub mod verify;

pub use connect::tls;
pub use error::Error;
pub use history::TableName;
pub use migrator::{MigrateOptions, Migrator, Report};
pub use source::Migrations;
pub use source::embed;
pub use verify::{Incompatible, verify, verify_schema, verify_table};
