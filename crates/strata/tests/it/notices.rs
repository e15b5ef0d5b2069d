//! Server WARNINGs and NOTICEs raised by a migration reach its
//! `Executed::notices` (SPEC §4.2 step 4), in normal, single-transaction
//! and no-transaction runs, each attributed to the migration that raised it.
#![allow(clippy::unwrap_used)]

use strata::history::TableName;
use strata::migrator::{MigrateOptions, Migrator};
use strata::notice::Notices;
use strata::source::Migrations;
use strata_testkit::fresh_db;

use super::copy_from_stdin::folder;

#[tokio::test]
async fn each_migration_carries_the_notices_it_raised() {
    for single in [false, true] {
        let db = fresh_db(&format!("notices_{single}")).await;
        let mut files = vec![
            (
                "V1__raise.sql",
                "DO $$ BEGIN RAISE WARNING 'w1'; RAISE NOTICE 'n1'; END $$;\nCREATE TABLE t (id int);\n",
            ),
            ("V2__quiet.sql", "CREATE TABLE u (id int);\n"),
            (
                "V3__again.sql",
                "DROP TABLE IF EXISTS nothing_here;\nDO $$ BEGIN RAISE WARNING 'w3' USING HINT = 'h3'; END $$;\n",
            ),
        ];
        if !single {
            files.push((
                "V4__notx.sql",
                "-- strata:no-transaction\nDO $$ BEGIN RAISE NOTICE 'n4'; END $$;\n",
            ));
        }
        let dir = folder(&files);
        let migrations = Migrations::from_dir(dir.path()).unwrap();
        let notices = Notices::new();
        let (client, connection) = tokio_postgres::connect(&db.url(), tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(notices.clone().drive(connection));
        let report = Migrator::new(&migrations, TableName::default())
            .with_options(MigrateOptions {
                single_transaction: single,
                ..MigrateOptions::default()
            })
            .with_notices(notices)
            .run(&client, &mut |_| {})
            .await
            .unwrap();
        let seen: Vec<Vec<(String, String)>> = report
            .executed
            .iter()
            .map(|e| {
                e.notices
                    .iter()
                    .map(|n| (n.severity.clone(), n.message.clone()))
                    .collect()
            })
            .collect();
        let pair = |s: &str, m: &str| (s.to_owned(), m.to_owned());
        let mut want = vec![
            vec![pair("WARNING", "w1"), pair("NOTICE", "n1")],
            vec![],
            vec![
                pair("NOTICE", "table \"nothing_here\" does not exist, skipping"),
                pair("WARNING", "w3"),
            ],
        ];
        if !single {
            want.push(vec![pair("NOTICE", "n4")]);
        }
        assert_eq!(seen, want, "single = {single}");
        assert_eq!(report.executed[2].notices[1].hint.as_deref(), Some("h3"));
    }
}
