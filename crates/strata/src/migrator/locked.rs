//! The first half of a run: the migration lock taken on the migrating
//! session and the history read under it ([`lock_and_read`] → [`Locked`]),
//! so a caller can read the migrations folder meanwhile. Behind a pooler
//! no session lock is taken (each migration's transaction takes its own,
//! `pooled.rs`) and the history is read as a first plan.

use tokio_postgres::Client;

use super::MigrateOptions;
use crate::error::{Error, LockHolder};
use crate::history::{self, HistoryState, TableName};
use crate::lock::{Acquired, MigrationLock, acquire_or_pooled};

/// The migration lock, held, and the history as read under it: what
/// [`Migrator::run_locked`](super::Migrator::run_locked) continues from.
///
/// # Examples
///
/// ```no_run
/// use strata::migrator::{lock_and_read, MigrateOptions, Migrator};
/// use strata::{Migrations, TableName};
/// # async fn f(client: tokio_postgres::Client) -> Result<(), Box<dyn std::error::Error>> {
/// let table = TableName::default();
/// let locked = lock_and_read(&client, &table, &MigrateOptions::default(), &mut |_| {}).await?;
/// // While `locked` lives, no other strata can migrate this database.
/// let migrations = Migrations::from_dir("migrations".as_ref())?;
/// Migrator::new(&migrations, table).run_locked(&client, locked, &mut |_| {}).await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Locked {
    /// None behind a pooler.
    lock: Option<MigrationLock>,
    history: HistoryState,
}

impl Locked {
    /// The lock and the history, for [`Migrator::run_locked`](super::Migrator::run_locked).
    pub(super) fn into_parts(self) -> (Option<MigrationLock>, HistoryState) {
        (self.lock, self.history)
    }
}

/// The first half of [`Migrator::run`](super::Migrator::run), which needs no migration files: sets
/// `client`'s session timeouts from `options.session` while taking the
/// migration lock on that session (one round trip, see
/// [`MigrationLock::acquire`]), then reads the history under the lock. A
/// caller that is still reading the migrations folder can do this
/// meanwhile, then finish with [`Migrator::run_locked`](super::Migrator::run_locked).
///
/// ```no_run
/// use strata::migrator::{MigrateOptions, Migrator, lock_and_read};
/// use strata::{Migrations, TableName};
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// # let url = std::env::var("DATABASE_URL")?;
/// let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
/// tokio::spawn(conn);
/// let options = MigrateOptions::default();
/// let table = TableName::default();
/// // The folder is read on another thread while the lock is taken.
/// let scan = tokio::task::spawn_blocking(|| Migrations::from_dir("migrations".as_ref()));
/// let locked = lock_and_read(&client, &table, &options, &mut |_| {}).await?;
/// let migrations = scan.await??;
/// let report = Migrator::new(&migrations, table)
///     .with_options(options)
///     .run_locked(&client, locked, &mut |_| {})
///     .await?;
/// println!("{} applied", report.executed.len());
/// # Ok(()) }
/// ```
///
/// # Errors
/// As [`MigrationLock::acquire`] and [`history::read_state`]. On error the
/// lock is released.
pub async fn lock_and_read(
    client: &Client,
    table: &TableName,
    options: &MigrateOptions,
    on_wait: &mut dyn FnMut(&LockHolder),
) -> Result<Locked, Error> {
    let lock = match acquire_or_pooled(client, table, &options.session, on_wait).await? {
        Acquired::Held(lock) => lock,
        Acquired::Pooled => {
            let history = history::read_state(client, table).await?;
            return Ok(Locked {
                lock: None,
                history,
            });
        }
    };
    match history::read_state(client, table).await {
        Ok(history) => Ok(Locked {
            lock: Some(lock),
            history,
        }),
        Err(e) => lock.release_after(client, Err(e)).await,
    }
}
