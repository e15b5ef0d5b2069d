//! Reading another tool's history table: [`ToolRow`] and
//! [`read_tool_history`]. Only read, never changed.

use tokio_postgres::Client;

use crate::error::Error;
use crate::history::TableName;

use super::Tool;

/// One row of another tool's history, reduced to what adoption needs.
///
/// [`read_tool_history`] reads them; [`interpret`](super::interpret) decides what they mean.
///
/// ```
/// use strata::adopt::{Tool, ToolRow, interpret};
/// let flyway = |version: &str, kind: &str| ToolRow {
///     version: Some(version.into()),
///     description: None,
///     kind: Some(kind.into()),
///     success: true,
/// };
/// let rows = [
///     flyway("1", "BASELINE"),
///     flyway("2", "SQL"),
///     flyway("3", "SQL"),
///     flyway("3", "UNDO_SQL"),
/// ];
/// let h = interpret(Tool::Flyway, &rows)?;
/// assert_eq!(h.baseline, Some("1".parse()?));
/// // Version 3 was undone: its latest row decides.
/// assert_eq!(h.applied.iter().map(ToString::to_string).collect::<Vec<_>>(), ["2"]);
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ToolRow {
    /// The version as the tool stored it (node-pg-migrate: the migration name).
    pub version: Option<String>,
    /// Description (flyway, sqlx, refinery), used for repeatables.
    pub description: Option<String>,
    /// Flyway's `type` (`SQL`, `BASELINE`, `UNDO_SQL`, `DELETE` …).
    pub kind: Option<String>,
    /// False for a failed (flyway, sqlx) or dirty (golang-migrate) row.
    pub success: bool,
}

/// Reads `tool`'s history table.
///
/// With [`interpret`](super::interpret), a look at what the tool applied that writes nothing
/// (and, unlike [`adopt`](super::adopt), works whatever strata's own history holds):
///
/// ```no_run
/// use strata::adopt::{Tool, interpret, read_tool_history};
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// # let url = std::env::var("DATABASE_URL")?;
/// let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
/// tokio::spawn(connection);
/// let rows = read_tool_history(&client, Tool::Flyway, &Tool::Flyway.default_table()).await?;
/// let applied = interpret(Tool::Flyway, &rows)?;
/// for v in &applied.applied {
///     println!("flyway applied version {v}");
/// }
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`Error::Adopt`] when the table is missing; [`Error::Db`].
pub async fn read_tool_history(
    client: &Client,
    tool: Tool,
    table: &TableName,
) -> Result<Vec<ToolRow>, Error> {
    let rows = match client.query_typed(&tool.query(table), &[]).await {
        Ok(r) => r,
        Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::UNDEFINED_TABLE) => {
            return Err(Error::Adopt {
                tool: tool.to_string(),
                table: table.to_string(),
                reason: "the table does not exist; is this the right database? (name another table with --from-table)"
                    .into(),
            });
        }
        Err(e) => {
            return Err(Error::db(
                format!("cannot read {tool}'s history {table}"),
                e,
            ));
        }
    };
    let ctx = |e| Error::db(format!("unexpected row in {tool}'s history {table}"), e);
    rows.iter()
        .map(|r| {
            Ok(ToolRow {
                version: r.try_get(0).map_err(ctx)?,
                description: r.try_get(1).map_err(ctx)?,
                kind: r.try_get(2).map_err(ctx)?,
                success: r.try_get(3).map_err(ctx)?,
            })
        })
        .collect()
}
