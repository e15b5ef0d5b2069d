//! The shortcut of `migrate`'s lint check (SPEC §8): with the default
//! severities, the only error-level rules a file can break are strata's
//! transaction rules, and each of them needs a statement that starts with,
//! or holds, one of a few words. A file without any of those words cannot
//! have an error finding, so the check need not parse it (squawk's parser
//! is most of lint's cost: about 40 µs a file).
//!
//! The words are looked for anywhere, case-insensitively, comments and
//! strings included: a word in a comment makes the file parsed for nothing,
//! never skipped wrongly. Any other rule set to `error` in strata.toml
//! turns the shortcut off.

use super::rule::{Id, Own};
use super::rules::Rules;
use super::severity::Severity;

/// What each shortcut rule needs in the text:
/// - `transaction-control`: the first word of a statement
///   [`is_transaction_control`](crate::sql::is_transaction_control) accepts;
/// - `enum-value-used-in-transaction`: `ALTER TYPE … ADD VALUE`;
/// - `concurrently-in-transaction`, `non-transactional-in-transaction`:
///   the statements of [`NonTransactional`](crate::sql::NonTransactional)
///   (the load refuses such a file before lint anyway).
const WORDS: [&str; 13] = [
    "begin",
    "commit",
    "end",
    "abort",
    "start",
    "prepare",
    "rollback",
    "value",
    "concurrently",
    "vacuum",
    "database",
    "system",
    "tablespace",
];

/// Whether every rule at error level is one the shortcut knows (the
/// `--base` rules are never found by [`Linter::lint`](super::Linter::lint)).
pub(super) fn applies(rules: &Rules) -> bool {
    rules.at(Severity::Error).iter().all(|r| {
        matches!(
            r.0,
            Id::Strata(
                Own::ConcurrentlyInTransaction
                    | Own::NonTransactionalInTransaction
                    | Own::TransactionControl
                    | Own::EnumValueUsedInTransaction
                    | Own::VersionBelowBase
                    | Own::EditedMigration
            )
        )
    })
}

/// Whether `text` holds none of the words: no error finding is possible.
pub(super) fn cannot_err(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    let has = |word: &str| memchr::memmem::find(lower.as_bytes(), word.as_bytes()).is_some();
    !WORDS.iter().any(|w| has(w))
}
