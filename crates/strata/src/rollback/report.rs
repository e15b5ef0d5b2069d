//! [`RollbackReport`]: what a rollback did, also when it failed partway.

use super::Executed;
use crate::error::Error;
use crate::plan::Plan;

/// What a rollback did (or, dry, would do).
///
/// ```no_run
/// use strata::rollback::{Rollback, RollbackOptions, RollbackTarget};
/// use strata::TableName;
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// # let url = std::env::var("DATABASE_URL")?;
/// let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
/// tokio::spawn(connection);
/// let migrations = strata::Migrations::from_dir("migrations".as_ref())?;
/// let dry = RollbackOptions {
///     target: RollbackTarget::Steps(2),
///     dry_run: true,
///     ..Default::default()
/// };
/// let report = Rollback::new(&migrations, TableName::default())
///     .with_options(dry)
///     .run(&client, &mut |_| {})
///     .await?;
/// for i in &report.selected {
///     println!("would roll back {}", migrations.list[*i].script);
/// }
/// assert!(report.dry_run && report.rolled_back.is_empty());
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct RollbackReport {
    /// The plan before the rollback.
    pub before: Plan,
    /// Indices into the migration list, in the order their down parts run.
    pub selected: Vec<usize>,
    /// Down parts that ran, newest version first (empty for a dry run).
    pub rolled_back: Vec<Executed>,
    /// True for a dry run.
    pub dry_run: bool,
}

impl Error {
    /// What a failed `rollback` did before it failed: the versions it rolled
    /// back ([`RollbackReport::rolled_back`], which stay rolled back). Some
    /// when at least one was (the error is an [`Error::Partial`]).
    ///
    /// ```no_run
    /// use strata::rollback::{Rollback, RollbackOptions, RollbackTarget};
    /// # async fn f(client: tokio_postgres::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let migrations = strata::Migrations::from_dir("migrations".as_ref())?;
    /// let three = RollbackOptions { target: RollbackTarget::Steps(3), ..Default::default() };
    /// let rollback = Rollback::new(&migrations, strata::TableName::default()).with_options(three);
    /// if let Err(err) = rollback.run(&client, &mut |_| {}).await {
    ///     for e in err.rollback_report().map(|r| &r.rolled_back[..]).unwrap_or_default() {
    ///         eprintln!("rolled back {} before the failure", e.script);
    ///     }
    ///     return Err(err.into());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn rollback_report(&self) -> Option<&RollbackReport> {
        self.partial_report()
    }
}
