//! Lint rule ids: strata's own rules and the squawk-linter rules behind
//! them ([`Rule`]), what each one is about, its default severity, and the
//! default list (which squawk rules run when strata.toml names none).
//!
//! A squawk rule keeps squawk's id (`require-concurrent-index-creation`), so
//! its documentation at <https://squawkhq.com/docs/rules> applies as is.

use std::fmt;
use std::str::FromStr;

use squawk_linter::Rule as Squawk;

use super::severity::Severity;

/// A lint rule: one of strata's own, or one of squawk-linter's.
///
/// ```
/// use strata::lint::{Rule, Severity};
/// let rule: Rule = "require-concurrent-index-creation".parse()?;
/// assert_eq!(rule.to_string(), "require-concurrent-index-creation");
/// assert_eq!(rule.default_severity(), Some(Severity::Warning));
/// let strata: Rule = "transaction-control".parse()?;
/// assert_eq!(strata.default_severity(), Some(Severity::Error));
/// // A squawk rule left out of the default list is off until strata.toml turns it on.
/// assert_eq!("prefer-robust-stmts".parse::<Rule>()?.default_severity(), None);
/// assert!("no-such-rule".parse::<Rule>().is_err());
/// # Ok::<(), strata::lint::UnknownRule>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rule(pub(super) Id);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Id {
    Strata(Own),
    Squawk(Squawk),
}

/// strata's own rules: what only strata knows (how the migration is run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Own {
    ConcurrentlyInTransaction,
    NonTransactionalInTransaction,
    TransactionControl,
    EnumValueUsedInTransaction,
    BanTruncate,
    CommentOnly,
    VersionBelowBase,
    EditedMigration,
}

const OWN: [(Own, &str); 8] = [
    (
        Own::ConcurrentlyInTransaction,
        "concurrently-in-transaction",
    ),
    (
        Own::NonTransactionalInTransaction,
        "non-transactional-in-transaction",
    ),
    (Own::TransactionControl, "transaction-control"),
    (
        Own::EnumValueUsedInTransaction,
        "enum-value-used-in-transaction",
    ),
    (Own::BanTruncate, "ban-truncate"),
    (Own::CommentOnly, "comment-only"),
    (Own::VersionBelowBase, "version-below-base"),
    (Own::EditedMigration, "edited-migration"),
];

/// The squawk rules that run by default, with their severity. Left out on
/// purpose: `require-timeout-settings` / `require-lock-timeout` /
/// `require-statement-timeout` (strata sets `lock_timeout` and
/// `statement_timeout` itself), `prefer-robust-stmts` (`IF NOT EXISTS`
/// everywhere hides a wrong history), the style rules (`prefer-*`,
/// `ban-char-field`), and the transaction rules strata decides with its own
/// knowledge (`ban-concurrent-index-creation-in-transaction`,
/// `transaction-nesting`, `ban-uncommitted-transaction`).
const DEFAULT_SQUAWK: [(Squawk, Severity); 18] = [
    (Squawk::RequireConcurrentIndexCreation, Severity::Warning),
    (Squawk::RequireConcurrentIndexDeletion, Severity::Warning),
    (Squawk::RequireConcurrentReindex, Severity::Warning),
    (Squawk::RequireConcurrentPartitionDetach, Severity::Warning),
    (Squawk::ConstraintMissingNotValid, Severity::Warning),
    (Squawk::AddingForeignKeyConstraint, Severity::Warning),
    (Squawk::AddingNotNullableField, Severity::Warning),
    (Squawk::AddingFieldWithDefault, Severity::Warning),
    (Squawk::AddingRequiredField, Severity::Warning),
    (Squawk::AddingSerialPrimaryKeyField, Severity::Warning),
    (Squawk::DisallowedUniqueConstraint, Severity::Warning),
    (Squawk::ChangingColumnType, Severity::Warning),
    (Squawk::RenamingColumn, Severity::Warning),
    (Squawk::RenamingTable, Severity::Warning),
    (Squawk::BanDropColumn, Severity::Warning),
    (Squawk::BanDropTable, Severity::Warning),
    (Squawk::BanDropDatabase, Severity::Warning),
    (Squawk::IdentifierTooLong, Severity::Warning),
];

/// The squawk rules about objects that already exist: they fire only when
/// the table was not created earlier in the same migration or run.
const EXISTING_OBJECT: [Squawk; 13] = [
    Squawk::RequireConcurrentIndexCreation,
    Squawk::ConstraintMissingNotValid,
    Squawk::AddingForeignKeyConstraint,
    Squawk::AddingNotNullableField,
    Squawk::AddingFieldWithDefault,
    Squawk::AddingRequiredField,
    Squawk::AddingSerialPrimaryKeyField,
    Squawk::DisallowedUniqueConstraint,
    Squawk::ChangingColumnType,
    Squawk::RenamingColumn,
    Squawk::RenamingTable,
    Squawk::BanDropColumn,
    Squawk::BanDropNotNull,
];

/// A rule id strata does not know.
///
/// ```
/// let err = "ban-everything".parse::<strata::lint::Rule>().unwrap_err();
/// assert_eq!(err.to_string(), "unknown lint rule `ban-everything`");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown lint rule `{0}`")]
pub struct UnknownRule(pub String);

impl FromStr for Rule {
    type Err = UnknownRule;

    fn from_str(s: &str) -> Result<Rule, UnknownRule> {
        if let Some((own, _)) = OWN.iter().find(|(_, id)| *id == s) {
            return Ok(Rule(Id::Strata(*own)));
        }
        match s.parse::<Squawk>() {
            // The alias and squawk's bookkeeping rule are not rules of a file.
            Ok(Squawk::RequireTimeoutSettings | Squawk::UnusedIgnore) | Err(_) => {
                Err(UnknownRule(s.to_owned()))
            }
            Ok(r) => Ok(Rule(Id::Squawk(r))),
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Id::Strata(own) => f.write_str(own.id()),
            Id::Squawk(r) => r.fmt(f),
        }
    }
}

impl serde::Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl Own {
    fn id(self) -> &'static str {
        OWN.iter()
            .find(|(o, _)| *o == self)
            .map_or("?", |(_, id)| id)
    }
}

impl Rule {
    pub(super) const fn own(own: Own) -> Rule {
        Rule(Id::Strata(own))
    }

    /// Every rule that runs when strata.toml changes nothing, in the order
    /// of the documentation's table.
    ///
    /// ```
    /// let ids: Vec<String> = strata::lint::Rule::defaults().map(|r| r.to_string()).collect();
    /// assert!(ids.contains(&"concurrently-in-transaction".to_owned()));
    /// assert!(ids.contains(&"require-concurrent-index-creation".to_owned()));
    /// assert!(!ids.contains(&"require-lock-timeout".to_owned()));
    /// ```
    pub fn defaults() -> impl Iterator<Item = Rule> {
        OWN.iter()
            .map(|(o, _)| Rule(Id::Strata(*o)))
            .chain(DEFAULT_SQUAWK.iter().map(|(r, _)| Rule(Id::Squawk(*r))))
    }

    /// The severity the rule has when strata.toml does not set one; None
    /// for a squawk rule outside the default list (off).
    pub fn default_severity(&self) -> Option<Severity> {
        match self.0 {
            Id::Strata(Own::BanTruncate | Own::CommentOnly) => Some(Severity::Warning),
            Id::Strata(_) => Some(Severity::Error),
            Id::Squawk(r) => DEFAULT_SQUAWK
                .iter()
                .find(|(d, _)| *d == r)
                .map(|(_, s)| *s),
        }
    }

    /// Whether the rule is about an object that exists before the
    /// migration (so a table created earlier in the run is exempt).
    pub(super) fn about_existing_objects(&self) -> bool {
        matches!(self.0, Id::Squawk(r) if EXISTING_OBJECT.contains(&r))
    }

    /// The rules PostgreSQL itself would make fail: their severity cannot
    /// be lowered in strata.toml (the load refuses these files anyway).
    ///
    /// ```
    /// let rule: strata::lint::Rule = "concurrently-in-transaction".parse()?;
    /// assert!(rule.cannot_be_lowered());
    /// # Ok::<(), strata::lint::UnknownRule>(())
    /// ```
    pub fn cannot_be_lowered(&self) -> bool {
        matches!(
            self.0,
            Id::Strata(Own::ConcurrentlyInTransaction | Own::NonTransactionalInTransaction)
        )
    }

    /// What the rule is about, in a few words (the finding's message).
    ///
    /// ```
    /// let rule: strata::lint::Rule = "ban-truncate".parse()?;
    /// assert_eq!(rule.summary(), "TRUNCATE deletes every row of the table");
    /// # Ok::<(), strata::lint::UnknownRule>(())
    /// ```
    pub fn summary(&self) -> &'static str {
        match self.0 {
            Id::Strata(own) => match own {
                Own::ConcurrentlyInTransaction => {
                    "CONCURRENTLY in a migration that runs in a transaction"
                }
                Own::NonTransactionalInTransaction => {
                    "a statement that cannot run in a transaction, in a migration that runs in one"
                }
                Own::TransactionControl => "transaction control inside a transactional migration",
                Own::EnumValueUsedInTransaction => {
                    "a new enum value used in the transaction that adds it"
                }
                Own::BanTruncate => "TRUNCATE deletes every row of the table",
                Own::CommentOnly => "the migration holds only comments",
                Own::VersionBelowBase => {
                    "the branch adds a version that is not above the base's highest"
                }
                Own::EditedMigration => "a migration already on the base was edited",
            },
            Id::Squawk(r) => squawk_summary(r),
        }
    }
}

/// The "what" of each squawk rule in strata's words (squawk's own message
/// becomes the finding's why).
fn squawk_summary(rule: Squawk) -> &'static str {
    match rule {
        Squawk::RequireConcurrentIndexCreation => {
            "CREATE INDEX without CONCURRENTLY on an existing table"
        }
        Squawk::RequireConcurrentIndexDeletion => "DROP INDEX without CONCURRENTLY",
        Squawk::RequireConcurrentReindex => "REINDEX without CONCURRENTLY",
        Squawk::RequireConcurrentPartitionDetach => "DETACH PARTITION without CONCURRENTLY",
        Squawk::ConstraintMissingNotValid => "a constraint added without NOT VALID",
        Squawk::AddingForeignKeyConstraint => "a foreign key added without NOT VALID",
        Squawk::AddingNotNullableField => "SET NOT NULL on an existing column",
        Squawk::AddingFieldWithDefault => "a column added with a volatile default",
        Squawk::AddingRequiredField => "a NOT NULL column added without a default",
        Squawk::AddingSerialPrimaryKeyField => "a primary key added to an existing table",
        Squawk::DisallowedUniqueConstraint => {
            "a UNIQUE constraint added without an index built first"
        }
        Squawk::ChangingColumnType => "a column's type changed",
        Squawk::RenamingColumn => "a column renamed",
        Squawk::RenamingTable => "a table renamed",
        Squawk::BanDropColumn => "a column dropped",
        Squawk::BanDropTable => "a table dropped",
        Squawk::BanDropDatabase => "a database dropped",
        Squawk::IdentifierTooLong => "an identifier longer than PostgreSQL keeps",
        _ => "see the rule's documentation at https://squawkhq.com/docs/rules",
    }
}
