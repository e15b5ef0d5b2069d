//! The first `migrate` of a database that has no history table yet (SPEC
//! §4.1): if it already holds tables in its schemas, strata never managed
//! it, and running `V1` over it would fail half-way or, worse, succeed on
//! top of a schema nobody recorded. So `migrate` refuses (as Flyway does)
//! unless the tables belong to another database of the same project that
//! lives in the same server database (its history table is there), or the
//! database says `baseline_on_migrate = true`: then a `baseline` row at
//! version 0 is written first.
//!
//! One catalog query, sent only when the history table is missing, so a
//! database strata already manages pays nothing for it.

use tokio_postgres::Client;
use tokio_postgres::types::Type;

use crate::config::{DatabaseConfig, Project, TableName};
use crate::error::{Error, NotEmpty};

/// What a first `migrate` checks in a database without a history table.
///
/// ```
/// use strata::migrator::{FirstRun, MigrateOptions};
/// use strata::TableName;
/// // Database `mextrack` of a project whose database `core` lives in the same
/// // server database, recording into `public.core_history`.
/// let opts = MigrateOptions {
///     first_run: FirstRun {
///         schemas: vec!["public".into()],
///         sibling_histories: vec![TableName::parse("public.core_history")?],
///         baseline_on_migrate: false,
///     },
///     ..MigrateOptions::default()
/// };
/// assert_eq!(FirstRun::default().schemas, ["public"]);
/// # let _ = opts;
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FirstRun {
    /// The schemas whose tables make a database "not empty" (its `schemas`).
    pub schemas: Vec<String>,
    /// The history tables of the project's other databases: when one of them
    /// exists in this server database, the tables are that database's.
    pub sibling_histories: Vec<TableName>,
    /// Write a `baseline` row at version 0 instead of refusing.
    pub baseline_on_migrate: bool,
}

impl Default for FirstRun {
    fn default() -> FirstRun {
        FirstRun {
            schemas: vec!["public".to_owned()],
            sibling_histories: Vec::new(),
            baseline_on_migrate: false,
        }
    }
}

impl FirstRun {
    /// The check for database `db` of `project`: its `schemas`, its
    /// `baseline_on_migrate`, and every other database's history table.
    ///
    /// ```
    /// use std::path::Path;
    /// use strata::config::Project;
    /// use strata::migrator::FirstRun;
    /// let toml = "[databases.core]\nhistory_table = \"public.core_history\"\n\
    ///             [databases.mextrack]\ndepends_on = [\"core\"]\nbaseline_on_migrate = true\n";
    /// let project = Project::from_toml(toml, Path::new("/srv/app/strata.toml")).unwrap();
    /// let first = FirstRun::of(&project, project.database("mextrack").unwrap());
    /// assert!(first.baseline_on_migrate);
    /// assert_eq!(first.sibling_histories[0].to_string(), "public.core_history");
    /// ```
    pub fn of(project: &Project, db: &DatabaseConfig) -> FirstRun {
        FirstRun {
            schemas: db.schemas.clone(),
            sibling_histories: project
                .databases()
                .iter()
                .filter(|d| d.name != db.name)
                .map(|d| d.history_table.clone())
                .collect(),
            baseline_on_migrate: db.baseline_on_migrate,
        }
    }
}

/// How many table names an [`Error::NotEmpty`] lists.
const SHOWN: i64 = 5;

/// What the check found.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Existing {
    /// Nothing of its own: migrate as usual.
    Empty,
    /// Tables strata never recorded, and `baseline_on_migrate` is set.
    Baseline,
}

/// Checks `client`'s database before a first migrate into `table` (missing).
///
/// # Errors
/// [`Error::NotEmpty`] when it holds tables in `first.schemas` and neither a
/// sibling history nor `baseline_on_migrate` explains them; [`Error::Db`].
pub(super) async fn check(
    client: &Client,
    table: &TableName,
    first: &FirstRun,
) -> Result<Existing, Error> {
    if first.schemas.is_empty() {
        return Ok(Existing::Empty);
    }
    // Tables, partitioned tables, views, materialized views and foreign
    // tables, not members of an extension (PostGIS puts spatial_ref_sys in
    // public; pg_stat_statements its views).
    let sql = "WITH own AS (SELECT n.nspname::text || '.' || c.relname::text AS name \
                   FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                   WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p', 'v', 'm', 'f') \
                     AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d \
                         WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass \
                           AND d.objid = c.oid AND d.deptype = 'e')) \
               SELECT EXISTS (SELECT FROM pg_catalog.unnest($2::text[]) AS t(name) \
                              WHERE pg_catalog.to_regclass(t.name) IS NOT NULL), \
                      ARRAY(SELECT name FROM own ORDER BY name LIMIT $3), \
                      (SELECT count(*) FROM own)";
    let siblings: Vec<String> = first
        .sibling_histories
        .iter()
        .filter(|t| *t != table)
        .map(TableName::quoted)
        .collect();
    let ctx = |e| {
        Error::db(
            format!("cannot check what the database holds before creating {table}"),
            e,
        )
    };
    // One unnamed statement (no named prepare in a Sync of its own, which
    // a transaction pooler may send to another backend).
    let rows = client
        .query_typed(
            sql,
            &[
                (&first.schemas, Type::TEXT_ARRAY),
                (&siblings, Type::TEXT_ARRAY),
                (&SHOWN, Type::INT8),
            ],
        )
        .await
        .map_err(ctx)?;
    // An aggregate query returns one row.
    let Some(row) = rows.first() else {
        return Ok(Existing::Empty);
    };
    let sibling: bool = row.try_get(0).map_err(ctx)?;
    let tables: Vec<String> = row.try_get(1).map_err(ctx)?;
    let count: i64 = row.try_get(2).map_err(ctx)?;
    if sibling || count == 0 {
        return Ok(Existing::Empty);
    }
    if first.baseline_on_migrate {
        return Ok(Existing::Baseline);
    }
    Err(Error::NotEmpty(NotEmpty {
        table: table.to_string(),
        schemas: first.schemas.clone(),
        more: usize::try_from(count)
            .unwrap_or(usize::MAX)
            .saturating_sub(tables.len()),
        tables,
    }))
}
