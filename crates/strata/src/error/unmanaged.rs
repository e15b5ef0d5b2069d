//! Refusals about what a database holds before strata writes to it: tables
//! it never recorded ([`NotEmpty`], SPEC §4.1) and another tool's history
//! table ([`ForeignHistory`], SPEC §3). Both are exit 3, and both name the
//! way out: `strata baseline`.

use std::fmt;

/// A first `migrate` on a database that already holds tables but has no
/// history table.
///
/// ```
/// use strata::error::NotEmpty;
/// let err = strata::Error::NotEmpty(NotEmpty {
///     table: "public.strata_schema_history".into(),
///     schemas: vec!["public".into()],
///     tables: vec!["public.users".into()],
///     more: 2,
/// });
/// assert!(err.is_check_failure());
/// assert_eq!(err.to_string(), "the database already holds tables (public.users and 2 more) but has \
///     no history table public.strata_schema_history: run `strata baseline VERSION` to record the \
///     version it is at (or set `baseline_on_migrate = true` for this database), or \
///     `strata baseline --from TOOL` to adopt another tool's history");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotEmpty {
    /// The history table that does not exist.
    pub table: String,
    /// The schemas that were looked at.
    pub schemas: Vec<String>,
    /// The first tables found (`schema.name`).
    pub tables: Vec<String>,
    /// How many more there are.
    pub more: usize,
}

impl fmt::Display for NotEmpty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the database already holds tables ({}",
            self.tables.join(", ")
        )?;
        if self.more > 0 {
            write!(f, " and {} more", self.more)?;
        }
        write!(
            f,
            ") but has no history table {}: run `strata baseline VERSION` to record the version it is at \
             (or set `baseline_on_migrate = true` for this database), or `strata baseline --from TOOL` \
             to adopt another tool's history",
            self.table
        )
    }
}

/// A history table whose columns are not strata's.
///
/// ```
/// use strata::error::ForeignHistory;
/// let err = strata::Error::ForeignHistory(ForeignHistory {
///     table: "public.schema_migrations".into(),
///     columns: vec!["version".into(), "dirty".into()],
///     tool: Some("golang-migrate".into()),
/// });
/// assert!(err.is_check_failure());
/// assert!(err.to_string().starts_with(
///     "public.schema_migrations is not a strata history table (its columns: version, dirty); \
///      it looks like golang-migrate's history"));
/// assert!(err.to_string().contains(
///     "`strata baseline --from golang-migrate --from-table public.schema_migrations`"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForeignHistory {
    /// The table.
    pub table: String,
    /// Its columns, in order.
    pub columns: Vec<String>,
    /// The tool they identify (a `baseline --from` name), if any.
    pub tool: Option<String>,
}

impl fmt::Display for ForeignHistory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cols = if self.columns.is_empty() {
            "none".to_owned()
        } else {
            self.columns.join(", ")
        };
        let who = match &self.tool {
            Some(t) => format!("{t}'s"),
            None => "another tool's".to_owned(),
        };
        write!(
            f,
            "{t} is not a strata history table (its columns: {cols}); it looks like {who} history: \
             point history_table at a new table (the default is public.strata_schema_history) and run \
             `strata baseline --from {from} --from-table {t}` to adopt it",
            t = self.table,
            from = self.tool.as_deref().unwrap_or("TOOL"),
        )
    }
}
