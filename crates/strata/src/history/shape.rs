//! Telling strata's history table from another tool's (SPEC §3, last
//! paragraph): when the history read names a column the table lacks, one
//! catalog query lists the columns it has, so the refusal can name them and
//! the tool they belong to. The common path (a strata table, or none) pays
//! nothing: this runs only after the read failed with 42703.

use tokio_postgres::Client;
use tokio_postgres::types::Type;

use crate::config::TableName;
use crate::error::{Error, ForeignHistory};

/// The columns of `table`, in their order, for [`Error::ForeignHistory`].
pub(super) async fn foreign_history(client: &Client, table: &TableName) -> Error {
    let sql = "SELECT attname::text FROM pg_catalog.pg_attribute \
               WHERE attrelid = pg_catalog.to_regclass($1) AND attnum > 0 AND NOT attisdropped \
               ORDER BY attnum";
    let quoted = table.quoted();
    let columns: Vec<String> = match client.query_typed(sql, &[(&quoted, Type::TEXT)]).await {
        Ok(rows) => rows
            .iter()
            .filter_map(|r| r.try_get::<_, String>(0).ok())
            .collect(),
        Err(e) => return Error::db(format!("cannot read the columns of {table}"), e),
    };
    Error::ForeignHistory(ForeignHistory {
        table: table.to_string(),
        tool: tool_of(&columns).map(str::to_owned),
        columns,
    })
}

/// The migration tool whose history table has these columns, by the names
/// `strata baseline --from` accepts ([`crate::adopt::Tool`]); `None` when
/// the shape is not one strata knows.
///
/// ```
/// use strata::history::tool_of;
/// let flyway = ["installed_rank", "version", "description", "type", "script",
///     "checksum", "installed_by", "installed_on", "execution_time", "success"];
/// assert_eq!(tool_of(&flyway.map(String::from)), Some("flyway"));
/// assert_eq!(tool_of(&["version".to_owned(), "dirty".to_owned()]), Some("golang-migrate"));
/// assert_eq!(tool_of(&["id".to_owned()]), None);
/// ```
pub fn tool_of(columns: &[String]) -> Option<&'static str> {
    let has = |c: &str| columns.iter().any(|x| x == c);
    let only = |cs: &[&str]| columns.len() == cs.len() && cs.iter().all(|c| has(c));
    if has("installed_rank") && has("type") && has("installed_by") {
        Some("flyway")
    } else if has("version") && has("installed_on") && has("execution_time") {
        Some("sqlx")
    } else if only(&["version", "dirty"]) {
        Some("golang-migrate")
    } else if only(&["version"]) {
        Some("dbmate")
    } else if has("name") && has("run_on") {
        Some("node-pg-migrate")
    } else if has("version") && has("applied_on") && has("checksum") {
        Some("refinery")
    } else {
        None
    }
}
