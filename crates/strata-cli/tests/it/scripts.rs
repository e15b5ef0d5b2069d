//! Migration files that need care, run through the CLI: a no-transaction
//! file of several statements with `CREATE INDEX CONCURRENTLY`, one that
//! fails half-way, and a file saved with a BOM and CRLF line endings.

#![allow(clippy::unwrap_used)]

use crate::support::{Project, history, table_exists};
use strata_testkit::TestDb;

#[test]
fn a_no_transaction_file_creates_indexes_concurrently() {
    let db = TestDb::new_blocking("cli_no_tx");
    let project = Project::new();
    project.fixture("no_tx");

    let run = project.run(&db.url(), &["migrate"]);

    run.expect_code(0).expect_no_panic();
    assert!(
        run.stdout.contains("applied V1 items with indexes"),
        "{}",
        run.stdout
    );
    let indexes = db.query_strings_blocking(
        "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
         WHERE i.indrelid = 'public.items'::regclass ORDER BY 1",
    );
    assert_eq!(
        indexes,
        vec![
            vec![Some("items_id_idx".to_owned()), Some("t".to_owned())],
            vec![Some("items_name_idx".to_owned()), Some("t".to_owned())],
        ]
    );
    assert_eq!(
        db.query_strings_blocking("SELECT count(*) FROM items"),
        vec![vec![Some("1000".to_owned())]]
    );
    assert_eq!(
        history(&db),
        vec![(
            Some("1".to_owned()),
            "V001__items_with_indexes.sql".to_owned(),
            true
        )]
    );
    project.run(&db.url(), &["verify"]).expect_code(0);
}

#[test]
fn concurrently_in_a_transactional_file_is_refused_at_load_and_leaves_nothing() {
    let db = TestDb::new_blocking("cli_concurrently_in_tx");
    let project = Project::new();
    project.migration(
        "V1__index.sql",
        "CREATE TABLE items (id int);\nCREATE INDEX CONCURRENTLY items_id_idx ON items (id);\n",
    );

    let run = project.run(&db.url(), &["migrate"]);

    // Refused when the folder is loaded (SPEC §2.2), before anything is sent.
    run.expect_code(3).expect_no_panic();
    let out = format!("{}{}", run.stdout, run.stderr);
    assert!(out.contains("V1__index.sql:2:"), "{out}");
    assert!(out.contains("-- strata:no-transaction"), "{out}");
    assert!(!table_exists(&db, "items"), "nothing ran");
    assert!(history(&db).is_empty());
}

#[test]
fn a_failed_no_transaction_migration_is_recorded_and_blocks_the_next_run() {
    let db = TestDb::new_blocking("cli_failed_no_tx");
    let project = Project::new();
    project.fixture("failed_no_tx");

    let run = project.run(&db.url(), &["migrate"]);

    run.expect_code(1).expect_no_panic();
    assert!(run.stderr.contains("V001__parts.sql:4:1"), "{}", run.stderr);
    assert!(run.stderr.contains("23505"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("2 statement(s) before this one succeeded"),
        "{}",
        run.stderr
    );
    // The statements before the failing one stay; the one after never ran.
    assert!(table_exists(&db, "parts"));
    let never = db.query_strings_blocking("SELECT to_regclass('public.parts_never_idx') IS NULL");
    assert_eq!(never, vec![vec![Some("t".to_owned())]]);
    assert_eq!(
        history(&db),
        vec![(Some("1".to_owned()), "V001__parts.sql".to_owned(), false)]
    );
    let progress =
        db.query_strings_blocking("SELECT progress IS NOT NULL FROM public.strata_schema_history");
    assert_eq!(progress, vec![vec![Some("t".to_owned())]]);

    // The next run refuses (exit 3) and says what resolves it.
    let run = project.run(&db.url(), &["migrate"]);
    run.expect_code(3);
    assert!(run.stderr.contains("V001__parts.sql"), "{}", run.stderr);
    assert!(run.stderr.contains("strata repair"), "{}", run.stderr);
    assert_eq!(history(&db).len(), 1);
    let run = project.run(&db.url(), &["verify"]);
    run.expect_code(3);
    assert!(run.stdout.contains("failed"), "{}", run.stdout);
}

/// `text` saved the Windows way: a UTF-8 BOM and CRLF line endings.
fn bom_crlf(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend_from_slice(text.replace('\n', "\r\n").as_bytes());
    bytes
}

#[test]
fn a_bom_and_crlf_file_runs_and_sums_like_its_lf_twin() {
    let db = TestDb::new_blocking("cli_crlf_bom");
    let project = Project::new();
    let sql =
        "CREATE TABLE crlf (\n  id int,\n  note text\n);\nINSERT INTO crlf VALUES (1, 'a\nb');\n";
    project.migration("V1__crlf.sql", bom_crlf(sql));

    project
        .run(&db.url(), &["migrate"])
        .expect_code(0)
        .expect_no_panic();
    assert!(table_exists(&db, "crlf"));
    // The CRLF inside the string literal reaches the table as written.
    assert_eq!(
        db.query_strings_blocking("SELECT note = E'a\\r\\nb' FROM crlf"),
        vec![vec![Some("t".to_owned())]]
    );

    // A checkout with LF endings and no BOM is the same migration ...
    project.migration("V1__crlf.sql", sql);
    project.run(&db.url(), &["verify"]).expect_code(0);
    // ... but a real edit is not.
    project.migration("V1__crlf.sql", sql.replace("note text", "note varchar"));
    project.run(&db.url(), &["verify"]).expect_code(3);
}

#[test]
fn an_error_in_a_bom_and_crlf_file_points_at_the_right_line_and_column() {
    let db = TestDb::new_blocking("cli_crlf_bom_error");
    let project = Project::new();
    project
        .migration("V1__first_line.sql", bom_crlf("SELECT * FROM nope1;\n"))
        .migration(
            "V2__third_line.sql",
            bom_crlf("CREATE TABLE ok (id int);\n\nSELECT id, nme FROM ok;\n"),
        );

    let run = project.run(&db.url(), &["migrate"]);
    run.expect_code(1);
    // Column 15 on line 1: the BOM is not a character of the line.
    assert!(
        run.stderr.contains("V1__first_line.sql:1:15"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(" 1 | SELECT * FROM nope1;"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains('\u{feff}'), "{}", run.stderr);
    assert!(!run.stderr.contains('\r'), "{}", run.stderr);

    project.remove_migration("V1__first_line.sql");
    let run = project.run(&db.url(), &["migrate"]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("V2__third_line.sql:3:12"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(" 3 | SELECT id, nme FROM ok;"),
        "{}",
        run.stderr
    );
}
