//! The snapshot's relations and what hangs off them: tables with their
//! columns, constraints, indexes, views, triggers and policies (the other
//! object kinds are in [`super::model`]). A table's columns are in their
//! order in the table (SPEC §11: column order is part of a table, since
//! `SELECT *`, `COPY` and `INSERT` without a column list depend on it).

use serde::{Deserialize, Serialize};

/// A table, partitioned table or partition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    /// Its schema.
    pub schema: String,
    /// Its name.
    pub name: String,
    /// The columns, in table order (dropped ones are not there).
    pub columns: Vec<Column>,
    /// `UNLOGGED`.
    #[serde(default)]
    pub unlogged: bool,
    /// `PARTITION BY …` (`pg_get_partkeydef`): a partitioned table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_key: Option<String>,
    /// A partition: its parent (schema-qualified) and bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_of: Option<PartitionOf>,
    /// `ENABLE ROW LEVEL SECURITY`.
    #[serde(default)]
    pub rls_enabled: bool,
    /// `FORCE ROW LEVEL SECURITY`.
    #[serde(default)]
    pub rls_forced: bool,
    /// `COMMENT ON TABLE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A partition's place in its partitioned table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionOf {
    /// The partitioned table, schema-qualified and quoted as PostgreSQL
    /// prints a `regclass` (`public.events`).
    pub parent: String,
    /// `FOR VALUES …` or `DEFAULT`.
    pub bound: String,
}

/// A column of a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    /// Its name.
    pub name: String,
    /// `format_type`: `character varying(100)`, `public.mood`.
    #[serde(rename = "type")]
    pub data_type: String,
    /// `NOT NULL`.
    pub not_null: bool,
    /// `DEFAULT` (`pg_get_expr`), for a column that is not generated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// `GENERATED ALWAYS AS (…) STORED`: the expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated: Option<String>,
    /// `GENERATED ALWAYS|BY DEFAULT AS IDENTITY`: `always` or `by default`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// The identity's sequence parameters that differ from the defaults,
    /// as SQL: `START WITH 100 INCREMENT BY 5`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_options: Option<String>,
    /// `COLLATE`, when not the type's default (`"C"`, `public.nocase`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collation: Option<String>,
    /// `COMMENT ON COLUMN`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A table constraint. A name PostgreSQL generated (`orders_pkey`) is a
/// name like any other: two builds that generate the same name are equal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Constraint {
    /// The table's schema.
    pub schema: String,
    /// The table.
    pub table: String,
    /// The constraint's name.
    pub name: String,
    /// `primary key`, `unique`, `foreign key`, `check` or `exclusion`.
    pub kind: String,
    /// `pg_get_constraintdef`: `FOREIGN KEY (customer_id) REFERENCES public.customers(id)`,
    /// with `NOT VALID` when it is not validated.
    pub definition: String,
    /// `COMMENT ON CONSTRAINT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// An index that no constraint owns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    /// Its schema (its table's).
    pub schema: String,
    /// Its name.
    pub name: String,
    /// Its table or materialized view.
    pub table: String,
    /// `pg_get_indexdef`: the whole `CREATE [UNIQUE] INDEX …`.
    pub definition: String,
    /// `indisvalid`: false after a failed `CREATE INDEX CONCURRENTLY`.
    pub valid: bool,
    /// `COMMENT ON INDEX`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A view or materialized view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct View {
    /// Its schema.
    pub schema: String,
    /// Its name.
    pub name: String,
    /// `CREATE MATERIALIZED VIEW`.
    pub materialized: bool,
    /// `pg_get_viewdef(oid, true)`: the query.
    pub definition: String,
    /// `COMMENT ON VIEW` / `COMMENT ON MATERIALIZED VIEW`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A trigger on a table or view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trigger {
    /// The table's schema.
    pub schema: String,
    /// The table or view.
    pub table: String,
    /// The trigger's name.
    pub name: String,
    /// `pg_get_triggerdef`: the whole `CREATE TRIGGER …`.
    pub definition: String,
    /// `origin` (the default), `disabled`, `replica` or `always`
    /// (`ALTER TABLE … ENABLE|DISABLE … TRIGGER`).
    pub enabled: String,
    /// `COMMENT ON TRIGGER`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A row-level-security policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// The table's schema.
    pub schema: String,
    /// The table.
    pub table: String,
    /// The policy's name.
    pub name: String,
    /// `ALL`, `SELECT`, `INSERT`, `UPDATE` or `DELETE`.
    pub command: String,
    /// `AS PERMISSIVE` (else restrictive).
    pub permissive: bool,
    /// `TO …`: role names, sorted (`public` for everyone).
    pub roles: Vec<String>,
    /// `USING (…)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub using: Option<String>,
    /// `WITH CHECK (…)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub with_check: Option<String>,
    /// `COMMENT ON POLICY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}
