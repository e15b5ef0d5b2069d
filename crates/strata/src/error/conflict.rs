//! [`Conflict`]: what a migration conflicts with in the options of a run.

use std::fmt;

/// Why a migration cannot run with the options given, as data
/// (see [`super::Error::Conflict`]).
///
/// ```
/// use strata::error::Conflict;
/// assert_eq!(
///     Conflict::NoTransactionInSingleTransaction.to_string(),
///     "is a no-transaction migration and cannot run with --single-transaction; run without it"
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Conflict {
    /// The file is marked `-- strata:no-transaction`, and the run is
    /// `--single-transaction`: one transaction cannot hold it.
    NoTransactionInSingleTransaction,
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Conflict::NoTransactionInSingleTransaction => f.write_str(
                "is a no-transaction migration and cannot run with --single-transaction; run without it",
            ),
        }
    }
}
