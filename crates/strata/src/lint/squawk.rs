//! The bridge to squawk-linter: runs the squawk rules that are on over a
//! part, with squawk's in-transaction assumption set from strata's own
//! knowledge of how the migration runs, and turns its violations into
//! [`Hit`]s under strata's rule ids. squawk's message becomes the finding's
//! why; its help (or strata's text when it has none) the suggestion.

use squawk_linter::{Linter, LinterSettings, Rule as Squawk};

use super::hit::Hit;
use super::part::Part;
use super::rule::{Id, Rule};
use super::rules::Rules;

/// The violations of the squawk rules that are on.
pub(super) fn check(part: &Part<'_>, rules: &Rules) -> Vec<Hit> {
    let on = rules.squawk();
    if on.is_empty() {
        return Vec::new();
    }
    let mut linter = Linter::from(on);
    linter.settings = LinterSettings {
        assume_in_transaction: part.in_transaction,
        ..LinterSettings::default()
    };
    linter
        .lint(&part.parse, part.text)
        .into_iter()
        .map(|v| Hit {
            rule: Rule(Id::Squawk(v.code)),
            offset: usize::from(v.text_range.start()),
            why: v.message,
            suggestion: match (own_suggestion(v.code), v.help) {
                (Some(own), _) => own.to_owned(),
                (None, Some(help)) => help,
                (None, None) => fallback_suggestion(v.code).to_owned(),
            },
        })
        .collect()
}

/// strata's alternative where squawk's help leaves out how strata runs it
/// (a CONCURRENTLY statement must be alone in its migration) or the steps.
fn own_suggestion(rule: Squawk) -> Option<&'static str> {
    Some(match rule {
        Squawk::RequireConcurrentIndexCreation => {
            "use CREATE INDEX CONCURRENTLY, in a migration of its own (strata then runs it outside a transaction)"
        }
        Squawk::AddingNotNullableField => {
            "add CHECK (column IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT in a later migration, \
             then SET NOT NULL (PostgreSQL 12+ uses the valid check instead of scanning)"
        }
        _ => return None,
    })
}

/// A safe alternative for the rules whose violations carry no help.
fn fallback_suggestion(rule: Squawk) -> &'static str {
    match rule {
        Squawk::RequireConcurrentIndexDeletion => {
            "use DROP INDEX CONCURRENTLY in a migration of its own (it runs outside a transaction)"
        }
        Squawk::RequireConcurrentReindex => {
            "use REINDEX … CONCURRENTLY in a migration of its own (it runs outside a transaction)"
        }
        Squawk::RequireConcurrentPartitionDetach => {
            "use DETACH PARTITION … CONCURRENTLY in a migration of its own"
        }
        Squawk::AddingForeignKeyConstraint => {
            "add the foreign key NOT VALID, then VALIDATE CONSTRAINT in a later migration"
        }
        Squawk::ConstraintMissingNotValid => {
            "add the constraint NOT VALID, then VALIDATE CONSTRAINT in a later migration"
        }
        Squawk::ChangingColumnType => {
            "add a new column, backfill it in batches, then switch readers and drop the old one"
        }
        Squawk::RenamingColumn | Squawk::RenamingTable => {
            "add the new name beside the old (a view or a new column), move every client, then drop the old"
        }
        Squawk::BanDropColumn => {
            "stop every client reading the column first; drop it in a later release"
        }
        Squawk::BanDropTable => {
            "stop every client using the table first; drop it in a later release"
        }
        Squawk::BanDropDatabase => "drop databases by hand, outside the migrations",
        Squawk::IdentifierTooLong => "use a name of at most 63 bytes",
        Squawk::AddingSerialPrimaryKeyField => {
            "build a unique index CONCURRENTLY first, then ADD PRIMARY KEY USING INDEX"
        }
        Squawk::DisallowedUniqueConstraint => {
            "build a unique index CONCURRENTLY first, then ADD CONSTRAINT … UNIQUE USING INDEX"
        }
        _ => "see https://squawkhq.com/docs/rules",
    }
}
