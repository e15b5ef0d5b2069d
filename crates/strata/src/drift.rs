//! `drift` (SPEC §11): does the live schema still look like what its
//! history says ran?
//!
//! The expected schema is built in a [`Shadow`] by applying, with the
//! normal [`Migrator`] (same history table, same placeholders), the
//! migrations that are *applied* on the live database ([`applied_subset`]):
//! a pending migration is not drift, it is `status`'s business. Both
//! schemas are then snapshotted and compared ([`Snapshot::diff`], the
//! expected one first, so `+` is what only the live database has).
//!
//! The live database is only read: its history with one `SELECT` (a
//! missing history table is reported, not created), its schema in a
//! read-only transaction ([`crate::schema::snapshot`]), taken while the
//! shadow replays.

use tokio_postgres::Client;

use crate::error::Error;
use crate::history::{self, TableName};
use crate::migration::Placeholders;
use crate::migrator::{MigrateOptions, Migrator};
use crate::plan::{Plan, PlanOptions, State};
use crate::schema::{Difference, Scope, Snapshot};
use crate::shadow::Shadow;
use crate::source::Migrations;

/// What `drift` found on one database.
///
/// ```
/// let r = strata::drift::DriftReport::default();
/// assert!(r.is_clean() && !r.history_missing);
/// ```
#[derive(Debug, Clone, Default, serde::Serialize)]
#[non_exhaustive]
pub struct DriftReport {
    /// The live database has no history table: the expected schema is the
    /// empty one.
    pub history_missing: bool,
    /// The scripts replayed in the shadow (empty with `--against`).
    pub replayed: Vec<String>,
    /// The history has a baseline at this version and no migration file at
    /// or below it describes what it stands for: those objects show as `+`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_undescribed: Option<String>,
    /// Expected → live: `+` only live, `-` only expected, `~` changed.
    pub differences: Vec<Difference>,
}

impl DriftReport {
    /// No difference.
    ///
    /// ```
    /// assert!(strata::drift::DriftReport::default().is_clean());
    /// ```
    pub fn is_clean(&self) -> bool {
        self.differences.is_empty()
    }
}

/// The migrations of `migrations` that the plan over `history` calls
/// applied (also renamed or modified ones: the file as it is now), in
/// their order; repeatables only when applied with their current checksum.
/// The files at and below a baseline count too: a baseline says the
/// database already holds what they make.
///
/// ```
/// use std::path::Path;
/// use strata::migration::Content;
/// use strata::source::Migrations;
/// let m = Migrations::from_files(Path::new("migrations"), vec![
///     ("V1__a.sql".into(), Content::Static(b"CREATE TABLE a (id int);")),
/// ])?;
/// // Nothing applied: nothing to replay.
/// assert!(strata::drift::applied_subset(&m, &[]).list.is_empty());
/// # Ok::<(), strata::Error>(())
/// ```
pub fn applied_subset(
    migrations: &Migrations,
    history: &[history::AppliedMigration],
) -> Migrations {
    let plan = Plan::new(&migrations.list, history, &PlanOptions::default());
    let mut keep: Vec<usize> = plan
        .entries
        .iter()
        .filter(|e| {
            matches!(
                e.state,
                State::Applied
                    | State::Renamed
                    | State::Modified
                    | State::Baseline
                    | State::BelowBaseline
            )
        })
        .filter_map(|e| e.migration)
        .collect();
    keep.sort_unstable();
    Migrations {
        list: keep
            .into_iter()
            .map(|i| migrations.list[i].clone())
            .collect(),
        warnings: Vec::new(),
    }
}

/// Applies `migrations` to the (empty) shadow with the normal migrator
/// and snapshots the result: the schema they are expected to produce.
///
/// # Errors
///
/// A migration that fails in the shadow ([`Error::Sql`] …), [`Error::Db`].
pub async fn expected_schema(
    shadow: &Client,
    migrations: &Migrations,
    table: &TableName,
    scope: &Scope,
    placeholders: Option<&Placeholders>,
) -> Result<Snapshot, Error> {
    let options = MigrateOptions {
        placeholders: placeholders.cloned(),
        ..MigrateOptions::default()
    };
    Migrator::new(migrations, table.clone())
        .with_options(options)
        .run(shadow, &mut |_| {})
        .await?;
    crate::schema::snapshot(shadow, scope).await
}

/// Compares the live database on `live` with the schema its applied
/// migrations build in `shadow` (dropped afterwards).
///
/// ```no_run
/// # async fn f(project: &strata::config::Project, env: &strata::config::ResolvedEnv,
/// #            live: &tokio_postgres::Client) -> Result<(), strata::Error> {
/// let db = &project.databases()[0];
/// let migrations = strata::Migrations::from_dir(&db.migrations)?;
/// let shadow = strata::shadow::Shadow::create(project, env, db).await?;
/// let report = strata::drift::drift(live, shadow, &migrations, db, None).await?;
/// for d in &report.differences {
///     println!("{d}"); // "+ index public.orders_customer_idx"
/// }
/// # Ok(()) }
/// ```
///
/// # Errors
///
/// As [`expected_schema`] and [`crate::schema::snapshot`].
pub async fn drift(
    live: &Client,
    shadow: Shadow,
    migrations: &Migrations,
    db: &crate::config::DatabaseConfig,
    placeholders: Option<&Placeholders>,
) -> Result<DriftReport, Error> {
    let scope = Scope::of(db);
    let history = match history::read(live, &db.history_table).await {
        Ok(h) => h,
        Err(e) => {
            let _ = shadow.discard().await;
            return Err(e);
        }
    };
    let history_missing = history.is_none();
    let history = history.unwrap_or_default();
    let applied = applied_subset(migrations, &history);
    let baseline_undescribed = undescribed_baseline(&history, &applied);
    // The live snapshot is read while the shadow replays: two sessions,
    // two servers (or two backends of one).
    let (live_schema, expected) = futures_util::future::join(
        crate::schema::snapshot(live, &scope),
        shadow.run(async |client| {
            expected_schema(client, &applied, &db.history_table, &scope, placeholders).await
        }),
    )
    .await;
    let (live_schema, expected) = (live_schema?, expected?);
    Ok(DriftReport {
        history_missing,
        replayed: applied.list.iter().map(|m| m.script.clone()).collect(),
        baseline_undescribed,
        differences: expected.diff(&live_schema),
    })
}

/// The version of the history's latest baseline when no replayed file is
/// at or below it (a database adopted as it was, `baseline_on_migrate`'s
/// version 0): the shadow cannot know what that baseline stands for.
fn undescribed_baseline(
    history: &[history::AppliedMigration],
    replayed: &Migrations,
) -> Option<String> {
    let baseline = history
        .iter()
        .filter(|r| r.kind == history::RowKind::Baseline)
        .filter_map(|r| r.version.as_ref())
        .max()?;
    let described = replayed
        .list
        .iter()
        .filter_map(|m| m.version.as_ref())
        .any(|v| v <= baseline);
    (!described).then(|| baseline.to_string())
}

/// Compares the live database with a committed dump instead: no shadow.
///
/// ```no_run
/// # async fn f(live: &tokio_postgres::Client) -> Result<(), strata::Error> {
/// use strata::schema::{Dump, Scope};
/// let dump = Dump::read("db/schema.sql".as_ref())?;
/// let report = strata::drift::against(live, &dump.snapshot, &Scope::new(["public"])).await?;
/// assert!(report.replayed.is_empty());
/// # Ok(()) }
/// ```
///
/// # Errors
///
/// As [`crate::schema::snapshot`].
pub async fn against(live: &Client, dump: &Snapshot, scope: &Scope) -> Result<DriftReport, Error> {
    let history_missing = history::read(live, &scope.history_table).await?.is_none();
    let live_schema = crate::schema::snapshot(live, scope).await?;
    Ok(DriftReport {
        history_missing,
        replayed: Vec::new(),
        baseline_undescribed: None,
        differences: dump.diff(&live_schema),
    })
}
