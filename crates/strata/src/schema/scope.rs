//! [`Scope`]: what a snapshot covers — the schemas, and the history table
//! it leaves out.

use crate::config::{DatabaseConfig, TableName};

/// What a snapshot covers: the schemas, and the history table left out
/// (with its indexes, constraints, sequences and triggers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// The schemas read (a database's `schemas` in strata.toml).
    pub schemas: Vec<String>,
    /// The history table, left out.
    pub history_table: TableName,
}

impl Scope {
    /// These schemas, with the default history table
    /// (`public.strata_schema_history`) left out.
    ///
    /// ```
    /// let scope = strata::schema::Scope::new(["public", "app"]);
    /// assert_eq!(scope.schemas, ["public", "app"]);
    /// assert_eq!(scope.history_table.to_string(), "public.strata_schema_history");
    /// ```
    pub fn new<S: Into<String>>(schemas: impl IntoIterator<Item = S>) -> Scope {
        Scope {
            schemas: schemas.into_iter().map(Into::into).collect(),
            history_table: TableName::default(),
        }
    }

    /// Leaves out `table` instead of the default history table.
    ///
    /// ```
    /// use strata::config::TableName;
    /// let scope = strata::schema::Scope::new(["public"])
    ///     .without(TableName::parse("ops.history").unwrap());
    /// assert_eq!(scope.history_table.schema, "ops");
    /// ```
    pub fn without(mut self, table: TableName) -> Scope {
        self.history_table = table;
        self
    }

    /// A database of strata.toml: its `schemas` and its `history_table`.
    ///
    /// ```
    /// # fn f(project: &strata::config::Project) {
    /// let scope = strata::schema::Scope::of(&project.databases()[0]);
    /// # }
    /// ```
    pub fn of(db: &DatabaseConfig) -> Scope {
        Scope {
            schemas: db.schemas.clone(),
            history_table: db.history_table.clone(),
        }
    }
}
