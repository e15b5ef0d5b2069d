//! Recognizing `CREATE [UNIQUE] INDEX CONCURRENTLY`, on the crate's own
//! lexer tokens: after such a statement fails, PostgreSQL leaves an INVALID
//! index behind
//! (<https://www.postgresql.org/docs/current/sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY>),
//! and strata names it. Comments and line breaks between the words,
//! quoted and schema-qualified names are read as PostgreSQL reads them.

use squawk_lexer::TokenKind;

use super::lexer::{is_trivia, tokens};

/// The index a `CREATE INDEX CONCURRENTLY` statement creates, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConcurrentIndex {
    /// The index name as written (quotes kept), None when omitted.
    pub(crate) name: Option<String>,
    /// The table, as written (quotes and schema kept): text `to_regclass` reads.
    pub(crate) table: String,
}

/// For `CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT EXISTS] [name] ON [ONLY] table …`:
/// the index name and the table; None for any other statement.
pub(crate) fn concurrent_index(statement: &str) -> Option<ConcurrentIndex> {
    let mut words = Words::new(statement)?;
    if !words.keyword("create") {
        return None;
    }
    words.keyword("unique");
    if !(words.keyword("index") && words.keyword("concurrently")) {
        return None;
    }
    if words.keyword("if") && !(words.keyword("not") && words.keyword("exists")) {
        return None;
    }
    let name = if words.keyword("on") {
        None
    } else {
        let name = words.identifier()?;
        if !words.keyword("on") {
            return None;
        }
        Some(name.to_owned())
    };
    words.keyword("only");
    let mut table = words.identifier()?.to_owned();
    while words.next_is(TokenKind::Dot) {
        table.push('.');
        table.push_str(words.identifier()?);
    }
    Some(ConcurrentIndex { name, table })
}

/// The statement's tokens without whitespace and comments, read in order.
struct Words<'s> {
    tokens: Vec<(TokenKind, &'s str)>,
    at: usize,
}

impl<'s> Words<'s> {
    fn new(statement: &'s str) -> Option<Words<'s>> {
        let mut tokens_ = Vec::new();
        let mut offset = 0;
        for t in tokens(statement, true) {
            let text = statement.get(offset..offset + t.len as usize)?;
            offset += t.len as usize;
            if !is_trivia(t.kind) {
                tokens_.push((t.kind, text));
            }
        }
        Some(Words {
            tokens: tokens_,
            at: 0,
        })
    }

    /// Takes the next token if it is the (unquoted, any case) keyword `word`.
    fn keyword(&mut self, word: &str) -> bool {
        let is = matches!(self.tokens.get(self.at), Some((TokenKind::Ident, t)) if t.eq_ignore_ascii_case(word));
        self.at += usize::from(is);
        is
    }

    /// Takes the next token if it is of `kind`.
    fn next_is(&mut self, kind: TokenKind) -> bool {
        let is = matches!(self.tokens.get(self.at), Some((k, _)) if *k == kind);
        self.at += usize::from(is);
        is
    }

    /// Takes the next token if it is a plain or quoted identifier; its text.
    fn identifier(&mut self) -> Option<&'s str> {
        let (kind, text) = *self.tokens.get(self.at)?;
        let is = matches!(
            kind,
            TokenKind::Ident
                | TokenKind::QuotedIdent {
                    terminated: true,
                    ..
                }
        );
        self.at += usize::from(is);
        is.then_some(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(name: Option<&str>, table: &str) -> Option<ConcurrentIndex> {
        Some(ConcurrentIndex {
            name: name.map(str::to_owned),
            table: table.to_owned(),
        })
    }

    #[test]
    fn finds_the_index_and_table() {
        assert_eq!(
            concurrent_index(
                "create unique index concurrently if not exists u_email on only public.users (email);"
            ),
            index(Some("u_email"), "public.users")
        );
        assert_eq!(
            concurrent_index("CREATE INDEX CONCURRENTLY ON t(x)"),
            index(None, "t")
        );
        assert_eq!(
            concurrent_index("CREATE INDEX CONCURRENTLY i ON t USING btree (x)"),
            index(Some("i"), "t")
        );
    }

    #[test]
    fn keeps_quoted_names_as_written() {
        assert_eq!(
            concurrent_index(
                r#"CREATE INDEX CONCURRENTLY "Big Index" ON "My Schema"."Orders" (id)"#
            ),
            index(Some(r#""Big Index""#), r#""My Schema"."Orders""#)
        );
        // A quoted ON is a name, not the keyword.
        assert_eq!(
            concurrent_index(r#"CREATE INDEX CONCURRENTLY "on" ON t (x)"#),
            index(Some(r#""on""#), "t")
        );
    }

    #[test]
    fn reads_through_comments_and_line_breaks() {
        assert_eq!(
            concurrent_index(
                "CREATE /* the big one */ UNIQUE\n  INDEX -- online\n  CONCURRENTLY IF NOT EXISTS\n  i ON ONLY s . t (x)"
            ),
            index(Some("i"), "s.t")
        );
    }

    #[test]
    fn other_statements_are_not_it() {
        assert_eq!(concurrent_index("CREATE INDEX i ON t (x)"), None);
        assert_eq!(concurrent_index("CREATE UNIQUE INDEX i ON t (x)"), None);
        assert_eq!(concurrent_index("SELECT 1"), None);
        assert_eq!(
            concurrent_index("-- CREATE INDEX CONCURRENTLY i ON t (x)\nSELECT 1"),
            None
        );
        assert_eq!(
            concurrent_index("CREATE INDEX CONCURRENTLY IF EXISTS i ON t (x)"),
            None
        );
        assert_eq!(concurrent_index("CREATE INDEX CONCURRENTLY i t (x)"), None);
    }
}
