use super::*;

/// Checks `script` fed line by line.
fn check(script: &str) -> Result<ScriptSummary, (u32, ScriptProblem)> {
    let mut c = Checker::new(1, true);
    for line in script.split_inclusive('\n') {
        c.push(line)?;
    }
    c.finish()
}

#[test]
fn counts_statements_and_comments() {
    let s = check("-- a\nCREATE TABLE a (id int);\nSELECT ';\n';\n").unwrap();
    assert_eq!(s.statements, 2);
    assert!(s.comments);
    assert_eq!(s.first_transactional, Some(2));
    let s = check("-- only\n/* comments */\n").unwrap();
    assert_eq!((s.statements, s.comments), (0, true));
    assert_eq!(check("\n  \n").unwrap(), ScriptSummary::default());
}

#[test]
fn unterminated_tokens_name_the_line_where_they_start() {
    use Unterminated as U;
    for (script, line, what) in [
        ("SELECT 1;\nSELECT 'oops;\nSELECT 2;\n", 2, U::String),
        ("SELECT 1;\n\nSELECT $$ body;\n", 3, U::DollarQuote),
        ("SELECT 1;\n/* comment\n", 2, U::BlockComment),
        ("SELECT \"x;\n", 1, U::QuotedIdentifier),
        ("SELECT E'\\';\n", 1, U::String),
    ] {
        assert_eq!(
            check(script),
            Err((line, ScriptProblem::Unterminated(what))),
            "{script:?}"
        );
    }
}

#[test]
fn restrict_lines_are_skipped_other_meta_commands_refused() {
    let dump = "--\n-- PostgreSQL database dump\n--\n\n\\restrict AbC123xyz\n\nSET x = 1;\nCREATE TABLE a (id int);\n\n\\unrestrict AbC123xyz\n";
    assert_eq!(check(dump).unwrap().statements, 2);
    for (script, line, command) in [
        ("SELECT 1;\n\\connect other\n", 2, "\\connect"),
        ("\\i other.sql\n", 1, "\\i"),
        ("\\set ON_ERROR_STOP on\nSELECT 1;\n", 1, "\\set"),
        ("SELECT 1\n\\restrict k\n;\n", 2, "\\restrict"),
        ("SELECT 1 \\gset\n", 1, "\\gset"),
    ] {
        assert_eq!(
            check(script),
            Err((
                line,
                ScriptProblem::MetaCommand {
                    command: command.into()
                }
            )),
            "{script:?}"
        );
    }
    // Inside strings, comments and dollar quotes a backslash is text.
    assert!(check("SELECT '\n\\connect x\n';\n/*\n\\i y\n*/\nSELECT $$\n\\q\n$$;\n").is_ok());
}

#[test]
fn copy_from_stdin_takes_its_data_up_to_the_end_marker() {
    // The data is not SQL: a quote, a `;` or a backslash in it changes nothing.
    let script = "CREATE TABLE t (a int, b text);\nCOPY public.t (a, b) FROM stdin;\n1\tit's; \\N\n2\t$$\n\\.\nSELECT 2;\n";
    let s = check(script).unwrap();
    assert_eq!(s.statements, 3);
    assert!(check("COPY t TO STDOUT;\n").is_ok());
    // The last line may lack its line break.
    assert!(check("COPY t FROM stdin;\n1\n\\.").is_ok());
    // Empty data.
    assert_eq!(
        check("COPY t FROM stdin; -- none\n\\.\n")
            .unwrap()
            .statements,
        1
    );
}

#[test]
fn copy_data_without_its_end_marker_is_refused_at_the_copy() {
    assert_eq!(
        check("SELECT 1;\nCOPY t (a) FROM stdin;\n1\n2\n"),
        Err((2, ScriptProblem::UnterminatedCopy))
    );
    // ` \.` with a leading space is a data row, not the end.
    assert_eq!(
        check("COPY t FROM stdin;\n1\n \\.\n"),
        Err((1, ScriptProblem::UnterminatedCopy))
    );
    assert_eq!(
        check("COPY t FROM stdin; 1\n\\.\n"),
        Err((1, ScriptProblem::TextAfterCopy))
    );
}

#[test]
fn standard_conforming_strings_off_is_refused() {
    assert_eq!(
        check("SELECT 1;\nSET standard_conforming_strings = off;\nSELECT 'a\\'';\n"),
        Err((2, ScriptProblem::StandardConformingStringsOff))
    );
    assert!(check("SET standard_conforming_strings = on;\n").is_ok());
}

#[test]
fn finds_the_non_transactional_statements() {
    let s = check("CREATE INDEX CONCURRENTLY i ON t (a);\nVACUUM t;\n").unwrap();
    assert_eq!(s.first_transactional, None);
    assert_eq!(
        s.first_non_transactional,
        Some((1, NonTransactional::CreateIndexConcurrently))
    );
    let s = check("CREATE TABLE t (a int);\n\nCREATE INDEX CONCURRENTLY i ON t (a);\n").unwrap();
    assert_eq!(s.first_transactional, Some(1));
    assert_eq!(
        s.first_non_transactional,
        Some((3, NonTransactional::CreateIndexConcurrently))
    );
}

#[test]
fn a_long_string_fed_in_many_lines_is_one_token() {
    let mut script = String::from("SELECT '");
    for _ in 0..10_000 {
        script.push_str("a line of a very long string;\n");
    }
    script.push_str("';\nSELECT 2;\n");
    let s = check(&script).unwrap();
    assert_eq!((s.statements, s.first_transactional), (2, Some(1)));
}

#[test]
fn a_copy_data_row_is_known_as_data_before_it_is_pushed() {
    let mut c = Checker::new(1, true);
    for line in ["SELECT 1;\n", "-- a comment\n", "COPY t (a) FROM stdin;\n"] {
        c.push(line).unwrap();
    }
    // Line 2 was a comment of the script, line 4 is the first data row.
    assert!(!Checker::new(1, true).is_copy_data("-- migrate:down\n", 1));
    assert!(c.is_copy_data("-- migrate:down\n", 4));
    c.push("-- migrate:down\n").unwrap();
    assert!(c.is_copy_data("\\.", 5), "the end line is data too");
    c.push("\\.\n").unwrap();
    assert!(!c.is_copy_data("-- migrate:down\n", 6), "after the data");
    c.push("-- migrate:down\n").unwrap();
    assert_eq!(c.finish().unwrap().statements, 2);
}
