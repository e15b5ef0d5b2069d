use super::*;
use crate::migration::{Checksum, Version};

#[test]
fn timestamps_format_as_rfc3339_utc() {
    let at = |us: i64| Timestamp::from_pg_micros(us).to_string();
    assert_eq!(at(0), "2000-01-01T00:00:00Z");
    // 2026-11-21 16:32:28.999 UTC: fractions are cut, not rounded.
    assert_eq!(at(848_593_948_999_000), "2026-11-21T16:32:28Z");
    assert_eq!(at(-1), "1999-12-31T23:59:59Z");
    // A leap day, and the day after.
    assert_eq!(at(131_328_000_000_000), "2004-02-29T00:00:00Z");
    assert_eq!(at(131_414_400_000_000), "2004-03-01T00:00:00Z");
    assert_eq!(at(-946_684_800_000_000), "1970-01-01T00:00:00Z");
    assert_eq!(at(i64::MAX), "infinity");
    // Checked against the time crate over a spread of instants.
    for us in (-3_000_000_000_000_000i64..3_000_000_000_000_000).step_by(7_777_777_777_777) {
        let t = time::OffsetDateTime::from_unix_timestamp_nanos(
            (i128::from(us) + 946_684_800_000_000) * 1000,
        )
        .unwrap();
        let want = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        );
        assert_eq!(at(us), want, "{us}");
    }
}

#[test]
fn quoting() {
    assert_eq!(quote_ident("we\"ird"), "\"we\"\"ird\"");
    assert_eq!(
        TableName::default().quoted(),
        "\"public\".\"strata_schema_history\""
    );
}

const SUM: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn stored(
    version: Option<&'static str>,
    kind: &'static str,
    checksum: Option<&'static str>,
) -> StoredColumns<'static> {
    StoredColumns {
        installed_rank: 7,
        version,
        kind: Some(kind),
        checksum,
        applied_at: Some(Timestamp::from_pg_micros(0)),
    }
}

fn corrupt(s: StoredColumns<'_>) -> (&'static str, Option<String>, String) {
    match s.typed(&TableName::default()) {
        Err(
            e @ Error::CorruptHistory {
                installed_rank: 7,
                column,
                ..
            },
        ) => {
            let Error::CorruptHistory { value, .. } = &e else {
                unreachable!()
            };
            (column, value.clone(), e.to_string())
        }
        Err(e) => panic!("another error: {e}"),
        Ok(_) => panic!("accepted"),
    }
}

#[test]
fn stored_columns_become_typed_values() {
    let t = stored(Some("001.2"), "versioned", Some(SUM))
        .typed(&TableName::default())
        .unwrap();
    assert_eq!(t.version, Some("1.2".parse::<Version>().unwrap()));
    assert_eq!(t.kind, RowKind::Versioned);
    assert_eq!(t.checksum, Checksum::from_hex(SUM));
    assert_eq!(t.applied_at, Timestamp::from_pg_micros(0));
    // A repeatable has no version, a baseline no checksum.
    let t = stored(None, "repeatable", Some(SUM)).typed(&"t").unwrap();
    assert_eq!((t.version, t.kind), (None, RowKind::Repeatable));
    let t = stored(Some("3"), "baseline", None).typed(&"t").unwrap();
    assert_eq!((t.kind, t.checksum), (RowKind::Baseline, None));
}

#[test]
fn a_corrupt_column_is_an_error_naming_table_rank_and_column() {
    let (column, value, text) = corrupt(stored(Some("v1.x"), "versioned", Some(SUM)));
    assert_eq!((column, value.as_deref()), ("version", Some("v1.x")));
    assert_eq!(
        text,
        "the history table public.strata_schema_history has a corrupt row: installed_rank 7, \
         column version holds \"v1.x\", which is not a version like 1, 2.1 or 20250101; \
         correct or delete that row by hand"
    );
    // Not coerced to `versioned`.
    let (column, value, _) = corrupt(stored(Some("1"), "SQL", Some(SUM)));
    assert_eq!((column, value.as_deref()), ("kind", Some("SQL")));
    let mut no_kind = stored(Some("1"), "versioned", Some(SUM));
    no_kind.kind = None;
    assert!(corrupt(no_kind).2.contains("column kind holds NULL"));
    // 63 digits, a non-hex digit, a prefix.
    for bad in [&SUM[1..], &SUM.replace('e', "g")[..], "sha256:e3b0"] {
        let (column, value, _) = corrupt(stored(
            Some("1"),
            "versioned",
            Some(Box::leak(bad.to_owned().into_boxed_str())),
        ));
        assert_eq!((column, value.as_deref()), ("checksum", Some(bad)));
    }
    let (column, ..) = corrupt(stored(Some(""), "versioned", None));
    assert_eq!(column, "version");
    let mut no_time = stored(Some("1"), "versioned", None);
    no_time.applied_at = None;
    assert_eq!(corrupt(no_time).0, "applied_at");
    // SPEC §3: only repeatable rows have a NULL version, and they always do.
    let (column, value, text) = corrupt(stored(None, "versioned", Some(SUM)));
    assert_eq!((column, value), ("version", None));
    assert!(text.contains("column version holds NULL"), "{text}");
    let (column, value, _) = corrupt(stored(Some("4"), "repeatable", Some(SUM)));
    assert_eq!((column, value.as_deref()), ("version", Some("4")));
}

#[test]
fn every_tool_a_shape_names_is_one_baseline_adopts() {
    use super::tool_of;
    let shapes: [&[&str]; 6] = [
        &[
            "installed_rank",
            "version",
            "description",
            "type",
            "script",
            "checksum",
            "installed_by",
            "installed_on",
            "execution_time",
            "success",
        ],
        &[
            "version",
            "description",
            "installed_on",
            "success",
            "checksum",
            "execution_time",
        ],
        &["version", "dirty"],
        &["version"],
        &["id", "name", "run_on"],
        &["version", "name", "applied_on", "checksum"],
    ];
    let names: Vec<&str> = shapes
        .iter()
        .map(|s| tool_of(&s.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>()).unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "flyway",
            "sqlx",
            "golang-migrate",
            "dbmate",
            "node-pg-migrate",
            "refinery"
        ]
    );
    for n in names {
        assert!(n.parse::<crate::adopt::Tool>().is_ok(), "{n}");
    }
}
