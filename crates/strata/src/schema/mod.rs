//! Schema snapshots (SPEC §11): the schema of a database as it really is,
//! read from the catalogs (no `pg_dump`), normalized so that equal schemas
//! give byte-identical snapshots, compared object by object, and written
//! as a dump file that can be read back.
//!
//! - [`snapshot`] reads a [`Snapshot`] in one round trip (`read.rs`,
//!   `catalog.sql`), normalized (`normalize.rs`); the model is in
//!   `model.rs` and `relations.rs`;
//! - [`Snapshot::diff`] gives typed [`Difference`]s (`diff.rs`), each with a
//!   one-line `Display` (`describe.rs`);
//! - [`Snapshot::to_dump`] / [`Dump::parse`] write and read the dump file
//!   (`dump.rs`), whose SQL comes from [`sql`].
//!
//! ```no_run
//! # async fn f(client: &tokio_postgres::Client) -> Result<(), strata::Error> {
//! use strata::schema::{Dump, Scope};
//!
//! let scope = Scope::new(["public"]); // history table: public.strata_schema_history
//! let live = strata::schema::snapshot(client, &scope).await?;
//! let committed = Dump::read(std::path::Path::new("db/schema.sql"))?.snapshot;
//! for d in committed.diff(&live) {
//!     println!("{d}"); // "+ index orders_customer_idx"
//! }
//! # Ok(()) }
//! ```

mod describe;
mod diff;
mod dump;
mod model;
mod normalize;
mod read;
mod relations;
mod scope;
pub mod sql;
#[cfg(test)]
mod tests;

use tokio_postgres::Client;

use crate::error::Error;

pub use diff::{Change, ColumnOf, Difference, Object, ObjectKind};
pub use dump::{Dump, DumpError, FORMAT};
pub use model::{
    Attribute, DomainConstraint, Extension, Function, OwnedBy, Schema, Sequence, Snapshot,
    TypeBody, TypeDef,
};
pub use relations::{Column, Constraint, Index, PartitionOf, Policy, Table, Trigger, View};
pub use scope::Scope;

pub(crate) use read::snapshot_in_transaction;

/// Reads the schema in `scope` from the catalogs: one statement in a
/// read-only transaction of its own (so call it outside a transaction),
/// pipelined with its `BEGIN` and `COMMIT` — one round trip whatever the
/// size of the schema. Changes nothing; needs no privilege beyond reading
/// the catalogs.
///
/// # Errors
///
/// [`Error::Db`] when the query fails (connection lost, a server older
/// than PostgreSQL 13).
///
/// ```no_run
/// # async fn f(client: &tokio_postgres::Client) -> Result<(), strata::Error> {
/// let s = strata::schema::snapshot(client, &strata::schema::Scope::new(["public"])).await?;
/// println!("{} tables, {} indexes", s.tables.len(), s.indexes.len());
/// # Ok(()) }
/// ```
pub async fn snapshot(client: &Client, scope: &Scope) -> Result<Snapshot, Error> {
    read::snapshot(client, scope).await
}
