//! Unit tests of [`super::select`]: which versions a rollback picks, and its refusals.

use super::*;
use crate::history::Timestamp;
use crate::migration::Content;
use std::path::Path;

fn files(list: &[(&str, &'static str)]) -> Migrations {
    Migrations::from_files(
        Path::new("m"),
        list.iter()
            .map(|(n, b)| ((*n).to_owned(), Content::Static(b.as_bytes())))
            .collect(),
    )
    .unwrap()
}

fn applied(m: &Migration, rank: i32, kind: RowKind) -> AppliedMigration {
    AppliedMigration {
        installed_rank: rank,
        version: m.version.clone(),
        description: m.description.clone(),
        kind,
        script: m.script.clone(),
        checksum: Some(m.checksum),
        applied_by: "t".into(),
        applied_at: Timestamp::default(),
        execution_ms: 0,
        success: true,
        progress: None,
    }
}

const A: &str = "-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n";

#[test]
fn newest_versions_first_and_to_keeps_the_version() {
    let m = files(&[
        ("V1__a.sql", A),
        ("V2__b.sql", "CREATE TABLE b (id int);"),
        ("U2__b.sql", "DROP TABLE b;"),
        ("V10__c.sql", "CREATE TABLE c (id int);"),
        ("U10__c.sql", "DROP TABLE c;"),
    ]);
    let h: Vec<_> = m
        .list
        .iter()
        .enumerate()
        .map(|(i, x)| applied(x, i as i32 + 1, RowKind::Versioned))
        .collect();
    let (_, s) = select(&m.list, &h, &RollbackTarget::Steps(2)).unwrap();
    assert_eq!(s, vec![2, 1]);
    let (_, s) = select(&m.list, &h, &RollbackTarget::To("1".parse().unwrap())).unwrap();
    assert_eq!(s, vec![2, 1]);
    let (_, s) = select(&m.list, &h, &RollbackTarget::To("0".parse().unwrap())).unwrap();
    assert_eq!(s, vec![2, 1, 0]);
}

#[test]
fn refuses_when_any_version_in_range_has_no_down() {
    let m = files(&[("V1__a.sql", "CREATE TABLE a (id int);"), ("V2__b.sql", A)]);
    let h: Vec<_> = m
        .list
        .iter()
        .enumerate()
        .map(|(i, x)| applied(x, i as i32 + 1, RowKind::Versioned))
        .collect();
    assert!(select(&m.list, &h, &RollbackTarget::Steps(1)).is_ok());
    let Err(Error::RollbackRefused { problems }) = select(&m.list, &h, &RollbackTarget::Steps(2))
    else {
        panic!("expected a refusal")
    };
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].to_string().contains("no down part"),
        "{problems:?}"
    );
    assert!(select(&m.list, &h, &RollbackTarget::Steps(3)).is_err());
}
