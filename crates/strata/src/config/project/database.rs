//! [`DatabaseConfig`]: one logical database of strata.toml, defaults
//! applied and paths resolved.

use std::collections::BTreeMap;
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
/// assert!(!db.baseline_on_migrate);
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
    /// The variable holding a URL that bypasses a pooler (`direct_url_env`),
    /// if configured: `migrate` and `rollback` connect there when it is set
    /// (SPEC §4.2 step 1).
    pub direct_url_env: Option<String>,
    /// The variable holding the URL of the server where `drift` and
    /// `roundtrip` create their scratch database (`shadow_url_env`), if
    /// configured; else they use the project's local cluster.
    pub shadow_url_env: Option<String>,
    /// The role `db create` makes the database's owner (`owner`), if configured.
    pub owner: Option<String>,
    /// Databases migrated before this one, as declared.
    pub depends_on: Vec<String>,
    /// Schemas `db clean` truncates.
    pub schemas: Vec<String>,
    /// The history table.
    pub history_table: TableName,
    /// A first `migrate` on a database that already holds tables writes a
    /// `baseline` row at version 0 instead of refusing (SPEC §1.1).
    pub baseline_on_migrate: bool,
    /// `[databases.<name>.placeholders]`: when present (even empty), `${name}`
    /// in its migrations is replaced before they run (SPEC §2.4).
    pub placeholders: Option<BTreeMap<String, PlaceholderValue>>,
}

/// The value of one placeholder of `[databases.<name>.placeholders]`.
///
/// ```
/// use std::path::Path;
/// use strata::config::{PlaceholderValue, Project};
/// let toml = "[databases.core.placeholders]\nschema = \"app\"\ntenant = { env = \"TENANT\" }\n";
/// let project = Project::from_toml(toml, Path::new("/srv/app/strata.toml")).unwrap();
/// let p = project.database("core").unwrap().placeholders.as_ref().unwrap();
/// assert_eq!(p["schema"], PlaceholderValue::Text("app".into()));
/// assert_eq!(p["tenant"], PlaceholderValue::Env("TENANT".into()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlaceholderValue {
    /// The text itself.
    Text(String),
    /// The value of this variable in the resolved environment.
    Env(String),
}
