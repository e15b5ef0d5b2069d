//! The lint check before a run (SPEC §8): the error-level rules on what the
//! run is about to apply; any finding refuses the run before the database
//! is touched (no DDL, no history table), unless the caller left lint off
//! ([`Migrator::with_lint`](super::Migrator::with_lint), `--no-lint`).

use crate::error::Error;
use crate::lint::{Linter, Rules};
use crate::migration::{Migration, Placeholders};

/// Lints `todo` in order as one run, on the text that runs (`placeholders`
/// replaced); [`Error::LintRefused`] with the error-level findings.
pub(super) fn refuse_on_errors(
    todo: &[&Migration],
    rules: &Rules,
    placeholders: Option<&Placeholders>,
) -> Result<(), Error> {
    let mut linter = Linter::new(rules);
    let mut errors = Vec::new();
    for m in todo {
        errors.extend(linter.errors_of_migration(m, placeholders)?);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::LintRefused(errors))
    }
}
