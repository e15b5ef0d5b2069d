//! [`Finding`]: one rule firing on one statement of one migration, as data;
//! the CLI renders it (human lines or `--json`).

use super::rule::Rule;
use super::severity::Severity;

/// A rule that fired: where, on what, why, and what to do instead.
///
/// ```
/// use strata::lint::{Linter, Rules, Source};
/// let rules = Rules::default();
/// let mut linter = Linter::new(&rules);
/// let sql = "-- migrate:up\nCREATE INDEX users_email ON users (email);\n";
/// let findings = linter.lint(&Source::new("V2__index.sql", sql))?;
/// let f = &findings[0];
/// assert_eq!(f.rule.to_string(), "require-concurrent-index-creation");
/// assert_eq!((f.script.as_str(), f.line, f.column), ("V2__index.sql", 2, 1));
/// assert_eq!(f.statement, "CREATE INDEX users_email ON users (email);");
/// assert_eq!(f.message(), "CREATE INDEX without CONCURRENTLY on an existing table");
/// assert!(f.suggestion.contains("CONCURRENTLY"));
/// # Ok::<(), strata::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule.
    pub rule: Rule,
    /// Its severity in this run.
    pub severity: Severity,
    /// The migration's file name (relative to its folder).
    pub script: String,
    /// 1-based line in the file (the file, not the up section).
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
    /// The offending statement, as written.
    pub statement: String,
    /// Why it is a hazard.
    pub why: String,
    /// The safe alternative.
    pub suggestion: String,
}

/// The one-line form: `file:line:column: severity[rule]: message`.
///
/// ```
/// use strata::lint::{Linter, Rules, Source};
/// let rules = Rules::default();
/// let f = Linter::new(&rules).lint(&Source::new("V3__wipe.sql", "TRUNCATE orders;"))?;
/// assert_eq!(f[0].to_string(), "V3__wipe.sql:1:1: warning[ban-truncate]: TRUNCATE deletes every row of the table");
/// # Ok::<(), strata::Error>(())
/// ```
impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}[{}]: {}",
            crate::sql::printable(&self.script),
            self.line,
            self.column,
            self.severity,
            self.rule,
            self.message()
        )
    }
}

impl Finding {
    /// What the rule is about, in a few words ([`Rule::summary`]).
    pub fn message(&self) -> &'static str {
        self.rule.summary()
    }

    /// Whether the finding fails `lint` and stops `migrate`.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}
