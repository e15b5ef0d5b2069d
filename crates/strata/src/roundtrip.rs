//! `roundtrip` (SPEC §11): proves that each down part restores the schema
//! its up part started from.
//!
//! In a [`Shadow`](crate::shadow::Shadow), the versioned migrations are applied one by one with
//! the normal [`Migrator`] (each run sees the files up to that migration
//! only, so nothing later — and no repeatable — runs early). Before a
//! reversible migration (one with a down part) the schema is snapshotted;
//! after its up, its down runs exactly as `strata rollback --steps 1`
//! would ([`Rollback`]), the schema is snapshotted again and must equal
//! the first, and the up runs again so the next migration finds what it
//! expects. Irreversible migrations are only applied, and listed. The
//! repeatables run last.
//!
//! After a down that does not restore the schema, what it left behind
//! would make its up fail (an index that already exists): the scratch
//! database is emptied (its schemas dropped and `public` created again)
//! and the migrations up to that one are applied afresh, so the check
//! goes on with the next migration.

use tokio_postgres::Client;

use crate::error::Error;
use crate::history::{TableName, quote_ident};
use crate::migration::{Migration, MigrationKind, Placeholders};
use crate::migrator::{MigrateOptions, Migrator};
use crate::rollback::{Rollback, RollbackOptions};
use crate::schema::{Difference, Scope};
use crate::source::Migrations;

/// What happened to one versioned migration.
///
/// ```
/// use strata::roundtrip::Outcome;
/// assert_eq!(Outcome::Restored.as_str(), "restored");
/// assert_eq!(Outcome::Irreversible.as_str(), "irreversible");
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum Outcome {
    /// Its down restored the schema exactly.
    Restored,
    /// Its down left these differences (before the up → after the down).
    NotRestored {
        /// The differences.
        differences: Vec<Difference>,
    },
    /// It has no down part.
    Irreversible,
}

impl Outcome {
    /// `restored`, `not_restored` or `irreversible`.
    ///
    /// ```
    /// let o = strata::roundtrip::Outcome::NotRestored { differences: vec![] };
    /// assert_eq!(o.as_str(), "not_restored");
    /// ```
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Restored => "restored",
            Outcome::NotRestored { .. } => "not_restored",
            Outcome::Irreversible => "irreversible",
        }
    }
}

/// One versioned migration checked.
///
/// ```no_run
/// # fn f(report: &strata::roundtrip::RoundtripReport) {
/// for c in &report.checked {
///     println!("{} {}: {}", c.version, c.script, c.outcome.as_str());
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Checked {
    /// Its version.
    pub version: String,
    /// Its file.
    pub script: String,
    /// What its down did.
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// Every versioned migration, in order.
///
/// ```
/// let r = strata::roundtrip::RoundtripReport::default();
/// assert!(r.failures().next().is_none());
/// ```
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct RoundtripReport {
    /// The migrations, in version order.
    pub checked: Vec<Checked>,
}

impl RoundtripReport {
    /// The migrations whose down did not restore the schema.
    ///
    /// ```
    /// assert_eq!(strata::roundtrip::RoundtripReport::default().failures().count(), 0);
    /// ```
    pub fn failures(&self) -> impl Iterator<Item = &Checked> {
        self.checked
            .iter()
            .filter(|c| matches!(c.outcome, Outcome::NotRestored { .. }))
    }
}

/// Runs the round trip of `migrations` on `shadow`, an empty scratch
/// database (see [`crate::shadow::Shadow::run`]).
///
/// ```no_run
/// # async fn f(project: &strata::config::Project, env: &strata::config::ResolvedEnv) -> Result<(), strata::Error> {
/// use strata::schema::Scope;
/// let db = &project.databases()[0];
/// let migrations = strata::Migrations::from_dir(&db.migrations)?;
/// let shadow = strata::shadow::Shadow::create(project, env, db).await?;
/// let report = shadow
///     .run(async |client| {
///         strata::roundtrip::roundtrip(client, &migrations, &db.history_table, &Scope::of(db), None).await
///     })
///     .await?;
/// for c in report.failures() {
///     println!("{}: its down does not restore the schema", c.script);
/// }
/// # Ok(()) }
/// ```
///
/// # Errors
///
/// An up or a down that fails ([`Error::Sql`] …), [`Error::Interrupted`],
/// [`Error::Db`].
pub async fn roundtrip(
    shadow: &Client,
    migrations: &Migrations,
    table: &TableName,
    scope: &Scope,
    placeholders: Option<&Placeholders>,
) -> Result<RoundtripReport, Error> {
    let options = MigrateOptions {
        placeholders: placeholders.cloned(),
        ..MigrateOptions::default()
    };
    let up = async |upto: &Migrations| -> Result<(), Error> {
        Migrator::new(upto, table.clone())
            .with_options(options.clone())
            .run(shadow, &mut |_| {})
            .await
            .map(|_| ())
    };
    let versioned: Vec<&Migration> = migrations
        .list
        .iter()
        .filter(|m| m.kind == MigrationKind::Versioned)
        .collect();
    // The history table (and its schema, which may be in scope) first, so
    // the first snapshot does not lack what strata itself creates.
    up(&Migrations::default()).await?;
    let mut report = RoundtripReport::default();
    for (k, m) in versioned.iter().enumerate() {
        if crate::interrupt::requested() {
            return Err(Error::Interrupted);
        }
        let upto = Migrations {
            list: versioned[..=k].iter().map(|m| (*m).clone()).collect(),
            warnings: Vec::new(),
        };
        let outcome = if m.down.is_some() {
            let before = crate::schema::snapshot(shadow, scope).await?;
            up(&upto).await?;
            Rollback::new(&upto, table.clone())
                .with_options(RollbackOptions {
                    placeholders: placeholders.cloned(),
                    ..RollbackOptions::default()
                })
                .run(shadow, &mut |_| {})
                .await?;
            let after = crate::schema::snapshot(shadow, scope).await?;
            let differences = before.diff(&after);
            if differences.is_empty() {
                up(&upto).await?;
                Outcome::Restored
            } else {
                // What the down left behind would break its up: start over.
                reset(shadow, scope).await?;
                up(&upto).await?;
                Outcome::NotRestored { differences }
            }
        } else {
            up(&upto).await?;
            Outcome::Irreversible
        };
        report.checked.push(Checked {
            version: m
                .version
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            script: m.script.clone(),
            outcome,
        });
    }
    up(migrations).await?;
    Ok(report)
}

/// Empties the scratch database: drops every schema of `scope` and the
/// history table's schema with all they hold, then creates `public`
/// again (the one schema a new database has), so the migrations can be
/// applied again from the first.
async fn reset(shadow: &Client, scope: &Scope) -> Result<(), Error> {
    let mut schemas: Vec<&str> = scope.schemas.iter().map(String::as_str).collect();
    schemas.push(&scope.history_table.schema);
    schemas.sort_unstable();
    schemas.dedup();
    let mut sql = String::new();
    for s in &schemas {
        sql.push_str(&format!(
            "DROP SCHEMA IF EXISTS {} CASCADE;",
            quote_ident(s)
        ));
    }
    sql.push_str("CREATE SCHEMA IF NOT EXISTS public");
    shadow
        .batch_execute(&sql)
        .await
        .map_err(|e| Error::db("cannot empty the scratch database", e))
}
