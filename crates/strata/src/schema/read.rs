//! Reading a [`Snapshot`] from the catalogs: the one statement of
//! `catalog.sql` (every object kind in one JSON document, so the cost does
//! not grow with round trips per object), run in a read-only transaction
//! whose `search_path` is `pg_catalog` alone — deparsed definitions then
//! name every non-built-in object with its schema, whatever the session's
//! search path — and pipelined with its `BEGIN` and `COMMIT`: one round
//! trip in all.

use tokio_postgres::Client;
use tokio_postgres::types::Type;

use super::model::Snapshot;
use super::scope::Scope;
use crate::error::Error;

const CATALOG: &str = include_str!("catalog.sql");

/// See [`super::snapshot`].
pub(super) async fn snapshot(client: &Client, scope: &Scope) -> Result<Snapshot, Error> {
    read(client, scope, Transaction::Own).await
}

/// [`snapshot`] inside the transaction `client` has open (what it made is
/// visible to it alone): no `BEGIN` or `COMMIT` of its own, and the
/// `search_path` set for the rest of that transaction.
pub(crate) async fn snapshot_in_transaction(
    client: &Client,
    scope: &Scope,
) -> Result<Snapshot, Error> {
    read(client, scope, Transaction::Caller).await
}

/// Whose transaction the catalog query runs in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Transaction {
    /// A read-only one of its own.
    Own,
    /// The caller's, open.
    Caller,
}

async fn read(client: &Client, scope: &Scope, tx: Transaction) -> Result<Snapshot, Error> {
    let schemas: Vec<&str> = scope.schemas.iter().map(String::as_str).collect();
    let (history_schema, history_name) = (&scope.history_table.schema, &scope.history_table.name);
    // Sent in this order on the first poll, so they travel in one flush.
    let begin = client.batch_execute(match tx {
        Transaction::Own => {
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL search_path = pg_catalog"
        }
        Transaction::Caller => "SET LOCAL search_path = pg_catalog",
    });
    let params: [(&(dyn tokio_postgres::types::ToSql + Sync), Type); 3] = [
        (&schemas, Type::TEXT_ARRAY),
        (history_schema, Type::TEXT),
        (history_name, Type::TEXT),
    ];
    let read = client.query_typed_one(CATALOG, &params);
    // After a failed read the transaction is aborted: COMMIT ends it
    // (as a rollback), so the session is left as it was found.
    let commit = async {
        match tx {
            Transaction::Own => client.batch_execute("COMMIT").await,
            Transaction::Caller => Ok(()),
        }
    };
    let (begun, row, committed) = futures_util::future::join3(begin, read, commit).await;
    begun.map_err(|e| {
        Error::db(
            "cannot start the read-only transaction of a schema snapshot",
            e,
        )
    })?;
    let row = row.map_err(|e| Error::db("cannot read the schema from the catalogs", e))?;
    committed.map_err(|e| Error::db("cannot end the transaction of a schema snapshot", e))?;
    let text: &str = row
        .try_get(0)
        .map_err(|e| Error::db("cannot read the schema from the catalogs", e))?;
    let mut snapshot: Snapshot = serde_json::from_str(text).map_err(|_| Error::Internal {
        what: "the catalog query's document does not match the snapshot model",
    })?;
    snapshot.normalize();
    Ok(snapshot)
}
