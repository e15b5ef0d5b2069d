//! The lint check before a run (SPEC §8): the error-level rules on what the
//! run is about to apply; any finding refuses the run before the database
//! is touched (no DDL, no history table), unless the caller left lint off
//! ([`Migrator::with_lint`](super::Migrator::with_lint), `--no-lint`).

use super::Migrator;
use crate::error::Error;
use crate::lint::{Linter, Rules};
use crate::migration::{Migration, Placeholders};
use crate::plan::Plan;

impl Migrator<'_> {
    /// With lint on, refuses `plan`'s migrations to apply when one breaks
    /// an error-level rule (the real run and the dry run alike).
    pub(super) fn refuse_by_lint(&self, plan: &Plan) -> Result<(), Error> {
        let Some(rules) = &self.lint else {
            return Ok(());
        };
        let todo: Vec<&Migration> = plan
            .to_apply
            .iter()
            .map(|i| &self.migrations.list[*i])
            .collect();
        refuse_on_errors(&todo, rules, self.options.placeholders.as_ref())
    }
}

/// Lints `todo` in order as one run, on the text that runs (`placeholders`
/// replaced); [`Error::LintRefused`] with the error-level findings.
fn refuse_on_errors(
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
