//! Migration folders as other tools write them (SPEC §2.1, §2.2): each
//! fixture under `tests/fixtures/<scenario>/` holds one rule, and a test
//! here fails if the rule breaks — names accepted and refused, dbmate and
//! node-pg-migrate markers and their look-alikes, empty down parts,
//! comment-only migrations, every no-transaction convention, psql
//! meta-commands, COPY (and data rows that read like markers),
//! standard_conforming_strings, unterminated tokens,
//! FIFOs and symbolic links. Load-time rules are checked by
//! `Migrations::from_dir` alone (what `validate --offline` runs); the rest
//! on a real database.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use strata::error::Error;
use strata::history::TableName;
use strata::migration::FileProblem;
use strata::migrator::{Migrator, Report};
use strata::rollback::{Rollback, RollbackOptions, RollbackTarget};
use strata::source::{FileKind, Migrations};
use strata::sql::{NonTransactional, ScriptProblem, Unterminated};
use strata_testkit::{TestDb, fresh_db};

fn fixture(scenario: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(scenario)
}

/// The errors loading a folder gives, one per file.
fn load_errors(dir: &Path) -> Vec<Error> {
    match Migrations::from_dir(dir) {
        Ok(m) => panic!("{} loaded: {:?}", dir.display(), m.list),
        Err(Error::InvalidMigrations(all)) => all,
        Err(one) => vec![one],
    }
}

/// The single load-time rule a folder breaks: (file name, line, problem).
fn rule(dir: &Path) -> Vec<(String, u32, FileProblem)> {
    load_errors(dir)
        .into_iter()
        .map(|e| match e {
            Error::FileRule {
                path,
                line,
                problem,
            } => (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                line,
                problem,
            ),
            other => panic!("not a file rule: {other:?}"),
        })
        .collect()
}

async fn migrate(db: &TestDb, dir: &Path) -> Result<Report, Error> {
    let migrations = Migrations::from_dir(dir)?;
    Migrator::new(&migrations, TableName::default())
        .run(&db.client().await, &mut |_| {})
        .await
}

async fn rollback_all(db: &TestDb, dir: &Path) {
    let migrations = Migrations::from_dir(dir).unwrap();
    Rollback::new(&migrations, TableName::default())
        .with_options(RollbackOptions {
            target: RollbackTarget::To("0".parse().unwrap()),
            ..Default::default()
        })
        .run(&db.client().await, &mut |_| {})
        .await
        .unwrap();
}

async fn exists(db: &TestDb, relation: &str) -> bool {
    db.client()
        .await
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&relation])
        .await
        .unwrap()
        .get(0)
}

/// (version, kind) of every history row, in order.
async fn history(db: &TestDb) -> Vec<(String, String)> {
    db.query_strings(
        "SELECT coalesce(version, 'R'), kind FROM strata_schema_history ORDER BY installed_rank",
    )
    .await
    .into_iter()
    .map(|r| (r[0].clone().unwrap(), r[1].clone().unwrap()))
    .collect()
}

fn row(version: &str, kind: &str) -> (String, String) {
    (version.to_owned(), kind.to_owned())
}

#[tokio::test]
async fn dbmate_and_graphile_names_are_versioned_migrations() {
    let m = Migrations::from_dir(&fixture("names_dbmate")).unwrap();
    let found: Vec<(String, &str)> = m
        .list
        .iter()
        .map(|m| (m.label(), m.description.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            ("0".to_owned(), "initial-schema"),
            ("1".to_owned(), "schemas-and-extensions")
        ]
    );
    let db = fresh_db("world_names_graphile").await;
    migrate(&db, &fixture("names_graphile")).await.unwrap();
    assert_eq!(
        history(&db).await,
        [row("1", "versioned"), row("2", "versioned")]
    );
    assert!(exists(&db, "first").await && exists(&db, "second").await);
}

#[test]
fn misnamed_files_are_refused_by_name() {
    let errors = load_errors(&fixture("names_refused"));
    let mut refused: Vec<String> = errors
        .iter()
        .map(|e| match e {
            Error::InvalidFileName { path, .. } => {
                path.file_name().unwrap().to_string_lossy().into_owned()
            }
            other => panic!("{other:?}"),
        })
        .collect();
    refused.sort();
    assert_eq!(refused, ["V1__a.SQL", "V5__.sql", "V9__x.up.sql"]);
}

#[tokio::test]
async fn dbmate_markers_split_up_and_down() {
    let db = fresh_db("world_markers_dbmate").await;
    let dir = fixture("markers_dbmate");
    let m = Migrations::from_dir(&dir).unwrap();
    assert!(m.list.iter().all(|m| m.down.is_some()));
    assert!(
        m.list[2].no_transaction(),
        "-- migrate:up transaction:false"
    );
    migrate(&db, &dir).await.unwrap();
    for t in ["plain", "no_space", "options", "plain_id"] {
        assert!(
            exists(&db, t).await,
            "{t}: the down part must not run on up"
        );
    }
    rollback_all(&db, &dir).await;
    for t in ["plain", "no_space", "options", "plain_id"] {
        assert!(!exists(&db, t).await, "{t}");
    }
}

#[tokio::test]
async fn node_pg_migrate_markers_with_trailing_text_split_up_and_down() {
    let db = fresh_db("world_markers_node_pg").await;
    let dir = fixture("markers_node_pg");
    migrate(&db, &dir).await.unwrap();
    for t in ["a", "b", "c"] {
        assert!(
            exists(&db, t).await,
            "{t}: the down part ran as part of the up"
        );
    }
    rollback_all(&db, &dir).await;
    for t in ["a", "b", "c"] {
        assert!(!exists(&db, t).await, "{t}");
    }
}

#[test]
fn marker_look_alikes_are_refused_naming_file_and_line() {
    let found = rule(&fixture("marker_look_alikes"));
    let at: Vec<(&str, u32)> = found.iter().map(|(f, l, _)| (f.as_str(), *l)).collect();
    assert_eq!(
        at,
        [
            ("V1__down_colon.sql", 3),
            ("V2__dwon.sql", 4),
            ("V3__upp.sql", 1)
        ]
    );
    assert!(
        found
            .iter()
            .all(|(_, _, p)| matches!(p, FileProblem::LookAlikeMarker { .. }))
    );
}

#[test]
fn a_statement_before_the_up_marker_is_refused() {
    assert_eq!(
        rule(&fixture("statement_before_up")),
        [(
            "V1__early.sql".to_owned(),
            2,
            FileProblem::StatementBeforeUp
        )]
    );
}

#[tokio::test]
async fn an_empty_down_section_rolls_back_by_recording_the_undo() {
    let db = fresh_db("world_empty_down").await;
    let dir = fixture("empty_down");
    migrate(&db, &dir).await.unwrap();
    rollback_all(&db, &dir).await;
    assert_eq!(
        history(&db).await,
        [row("1", "versioned"), row("1", "undo")]
    );
    assert!(exists(&db, "kept").await, "the down part runs nothing");
}

#[tokio::test]
async fn a_comment_only_migration_is_a_recorded_no_op_with_a_warning() {
    let db = fresh_db("world_comment_only").await;
    let dir = fixture("comment_only");
    let m = Migrations::from_dir(&dir).unwrap();
    assert!(
        m.warnings
            .iter()
            .any(|w| w.starts_with("V2__nothing.sql: the up part holds only comments")),
        "{:?}",
        m.warnings
    );
    let report = migrate(&db, &dir).await.unwrap();
    assert_eq!(report.executed[1].statements, 0);
    assert_eq!(
        history(&db).await,
        [
            row("1", "versioned"),
            row("2", "versioned"),
            row("3", "versioned")
        ]
    );
    assert!(exists(&db, "a").await && exists(&db, "b").await);
}

/// Each no-transaction convention lets a file mix `CREATE INDEX
/// CONCURRENTLY` with other statements; the index is built, and valid.
#[tokio::test]
async fn every_no_transaction_convention_runs_outside_a_transaction() {
    for scenario in [
        "no_tx_strata",
        "no_tx_dbmate",
        "no_tx_sqlx",
        "no_tx_flyway_conf",
        "no_tx_auto",
    ] {
        let dir = fixture(scenario);
        let m = Migrations::from_dir(&dir).unwrap();
        assert!(!m.list[0].no_transaction(), "{scenario}");
        assert!(m.list[1].no_transaction(), "{scenario}");
        let db = fresh_db(&format!("world_{scenario}")).await;
        migrate(&db, &dir).await.unwrap();
        let valid = db
            .query_strings(
                "SELECT indisvalid::text FROM pg_index WHERE indexrelid = 't_a'::regclass",
            )
            .await;
        assert_eq!(valid[0][0].as_deref(), Some("true"), "{scenario}");
        assert_eq!(history(&db).await.len(), 2, "{scenario}");
    }
}

#[test]
fn a_flyway_conf_with_another_key_is_refused_naming_it() {
    let found = rule(&fixture("flyway_conf_unknown_key"));
    assert_eq!(
        found,
        [(
            "V1__t.sql.conf".to_owned(),
            2,
            FileProblem::ConfKey {
                key: "shouldExecute".into()
            }
        )]
    );
}

#[tokio::test]
async fn a_mixed_transactional_file_is_refused_before_anything_runs() {
    let db = fresh_db("world_mixed_refused").await;
    let dir = fixture("mixed_refused");
    let err = migrate(&db, &dir).await.unwrap_err();
    assert!(err.is_check_failure(), "exit 3: {err}");
    let Error::FileRule {
        path,
        line,
        problem,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert!(path.ends_with("V2__mixed.sql"));
    assert_eq!(
        (*line, problem),
        (
            3,
            &FileProblem::MixedTransaction {
                kind: NonTransactional::CreateIndexConcurrently,
                transactional_line: 1
            }
        )
    );
    assert!(
        err.to_string().contains("-- strata:no-transaction"),
        "{err}"
    );
    assert!(!exists(&db, "t").await, "V1 must not be applied");
    assert!(!exists(&db, "strata_schema_history").await);
}

#[tokio::test]
async fn a_pg_dump_header_applies_without_its_restrict_lines() {
    let db = fresh_db("world_pg_dump_header").await;
    let dir = fixture("pg_dump_header");
    let m = Migrations::from_dir(&dir).unwrap();
    let bytes = std::fs::read(dir.join("V1__dump.sql")).unwrap();
    assert_eq!(m.list[0].checksum, strata::migration::Checksum::of(&bytes));
    migrate(&db, &dir).await.unwrap();
    let rows = db.query_strings("SELECT note FROM public.dumped").await;
    assert_eq!(rows[0][0].as_deref(), Some("a\\\\b"));
}

#[test]
fn other_meta_commands_and_scs_off_are_refused_with_their_line_copy_is_not() {
    assert_eq!(
        rule(&fixture("meta_connect")),
        [(
            "V1__a.sql".to_owned(),
            2,
            FileProblem::Script(ScriptProblem::MetaCommand {
                command: "\\connect".into()
            })
        )]
    );
    let meta = |command: &str| {
        FileProblem::Script(ScriptProblem::MetaCommand {
            command: command.into(),
        })
    };
    assert_eq!(
        rule(&fixture("meta_include_set")),
        [
            ("V1__include.sql".to_owned(), 3, meta("\\i")),
            ("V2__set.sql".to_owned(), 1, meta("\\set")),
        ]
    );
    // COPY FROM STDIN with its data loads (it runs in copy_from_stdin.rs).
    let copy = Migrations::from_dir(&fixture("copy_from_stdin")).unwrap();
    assert_eq!(copy.list.len(), 1);
    let scs: Vec<(String, u32)> = rule(&fixture("scs_off"))
        .into_iter()
        .map(|(f, l, p)| {
            assert_eq!(
                p,
                FileProblem::Script(ScriptProblem::StandardConformingStringsOff)
            );
            (f, l)
        })
        .collect();
    assert_eq!(
        scs,
        [
            ("V1__set.sql".to_owned(), 1),
            ("V2__set_session.sql".to_owned(), 2),
            ("V3__set_config.sql".to_owned(), 3)
        ]
    );
}

/// A data row of `COPY … FROM STDIN` reading like a marker or a directive
/// is data: loaded as a row, never splitting the file or refusing it.
#[tokio::test]
async fn copy_data_rows_are_never_markers_or_directives() {
    let dir = fixture("copy_data_markers");
    let m = Migrations::from_dir(&dir).unwrap();
    assert!(
        m.list[0].down.is_some(),
        "the real down marker, after the data"
    );
    assert!(!m.list[0].no_transaction());
    let db = fresh_db("world_copy_data_markers").await;
    migrate(&db, &dir).await.unwrap();
    let rows: Vec<String> = db
        .query_strings("SELECT body FROM notes ORDER BY body")
        .await
        .into_iter()
        .map(|r| r[0].clone().unwrap())
        .collect();
    assert_eq!(
        rows,
        [
            "-- Down Migration",
            "-- migrate:down",
            "-- migrate:dwon",
            "-- strata:no-transactoin"
        ]
    );
    rollback_all(&db, &dir).await;
    assert!(!exists(&db, "notes").await);
}

/// A database (or role) that sets standard_conforming_strings off: strata's
/// session runs with it on, so the server reads the file as the lexer did
/// and no COMMIT hides in a string; the failed migration leaves nothing.
#[tokio::test]
async fn a_database_with_standard_conforming_strings_off_runs_with_it_on() {
    let db = fresh_db("world_scs_off_database").await;
    db.client()
        .await
        .batch_execute(&format!(
            "ALTER DATABASE \"{}\" SET standard_conforming_strings = off",
            db.name()
        ))
        .await
        .unwrap();
    let dir = fixture("scs_off_database");
    let err = migrate(&db, &dir).await.unwrap_err();
    assert_eq!(
        err.sqlstate().map(|s| s.as_str().to_owned()).as_deref(),
        Some("22012"),
        "{err}"
    );
    assert!(!exists(&db, "t1").await && !exists(&db, "t2").await);
    assert!(
        !exists(&db, "strata_schema_history").await,
        "nothing recorded"
    );
}

#[test]
fn unterminated_tokens_are_refused_where_they_start() {
    use Unterminated as U;
    let found: Vec<(String, u32, FileProblem)> = rule(&fixture("unterminated"));
    let expect = |f: &str, l: u32, u: U| {
        (
            f.to_owned(),
            l,
            FileProblem::Script(ScriptProblem::Unterminated(u)),
        )
    };
    assert_eq!(
        found,
        [
            expect("V1__string.sql", 2, U::String),
            expect("V2__dollar.sql", 1, U::DollarQuote),
            expect("V3__comment.sql", 3, U::BlockComment),
            expect("V4__identifier.sql", 1, U::QuotedIdentifier),
        ]
    );
}

#[test]
fn allow_is_kept_and_unknown_directives_are_refused() {
    let m = Migrations::from_dir(&fixture("allow_directive")).unwrap();
    assert_eq!(
        m.list[0].allow,
        ["ban-drop-column", "adding-field-with-default"]
    );
    let found = rule(&fixture("unknown_directive"));
    assert_eq!(
        found,
        [(
            "V1__typo.sql".to_owned(),
            1,
            FileProblem::UnknownDirective {
                directive: "strata:no-transactoin".into()
            }
        )]
    );
}

#[test]
fn a_fifo_is_refused_without_being_opened() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("V1__a.sql"), "SELECT 1;").unwrap();
    let fifo = d.path().join("V9__f.sql");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    // Opening the FIFO would block this thread for ever: run the load on
    // another and give it a deadline.
    let dir = d.path().to_owned();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(Migrations::from_dir(&dir).map(|_| ())));
    let result = rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("loading a folder with a FIFO must not block");
    let Err(Error::NotRegularFile { path, kind }) = result else {
        panic!("{result:?}")
    };
    assert_eq!((path, kind), (fifo, FileKind::Fifo));
}

#[test]
fn symbolic_links_are_followed_only_inside_the_project() {
    let project = tempfile::tempdir().unwrap();
    std::fs::write(project.path().join("strata.toml"), "").unwrap();
    let migrations = project.path().join("migrations");
    std::fs::create_dir_all(project.path().join("shared")).unwrap();
    std::fs::create_dir(&migrations).unwrap();
    std::fs::write(
        project.path().join("shared/a.sql"),
        "CREATE TABLE a (id int);",
    )
    .unwrap();
    std::os::unix::fs::symlink("../shared/a.sql", migrations.join("V1__a.sql")).unwrap();
    let m = Migrations::from_dir(&migrations).unwrap();
    assert_eq!(m.list[0].script, "V1__a.sql");

    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.txt");
    std::fs::write(&secret, "do-not-echo-this\n").unwrap();
    std::os::unix::fs::symlink(&secret, migrations.join("V2__b.sql")).unwrap();
    let err = Migrations::from_dir(&migrations).unwrap_err();
    assert!(
        matches!(&err, Error::LinkOutsideProject { path, .. } if path.ends_with("V2__b.sql")),
        "{err:?}"
    );
    assert!(err.is_check_failure());
    assert!(!err.to_string().contains("do-not-echo-this"), "{err}");
    assert!(!format!("{err:?}").contains("do-not-echo-this"));

    // A link inside the project to a FIFO is refused too, never opened.
    std::fs::remove_file(migrations.join("V2__b.sql")).unwrap();
    let fifo = project.path().join("shared/pipe");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    std::os::unix::fs::symlink(&fifo, migrations.join("V3__p.sql")).unwrap();
    let err = Migrations::from_dir(&migrations).unwrap_err();
    assert!(
        matches!(
            &err,
            Error::NotRegularFile {
                kind: FileKind::LinkToNonRegular,
                ..
            }
        ),
        "{err:?}"
    );
}
