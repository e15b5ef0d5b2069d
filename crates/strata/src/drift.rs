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

use crate::error::{Error, first_line};
use crate::history::{self, TableName};
use crate::migration::Placeholders;
use crate::migrator::{MigrateOptions, Migrator};
use crate::plan::{Plan, PlanOptions, State};
use crate::schema::{Difference, Scope, Snapshot};
use crate::shadow::{Shadow, ShadowHost, ShadowServer};
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
    replayer(migrations, table, placeholders)
        .run(shadow, &mut |_| {})
        .await?;
    crate::schema::snapshot(shadow, scope).await
}

/// The migrator a shadow replays with: the normal one, the database's
/// history table and placeholders, default options otherwise.
fn replayer<'m>(
    migrations: &'m Migrations,
    table: &TableName,
    placeholders: Option<&Placeholders>,
) -> Migrator<'m> {
    let options = MigrateOptions {
        placeholders: placeholders.cloned(),
        ..MigrateOptions::default()
    };
    Migrator::new(migrations, table.clone()).with_options(options)
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
    let live_history = match LiveHistory::read(live, db, migrations).await {
        Ok(h) => h,
        Err(e) => {
            let _ = shadow.discard().await;
            return Err(e);
        }
    };
    let scope = Scope::of(db);
    let (live_schema, expected) = in_scratch(
        live,
        shadow,
        &live_history.applied,
        db,
        &scope,
        placeholders,
        None,
    )
    .await?;
    Ok(live_history.report(&expected, &live_schema))
}

/// What the live history says: whether it exists, and what it applied.
struct LiveHistory {
    missing: bool,
    rows: Vec<history::AppliedMigration>,
    applied: Migrations,
}

impl LiveHistory {
    async fn read(
        live: &Client,
        db: &crate::config::DatabaseConfig,
        migrations: &Migrations,
    ) -> Result<LiveHistory, Error> {
        let rows = history::read(live, &db.history_table).await?;
        let missing = rows.is_none();
        let rows = rows.unwrap_or_default();
        let applied = applied_subset(migrations, &rows);
        Ok(LiveHistory {
            missing,
            rows,
            applied,
        })
    }

    /// Expected → live.
    fn report(&self, expected: &Snapshot, live_schema: &Snapshot) -> DriftReport {
        DriftReport {
            history_missing: self.missing,
            replayed: self.applied.list.iter().map(|m| m.script.clone()).collect(),
            baseline_undescribed: undescribed_baseline(&self.rows, &self.applied),
            differences: expected.diff(live_schema),
        }
    }
}

/// The expected schema built in `shadow` (dropped afterwards), and the live
/// one: read meanwhile — two sessions, two servers (or two backends of
/// one) — unless `live_schema` was read already.
async fn in_scratch(
    live: &Client,
    shadow: Shadow,
    applied: &Migrations,
    db: &crate::config::DatabaseConfig,
    scope: &Scope,
    placeholders: Option<&Placeholders>,
    live_schema: Option<Snapshot>,
) -> Result<(Snapshot, Snapshot), Error> {
    let build = shadow.run(async |client| {
        expected_schema(client, applied, &db.history_table, scope, placeholders).await
    });
    match live_schema {
        Some(l) => Ok((l, build.await?)),
        None => {
            let (l, e) =
                futures_util::future::join(crate::schema::snapshot(live, scope), build).await;
            Ok((l?, e?))
        }
    }
}

/// Where [`drift_on`] builds the expected schema.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Building<'a> {
    /// In one transaction on the shadow server's own database, rolled
    /// back afterwards ([`ShadowHost::in_place`]).
    RolledBack {
        /// The database (`postgres` on the local cluster).
        database: &'a str,
        /// Its server.
        server: &'a ShadowServer,
    },
    /// In a scratch database, dropped afterwards.
    Scratch {
        /// Its name (`strata_shadow_…`).
        name: &'a str,
        /// Its server.
        server: &'a ShadowServer,
        /// Why not in one transaction, when that was tried and failed.
        after: Option<&'a str>,
    },
}

impl std::fmt::Display for Building<'_> {
    /// ```
    /// use strata::drift::Building;
    /// use strata::shadow::ShadowServer;
    /// let local = ShadowServer::LocalCluster { started: false };
    /// let b = Building::RolledBack { database: "postgres", server: &local };
    /// assert_eq!(
    ///     b.to_string(),
    ///     "in one transaction in database postgres on the local cluster, rolled back afterwards"
    /// );
    /// ```
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Building::RolledBack { database, server } => write!(
                f,
                "in one transaction in database {database} on {server}, rolled back afterwards"
            ),
            Building::Scratch { name, server, .. } => {
                write!(f, "in scratch database {name} on {server}")
            }
        }
    }
}

/// [`drift`] from the shadow server alone: builds the expected schema in
/// one transaction on the server's own database, rolled back afterwards,
/// when [`ShadowHost::in_place`] allows it and no replayed migration runs
/// outside a transaction; else — and when that replay fails (a migration
/// that needs the one before it committed, such as a use of an enum label
/// added there) — in a scratch database, as [`drift`] does. The live
/// history is read first, so a failure there creates nothing. `on_build`
/// hears where, before the replay.
///
/// ```no_run
/// # async fn f(project: &strata::config::Project, env: &strata::config::ResolvedEnv,
/// #            live: &tokio_postgres::Client) -> Result<(), strata::Error> {
/// let db = &project.databases()[0];
/// let migrations = strata::Migrations::from_dir(&db.migrations)?;
/// let host = strata::shadow::Shadow::connect_server(project, env, db).await?;
/// let report = strata::drift::drift_on(live, host, &migrations, db, None, &mut |b| {
///     eprintln!("building the expected schema {b}");
/// })
/// .await?;
/// assert!(report.is_clean());
/// # Ok(()) }
/// ```
///
/// # Errors
///
/// As [`drift`]; a migration's failure is the scratch database's.
pub async fn drift_on(
    live: &Client,
    host: ShadowHost,
    migrations: &Migrations,
    db: &crate::config::DatabaseConfig,
    placeholders: Option<&Placeholders>,
    on_build: &mut dyn FnMut(Building<'_>),
) -> Result<DriftReport, Error> {
    let live_history = LiveHistory::read(live, db, migrations).await?;
    let applied = &live_history.applied;
    let scope = Scope::of(db);
    let mut live_schema = None;
    let mut failed = None;
    let in_place = if applied.list.iter().any(|m| m.no_transaction()) {
        None
    } else {
        host.in_place().await
    };
    if let Some(place) = in_place {
        on_build(Building::RolledBack {
            database: place.database(),
            server: place.server(),
        });
        let migrator = replayer(applied, &db.history_table, placeholders);
        let (live_read, expected) = futures_util::future::join(
            crate::schema::snapshot(live, &scope),
            place.run(async |client| {
                migrator.apply_uncommitted(client).await?;
                crate::schema::snapshot_in_transaction(client, &scope).await
            }),
        )
        .await;
        let live_read = live_read?;
        match expected {
            Ok(expected) => return Ok(live_history.report(&expected, &live_read)),
            Err(e) if crate::interrupt::requested() => return Err(e),
            Err(e) => {
                failed = Some(first_line(&e.to_string()).to_owned());
                live_schema = Some(live_read);
            }
        }
    }
    // An interrupt during the check or the replay in place: nothing more.
    crate::interrupt::check()?;
    let shadow = host.create().await?;
    on_build(Building::Scratch {
        name: shadow.name(),
        server: shadow.server(),
        after: failed.as_deref(),
    });
    let (live_schema, expected) =
        in_scratch(live, shadow, applied, db, &scope, placeholders, live_schema).await?;
    Ok(live_history.report(&expected, &live_schema))
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
