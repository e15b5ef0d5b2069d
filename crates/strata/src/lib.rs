//! strata: a PostgreSQL database and schema-migration manager.
//!
//! The library owns every algorithm; the `strata` binary only renders what it
//! returns. It never prints and never exits.

pub mod cluster;
pub mod config;
pub mod connect;
pub mod database;
pub mod error;
pub mod history;
pub mod lock;
pub mod migration;
pub mod migrator;
pub mod plan;
pub mod scaffold;
pub mod source;
pub mod sql;
pub mod tls;
