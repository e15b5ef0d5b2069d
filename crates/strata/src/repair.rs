//! `repair`: the one command allowed to rewrite the history (SPEC §3).
//!
//! It does two things, in one transaction, under the migration lock:
//!
//! - removes the rows of failed runs (`success = false`), so a fixed file is
//!   re-run from its first statement by the next `migrate` (the alternative
//!   for a no-transaction migration is `migrate --resume`, which keeps the
//!   failed row and continues at the failed statement);
//! - with `accept_checksums`, records the files' current checksums for
//!   `modified` migrations: an `UPDATE` of the checksum of the row that
//!   decides the version's state (its latest row), nothing else. The old and
//!   new checksums are returned so the CLI can print exactly what changed.
//!
//! Repeatables whose file changed are not `modified` (they are `pending`,
//! and `migrate` re-runs them), so repair leaves them alone, as it does rows
//! whose file is missing.
//!
//! [`what_to_repair`] decides all of this without a database, so the
//! examples below run as they are: `from_files` is
//! [`Migrations::from_files`] over texts in memory, returning its `list`,
//! and `applied(rank, &m)` the history row of a successful run of `m`.

use tokio_postgres::Client;
use tokio_postgres::types::Type;

use crate::error::{Error, LockHolder};
use crate::history::{self, AppliedMigration, TableName};
use crate::lock::{Session, with_lock};
use crate::migration::{Checksum, Version};
use crate::plan::{Plan, PlanOptions, State};
use crate::source::Migrations;

/// Options of a repair.
///
/// ```
/// use strata::repair::{RepairOptions, what_to_repair};
/// # use strata::{history::{AppliedMigration, RowKind}, migration::{Content, Migration}, source::Migrations};
/// # fn from_files(list: &[(&str, &'static str)]) -> Vec<Migration> {
/// #     let list = list.iter().map(|(n, t)| (n.to_string(), Content::Static(t.as_bytes())));
/// #     Migrations::from_files("migrations".as_ref(), list.collect()).unwrap().list
/// # }
/// # fn applied(rank: i32, m: &Migration) -> AppliedMigration {
/// #     AppliedMigration { installed_rank: rank, version: m.version.clone(),
/// #         description: m.description.clone(), kind: RowKind::Versioned, script: m.script.clone(),
/// #         checksum: Some(m.checksum), applied_by: "app".into(),
/// #         applied_at: strata::history::Timestamp::from_unix_secs(1_735_689_600), execution_ms: 3, success: true, progress: None }
/// # }
/// let before = from_files(&[("V1__users.sql", "CREATE TABLE users (id int);")]);
/// let history = [applied(1, &before[0])];
/// let now = from_files(&[("V1__users.sql", "CREATE TABLE users (id bigint);")]); // edited
///
/// let plain = what_to_repair(&now, &history, &RepairOptions::default());
/// assert!(plain.is_noop());
/// assert_eq!(plain.still_modified, ["V1__users.sql"]);
///
/// // `strata repair --accept-checksums`
/// let accept = RepairOptions { accept_checksums: true, ..RepairOptions::default() };
/// assert_eq!(what_to_repair(&now, &history, &accept).accepted.len(), 1);
/// ```
#[derive(Clone, Debug)]
pub struct RepairOptions {
    /// Also record the current checksums of modified migrations.
    pub accept_checksums: bool,
    /// Report what would change; change nothing, take no lock.
    pub dry_run: bool,
    /// The lock wait and the session's `lock_timeout` / `statement_timeout`.
    pub session: Session,
}

impl Default for RepairOptions {
    /// Failed rows only, the default [`Session`] (60 s lock wait).
    ///
    /// ```
    /// assert!(!strata::repair::RepairOptions::default().accept_checksums);
    /// ```
    fn default() -> Self {
        RepairOptions {
            accept_checksums: false,
            dry_run: false,
            session: Session::default(),
        }
    }
}

/// A checksum that repair recorded (or would record).
///
/// ```
/// use strata::repair::{RepairOptions, what_to_repair};
/// # use strata::{history::{AppliedMigration, RowKind}, migration::{Content, Migration}, source::Migrations};
/// # fn from_files(list: &[(&str, &'static str)]) -> Vec<Migration> {
/// #     let list = list.iter().map(|(n, t)| (n.to_string(), Content::Static(t.as_bytes())));
/// #     Migrations::from_files("migrations".as_ref(), list.collect()).unwrap().list
/// # }
/// # fn applied(rank: i32, m: &Migration) -> AppliedMigration {
/// #     AppliedMigration { installed_rank: rank, version: m.version.clone(),
/// #         description: m.description.clone(), kind: RowKind::Versioned, script: m.script.clone(),
/// #         checksum: Some(m.checksum), applied_by: "app".into(),
/// #         applied_at: strata::history::Timestamp::from_unix_secs(1_735_689_600), execution_ms: 3, success: true, progress: None }
/// # }
/// let before = from_files(&[("V1__users.sql", "CREATE TABLE users (id int);")]);
/// let now = from_files(&[("V1__users.sql", "CREATE TABLE users (id bigint);")]);
/// let accept = RepairOptions { accept_checksums: true, ..RepairOptions::default() };
/// let report = what_to_repair(&now, &[applied(1, &before[0])], &accept);
/// let change = &report.accepted[0];
/// assert_eq!((change.installed_rank, change.version.to_string()), (1, "1".to_owned()));
/// assert_eq!(change.old, Some(before[0].checksum));
/// assert_eq!(change.new, now[0].checksum);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChecksumChange {
    /// The history row updated.
    pub installed_rank: i32,
    /// Its version.
    pub version: Version,
    /// The file.
    pub script: String,
    /// The checksum the history had.
    pub old: Option<Checksum>,
    /// The file's checksum, now in the history.
    pub new: Checksum,
}

/// What a repair changed (or, dry, would change).
///
/// ```
/// use strata::repair::{RepairOptions, what_to_repair};
/// # use strata::{history::{AppliedMigration, RowKind}, migration::{Content, Migration}, source::Migrations};
/// # fn from_files(list: &[(&str, &'static str)]) -> Vec<Migration> {
/// #     let list = list.iter().map(|(n, t)| (n.to_string(), Content::Static(t.as_bytes())));
/// #     Migrations::from_files("migrations".as_ref(), list.collect()).unwrap().list
/// # }
/// # fn applied(rank: i32, m: &Migration) -> AppliedMigration {
/// #     AppliedMigration { installed_rank: rank, version: m.version.clone(),
/// #         description: m.description.clone(), kind: RowKind::Versioned, script: m.script.clone(),
/// #         checksum: Some(m.checksum), applied_by: "app".into(),
/// #         applied_at: strata::history::Timestamp::from_unix_secs(1_735_689_600), execution_ms: 3, success: true, progress: None }
/// # }
/// let files = from_files(&[("V1__a.sql", "SELECT 1;"), ("V2__b.sql", "SELECT 2;")]);
/// // V2 failed (a no-transaction migration leaves a row with success = false).
/// let mut failed = applied(2, &files[1]);
/// failed.success = false;
/// let report = what_to_repair(&files, &[applied(1, &files[0]), failed], &RepairOptions::default());
/// assert_eq!(report.removed.len(), 1);
/// assert_eq!(report.removed[0].script, "V2__b.sql");
/// assert!(!report.is_noop() && report.accepted.is_empty());
/// ```
#[derive(Clone, Debug, Default)]
pub struct RepairReport {
    /// Failed rows deleted.
    pub removed: Vec<AppliedMigration>,
    /// Checksums recorded.
    pub accepted: Vec<ChecksumChange>,
    /// Modified migrations left as they are (no `accept_checksums`).
    pub still_modified: Vec<String>,
    /// True for a dry run.
    pub dry_run: bool,
}

impl RepairReport {
    /// True when there was nothing to change.
    ///
    /// ```
    /// assert!(strata::repair::RepairReport::default().is_noop());
    /// ```
    pub fn is_noop(&self) -> bool {
        self.removed.is_empty() && self.accepted.is_empty()
    }
}

/// Works out what repair changes. Pure: no database.
///
/// ```
/// use strata::repair::{RepairOptions, what_to_repair};
/// let r = what_to_repair(&[], &[], &RepairOptions::default());
/// assert!(r.is_noop());
/// ```
pub fn what_to_repair(
    migrations: &[crate::migration::Migration],
    history: &[AppliedMigration],
    options: &RepairOptions,
) -> RepairReport {
    let removed: Vec<AppliedMigration> = history.iter().filter(|r| !r.success).cloned().collect();
    // States once the failed rows are gone: an older successful row may then
    // decide a version, and its checksum may differ from the file.
    let kept: Vec<AppliedMigration> = history.iter().filter(|r| r.success).cloned().collect();
    let plan = Plan::new(migrations, &kept, &PlanOptions::default());
    let mut accepted = Vec::new();
    let mut still_modified = Vec::new();
    for e in plan.entries.iter().filter(|e| e.state == State::Modified) {
        let (Some(row), Some(new), Some(version)) = (&e.applied, &e.checksum, &e.version) else {
            continue;
        };
        if options.accept_checksums {
            accepted.push(ChecksumChange {
                installed_rank: row.installed_rank,
                version: version.clone(),
                script: e.script.clone(),
                old: row.checksum,
                new: *new,
            });
        } else {
            still_modified.push(e.script.clone());
        }
    }
    RepairReport {
        removed,
        accepted,
        still_modified,
        dry_run: options.dry_run,
    }
}

/// Repairs the history of one database, holding the migration lock on
/// `client`'s session ([`with_lock`]).
///
/// ```no_run
/// # async fn f(client: tokio_postgres::Client) -> Result<(), strata::Error> {
/// use strata::repair::{RepairOptions, repair};
/// let migrations = strata::Migrations::from_dir("migrations".as_ref())?;
/// let opts = RepairOptions { accept_checksums: true, ..Default::default() };
/// let report = repair(&client, &strata::TableName::default(), &migrations, &opts, &mut |_| {}).await?;
/// for c in &report.accepted {
///     let old = c.old.map_or("none".to_owned(), |old| old.to_hex());
///     println!("{}: {old} -> {}", c.script, c.new);
/// }
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`Error::LockTimeout`], [`Error::Db`] (the transaction was rolled back:
/// nothing changed).
pub async fn repair(
    client: &Client,
    table: &TableName,
    migrations: &Migrations,
    options: &RepairOptions,
    on_wait: &mut dyn FnMut(&LockHolder),
) -> Result<RepairReport, Error> {
    if options.dry_run {
        let history = history::read(client, table).await?.unwrap_or_default();
        return Ok(what_to_repair(&migrations.list, &history, options));
    }
    with_lock(client, table, &options.session, on_wait, async |client| {
        locked(client, table, migrations, options).await
    })
    .await
}

async fn locked(
    client: &Client,
    table: &TableName,
    migrations: &Migrations,
    options: &RepairOptions,
) -> Result<RepairReport, Error> {
    let Some(history) = history::read(client, table).await? else {
        return Ok(RepairReport::default());
    };
    let report = what_to_repair(&migrations.list, &history, options);
    if report.is_noop() {
        return Ok(report);
    }
    let ctx = |e| Error::db(format!("cannot repair {table}; nothing was changed"), e);
    client.batch_execute("BEGIN").await.map_err(ctx)?;
    let result: Result<(), tokio_postgres::Error> = async {
        let delete = format!("DELETE FROM {} WHERE installed_rank = $1", table.quoted());
        for r in &report.removed {
            client
                .query_typed(&delete, &[(&r.installed_rank, Type::INT4)])
                .await?;
        }
        let update = format!(
            "UPDATE {} SET checksum = $1 WHERE installed_rank = $2",
            table.quoted()
        );
        for c in &report.accepted {
            client
                .query_typed(
                    &update,
                    &[
                        (&c.new.to_hex(), Type::TEXT),
                        (&c.installed_rank, Type::INT4),
                    ],
                )
                .await?;
        }
        client.batch_execute("COMMIT").await
    }
    .await;
    if let Err(e) = result {
        let _ = client.batch_execute("ROLLBACK").await;
        return Err(ctx(e));
    }
    Ok(report)
}
