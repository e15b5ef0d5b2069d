//! [`SqlError`]: a migration's SQL failed — where in the file, what
//! PostgreSQL said, and what to do next.

use std::fmt;
use std::path::PathBuf;

use super::SqlState;
use super::bounded::{around_column, bounded};

/// A migration's SQL failed: where in the file, and what PostgreSQL said.
///
/// Its `Display` is what `strata migrate` prints, with the line and a caret
/// under the column:
///
/// ```
/// use strata::error::SqlError;
///
/// let e = SqlError {
///     script: "V2__orders.sql".into(),
///     path: Some("migrations/V2__orders.sql".into()),
///     line: Some(3),
///     column: Some(35),
///     line_text: Some("INSERT INTO orders SELECT id FROM userz;".into()),
///     code: "42P01".into(),
///     message: "relation \"userz\" does not exist".into(),
///     detail: None, hint: None, context: None, statements_succeeded: None,
///     next_step: None, invalid_index: None, lock_wait: None,
/// };
/// assert!(!e.code.is_query_canceled());
/// assert_eq!(e.to_string(), "\
/// V2__orders.sql:3:35: relation \"userz\" does not exist (SQLSTATE 42P01)
///  3 | INSERT INTO orders SELECT id FROM userz;
///    |                                   ^");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlError {
    /// The migration's file name.
    pub script: String,
    /// The file on disk, when there is one.
    pub path: Option<PathBuf>,
    /// 1-based line in the file, from PostgreSQL's error position.
    pub line: Option<u32>,
    /// 1-based column (characters).
    pub column: Option<u32>,
    /// The text of that line.
    pub line_text: Option<String>,
    /// SQLSTATE, e.g. `42P01`; prints as the 5-character code.
    pub code: SqlState,
    /// PostgreSQL's primary message.
    pub message: String,
    /// DETAIL.
    pub detail: Option<String>,
    /// HINT.
    pub hint: Option<String>,
    /// CONTEXT (`where`), e.g. the PL/pgSQL line.
    pub context: Option<String>,
    /// For a no-transaction migration: how many statements succeeded before this one.
    pub statements_succeeded: Option<usize>,
    /// What the user should do next, when strata knows.
    pub next_step: Option<String>,
    /// A failed `CREATE INDEX CONCURRENTLY` left this INVALID index behind
    /// (`schema.name`, quoted as needed); drop it before retrying.
    pub invalid_index: Option<String>,
    /// A transactional migration that failed on `lock_timeout` (55P03):
    /// its attempts and the sessions that blocked it.
    pub lock_wait: Option<super::LockWait>,
}

impl fmt::Display for SqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.script)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        }
        write!(f, ": {} (SQLSTATE {})", bounded(&self.message), self.code)?;
        if let (Some(l), Some(text)) = (self.line, &self.line_text) {
            // A window around the column: the line may be megabytes long.
            let (text, column) = around_column(text, self.column);
            let gutter = l.to_string().len();
            write!(f, "\n {l} | {text}")?;
            if let Some(c) = column {
                // Tabs keep their width so the caret lines up.
                let pad: String = text
                    .chars()
                    .take(c.saturating_sub(1) as usize)
                    .map(|ch| if ch == '\t' { '\t' } else { ' ' })
                    .collect();
                write!(f, "\n {:gutter$} | {pad}^", "")?;
            }
        }
        if let Some(d) = &self.detail {
            write!(f, "\n  detail: {}", bounded(d))?;
        }
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {}", bounded(h))?;
        }
        if let Some(c) = &self.context {
            write!(f, "\n  context: {}", bounded(c).replace('\n', "\n    "))?;
        }
        if let Some(n) = self.statements_succeeded {
            write!(
                f,
                "\n  {n} statement(s) before this one succeeded and stay applied (no transaction)"
            )?;
        }
        if let Some(w) = &self.lock_wait {
            write!(f, "\n  {w}")?;
        }
        if let Some(s) = &self.next_step {
            write!(f, "\n  {s}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SqlError {}
