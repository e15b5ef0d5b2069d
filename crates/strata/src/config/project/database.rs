//! [`DatabaseConfig`]: one logical database of strata.toml, defaults
//! applied and paths resolved.

use std::path::PathBuf;

use crate::config::table::TableName;

/// One logical database, defaults applied, paths resolved.
///
/// # Examples
///
/// ```
/// use std::path::Path;
/// use strata::config::Project;
/// let toml = "[databases.billing]\nurl_env = \"BILLING_URL\"\nmigrations = \"db/billing\"\n";
/// let project = Project::from_toml(toml, Path::new("/srv/app/strata.toml")).unwrap();
/// let db = project.database("billing").unwrap();
/// assert_eq!(db.url_env, "BILLING_URL");
/// assert_eq!(db.migrations, Path::new("/srv/app/db/billing"));
/// assert_eq!(db.history_table.to_string(), "public.strata_schema_history");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DatabaseConfig {
    /// The name (the `[databases.<name>]` key, or `main`).
    pub name: String,
    /// The migrations folder.
    pub migrations: PathBuf,
    /// The seeds folder, if configured or found by default.
    pub seeds: Option<PathBuf>,
    /// The variable holding the database URL.
    pub url_env: String,
    /// The variable holding a server-level admin URL, if configured.
    pub admin_url_env: Option<String>,
    /// The role `db create` makes the database's owner (`owner`), if configured.
    pub owner: Option<String>,
    /// Databases migrated before this one, as declared.
    pub depends_on: Vec<String>,
    /// Schemas `db clean` truncates.
    pub schemas: Vec<String>,
    /// The history table.
    pub history_table: TableName,
}
