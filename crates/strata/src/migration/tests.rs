//! Unit tests of versions, names, checksums and the scan.

use std::path::Path;

use super::*;
use crate::error::Error;

fn v(s: &str) -> Version {
    s.parse().unwrap()
}

fn scan_str(s: &str) -> Result<ScannedFile, Error> {
    scan(&mut s.as_bytes(), Path::new("x.sql"))
}

#[test]
fn versions_compare_numerically() {
    assert!(v("2") < v("10"));
    assert!(v("1.2") < v("1.10"));
    assert!(v("1_9") < v("2"));
    assert_eq!(v("001"), v("1"));
    assert_eq!(v("1.0"), v("1"));
    assert!(v("20251019120000") > v("20250101"));
    assert_eq!(v("0002_01").to_string(), "2.1");
    assert_eq!(v("000").to_string(), "0");
    assert!("1..2".parse::<Version>().is_err());
    assert!("1a".parse::<Version>().is_err());
}

#[test]
fn versions_hash_like_they_compare() {
    use std::collections::HashSet;
    let set: HashSet<Version> = [v("1"), v("001"), v("1.0")].into_iter().collect();
    assert_eq!(set.len(), 1);
}

#[test]
fn long_versions_compare_with_short_ones() {
    // Up to two parts are stored inline, more on the heap: both agree.
    assert_eq!(v("1.2.0.0"), v("1.2"));
    assert_eq!(v("1_2_0").to_string(), "1.2.0");
    assert!(v("1.2.3") > v("1.2"));
    assert!(v("1.2.3") < v("1.3"));
    assert!(v("1.2.3.4") < v("1.2.3.5"));
    assert_eq!(v("7.8.9").parts(), &[7, 8, 9]);
    assert_eq!(v("7").parts(), &[7]);
    let max = "9".repeat(38);
    assert_eq!(v(&max).to_string(), max);
    use std::collections::HashSet;
    let set: HashSet<Version> = [v("3.1.0"), v("3.1"), v("3_1_0_0")].into_iter().collect();
    assert_eq!(set.len(), 1);
}

#[test]
fn all_five_name_patterns() {
    let p = |n| FileName::parse(n).unwrap().unwrap();
    assert_eq!(
        p("V001__create_users.sql"),
        FileName::Versioned {
            version: v("1"),
            description: "create users".into(),
            up_of_pair: false
        }
    );
    assert_eq!(
        p("V1.2__x.sql"),
        FileName::Versioned {
            version: v("1.2"),
            description: "x".into(),
            up_of_pair: false
        }
    );
    assert_eq!(
        p("U001__create_users.sql"),
        FileName::Undo {
            version: v("1"),
            description: "create users".into()
        }
    );
    assert_eq!(
        p("R__views.sql"),
        FileName::Repeatable {
            description: "views".into()
        }
    );
    assert_eq!(
        p("20251019120000_add_users.sql"),
        FileName::Versioned {
            version: v("20251019120000"),
            description: "add users".into(),
            up_of_pair: false
        }
    );
    assert_eq!(
        p("20250101_users.up.sql"),
        FileName::Versioned {
            version: v("20250101"),
            description: "users".into(),
            up_of_pair: true
        }
    );
    assert_eq!(
        p("20250101_users.down.sql"),
        FileName::Down {
            version: v("20250101"),
            description: "users".into()
        }
    );
    assert_eq!(FileName::parse("notes.txt"), Ok(None));
    assert_eq!(FileName::parse("V1__a.sql.conf"), Ok(None));
    assert_eq!(
        p("01-schemas-and-extensions.sql"),
        FileName::Versioned {
            version: v("1"),
            description: "schemas-and-extensions".into(),
            up_of_pair: false
        }
    );
    assert_eq!(
        p("00000000000000-initial-schema.sql"),
        FileName::Versioned {
            version: v("0"),
            description: "initial-schema".into(),
            up_of_pair: false
        }
    );
    assert_eq!(
        p("000001.sql"),
        FileName::Versioned {
            version: v("1"),
            description: String::new(),
            up_of_pair: false
        }
    );
}

#[test]
fn misnamed_sql_files_are_errors() {
    for bad in [
        "V1_x.sql",
        "V__x.sql",
        "v1__x.sql",
        "init.sql",
        "R_x.sql",
        "R__.sql",
        "1_.sql",
        "V1.a__x.sql",
        "V1__a.SQL",
        "V5__.sql",
        "V9__x.up.sql",
        "U9__x.down.sql",
        "R__x.up.sql",
        "01-.sql",
        "01-x.up.sql",
        "1.5.sql",
    ] {
        assert!(FileName::parse(bad).is_err(), "{bad} should be rejected");
    }
}

#[test]
fn crlf_and_bom_give_the_same_checksum() {
    let lf = "CREATE TABLE a (id int);\nSELECT 1;\n";
    let crlf = "CREATE TABLE a (id int);\r\nSELECT 1;\r\n";
    let bom = format!("\u{feff}{crlf}");
    let a = scan_str(lf).unwrap().checksum;
    assert_eq!(a, scan_str(crlf).unwrap().checksum);
    assert_eq!(a, scan_str(&bom).unwrap().checksum);
    assert_eq!(a, Checksum::of(bom.as_bytes()));
    assert_ne!(
        a,
        scan_str("CREATE TABLE a (id int);\nSELECT 2;\n")
            .unwrap()
            .checksum
    );
    // sha256("CREATE TABLE a (id int);\nSELECT 1;\n") — fixed so the format can never drift
    assert_eq!(a.to_string().len(), 64);
    assert_eq!(Checksum::from_hex(&a.to_string()), Some(a));
}

#[test]
fn checksum_is_sha256_of_normalized_text() {
    // sha256 of the empty string, a well-known value
    assert_eq!(
        Checksum::of(b"").to_string(),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(Checksum::of(b"\xEF\xBB\xBF"), Checksum::of(b""));
}

#[test]
fn dbmate_sections_and_checksum_of_up_only() {
    let f = "-- migrate:up\nCREATE TABLE a (id int);\n\n-- migrate:down\nDROP TABLE a;\n";
    let s = scan_str(f).unwrap();
    assert_eq!(
        s.up,
        Part {
            start: 0,
            end: 40,
            line: 1,
            no_transaction: false
        }
    );
    assert_eq!(&f[40..], "-- migrate:down\nDROP TABLE a;\n");
    let down = s.down.unwrap();
    assert_eq!(down.line, 4);
    assert_eq!(down.start, 40);
    assert_eq!(down.end as usize, f.len());
    let other_down = f.replace("DROP TABLE a;", "DROP TABLE a CASCADE;");
    assert_eq!(scan_str(&other_down).unwrap().checksum, s.checksum);
    assert_eq!(s.checksum, Checksum::of(&f.as_bytes()[..40]));
}

#[test]
fn node_pg_migrate_sections() {
    let f = "-- Up Migration\nCREATE TABLE a (id int);\n-- Down Migration\nDROP TABLE a;\n";
    let s = scan_str(f).unwrap();
    assert_eq!(s.down.unwrap().line, 3);
}

#[test]
fn misplaced_markers_name_the_line() {
    let e = scan_str("-- migrate:down\nDROP TABLE a;\n-- migrate:up\nSELECT 1;\n").unwrap_err();
    assert!(matches!(e, Error::Section { line: 3, .. }), "{e:?}");
    let e = scan_str("-- migrate:up\nSELECT 1;\n-- migrate:up\n").unwrap_err();
    assert!(matches!(e, Error::Section { line: 3, .. }), "{e:?}");
}

#[test]
fn no_transaction_directives() {
    for f in [
        "-- strata:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);\n",
        "\u{feff}-- strata:no-transaction\r\nCREATE INDEX CONCURRENTLY i ON t (a);\r\n",
        "\n\n  \n-- a comment\n-- strata:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);\n",
        "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (a);\n-- migrate:down\nDROP INDEX i;\n",
    ] {
        assert!(scan_str(f).unwrap().up.no_transaction, "{f:?}");
    }
    // after the first statement it is just a comment
    let late = "SELECT 1;\n-- strata:no-transaction\nSELECT 2;\n";
    assert!(!scan_str(late).unwrap().up.no_transaction);
    let down_only = "-- migrate:up\nSELECT 1;\n-- migrate:down transaction:false\nSELECT 2;\n";
    let s = scan_str(down_only).unwrap();
    assert!(!s.up.no_transaction);
    assert!(s.down.unwrap().no_transaction);
}

#[test]
fn allow_directive() {
    let s =
        scan_str("-- strata:allow ban-drop-column, require-concurrent-index\nSELECT 1;\n").unwrap();
    assert_eq!(s.allow, vec!["ban-drop-column", "require-concurrent-index"]);
}

#[test]
fn bad_encoding_and_empty_files() {
    let e = scan(&mut &b"SELECT 1;\nSELECT '\xff';\n"[..], Path::new("x.sql")).unwrap_err();
    assert!(matches!(e, Error::InvalidUtf8 { offset: 18, .. }), "{e:?}");
    let e = scan(&mut &b"SELECT 1;\0\n"[..], Path::new("x.sql")).unwrap_err();
    assert!(matches!(e, Error::NulByte { offset: 9, .. }), "{e:?}");
    for empty in ["", "\n\n", "\u{feff}", " \t\r\n"] {
        assert!(
            matches!(scan_str(empty), Err(Error::EmptyMigration { .. })),
            "{empty:?}"
        );
    }
    // Only comments: a recorded no-op (SPEC §2.1).
    for comments in [
        "-- nothing\n",
        "/* a\n block */\n",
        "-- migrate:up\n-- migrate:down\nDROP TABLE a;\n",
    ] {
        assert!(scan_str(comments).unwrap().no_op, "{comments:?}");
    }
    assert!(!scan_str("SELECT 1;").unwrap().no_op);
}

#[test]
fn the_stream_hasher_agrees_with_the_line_hasher_however_the_bytes_are_cut() {
    use super::checksum::StreamHasher;
    let texts: [&[u8]; 6] = [
        b"",
        b"SELECT 1;\r\nSELECT 2;\r\n",
        b"a\rb\r\r\nc\r",
        b"\r\n\r\n\n\r",
        b"no newline at the end",
        b"mixed\nlf\r\nand cr\r only\r\n\r",
    ];
    for text in texts {
        let expected = Checksum::of(text);
        for cut in 1..=text.len().max(1) {
            let mut h = StreamHasher::default();
            for piece in text.chunks(cut) {
                h.update(piece);
            }
            assert_eq!(h.checksum(), expected, "{text:?} cut every {cut}");
        }
    }
}

/// The line and problem of a file refused by a load-time rule.
fn refused(s: &str) -> (u32, FileProblem) {
    match scan_str(s) {
        Err(Error::FileRule { line, problem, .. }) => (line, problem),
        other => panic!("{s:?}: {other:?}"),
    }
}

#[test]
fn look_alike_markers_are_refused_with_their_line() {
    for (file, line) in [
        (
            "CREATE TABLE a (id int);\n-- migrate:down:\nDROP TABLE a;\n",
            2,
        ),
        (
            "-- migrate:up\nSELECT 1;\n\n-- migrate:dwon\nSELECT 2;\n",
            4,
        ),
        ("-- migrate:upp\nSELECT 1;\n", 1),
    ] {
        assert!(
            matches!(refused(file), (l, FileProblem::LookAlikeMarker { .. }) if l == line),
            "{file:?}"
        );
    }
}

#[test]
fn node_pg_migrate_markers_with_trailing_text_split_the_file() {
    let f = "-- Up Migration for table a\nCREATE TABLE a (id int);\n-- Down Migration for table a\nDROP TABLE a;\n";
    let s = scan_str(f).unwrap();
    assert_eq!(s.down.unwrap().line, 3);
    assert_eq!(
        s.checksum,
        Checksum::of(&f.as_bytes()[..f.find("-- Down").unwrap()])
    );
}

#[test]
fn a_statement_before_the_up_marker_is_refused() {
    let (line, p) = refused("CREATE TABLE a (id int);\n-- migrate:up\nSELECT 1;\n");
    assert_eq!((line, p), (2, FileProblem::StatementBeforeUp));
    // Comments before it are fine.
    assert!(scan_str("-- header\n\n-- migrate:up\nSELECT 1;\n").is_ok());
}

#[test]
fn an_empty_down_section_is_a_down_part() {
    let s = scan_str("-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\n\n").unwrap();
    let down = s.down.expect("an empty down part");
    assert_eq!(down.line, 3);
}

#[test]
fn unknown_directives_are_refused() {
    let (line, p) = refused("-- strata:no-transactoin\nSELECT 1;\n");
    assert_eq!(line, 1);
    assert!(
        matches!(p, FileProblem::UnknownDirective { directive } if directive == "strata:no-transactoin")
    );
    assert_eq!(refused("SELECT 1;\n-- strata:nope\n").0, 2);
}

#[test]
fn sqlx_first_line_no_transaction() {
    assert!(
        scan_str("-- no-transaction\nCREATE DATABASE x;\nSELECT 1;\n")
            .unwrap()
            .up
            .no_transaction
    );
    // Only on the first line, as sqlx reads it.
    assert!(
        !scan_str("SELECT 1;\n-- no-transaction\nSELECT 2;\n")
            .unwrap()
            .up
            .no_transaction
    );
}

#[test]
fn all_non_transactional_statements_run_outside_a_transaction() {
    let s =
        scan_str("-- indexes\nCREATE INDEX CONCURRENTLY i ON t (a);\nDROP INDEX CONCURRENTLY j;\n")
            .unwrap();
    assert!(s.up.no_transaction);
    assert!(
        !scan_str("CREATE INDEX i ON t (a);\n")
            .unwrap()
            .up
            .no_transaction
    );
}

#[test]
fn mixing_non_transactional_statements_with_others_is_refused() {
    let (line, p) = refused("CREATE TABLE t (a int);\nCREATE INDEX CONCURRENTLY i ON t (a);\n");
    assert_eq!(line, 2);
    assert_eq!(
        p,
        FileProblem::MixedTransaction {
            kind: crate::sql::NonTransactional::CreateIndexConcurrently,
            transactional_line: 1
        }
    );
    assert!(p.to_string().contains("-- strata:no-transaction"), "{p}");
    // With the directive it runs statement by statement.
    assert!(
        scan_str("-- strata:no-transaction\nCREATE TABLE t (a int);\nCREATE INDEX CONCURRENTLY i ON t (a);\n")
            .unwrap()
            .up
            .no_transaction
    );
}

#[test]
fn lexical_problems_name_the_line() {
    use crate::sql::{ScriptProblem, Unterminated};
    assert_eq!(
        refused("SELECT 1;\nSELECT $$ oops;\n"),
        (
            2,
            FileProblem::Script(ScriptProblem::Unterminated(Unterminated::DollarQuote))
        )
    );
    assert_eq!(
        refused("SELECT 1;\n\\connect other\n"),
        (
            2,
            FileProblem::Script(ScriptProblem::MetaCommand {
                command: "\\connect".into()
            })
        )
    );
    // The down part is checked too.
    assert_eq!(refused("SELECT 1;\n-- migrate:down\nSELECT 'x;\n").0, 3);
    // A pg_dump header applies; the checksum is over the file as written.
    let dump = "\\restrict abc\nSET a = 1;\n\\unrestrict abc\n";
    assert_eq!(
        scan_str(dump).unwrap().checksum,
        Checksum::of(dump.as_bytes())
    );
}

#[test]
fn placeholders_replace_line_by_line_and_keep_line_numbers() {
    use std::io::Read;
    let toml = "[databases.main.placeholders]\ns = \"app\"\nlong = \"a_rather_long_schema_name\"\n";
    let project = crate::config::Project::from_toml(toml, Path::new("/p/strata.toml")).unwrap();
    let env = project
        .resolve_env(None, &crate::config::ProcessEnv::new())
        .unwrap();
    let p = Placeholders::for_database(&project.databases()[0], &env).unwrap();
    let text = "SELECT 1;\nCREATE TABLE ${s}.t (x text DEFAULT '${long}');\n${s}${s} $${s}$ ${ s } ${} ${s\nend";
    let mut out = String::new();
    Replacing::new(text.as_bytes(), Some(&p), "V1__a.sql")
        .read_to_string(&mut out)
        .unwrap();
    assert_eq!(
        out,
        "SELECT 1;\nCREATE TABLE app.t (x text DEFAULT 'a_rather_long_schema_name');\n\
         appapp $app$ ${ s } ${} ${s\nend"
    );
    assert_eq!(out.lines().count(), text.lines().count());
    // Without placeholders the reader is the text itself.
    let mut same = String::new();
    Replacing::new(text.as_bytes(), None, "V1__a.sql")
        .read_to_string(&mut same)
        .unwrap();
    assert_eq!(same, text);
    // The check names every undefined one with its line; built-ins are defined offline.
    let m = crate::source::Migrations::from_files(
        Path::new("migrations"),
        vec![(
            "V1__a.sql".into(),
            Content::Static(b"-- ${strata:database} ${flyway:user}\nSELECT '${s}';\nSELECT ${x}, ${flyway:timestamp};\n"),
        )],
    )
    .unwrap();
    let err = p.check(&m.list).unwrap_err().to_string();
    assert_eq!(
        err.lines().collect::<Vec<_>>(),
        [
            "V1__a.sql:3: placeholder ${x} is not defined; add it to [databases.main.placeholders] in strata.toml",
            "V1__a.sql:3: placeholder ${flyway:timestamp} is not a built-in (strata:database, strata:schema, \
             strata:user, strata:environment, strata:filename, flyway:defaultSchema, flyway:database, \
             flyway:user, flyway:filename)",
        ]
    );
}
