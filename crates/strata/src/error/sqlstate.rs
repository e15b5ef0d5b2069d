//! [`SqlState`]: a PostgreSQL error code as a type, with the predicates
//! strata and its callers act on.
//!
//! It wraps the driver's own [`tokio_postgres::error::SqlState`] (so every
//! code PostgreSQL defines is known, and a code from the server converts
//! without a table of our own) and prints as the 5-character code.

use std::fmt;

use tokio_postgres::error::SqlState as Driver;

/// A SQLSTATE, e.g. `42P01` (undefined_table); see
/// <https://www.postgresql.org/docs/current/errcodes-appendix.html>.
///
/// Prints as its code, compares with a `&str`, and answers the questions
/// callers ask about an error:
///
/// ```
/// use strata::error::SqlState;
///
/// let code = SqlState::from("55P03");
/// assert!(code.is_lock_not_available());
/// assert_eq!(code, SqlState::LOCK_NOT_AVAILABLE);
/// assert_eq!(code, "55P03");
/// assert_eq!(code.to_string(), "55P03");
/// assert!(!SqlState::from("42P01").is_query_canceled());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct SqlState(Driver);

impl SqlState {
    /// `55P03` lock_not_available: `lock_timeout` expired, or `NOWAIT` failed.
    pub const LOCK_NOT_AVAILABLE: SqlState = SqlState(Driver::LOCK_NOT_AVAILABLE);
    /// `57014` query_canceled: `statement_timeout` expired, or the query was cancelled.
    pub const QUERY_CANCELED: SqlState = SqlState(Driver::QUERY_CANCELED);
    /// `25006` read_only_sql_transaction: a write on a read-only server or transaction.
    pub const READ_ONLY_SQL_TRANSACTION: SqlState = SqlState(Driver::READ_ONLY_SQL_TRANSACTION);
    /// `53300` too_many_connections.
    pub const TOO_MANY_CONNECTIONS: SqlState = SqlState(Driver::TOO_MANY_CONNECTIONS);
    /// `40001` serialization_failure.
    pub const SERIALIZATION_FAILURE: SqlState = SqlState(Driver::T_R_SERIALIZATION_FAILURE);
    /// `40P01` deadlock_detected.
    pub const DEADLOCK_DETECTED: SqlState = SqlState(Driver::T_R_DEADLOCK_DETECTED);
    /// `42P01` undefined_table.
    pub const UNDEFINED_TABLE: SqlState = SqlState(Driver::UNDEFINED_TABLE);

    /// The 5-character code.
    ///
    /// ```
    /// assert_eq!(strata::error::SqlState::QUERY_CANCELED.as_str(), "57014");
    /// ```
    pub fn as_str(&self) -> &str {
        self.0.code()
    }

    /// `55P03`: a lock was not granted within `lock_timeout` (or `NOWAIT`).
    ///
    /// ```
    /// assert!(strata::error::SqlState::from("55P03").is_lock_not_available());
    /// ```
    pub fn is_lock_not_available(&self) -> bool {
        *self == Self::LOCK_NOT_AVAILABLE
    }

    /// `55P03`, named for the setting that causes it: `lock_timeout` expired.
    ///
    /// ```
    /// assert!(strata::error::SqlState::LOCK_NOT_AVAILABLE.is_lock_timeout());
    /// ```
    pub fn is_lock_timeout(&self) -> bool {
        self.is_lock_not_available()
    }

    /// `57014`: `statement_timeout` expired, or the query was cancelled.
    ///
    /// ```
    /// assert!(strata::error::SqlState::from("57014").is_query_canceled());
    /// ```
    pub fn is_query_canceled(&self) -> bool {
        *self == Self::QUERY_CANCELED
    }

    /// `25006`: a write on a read-only server (a standby) or in a read-only transaction.
    ///
    /// ```
    /// assert!(strata::error::SqlState::from("25006").is_read_only());
    /// ```
    pub fn is_read_only(&self) -> bool {
        *self == Self::READ_ONLY_SQL_TRANSACTION
    }

    /// `53300`: the server has no connection slot left.
    ///
    /// ```
    /// assert!(strata::error::SqlState::from("53300").is_too_many_connections());
    /// ```
    pub fn is_too_many_connections(&self) -> bool {
        *self == Self::TOO_MANY_CONNECTIONS
    }

    /// `40001`: a serializable transaction could not be serialized; retrying may succeed.
    ///
    /// ```
    /// assert!(strata::error::SqlState::from("40001").is_serialization_failure());
    /// ```
    pub fn is_serialization_failure(&self) -> bool {
        *self == Self::SERIALIZATION_FAILURE
    }

    /// `40P01`: the server broke a deadlock by cancelling this transaction.
    ///
    /// ```
    /// assert!(strata::error::SqlState::from("40P01").is_deadlock());
    /// ```
    pub fn is_deadlock(&self) -> bool {
        *self == Self::DEADLOCK_DETECTED
    }
}

impl From<&str> for SqlState {
    /// Any code, known to the driver or not.
    ///
    /// ```
    /// assert_eq!(strata::error::SqlState::from("XX000").as_str(), "XX000");
    /// ```
    fn from(code: &str) -> Self {
        SqlState(Driver::from_code(code))
    }
}

impl From<&Driver> for SqlState {
    /// The code of a server error as the driver reports it.
    ///
    /// ```
    /// use strata::error::SqlState;
    /// let driver = &tokio_postgres::error::SqlState::QUERY_CANCELED;
    /// assert!(SqlState::from(driver).is_query_canceled());
    /// ```
    fn from(code: &Driver) -> Self {
        SqlState(code.clone())
    }
}

impl fmt::Display for SqlState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for SqlState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SqlState({:?})", self.as_str())
    }
}

impl std::hash::Hash for SqlState {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialEq<str> for SqlState {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for SqlState {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}
