//! Database lifecycle (SPEC §4 `db …`, §5): create, drop, terminate
//! sessions, reset, clean, seed — one file each.
//!
//! Server-level work ([`create`](create_if_missing), [`drop`](drop_database),
//! [`sessions`](fn@sessions), [`reset`](recreate_database)) runs on a maintenance
//! connection (database `postgres`, or the admin URL); [`clean`](fn@clean) and
//! [`seed`](run_seed) run on a connection to the database itself. Names are
//! quoted identifiers in DDL and bound values in queries. Whether an
//! operation is *allowed* (a protected environment, a confirmation) is the
//! caller's decision: these functions do what they are asked.

mod clean;
mod create;
mod reset;
mod seed;
mod sessions;

pub use clean::{clean, tables_to_clean};
pub use create::{create_if_missing, create_owned_if_missing, drop_database, exists};
pub use reset::{Recreated, recreate_database};
pub use seed::{SeedFile, run_seed, seed_files};
pub use sessions::{sessions, terminate_sessions};
