//! Tokens and the statement-boundary state machine shared by [`statements`]
//! and [`Chunker`].
//!
//! Lexing is squawk-lexer's: it already follows PostgreSQL's `scan.l` for
//! strings (`'..''..'`, `E'..\'..'`, `U&'..'`), quoted identifiers, nested
//! block comments and tagged dollar quotes. What a lexer cannot know is where
//! a statement ends: a `;` inside the `BEGIN ATOMIC ... END` body of a
//! SQL-standard function does not end the `CREATE FUNCTION`. [`Splitter`]
//! adds that on top of the tokens, with the same heuristic psql uses
//! (`psqlscan.l`, the `begin_depth` counter).
//!
//! [`statements`]: super::statements
//! [`Chunker`]: super::Chunker

use squawk_lexer::{Token, TokenKind};

/// The byte-order mark squawk-lexer turns into whitespace at the start of its
/// input.
const BOM: char = '\u{feff}';

/// Tokens of `text` with their byte lengths.
///
/// `at_stream_start` says whether `text[0]` is the real start of the script.
/// `squawk_lexer::tokenize` treats a leading U+FEFF as whitespace (a BOM);
/// the chunker restarts the lexer in the middle of a stream, where PostgreSQL
/// would see U+FEFF as an identifier character, so there we lex it as one.
pub(crate) fn tokens(text: &str, at_stream_start: bool) -> impl Iterator<Item = Token> + '_ {
    let (first, rest) = if !at_stream_start && text.starts_with(BOM) {
        // U+FEFF is >= 0x80, so PostgreSQL's `ident_start` rule takes it, and
        // `ident_cont` the characters after it.
        let len = text
            .char_indices()
            .skip(1)
            .find(|&(_, c)| !is_ident_cont(c))
            .map_or(text.len(), |(i, _)| i);
        (
            Some(Token {
                kind: TokenKind::Ident,
                len: len as u32,
            }),
            &text[len..],
        )
    } else {
        (None, text)
    };
    first.into_iter().chain(squawk_lexer::tokenize(rest))
}

/// PostgreSQL's `ident_cont`: `[A-Za-z\200-\377_0-9\$]`.
fn is_ident_cont(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$' || !c.is_ascii()
}

/// Whether a token is whitespace or a complete comment.
///
/// An unterminated block comment is *not* trivia: it swallows the rest of the
/// script, and sending it lets PostgreSQL report "unterminated /* comment"
/// instead of strata silently dropping it.
pub(crate) fn is_trivia(kind: TokenKind) -> bool {
    matches!(
        kind,
        TokenKind::Whitespace
            | TokenKind::LineComment
            | TokenKind::BlockComment { terminated: true }
    )
}

/// What one token means for statement boundaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Whitespace or a comment outside any statement: not part of one.
    Outside,
    /// A token of the current statement; `starts` when it is its first
    /// non-trivia token. Trivia inside a statement is reported as `Inside`
    /// with `starts: false`.
    Inside { starts: bool },
    /// The top-level `;` ending the current statement.
    End,
    /// A `;` with no statement before it (`;;`): nothing to run.
    Empty,
}

/// How far into `CREATE [OR REPLACE] {FUNCTION | PROCEDURE}` the statement's
/// leading identifiers are; only such statements can hold `BEGIN ATOMIC`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Head {
    Start,
    Create,
    Or,
    Replace,
    Routine,
    Other,
}

/// Statement-boundary state, fed one token at a time.
///
/// This follows psql (`psqlscan.l`), the reference for where PostgreSQL
/// scripts split:
///
/// - A `;` inside parentheses does not end a statement: `CREATE RULE ... DO
///   ALSO (INSERT ...; INSERT ...)` has several actions. (Unbalanced
///   parentheses then merge what follows into one statement; the server
///   parses a whole query string before running any of it, so that is a
///   syntax error and nothing runs.)
/// - `BEGIN`, `CASE` and `END` are only counted in a `CREATE [OR REPLACE]
///   FUNCTION|PROCEDURE` statement and outside parentheses, so a parameter
///   or column named `begin`/`end` does not count. Stricter than psql, the
///   body opens only on `BEGIN` directly followed by `ATOMIC`.
#[derive(Debug, Clone)]
pub(crate) struct Splitter {
    in_statement: bool,
    head: Head,
    paren_depth: u32,
    /// `BEGIN ATOMIC` bodies and `CASE` expressions inside them still open.
    begin_depth: u32,
    /// The previous non-trivia token was a countable `BEGIN`.
    after_begin: bool,
}

impl Default for Splitter {
    fn default() -> Self {
        Self::new()
    }
}

impl Splitter {
    pub(crate) const fn new() -> Self {
        Self {
            in_statement: false,
            head: Head::Start,
            paren_depth: 0,
            begin_depth: 0,
            after_begin: false,
        }
    }

    /// Whether a statement has started and not yet ended.
    pub(crate) fn in_statement(&self) -> bool {
        self.in_statement
    }

    /// Forgets the current statement (after its end was decided elsewhere,
    /// e.g. at the end of input).
    pub(crate) fn reset(&mut self) {
        *self = Self::new();
    }

    /// Feeds one token; `text` is the token's source text.
    pub(crate) fn step(&mut self, kind: TokenKind, text: &str) -> Step {
        if is_trivia(kind) {
            return if self.in_statement {
                Step::Inside { starts: false }
            } else {
                Step::Outside
            };
        }
        if matches!(kind, TokenKind::Semi) && self.begin_depth == 0 && self.paren_depth == 0 {
            let was_in = self.in_statement;
            self.reset();
            return if was_in { Step::End } else { Step::Empty };
        }
        let starts = !self.in_statement;
        self.in_statement = true;
        let after_begin = std::mem::take(&mut self.after_begin);
        match kind {
            TokenKind::OpenParen => self.paren_depth += 1,
            TokenKind::CloseParen => self.paren_depth = self.paren_depth.saturating_sub(1),
            TokenKind::Ident => self.ident(text, after_begin),
            _ => {}
        }
        if !matches!(kind, TokenKind::Ident) && self.head != Head::Routine {
            self.head = Head::Other;
        }
        Step::Inside { starts }
    }

    fn ident(&mut self, word: &str, after_begin: bool) {
        let is = |k: &str| word.eq_ignore_ascii_case(k);
        self.head = match self.head {
            Head::Start if is("create") => Head::Create,
            Head::Create if is("or") => Head::Or,
            Head::Or if is("replace") => Head::Replace,
            Head::Create | Head::Replace if is("function") || is("procedure") => Head::Routine,
            Head::Routine => Head::Routine,
            _ => Head::Other,
        };
        if self.head != Head::Routine || self.paren_depth != 0 {
            return;
        }
        if after_begin && is("atomic") {
            self.begin_depth += 1;
        } else if is("begin") {
            self.after_begin = true;
        } else if is("case") && self.begin_depth > 0 {
            // CASE also closes with END; only matters inside a body.
            self.begin_depth += 1;
        } else if is("end") {
            self.begin_depth = self.begin_depth.saturating_sub(1);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use squawk_lexer::LiteralKind;

    /// (kind, text) pairs of the non-whitespace tokens.
    fn lex(text: &str) -> Vec<(TokenKind, &str)> {
        let mut pos = 0;
        tokens(text, true)
            .map(|t| {
                let s = &text[pos..pos + t.len as usize];
                pos += t.len as usize;
                (t.kind, s)
            })
            .filter(|(k, _)| !matches!(k, TokenKind::Whitespace))
            .collect()
    }

    fn lit(kind: LiteralKind) -> TokenKind {
        TokenKind::Literal { kind }
    }

    #[test]
    fn squawk_lexes_escape_strings_with_backslash_quote() {
        let toks = lex(r"E'it\'s; \\' x");
        assert_eq!(
            toks,
            [
                (
                    lit(LiteralKind::EscStr { terminated: true }),
                    r"E'it\'s; \\'"
                ),
                (TokenKind::Ident, "x")
            ]
        );
    }

    #[test]
    fn squawk_lexes_standard_strings_without_backslash_escapes() {
        // standard_conforming_strings = on (the default since 9.1): `\` is
        // an ordinary character, so this string ends at the second quote.
        let toks = lex(r"'a\' ;");
        assert_eq!(
            toks,
            [
                (lit(LiteralKind::Str { terminated: true }), r"'a\'"),
                (TokenKind::Semi, ";")
            ]
        );
        assert_eq!(
            lex("'it''s;'"),
            [(lit(LiteralKind::Str { terminated: true }), "'it''s;'")]
        );
    }

    #[test]
    fn squawk_lexes_nested_block_comments() {
        let toks = lex("/* a /* ; */ still comment ; */ x");
        assert_eq!(
            toks,
            [
                (
                    TokenKind::BlockComment { terminated: true },
                    "/* a /* ; */ still comment ; */"
                ),
                (TokenKind::Ident, "x")
            ]
        );
    }

    #[test]
    fn squawk_lexes_tagged_dollar_quotes() {
        let toks = lex("$fn$ a; $$ b; $f$ $fnx$ $$fn$ x");
        assert_eq!(
            toks,
            [
                (
                    lit(LiteralKind::DollarQuotedString { terminated: true }),
                    "$fn$ a; $$ b; $f$ $fnx$ $$fn$"
                ),
                (TokenKind::Ident, "x")
            ]
        );
        // `$` inside an identifier does not open a quote, `$1` is a parameter.
        let toks = lex("a$b$ $1");
        assert_eq!(toks[0], (TokenKind::Ident, "a$b$"));
        assert!(matches!(toks[1].0, TokenKind::PositionalParam { .. }));
    }

    #[test]
    fn squawk_lexes_unicode_strings_and_quoted_identifiers() {
        let toks = lex(r#"U&'d\0061t;' U&"a;""b" "x;""y""#);
        assert_eq!(
            toks,
            [
                (
                    lit(LiteralKind::UnicodeEscStr { terminated: true }),
                    r"U&'d\0061t;'"
                ),
                (
                    TokenKind::QuotedIdent {
                        terminated: true,
                        uescape: true
                    },
                    r#"U&"a;""b""#
                ),
                (
                    TokenKind::QuotedIdent {
                        terminated: true,
                        uescape: false
                    },
                    r#""x;""y""#
                ),
            ]
        );
    }

    #[test]
    fn bom_mid_stream_is_an_identifier_character() {
        let text = "\u{feff}ab c";
        let kinds: Vec<_> = tokens(text, false).map(|t| (t.kind, t.len)).collect();
        assert_eq!(kinds[0], (TokenKind::Ident, 5));
        let kinds: Vec<_> = tokens(text, true).map(|t| t.kind).collect();
        assert_eq!(kinds[0], TokenKind::Whitespace);
    }
}
