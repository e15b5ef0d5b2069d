//! [`LockHolder`]: who holds the migration lock, as `pg_stat_activity` tells.

use std::fmt;

/// The session holding the migration lock, from `pg_stat_activity`.
///
/// Reported by [`super::Error::LockTimeout`], and to the `on_wait` callback of
/// `strata::lock::MigrationLock::acquire` while strata waits:
///
/// ```
/// use strata::error::LockHolder;
///
/// let holder = LockHolder { pid: 4242, application_name: "strata".into(), since: "2025-06-01T09:30:00Z".into() };
/// assert_eq!(holder.to_string(), "pid 4242 (strata) since 2025-06-01T09:30:00Z");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockHolder {
    /// Backend pid.
    pub pid: i32,
    /// Its `application_name`.
    pub application_name: String,
    /// When that session started (for another strata: its migrating session).
    pub since: String,
}

impl fmt::Display for LockHolder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "pid {} ({}) since {}",
            self.pid, self.application_name, self.since
        )
    }
}
