//! Each migration runs as if it had its own session (SPEC §4.2 step 4):
//! settings, `search_path`, `SET ROLE` and `SET SESSION AUTHORIZATION` made
//! by one migration reach neither the next one nor the history write, and
//! the environment's timeouts hold for every migration — in normal and
//! `--single-transaction` runs, transactional and no-transaction files.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use strata::config::Timeout;
use strata::error::Error;
use strata::history::TableName;
use strata::lock::Session;
use strata::migrator::{MigrateOptions, Migrator, Report};
use strata::source::Migrations;
use strata_testkit::{TestDb, fresh_db};

use super::copy_from_stdin::folder;

/// A run with the production environment's timeouts.
async fn migrate(db: &TestDb, dir: &Path, single: bool) -> Result<Report, Error> {
    let migrations = Migrations::from_dir(dir)?;
    Migrator::new(&migrations, TableName::default())
        .with_options(MigrateOptions {
            single_transaction: single,
            session: Session {
                lock_timeout: Some(Timeout::parse("5s").unwrap()),
                statement_timeout: Some(Timeout::parse("15min").unwrap()),
                ..Session::default()
            },
            ..MigrateOptions::default()
        })
        .run(&db.client().await, &mut |_| {})
        .await
}

/// (version, success, applied_by) of every history row.
async fn history(db: &TestDb) -> Vec<(String, bool, String)> {
    db.query_strings(
        "SELECT version, success::text, applied_by FROM strata_schema_history ORDER BY installed_rank",
    )
    .await
    .into_iter()
    .map(|r| {
        (
            r[0].clone().unwrap(),
            r[1].as_deref() == Some("true"),
            r[2].clone().unwrap(),
        )
    })
    .collect()
}

/// Fails the migration unless `setting` is `value`.
fn expect_setting(setting: &str, value: &str) -> String {
    format!(
        "DO $$ BEGIN IF current_setting('{setting}') <> '{value}' THEN \
         RAISE EXCEPTION '{setting} is %, not {value}', current_setting('{setting}'); END IF; END $$;\n"
    )
}

const PG_DUMP_HEADER: &str = "SET statement_timeout = 0;\n\
    SET lock_timeout = 0;\n\
    SET client_encoding = 'UTF8';\n\
    SELECT pg_catalog.set_config('search_path', '', false);\n\
    SET check_function_bodies = false;\n\
    SET client_min_messages = warning;\n\
    CREATE TABLE public.dumped (id int);\n";

#[tokio::test]
async fn a_pg_dump_header_reaches_neither_the_next_migration_nor_its_timeouts() {
    for single in [false, true] {
        let db = fresh_db(&format!("session_pg_dump_{single}")).await;
        let v3 = format!(
            "{}{}{}",
            expect_setting("lock_timeout", "5s"),
            expect_setting("statement_timeout", "15min"),
            expect_setting("check_function_bodies", "on"),
        );
        let dir = folder(&[
            ("V1__dump.sql", PG_DUMP_HEADER),
            // Unqualified: needs the search_path V1 emptied back.
            ("V2__extra.sql", "CREATE TABLE extra (id int);\n"),
            ("V3__check.sql", &v3),
            // A migration may change them for itself.
            (
                "V4__own.sql",
                &format!(
                    "SET lock_timeout = '1s';\n{}",
                    expect_setting("lock_timeout", "1s")
                ),
            ),
            ("V5__again.sql", &expect_setting("lock_timeout", "5s")),
        ]);
        let report = migrate(&db, dir.path(), single)
            .await
            .unwrap_or_else(|e| panic!("single = {single}: {e}"));
        assert_eq!(report.executed.len(), 5);
        let extra = db
            .query_strings("SELECT to_regclass('public.extra')::text")
            .await;
        assert_eq!(extra[0][0].as_deref(), Some("extra"));
        assert_eq!(history(&db).await.len(), 5);
    }
}

#[tokio::test]
async fn a_role_switched_in_a_migration_does_not_write_the_history() {
    for single in [false, true] {
        let db = fresh_db(&format!("session_role_{single}")).await;
        let role = format!("norights_{single}_{}", std::process::id());
        db.query_strings(&format!(
            "DROP ROLE IF EXISTS {role}; CREATE ROLE {role} NOLOGIN"
        ))
        .await;
        let me = db.query_strings("SELECT current_user::text").await[0][0]
            .clone()
            .unwrap();
        let mut files = vec![
            (
                "V1__role.sql".to_owned(),
                format!("CREATE TABLE a (id int);\nSET ROLE {role};\n"),
            ),
            // Runs as the migrating user again: the role may not create here.
            (
                "V2__after.sql".to_owned(),
                "CREATE TABLE b (id int);\n".to_owned(),
            ),
            (
                "V3__auth.sql".to_owned(),
                format!("SET SESSION AUTHORIZATION {role};\nSELECT 1;\n"),
            ),
            (
                "V4__after.sql".to_owned(),
                "CREATE TABLE c (id int);\n".to_owned(),
            ),
        ];
        if !single {
            files.push((
                "V5__notx.sql".to_owned(),
                format!("-- strata:no-transaction\nSET ROLE {role};\nSELECT 1;\n"),
            ));
            files.push((
                "V6__notx_auth.sql".to_owned(),
                format!("-- strata:no-transaction\nSET SESSION AUTHORIZATION {role};\n"),
            ));
            files.push((
                "V7__after.sql".to_owned(),
                "CREATE TABLE d (id int);\n".to_owned(),
            ));
        }
        let refs: Vec<(&str, &str)> = files
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_str()))
            .collect();
        let dir = folder(&refs);
        migrate(&db, dir.path(), single)
            .await
            .unwrap_or_else(|e| panic!("single = {single}: {e}"));
        let rows = history(&db).await;
        assert_eq!(rows.len(), files.len(), "{rows:?}");
        for (version, success, applied_by) in rows {
            assert!(success, "V{version}");
            assert_eq!(applied_by, me, "V{version} was recorded as another role");
        }
        // Every table belongs to the migrating user.
        let owners = db
            .query_strings(
                "SELECT DISTINCT tableowner::text FROM pg_tables WHERE schemaname = 'public' \
                 AND tablename <> 'strata_schema_history'",
            )
            .await;
        assert_eq!(owners, [[Some(me.clone())]]);
    }
}
