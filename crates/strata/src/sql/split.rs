//! Splitting a whole script into statements, and classifying one statement.

use super::lexer::{Splitter, Step, is_trivia, tokens};
use squawk_lexer::TokenKind;

/// One statement of a script, as byte offsets into it.
///
/// `start` is the statement's first token that is not whitespace or a
/// comment; `end` is just after its terminating `;`, or after its last
/// non-trivia token when the script ends without one.
///
/// ```
/// use strata::sql::{Statement, statements};
/// let script = "  select 1; /* done */\nselect 2";
/// let all: Vec<Statement> = statements(script).collect();
/// assert_eq!(all, [Statement { start: 2, end: 11 }, Statement { start: 23, end: 31 }]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Statement {
    /// Byte offset of the first non-trivia token.
    pub start: usize,
    /// Byte offset just past the `;` (or the last token when unterminated).
    pub end: usize,
}

impl Statement {
    /// The statement's text in the script it was split from.
    ///
    /// # Panics
    ///
    /// When `script` is not the text this statement came from and the
    /// offsets are out of range or not on character boundaries.
    ///
    /// ```
    /// let script = "create table t (a int);\n-- then\ninsert into t values (1);";
    /// let first = strata::sql::first_statement(script).expect("a statement");
    /// assert_eq!(first.text(script), "create table t (a int);");
    /// ```
    pub fn text<'a>(&self, script: &'a str) -> &'a str {
        &script[self.start..self.end]
    }
}

/// The statements of `script`, in order.
///
/// Boundaries follow PostgreSQL's lexical rules (via squawk-lexer): a `;`
/// inside a string of any kind, a quoted identifier, a comment or a dollar
/// quote does not end a statement, nor does one inside parentheses (the
/// actions of `CREATE RULE ... DO (...; ...)`) or inside the `BEGIN ATOMIC
/// ... END` body of a SQL-standard function or procedure. Empty statements
/// (`;;`) and whitespace or comments after the last statement yield nothing.
/// An unterminated string or block comment makes the rest of the script part
/// of the last statement, so that PostgreSQL reports it.
///
/// Runs in linear time without allocating.
///
/// ```
/// let script = "create table t (a text); -- done\ninsert into t values (';');";
/// let texts: Vec<&str> = strata::sql::statements(script).map(|s| s.text(script)).collect();
/// assert_eq!(texts, ["create table t (a text);", "insert into t values (';');"]);
/// ```
pub fn statements(script: &str) -> impl Iterator<Item = Statement> + '_ {
    statements_from(script, true)
}

/// [`statements`] of a text that is the start of a script or, when
/// `at_stream_start` is false, a piece from its middle (where a leading
/// U+FEFF is not a byte-order mark).
pub(crate) fn statements_from(
    script: &str,
    at_stream_start: bool,
) -> impl Iterator<Item = Statement> + '_ {
    let mut toks = tokens(script, at_stream_start);
    let mut splitter = Splitter::new();
    let mut pos = 0usize;
    let mut start = 0usize;
    let mut last_content_end = 0usize;
    std::iter::from_fn(move || {
        for tok in toks.by_ref() {
            let tok_start = pos;
            pos += tok.len as usize;
            match splitter.step(tok.kind, &script[tok_start..pos]) {
                Step::Outside | Step::Empty => {}
                Step::Inside { starts } => {
                    if starts {
                        start = tok_start;
                    }
                    if !is_trivia(tok.kind) {
                        last_content_end = pos;
                    }
                }
                Step::End => return Some(Statement { start, end: pos }),
            }
        }
        if splitter.in_statement() {
            splitter.reset();
            return Some(Statement {
                start,
                end: last_content_end,
            });
        }
        None
    })
}

/// The first statement of `script`, if it has one.
///
/// A migration whose file has none (only whitespace and comments, or empty
/// statements) is an error; this is the cheap check for it.
///
/// ```
/// assert!(strata::sql::first_statement("-- nothing here\n/* ; */ ;").is_none());
/// assert!(strata::sql::first_statement("select 1").is_some());
/// ```
pub fn first_statement(script: &str) -> Option<Statement> {
    statements(script).next()
}

/// Whether a statement controls the transaction: `BEGIN`, `START
/// TRANSACTION`, `COMMIT`, `END`, `ROLLBACK`, `ABORT` or `PREPARE
/// TRANSACTION` (and `COMMIT PREPARED` / `ROLLBACK PREPARED`).
///
/// A transactional migration runs inside strata's transaction, so these would
/// end it behind strata's back. Leading comments are skipped and keywords are
/// matched case-insensitively. Not transaction control: `BEGIN ATOMIC` (a
/// function body), `ROLLBACK TO SAVEPOINT` and `SAVEPOINT` / `RELEASE` (they
/// work inside a transaction), and `PREPARE name AS ...` (a prepared
/// statement).
///
/// ```
/// use strata::sql::is_transaction_control;
/// assert!(is_transaction_control("/* done */ commit;"));
/// assert!(is_transaction_control("START TRANSACTION ISOLATION LEVEL SERIALIZABLE"));
/// assert!(!is_transaction_control("rollback to savepoint a"));
/// assert!(!is_transaction_control("prepare q as select 1"));
/// ```
pub fn is_transaction_control(stmt_text: &str) -> bool {
    let mut words = significant_words(stmt_text);
    let Some(first) = words.next() else {
        return false;
    };
    let second = words.next();
    let third = words.next();
    let is =
        |word: Option<&str>, keyword: &str| word.is_some_and(|w| w.eq_ignore_ascii_case(keyword));
    match first.to_ascii_lowercase().as_str() {
        "begin" => !is(second, "atomic"),
        "commit" | "end" | "abort" => true,
        "start" | "prepare" => is(second, "transaction"),
        "rollback" => {
            // ROLLBACK [WORK | TRANSACTION] TO [SAVEPOINT] name
            let after_noise = if is(second, "work") || is(second, "transaction") {
                third
            } else {
                second
            };
            !is(after_noise, "to")
        }
        _ => false,
    }
}

/// The source text of the non-trivia tokens of `text`.
fn significant_words(text: &str) -> impl Iterator<Item = &str> {
    let mut pos = 0usize;
    tokens(text, true).filter_map(move |tok| {
        let tok_start = pos;
        pos += tok.len as usize;
        (!is_trivia(tok.kind) && !matches!(tok.kind, TokenKind::Semi))
            .then(|| &text[tok_start..pos])
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    fn texts(script: &str) -> Vec<&str> {
        statements(script).map(|s| s.text(script)).collect()
    }

    #[test]
    fn splits_plain_statements() {
        assert_eq!(
            texts("create table a (x int);\ninsert into a values (1);"),
            ["create table a (x int);", "insert into a values (1);"]
        );
    }

    #[test]
    fn tagged_dollar_quote_holds_semicolons_and_other_tags() {
        let script = "create function f() returns int language plpgsql as $fn$\n\
                      begin\n  perform 1; raise notice $$ ; $$;\n  return 1;\nend;\n$fn$;\nselect f();";
        assert_eq!(
            texts(script),
            [
                "create function f() returns int language plpgsql as $fn$\n\
                 begin\n  perform 1; raise notice $$ ; $$;\n  return 1;\nend;\n$fn$;",
                "select f();"
            ]
        );
    }

    #[test]
    fn escape_string_with_backslash_quote() {
        assert_eq!(
            texts(r"select E'it\'s; fine\\'; select 2"),
            [r"select E'it\'s; fine\\';", "select 2"]
        );
        // Lowercase prefix too; and `e` alone is still an identifier.
        assert_eq!(
            texts(r"select e'\';'; select e from t;"),
            [r"select e'\';';", "select e from t;"]
        );
    }

    #[test]
    fn standard_string_with_doubled_quote() {
        assert_eq!(
            texts("insert into t values ('it''s; here', 'a\\'); select 1;"),
            ["insert into t values ('it''s; here', 'a\\');", "select 1;"]
        );
    }

    #[test]
    fn unicode_escape_string() {
        assert_eq!(
            texts(r"select U&'d\0061t; \+000061' UESCAPE '\'; select 2;"),
            [r"select U&'d\0061t; \+000061' UESCAPE '\';", "select 2;"]
        );
    }

    #[test]
    fn quoted_identifier_with_semicolon_and_doubled_quote() {
        assert_eq!(
            texts(r#"create table "a;""b" (x int); select 1;"#),
            [r#"create table "a;""b" (x int);"#, "select 1;"]
        );
    }

    #[test]
    fn nested_block_comment_with_semicolon() {
        assert_eq!(
            texts("select 1 /* outer /* inner; */ still; */ + 1; select 2;"),
            ["select 1 /* outer /* inner; */ still; */ + 1;", "select 2;"]
        );
    }

    #[test]
    fn line_comment_with_semicolon() {
        assert_eq!(
            texts("select 1 -- not; the end\n + 1;\n-- trailing; comment\nselect 2;"),
            ["select 1 -- not; the end\n + 1;", "select 2;"]
        );
    }

    #[test]
    fn begin_atomic_body_with_nested_case() {
        let function = "CREATE OR REPLACE FUNCTION f(a int, \"begin\" int, e int) RETURNS int\n\
                        LANGUAGE sql\nBEGIN ATOMIC\n  SELECT CASE WHEN a > 0 THEN 1 ELSE 2 END;\n  \
                        SELECT (CASE a WHEN 1 THEN 1 END);\n  SELECT a + 1;\nEND;";
        let procedure = "create procedure p() begin atomic insert into t values (1); \
                         insert into t values (case when true then 2 end); end;";
        let script = format!("{function}\n{procedure}\nselect f(1, 2, 3);");
        assert_eq!(texts(&script), [function, procedure, "select f(1, 2, 3);"]);
    }

    #[test]
    fn begin_and_end_outside_routines_are_ordinary_words() {
        assert_eq!(
            texts("begin; select 1; end; create table t (begin int, \"end\" int);"),
            [
                "begin;",
                "select 1;",
                "end;",
                "create table t (begin int, \"end\" int);"
            ]
        );
        // A parameter named begin does not open a body, and RETURN is not one.
        assert_eq!(
            texts("create function g(begin int) returns int return begin + 1; select 2;"),
            [
                "create function g(begin int) returns int return begin + 1;",
                "select 2;"
            ]
        );
    }

    #[test]
    fn semicolons_inside_parentheses_do_not_split() {
        let rule = "create rule r as on insert to t do also \
                    (insert into a values (1); insert into b values (2););";
        assert_eq!(texts(&format!("{rule} select 1;")), [rule, "select 1;"]);
        // A stray `)` does not make the depth negative.
        assert_eq!(
            texts("select 1); select (2;); select 3;"),
            ["select 1);", "select (2;);", "select 3;"]
        );
    }

    #[test]
    fn empty_statements_yield_nothing() {
        assert_eq!(
            texts(";; select 1;;; ;select 2;;"),
            ["select 1;", "select 2;"]
        );
        assert_eq!(texts(";;;"), Vec::<&str>::new());
    }

    #[test]
    fn last_statement_without_semicolon() {
        assert_eq!(
            texts("select 1; select 2 -- no semicolon\n  /* c */ \n"),
            ["select 1;", "select 2"]
        );
    }

    #[test]
    fn comment_and_whitespace_tail_is_not_a_statement() {
        assert_eq!(texts("select 1;\n -- bye\n /* ; */ \n\t"), ["select 1;"]);
        assert_eq!(texts(" \n-- only\n/* comments */"), Vec::<&str>::new());
        assert_eq!(texts(""), Vec::<&str>::new());
    }

    #[test]
    fn statement_starts_after_leading_comments() {
        let script = "-- header\n/* a */ select 1; /* b */\n  select 2;";
        let got: Vec<_> = statements(script).collect();
        assert_eq!(
            got,
            [
                Statement {
                    start: script.find("select 1").unwrap(),
                    end: script.find("; /*").unwrap() + 1
                },
                Statement {
                    start: script.find("select 2").unwrap(),
                    end: script.len()
                }
            ]
        );
    }

    #[test]
    fn unterminated_string_or_comment_runs_to_the_end() {
        assert_eq!(
            texts("select 1; select 'oops; select 2;"),
            ["select 1;", "select 'oops; select 2;"]
        );
        // Sent, so that PostgreSQL reports "unterminated /* comment".
        assert_eq!(
            texts("select 1; /* oops; select 2;"),
            ["select 1;", "/* oops; select 2;"]
        );
        assert_eq!(texts("select $$ a; b"), ["select $$ a; b"]);
    }

    #[test]
    fn byte_order_mark_is_whitespace_at_the_start() {
        let script = "\u{feff}select 1;";
        assert_eq!(texts(script), ["select 1;"]);
        assert_eq!(statements(script).next().map(|s| s.start), Some(3));
    }

    #[test]
    fn multibyte_text_keeps_byte_offsets() {
        assert_eq!(
            texts("insert into t values ('é;日本'); select '🦀';"),
            ["insert into t values ('é;日本');", "select '🦀';"]
        );
    }

    #[test]
    fn first_statement_finds_one_or_none() {
        assert_eq!(first_statement("  ;; -- x\n"), None);
        assert_eq!(
            first_statement("-- x\nselect 1; select 2;"),
            Some(Statement { start: 5, end: 14 })
        );
    }

    #[test]
    fn transaction_control_statements() {
        for yes in [
            "BEGIN",
            "begin;",
            "Begin Work",
            "begin transaction isolation level serializable;",
            "-- go\n/* c */ START TRANSACTION;",
            "commit",
            "COMMIT AND CHAIN",
            "commit prepared 'x'",
            "end",
            "END TRANSACTION;",
            "rollback",
            "ROLLBACK WORK;",
            "rollback prepared 'x'",
            "abort",
            "prepare transaction 'x'",
        ] {
            assert!(is_transaction_control(yes), "{yes}");
        }
        for no in [
            "begin atomic select 1; end",
            "rollback to savepoint a",
            "ROLLBACK WORK TO a",
            "rollback transaction to savepoint a",
            "savepoint a",
            "release savepoint a",
            "prepare q as select 1",
            "start_time",
            "select 1",
            "create function f() returns int begin atomic select 1; end",
            "\"begin\"",
            "-- commit\nselect 1",
            "",
        ] {
            assert!(!is_transaction_control(no), "{no}");
        }
    }
}
