//! [`Tool`]: the migration tools whose history strata adopts, their
//! default tables and the query that reads each one.

use std::fmt;
use std::str::FromStr;

use crate::history::TableName;

/// A migration tool whose history strata can adopt.
///
/// ```
/// use strata::adopt::Tool;
/// let tool: Tool = "golang-migrate".parse()?;
/// assert_eq!(tool, Tool::GolangMigrate);
/// assert_eq!(tool.default_table().to_string(), "public.schema_migrations");
/// assert_eq!(
///     "liquibase".parse::<Tool>().unwrap_err(),
///     "unknown tool `liquibase`; strata adopts the history of: \
///      flyway, dbmate, golang-migrate, sqlx, node-pg-migrate, refinery"
/// );
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tool {
    /// Flyway.
    Flyway,
    /// dbmate.
    Dbmate,
    /// golang-migrate.
    GolangMigrate,
    /// sqlx (`sqlx migrate`).
    Sqlx,
    /// node-pg-migrate.
    NodePgMigrate,
    /// refinery.
    Refinery,
}

impl Tool {
    /// Every tool, in the order of the docs.
    ///
    /// ```
    /// use strata::adopt::Tool;
    /// let names = Tool::ALL.map(Tool::as_str).join(", ");
    /// assert_eq!(names, "flyway, dbmate, golang-migrate, sqlx, node-pg-migrate, refinery");
    /// ```
    pub const ALL: [Tool; 6] = [
        Tool::Flyway,
        Tool::Dbmate,
        Tool::GolangMigrate,
        Tool::Sqlx,
        Tool::NodePgMigrate,
        Tool::Refinery,
    ];

    /// The name used on the command line.
    ///
    /// ```
    /// assert_eq!(strata::adopt::Tool::GolangMigrate.as_str(), "golang-migrate");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Tool::Flyway => "flyway",
            Tool::Dbmate => "dbmate",
            Tool::GolangMigrate => "golang-migrate",
            Tool::Sqlx => "sqlx",
            Tool::NodePgMigrate => "node-pg-migrate",
            Tool::Refinery => "refinery",
        }
    }

    /// The tool's default history table (in `public`).
    ///
    /// ```
    /// use strata::adopt::Tool;
    /// assert_eq!(Tool::Sqlx.default_table().to_string(), "public._sqlx_migrations");
    /// ```
    pub fn default_table(self) -> TableName {
        let name = match self {
            Tool::Flyway => "flyway_schema_history",
            Tool::Dbmate | Tool::GolangMigrate => "schema_migrations",
            Tool::Sqlx => "_sqlx_migrations",
            Tool::NodePgMigrate => "pgmigrations",
            Tool::Refinery => "refinery_schema_history",
        };
        TableName {
            schema: "public".into(),
            name: name.into(),
        }
    }

    pub(super) fn query(self, table: &TableName) -> String {
        let t = table.quoted();
        match self {
            Tool::Flyway => format!(
                "SELECT version, description, type, success FROM {t} ORDER BY installed_rank"
            ),
            Tool::Dbmate => format!("SELECT version::text, NULL::text, NULL::text, true FROM {t}"),
            Tool::GolangMigrate => {
                format!("SELECT version::text, NULL::text, NULL::text, NOT dirty FROM {t}")
            }
            Tool::Sqlx => format!(
                "SELECT version::text, description, NULL::text, success FROM {t} ORDER BY version"
            ),
            Tool::NodePgMigrate => {
                format!("SELECT name, NULL::text, NULL::text, true FROM {t} ORDER BY run_on, id")
            }
            Tool::Refinery => format!(
                "SELECT version::text, name::text, NULL::text, true FROM {t} ORDER BY version"
            ),
        }
    }
}

impl fmt::Display for Tool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for Tool {
    type Err = String;

    /// ```
    /// use strata::adopt::Tool;
    /// assert_eq!("flyway".parse::<Tool>(), Ok(Tool::Flyway));
    /// assert!("liquibase".parse::<Tool>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Tool, String> {
        Tool::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown tool `{s}`; strata adopts the history of: {}",
                    Tool::ALL.map(Tool::as_str).join(", ")
                )
            })
    }
}
