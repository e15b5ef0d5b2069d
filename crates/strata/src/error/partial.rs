//! [`Partial`]: a run that failed after it changed the database, carrying
//! the report of what it did before the failure.
//!
//! The report's type belongs to the operation that ran (`migrate`'s
//! `Report`, `rollback`'s `RollbackReport`), whose modules import this one;
//! it is held here without naming it, so the error type imports none of
//! them, and each operation adds its own typed accessor to [`Error`].

use std::any::Any;
use std::fmt;

use super::Error;

/// The error of a run that failed partway, and the report of what it did.
///
/// Its `Display` and `source()` are the error's own, so it prints as if it
/// were not there; get the report with `Error::report` (migrate) or
/// `Error::rollback_report` (rollback), the error with [`Partial::error`]:
///
/// ```
/// use strata::Error;
/// # fn failed_run() -> Error { Error::Internal { what: "example" } }
/// let err = failed_run(); // as returned by `Migrator::run`
/// let cause = match &err {
///     Error::Partial(p) => p.error(),
///     other => other,
/// };
/// assert_eq!(cause.to_string(), err.to_string());
/// ```
pub struct Partial {
    error: Error,
    report: Box<dyn Carried>,
}

/// A report of any operation: inspectable as `Any`, printable for `Debug`.
trait Carried: Any + fmt::Debug + Send + Sync {
    fn as_any(&self) -> &dyn Any;
}

impl<T: Any + fmt::Debug + Send + Sync> Carried for T {
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl Partial {
    /// `error`, after a run that did what `report` says. An error that
    /// already carries a report keeps only the newer one.
    pub(crate) fn wrap<T: Any + fmt::Debug + Send + Sync>(error: Error, report: T) -> Error {
        let error = match error {
            Error::Partial(p) => p.error,
            e => e,
        };
        Error::Partial(Box::new(Partial {
            error,
            report: Box::new(report),
        }))
    }

    /// The report, if it is a `T`.
    pub(crate) fn report<T: Any>(&self) -> Option<&T> {
        // Through the box: `Box<dyn Carried>` is itself a `Carried`.
        (*self.report).as_any().downcast_ref()
    }

    /// The error, changed by `f`; the report stays.
    pub(crate) fn map_error(mut self: Box<Self>, f: impl FnOnce(Error) -> Error) -> Error {
        let error = std::mem::replace(&mut self.error, Error::Interrupted);
        self.error = f(error);
        Error::Partial(self)
    }

    /// The error the run failed with.
    ///
    /// ```
    /// use strata::Error;
    /// # let err = Error::Internal { what: "example" };
    /// if let Error::Partial(p) = &err {
    ///     assert!(p.error().as_sql().is_some() || p.error().as_sql().is_none());
    /// }
    /// ```
    pub fn error(&self) -> &Error {
        &self.error
    }

    /// The error the run failed with, by value.
    ///
    /// ```
    /// use strata::Error;
    /// # let err = Error::Internal { what: "example" };
    /// let cause: Error = match err {
    ///     Error::Partial(p) => p.into_error(),
    ///     other => other,
    /// };
    /// # let _ = cause;
    /// ```
    pub fn into_error(self) -> Error {
        self.error
    }
}

impl fmt::Debug for Partial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Partial")
            .field("error", &self.error)
            .field("report", &self.report)
            .finish()
    }
}

impl fmt::Display for Partial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl std::error::Error for Partial {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.source()
    }
}
