//! [`Severity`]: how serious a finding is.

use std::fmt;

/// How serious a finding is: an error makes `lint` exit 3 and `migrate`
/// refuse; a warning is shown.
///
/// ```
/// use strata::lint::Severity;
/// assert!(Severity::Error > Severity::Warning);
/// assert_eq!("error".parse::<Severity>(), Ok(Severity::Error));
/// assert_eq!(Severity::Warning.to_string(), "warning");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Shown; does not fail `lint` or stop `migrate`.
    Warning,
    /// Fails `lint` (exit 3) and stops `migrate` before it touches the database.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

impl std::str::FromStr for Severity {
    type Err = ();

    fn from_str(s: &str) -> Result<Severity, ()> {
        match s {
            "warning" => Ok(Severity::Warning),
            "error" => Ok(Severity::Error),
            _ => Err(()),
        }
    }
}
