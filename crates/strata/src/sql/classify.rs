//! Classifying one statement on its lexer tokens: does PostgreSQL refuse to
//! run it inside a transaction block ([`NonTransactional`])? does it switch
//! `standard_conforming_strings` off?
//!
//! The words are the statement's first significant tokens (whitespace and
//! comments dropped, so comments and line breaks between keywords are read
//! as PostgreSQL reads them; a quoted `"concurrently"` is a name, not the
//! keyword). See
//! <https://www.postgresql.org/docs/current/sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY>
//! and the "cannot be executed inside a transaction block" notes of each
//! command's reference page.

use std::fmt;

use squawk_lexer::{LiteralKind, TokenKind};

/// A statement PostgreSQL refuses inside a transaction block (SQLSTATE 25001).
///
/// A migration all of whose statements are of these kinds runs outside a
/// transaction by itself (as Flyway does); one that mixes them with other
/// statements needs `-- strata:no-transaction`.
///
/// ```
/// use strata::sql::NonTransactional;
/// assert_eq!(NonTransactional::CreateIndexConcurrently.to_string(), "CREATE INDEX CONCURRENTLY");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NonTransactional {
    /// `CREATE [UNIQUE] INDEX CONCURRENTLY`.
    CreateIndexConcurrently,
    /// `DROP INDEX CONCURRENTLY`.
    DropIndexConcurrently,
    /// `REINDEX … CONCURRENTLY` (or `REINDEX (CONCURRENTLY) …`).
    ReindexConcurrently,
    /// `ALTER TABLE … DETACH PARTITION … CONCURRENTLY`.
    DetachPartitionConcurrently,
    /// `VACUUM`.
    Vacuum,
    /// `CREATE DATABASE`.
    CreateDatabase,
    /// `DROP DATABASE`.
    DropDatabase,
    /// `ALTER SYSTEM`.
    AlterSystem,
    /// `CREATE TABLESPACE`.
    CreateTablespace,
    /// `DROP TABLESPACE`.
    DropTablespace,
}

impl fmt::Display for NonTransactional {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NonTransactional::CreateIndexConcurrently => "CREATE INDEX CONCURRENTLY",
            NonTransactional::DropIndexConcurrently => "DROP INDEX CONCURRENTLY",
            NonTransactional::ReindexConcurrently => "REINDEX CONCURRENTLY",
            NonTransactional::DetachPartitionConcurrently => "DETACH PARTITION CONCURRENTLY",
            NonTransactional::Vacuum => "VACUUM",
            NonTransactional::CreateDatabase => "CREATE DATABASE",
            NonTransactional::DropDatabase => "DROP DATABASE",
            NonTransactional::AlterSystem => "ALTER SYSTEM",
            NonTransactional::CreateTablespace => "CREATE TABLESPACE",
            NonTransactional::DropTablespace => "DROP TABLESPACE",
        })
    }
}

/// A significant token: its kind and text (empty when the text was too
/// long to keep; no keyword is that long).
pub(crate) type Word = (TokenKind, String);

/// The first significant tokens of a statement, and its last one.
pub(crate) struct Words<'w> {
    pub(crate) first: &'w [Word],
    pub(crate) last: Option<&'w Word>,
}

impl Words<'_> {
    /// Whether token `i` is the unquoted keyword `k` (any case).
    fn kw(&self, i: usize, k: &str) -> bool {
        self.first
            .get(i)
            .is_some_and(|(kind, t)| matches!(kind, TokenKind::Ident) && t.eq_ignore_ascii_case(k))
    }

    fn any_kw(&self, k: &str) -> bool {
        (0..self.first.len()).any(|i| self.kw(i, k))
    }

    /// Why the statement cannot run in a transaction block, if it cannot.
    pub(crate) fn non_transactional(&self) -> Option<NonTransactional> {
        use NonTransactional as N;
        if self.kw(0, "vacuum") {
            return Some(N::Vacuum);
        }
        if self.kw(0, "create") {
            let i = 1 + usize::from(self.kw(1, "unique"));
            if self.kw(i, "index") && self.kw(i + 1, "concurrently") {
                return Some(N::CreateIndexConcurrently);
            }
            if self.kw(1, "database") {
                return Some(N::CreateDatabase);
            }
            if self.kw(1, "tablespace") {
                return Some(N::CreateTablespace);
            }
        }
        if self.kw(0, "drop") {
            if self.kw(1, "index") && self.kw(2, "concurrently") {
                return Some(N::DropIndexConcurrently);
            }
            if self.kw(1, "database") {
                return Some(N::DropDatabase);
            }
            if self.kw(1, "tablespace") {
                return Some(N::DropTablespace);
            }
        }
        if self.kw(0, "reindex") && self.any_kw("concurrently") {
            return Some(N::ReindexConcurrently);
        }
        if self.kw(0, "alter") {
            if self.kw(1, "system") {
                return Some(N::AlterSystem);
            }
            let last_is_concurrently = self.last.is_some_and(|(kind, t)| {
                matches!(kind, TokenKind::Ident) && t.eq_ignore_ascii_case("concurrently")
            });
            if self.kw(1, "table")
                && last_is_concurrently
                && (0..self.first.len())
                    .any(|i| self.kw(i, "detach") && self.kw(i + 1, "partition"))
            {
                return Some(N::DetachPartitionConcurrently);
            }
        }
        None
    }

    /// `SET [SESSION | LOCAL] standard_conforming_strings {TO | =} <false>`.
    pub(crate) fn sets_scs_off(&self) -> bool {
        if !self.kw(0, "set") {
            return false;
        }
        let i = 1 + usize::from(self.kw(1, "session") || self.kw(1, "local"));
        let named = self.first.get(i).is_some_and(|(kind, t)| {
            matches!(kind, TokenKind::Ident)
                && t.eq_ignore_ascii_case("standard_conforming_strings")
                || matches!(kind, TokenKind::QuotedIdent { .. })
                    && t == "\"standard_conforming_strings\""
        });
        let to = self.kw(i + 1, "to")
            || self
                .first
                .get(i + 1)
                .is_some_and(|(k, _)| matches!(k, TokenKind::Eq));
        named && to && self.first.get(i + 2).is_some_and(is_false_value)
    }
}

/// A string literal's value (`'…'` or `E'…'`), or None.
fn string_value(word: &Word) -> Option<String> {
    let (kind, text) = word;
    let inner = match kind {
        TokenKind::Literal {
            kind: LiteralKind::Str { terminated: true },
        } => text.get(1..text.len().checked_sub(1)?)?,
        TokenKind::Literal {
            kind: LiteralKind::EscStr { terminated: true },
        } => text.get(2..text.len().checked_sub(1)?)?,
        _ => return None,
    };
    Some(inner.replace("''", "'"))
}

/// A value PostgreSQL's `parse_bool` reads as false: `off`, `false`, `no`,
/// `0` and their unambiguous prefixes, as a word or a string.
fn is_false_value(word: &Word) -> bool {
    let value = match word.0 {
        TokenKind::Ident => word.1.clone(),
        TokenKind::Literal {
            kind: LiteralKind::Int { .. },
        } => word.1.clone(),
        _ => match string_value(word) {
            Some(v) => v,
            None => return false,
        },
    };
    let v = value.trim().to_ascii_lowercase();
    !v.is_empty()
        && (v == "0"
            || "false".starts_with(&v)
            || "no".starts_with(&v)
            || (v.len() >= 2 && "off".starts_with(&v)))
}

/// Watches a statement's tokens one by one for
/// `set_config('standard_conforming_strings', <false>, …)` anywhere in it.
#[derive(Debug, Default, Clone)]
pub(crate) struct SetConfigWatch {
    state: u8,
}

impl SetConfigWatch {
    /// Feeds one significant token; true once the call has been seen.
    pub(crate) fn step(&mut self, word: &Word) -> bool {
        let (kind, text) = word;
        self.state = match (self.state, kind) {
            (1, TokenKind::OpenParen) => 2,
            (2, _)
                if string_value(word)
                    .is_some_and(|v| v.eq_ignore_ascii_case("standard_conforming_strings")) =>
            {
                3
            }
            (3, TokenKind::Comma) => 4,
            (4, _) if is_false_value(word) => return true,
            _ => 0,
        };
        if self.state == 0
            && matches!(kind, TokenKind::Ident)
            && text.eq_ignore_ascii_case("set_config")
        {
            self.state = 1;
        }
        false
    }
}

#[cfg(test)]
mod tests;
