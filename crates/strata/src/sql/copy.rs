//! `COPY … FROM STDIN` with its data inline, as pg_dump and psql write it:
//! recognising the statement on its tokens ([`CopyWatch`]), the line `\.`
//! that ends its data, and PostgreSQL's `COPY t, line N` context, which
//! names the data row that failed.
//!
//! The data rows are not SQL: the [`Chunker`](super::Chunker) hands them out
//! apart from the statement (never lexed), and the runner sends them through
//! the COPY protocol. See
//! <https://www.postgresql.org/docs/current/sql-copy.html> and psql's
//! "COPY … FROM STDIN" notes
//! (<https://www.postgresql.org/docs/current/app-psql.html#APP-PSQL-META-COMMANDS-COPY>).

use squawk_lexer::TokenKind;

/// Watches a statement's significant tokens, one at a time, for `COPY …
/// FROM STDIN` (`FROM` and `STDIN` outside parentheses, so a `COPY (SELECT
/// … FROM stdin) TO STDOUT` is not one).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct CopyWatch {
    state: State,
    depth: u32,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum State {
    /// No token yet.
    #[default]
    Start,
    /// Not a COPY statement.
    Other,
    /// A COPY; the previous token was not a top-level `FROM`.
    Copy,
    /// A COPY; the previous token was a top-level `FROM`.
    From,
    /// `COPY … FROM STDIN`.
    Stdin,
}

impl CopyWatch {
    /// Feeds one significant (non-trivia) token of the statement.
    pub(crate) fn step(&mut self, kind: TokenKind, text: &str) {
        let ident = |k: &str| matches!(kind, TokenKind::Ident) && text.eq_ignore_ascii_case(k);
        self.state = match self.state {
            State::Start if ident("copy") => State::Copy,
            State::Start | State::Other => State::Other,
            State::Stdin => State::Stdin,
            State::Copy | State::From => {
                match kind {
                    TokenKind::OpenParen => self.depth += 1,
                    TokenKind::CloseParen => self.depth = self.depth.saturating_sub(1),
                    _ => {}
                }
                if self.depth > 0 {
                    State::Copy
                } else if self.state == State::From && ident("stdin") {
                    State::Stdin
                } else if ident("from") {
                    State::From
                } else {
                    State::Copy
                }
            }
        };
    }

    /// Whether the tokens so far make a `COPY … FROM STDIN`.
    pub(crate) fn is_copy_from_stdin(&self) -> bool {
        self.state == State::Stdin
    }
}

/// Whether `line` (with or without its line break) is the `\.` that ends
/// COPY data.
pub(crate) fn is_end_of_data(line: &str) -> bool {
    line.trim_end_matches(['\n', '\r']) == "\\."
}

/// The data row PostgreSQL names in an error's context (`COPY t, line 3` or
/// `COPY t, line 3, column b: "x"`): 1-based, counted from the first row.
pub(crate) fn failed_row(context: &str) -> Option<u32> {
    context.lines().find_map(|l| {
        let rest = l.trim_start().strip_prefix("COPY ")?;
        let at = rest.find(", line ")?;
        let digits: String = rest[at + 7..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::lexer::{is_trivia, tokens};

    fn watch(sql: &str) -> bool {
        let mut w = CopyWatch::default();
        let mut pos = 0;
        for t in tokens(sql, true) {
            let text = &sql[pos..pos + t.len as usize];
            pos += t.len as usize;
            if !is_trivia(t.kind) {
                w.step(t.kind, text);
            }
        }
        w.is_copy_from_stdin()
    }

    #[test]
    fn recognises_copy_from_stdin_on_tokens() {
        assert!(watch("COPY public.t (id, name) FROM stdin"));
        assert!(watch("copy t from STDIN with (format csv)"));
        assert!(watch("COPY t -- the table\n FROM /* here */ stdin"));
        assert!(!watch("COPY t FROM '/tmp/x'"));
        assert!(!watch("COPY t TO STDOUT"));
        assert!(!watch("COPY (SELECT a FROM stdin) TO STDOUT"));
        assert!(!watch("SELECT 1 FROM stdin"));
        assert!(!watch("COPY t FROM \"stdin\""));
    }

    #[test]
    fn reads_the_end_of_data_and_the_failed_row() {
        assert!(is_end_of_data("\\.\n"));
        assert!(is_end_of_data("\\.\r\n"));
        assert!(!is_end_of_data(" \\.\n"));
        assert!(!is_end_of_data("\\.x\n"));
        assert_eq!(failed_row("COPY t, line 3"), Some(3));
        assert_eq!(failed_row("COPY t, line 12, column id: \"x\""), Some(12));
        assert_eq!(failed_row("PL/pgSQL function f() line 3"), None);
    }
}
