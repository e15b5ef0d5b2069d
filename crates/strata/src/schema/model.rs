//! The snapshot's data: one serde struct per object kind, exactly as read
//! from the catalogs and normalized (see [`super::normalize`]). Nothing
//! here holds an OID or an `attnum`; the only order that is not by name is
//! a table's (and a composite type's) column order and an enum's label
//! order, which are part of the object. Names are raw (unquoted); the
//! definitions PostgreSQL deparses (`pg_get_indexdef`, `format_type` …)
//! are read with `search_path = pg_catalog`, so every name in them that is
//! not a built-in is schema-qualified, whatever the reader's search path.

use serde::{Deserialize, Serialize};

use super::relations::{Constraint, Index, Policy, Table, Trigger, View};

/// Everything SPEC §11 lists, in the schemas a database is configured
/// with, the history table left out. Equal schemas give equal (and
/// byte-identical when serialized) snapshots.
///
/// ```
/// let empty = strata::schema::Snapshot::default();
/// assert!(empty.diff(&empty.clone()).is_empty());
/// assert!(serde_json::to_string(&empty).unwrap().starts_with("{\"server_major\":0,"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The server's major version (`15`). Definitions are deparsed by the
    /// server, so snapshots compare exactly only within one major version;
    /// [`Snapshot::diff`](Snapshot::diff) does not compare this field.
    pub server_major: u32,
    /// The configured schemas that exist.
    pub schemas: Vec<Schema>,
    /// Installed extensions (all of the database's but `plpgsql`).
    pub extensions: Vec<Extension>,
    /// Enum, composite, domain and range types.
    pub types: Vec<TypeDef>,
    /// Functions and procedures (aggregates are left out).
    pub functions: Vec<Function>,
    /// Sequences, except those behind identity columns.
    pub sequences: Vec<Sequence>,
    /// Tables, partitioned tables and partitions, with their columns.
    pub tables: Vec<Table>,
    /// Table constraints (primary key, unique, foreign key, check, exclusion).
    pub constraints: Vec<Constraint>,
    /// Indexes, except those a constraint owns (its primary key, unique or
    /// exclusion constraint stands for them).
    pub indexes: Vec<Index>,
    /// Views and materialized views.
    pub views: Vec<View>,
    /// Triggers a user created (not the internal ones behind foreign keys,
    /// nor the clones a partitioned table's trigger puts on its partitions).
    pub triggers: Vec<Trigger>,
    /// Row-level-security policies.
    pub policies: Vec<Policy>,
}

/// A schema of the configured ones that exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    /// Its name.
    pub name: String,
    /// `COMMENT ON SCHEMA`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// An installed extension. Its version is left out on purpose: two
/// servers of the same major version may ship different minor versions of
/// a contrib extension, which is not a difference in the schema the
/// migrations made (docs/decisions.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    /// `pgcrypto`.
    pub name: String,
    /// The schema its objects are in.
    pub schema: String,
}

/// A user-defined type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeDef {
    /// Its schema.
    pub schema: String,
    /// Its name.
    pub name: String,
    /// What kind of type, with its parts.
    pub definition: TypeBody,
    /// `COMMENT ON TYPE` / `COMMENT ON DOMAIN`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// The parts of a [`TypeDef`], by kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TypeBody {
    /// `CREATE TYPE … AS ENUM`: the labels in their order.
    Enum {
        /// The labels, in `enumsortorder`.
        labels: Vec<String>,
    },
    /// `CREATE TYPE … AS (…)`: the attributes in their order.
    Composite {
        /// The attributes.
        attributes: Vec<Attribute>,
    },
    /// `CREATE DOMAIN`.
    Domain {
        /// The underlying type (`format_type`).
        base: String,
        /// `NOT NULL`.
        not_null: bool,
        /// `DEFAULT` expression.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        default: Option<String>,
        /// `COLLATE`, when not the base type's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        collation: Option<String>,
        /// Its `CHECK` constraints, by name.
        constraints: Vec<DomainConstraint>,
    },
    /// `CREATE TYPE … AS RANGE`.
    Range {
        /// `SUBTYPE`.
        subtype: String,
        /// `COLLATION`, when not the subtype's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        collation: Option<String>,
        /// `SUBTYPE_DIFF` function.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        subtype_diff: Option<String>,
        /// `CANONICAL` function.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        canonical: Option<String>,
    },
}

/// An attribute of a composite type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribute {
    /// Its name.
    pub name: String,
    /// Its type (`format_type`).
    #[serde(rename = "type")]
    pub data_type: String,
    /// `COLLATE`, when not the type's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collation: Option<String>,
}

/// A domain's `CHECK` constraint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainConstraint {
    /// Its name.
    pub name: String,
    /// `pg_get_constraintdef`: `CHECK ((VALUE > 0))`.
    pub definition: String,
}

/// A function or procedure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Function {
    /// Its schema.
    pub schema: String,
    /// Its name.
    pub name: String,
    /// `pg_get_function_identity_arguments`: `a integer, b text`.
    pub arguments: String,
    /// `function` or `procedure`.
    pub kind: String,
    /// `pg_get_functiondef`: the whole `CREATE OR REPLACE …`.
    pub definition: String,
    /// `COMMENT ON FUNCTION`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A sequence and its parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sequence {
    /// Its schema.
    pub schema: String,
    /// Its name.
    pub name: String,
    /// `AS smallint|integer|bigint`.
    pub data_type: String,
    /// `START WITH`.
    pub start: i64,
    /// `INCREMENT BY`.
    pub increment: i64,
    /// `MINVALUE`.
    pub min: i64,
    /// `MAXVALUE`.
    pub max: i64,
    /// `CACHE`.
    pub cache: i64,
    /// `CYCLE`.
    pub cycle: bool,
    /// `OWNED BY` (a table of the same schema, as PostgreSQL requires).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owned_by: Option<OwnedBy>,
    /// `COMMENT ON SEQUENCE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// The column a sequence belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnedBy {
    /// The table (in the sequence's schema).
    pub table: String,
    /// The column.
    pub column: String,
}
