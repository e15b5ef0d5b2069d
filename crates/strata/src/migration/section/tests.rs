use super::*;

fn up(no_transaction: bool) -> Result<Option<Marker>, FileProblem> {
    Ok(Some(Marker::Up { no_transaction }))
}

fn down(no_transaction: bool) -> Result<Option<Marker>, FileProblem> {
    Ok(Some(Marker::Down { no_transaction }))
}

#[test]
fn dbmate_markers_as_dbmate_matches_them() {
    assert_eq!(marker("-- migrate:up\n"), up(false));
    assert_eq!(marker("--migrate:up"), up(false));
    assert_eq!(marker("--   migrate:up   \r\n"), up(false));
    assert_eq!(marker("-- migrate:up transaction:false\n"), up(true));
    assert_eq!(marker("-- migrate:up transaction:true"), up(false));
    assert_eq!(marker("-- migrate:down\n"), down(false));
    assert_eq!(marker("-- migrate:down transaction:false"), down(true));
    assert!(matches!(
        marker("-- migrate:up transaction:flase"),
        Err(FileProblem::MarkerOption { .. })
    ));
}

#[test]
fn node_pg_migrate_markers_as_node_pg_migrate_matches_them() {
    for line in [
        "-- Up Migration",
        "-- up migration\n",
        "  --- Up   Migration for table a",
        "--UP MIGRATION",
    ] {
        assert_eq!(marker(line), up(false), "{line:?}");
    }
    for line in [
        "-- Down Migration",
        "-- Down Migration for table a",
        "--- Down Migration",
        "-- DOWN Migration (Rollback)",
        "-- - down migration",
    ] {
        assert_eq!(marker(line), down(false), "{line:?}");
    }
}

#[test]
fn look_alikes_are_errors() {
    for line in [
        "-- migrate:down:",
        "-- migrate:dwon",
        "-- migrate:upp",
        "-- Migrate:Up",
        "  -- migrate:up",
        "--- migrate:down",
        "-- migrate: up",
        "-- Down-Migration",
        "-- upmigration",
    ] {
        assert!(
            matches!(marker(line), Err(FileProblem::LookAlikeMarker { .. })),
            "{line:?}"
        );
    }
    for line in [
        "-- a comment",
        "-- update migration notes",
        "-- migrated from the old schema",
        "SELECT 1; -- migrate:up",
        "CREATE TABLE migrate (up int);",
    ] {
        assert_eq!(marker(line), Ok(None), "{line:?}");
    }
}

#[test]
fn directives() {
    assert_eq!(
        directive("-- strata:no-transaction\n"),
        Some(Ok(Directive::NoTransaction))
    );
    assert_eq!(
        directive("--strata:allow a, b c"),
        Some(Ok(Directive::Allow(vec![
            "a".into(),
            "b".into(),
            "c".into()
        ])))
    );
    for bad in [
        "-- strata:no-transactoin",
        "-- strata:no-transaction please",
        "-- strata:allow",
        "-- strata:",
    ] {
        assert!(
            matches!(
                directive(bad),
                Some(Err(FileProblem::UnknownDirective { .. }))
            ),
            "{bad:?}"
        );
    }
    assert_eq!(directive("-- just a comment"), None);
    assert!(is_sqlx_no_transaction("-- no-transaction\n"));
    assert!(!is_sqlx_no_transaction("--no-transaction\n"));
}
