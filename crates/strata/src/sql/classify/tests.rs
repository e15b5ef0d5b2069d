use super::*;
use crate::sql::lexer::{is_trivia, tokens};

fn words(sql: &str) -> Vec<Word> {
    let mut pos = 0;
    tokens(sql, true)
        .filter_map(|t| {
            let text = &sql[pos..pos + t.len as usize];
            pos += t.len as usize;
            (!is_trivia(t.kind) && t.kind != TokenKind::Semi).then(|| (t.kind, text.to_owned()))
        })
        .collect()
}

fn classify(sql: &str) -> Option<NonTransactional> {
    let w = words(sql);
    Words {
        first: &w,
        last: w.last(),
    }
    .non_transactional()
}

#[test]
fn statements_that_cannot_run_in_a_transaction() {
    use NonTransactional as N;
    for (sql, kind) in [
        (
            "CREATE INDEX CONCURRENTLY i ON t (a);",
            N::CreateIndexConcurrently,
        ),
        (
            "create unique index /* c */ concurrently on t (a)",
            N::CreateIndexConcurrently,
        ),
        (
            "DROP INDEX CONCURRENTLY IF EXISTS i;",
            N::DropIndexConcurrently,
        ),
        ("REINDEX TABLE CONCURRENTLY t;", N::ReindexConcurrently),
        ("REINDEX (CONCURRENTLY) INDEX i;", N::ReindexConcurrently),
        (
            "ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY;",
            N::DetachPartitionConcurrently,
        ),
        ("vacuum (analyze) t;", N::Vacuum),
        ("CREATE DATABASE x;", N::CreateDatabase),
        ("DROP DATABASE IF EXISTS x;", N::DropDatabase),
        ("ALTER SYSTEM SET work_mem = '8MB';", N::AlterSystem),
        ("CREATE TABLESPACE s LOCATION '/x';", N::CreateTablespace),
        ("DROP TABLESPACE s;", N::DropTablespace),
    ] {
        assert_eq!(classify(sql), Some(kind), "{sql}");
    }
    for sql in [
        "CREATE INDEX i ON t (a);",
        "CREATE INDEX \"concurrently\" ON t (a);",
        "DROP INDEX i;",
        "REINDEX TABLE t;",
        "ALTER TABLE p DETACH PARTITION p1;",
        "ALTER TABLE p DETACH PARTITION p1 FINALIZE;",
        "SELECT 'vacuum';",
        "ALTER DATABASE x SET work_mem = '8MB';",
        "-- VACUUM\nSELECT 1",
    ] {
        assert_eq!(classify(sql), None, "{sql}");
    }
}

#[test]
fn setting_standard_conforming_strings_off() {
    let off = |sql: &str| {
        let w = words(sql);
        let mut watch = SetConfigWatch::default();
        let by_call = w.iter().any(|x| watch.step(x));
        by_call
            || Words {
                first: &w,
                last: w.last(),
            }
            .sets_scs_off()
    };
    for sql in [
        "SET standard_conforming_strings = off",
        "set session standard_conforming_strings to 'off'",
        "SET LOCAL standard_conforming_strings = false",
        "SET standard_conforming_strings = 0",
        "SELECT pg_catalog.set_config('standard_conforming_strings', 'off', false)",
        "select set_config ( 'STANDARD_CONFORMING_STRINGS' , 'no' , true )",
    ] {
        assert!(off(sql), "{sql}");
    }
    for sql in [
        "SET standard_conforming_strings = on",
        "SET standard_conforming_strings TO DEFAULT",
        "SELECT set_config('search_path', '', false)",
        "SELECT set_config('standard_conforming_strings', 'on', false)",
        "SET client_encoding = 'UTF8'",
    ] {
        assert!(!off(sql), "{sql}");
    }
}
