//! Adopting a database another tool managed: each tool's real history table
//! (its own DDL and rows as that tool writes them) in a test database, then
//! `baseline --from TOOL` records the same applied versions, and `migrate`
//! runs only what the old tool had not.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use strata::adopt::{AdoptOptions, AdoptReport, Tool, adopt};
use strata::error::Error;
use strata::history::TableName;
use strata::migrator::Migrator;
use strata::plan::State;
use strata::source::Migrations;
use strata_testkit::{TestDb, fresh_db};

fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for (name, body) in files {
        std::fs::write(d.path().join(name), body).unwrap();
    }
    d
}

async fn run_adopt(db: &TestDb, dir: &Path, tool: Tool) -> Result<AdoptReport, Error> {
    let m = Migrations::from_dir(dir).unwrap();
    adopt(
        &db.client().await,
        &TableName::default(),
        &m,
        &AdoptOptions::new(tool),
        &mut |_| {},
    )
    .await
}

/// Adopts, checks the recorded versions and checksums, then migrates and
/// checks that only `expect_run` ran.
async fn adopt_then_migrate(
    db: &TestDb,
    dir: &Path,
    tool: Tool,
    expect_recorded: &[&str],
    expect_run: &[&str],
) {
    let report = run_adopt(db, dir, tool).await.unwrap();
    let m = Migrations::from_dir(dir).unwrap();
    let recorded: Vec<&str> = report.history.iter().map(|r| r.script.as_str()).collect();
    assert_eq!(recorded, expect_recorded, "{tool}");
    for row in &report.history {
        if let Some(file) = m.list.iter().find(|f| f.script == row.script) {
            assert_eq!(
                row.checksum.map(|c| c.to_string()),
                Some(file.checksum.to_string()),
                "{tool}: {}",
                row.script
            );
        }
    }
    let client = db.client().await;
    let r = Migrator::new(&m, TableName::default())
        .run(&client, &mut |_| {})
        .await
        .unwrap();
    let ran: Vec<&str> = r.executed.iter().map(|e| e.script.as_str()).collect();
    assert_eq!(ran, expect_run, "{tool}");
    strata::verify(&client, &m).await.unwrap();
    // Adopting twice is refused: strata's history now has rows.
    let again = run_adopt(db, dir, tool).await.unwrap_err();
    assert!(matches!(again, Error::HistoryNotEmpty { .. }), "{again:?}");
}

#[tokio::test]
async fn flyway() {
    let db = fresh_db("adopt_flyway").await;
    // Flyway's PostgreSQL DDL (createMetaDataTable.sql) and rows as Flyway
    // writes them: a baseline, applied versions, an undone one, a repeatable.
    db.query_strings(
        r#"CREATE TABLE "public"."flyway_schema_history" (
            "installed_rank" INT NOT NULL,
            "version" VARCHAR(50),
            "description" VARCHAR(200) NOT NULL,
            "type" VARCHAR(20) NOT NULL,
            "script" VARCHAR(1000) NOT NULL,
            "checksum" INTEGER,
            "installed_by" VARCHAR(100) NOT NULL,
            "installed_on" TIMESTAMP NOT NULL DEFAULT now(),
            "execution_time" INTEGER NOT NULL,
            "success" BOOLEAN NOT NULL
        );
        ALTER TABLE "public"."flyway_schema_history" ADD CONSTRAINT "flyway_schema_history_pk" PRIMARY KEY ("installed_rank");
        CREATE INDEX "flyway_schema_history_s_idx" ON "public"."flyway_schema_history" ("success");
        INSERT INTO flyway_schema_history VALUES
          (1, '1', '<< Flyway Baseline >>', 'BASELINE', '<< Flyway Baseline >>', NULL, 'app', now(), 0, true),
          (2, '2', 'add orders', 'SQL', 'V2__add_orders.sql', 1234567, 'app', now(), 12, true),
          (3, '3', 'add items', 'SQL', 'V3__add_items.sql', -42, 'app', now(), 5, true),
          (4, '3', 'add items', 'UNDO_SQL', 'U3__add_items.sql', 99, 'app', now(), 3, true),
          (5, NULL, 'views', 'SQL', 'R__views.sql', 777, 'app', now(), 2, true);
        CREATE TABLE orders (id int);"#,
    )
    .await;
    let d = folder(&[
        ("V1__init.sql", "CREATE TABLE legacy (id int);"),
        ("V2__add_orders.sql", "CREATE TABLE orders (id int);"),
        ("V3__add_items.sql", "CREATE TABLE items (id int);"),
        ("R__views.sql", "CREATE OR REPLACE VIEW v AS SELECT 1 AS x;"),
    ]);
    adopt_then_migrate(
        &db,
        d.path(),
        Tool::Flyway,
        &["<< baseline >>", "V2__add_orders.sql", "R__views.sql"],
        &["V3__add_items.sql"],
    )
    .await;
    let m = Migrations::from_dir(d.path()).unwrap();
    let (plan, _) = Migrator::new(&m, TableName::default())
        .plan(&db.client().await)
        .await
        .unwrap();
    assert_eq!(
        plan.entries[0].state,
        State::Baseline,
        "flyway baselined at V1"
    );
    // Flyway's table is only read.
    assert_eq!(
        db.query_strings("SELECT count(*) FROM flyway_schema_history")
            .await[0][0]
            .as_deref(),
        Some("5")
    );
}

#[tokio::test]
async fn flyway_with_a_failed_migration_is_refused() {
    let db = fresh_db("adopt_flyway_failed").await;
    db.query_strings(
        "CREATE TABLE flyway_schema_history (installed_rank INT PRIMARY KEY, version VARCHAR(50), \
         description VARCHAR(200) NOT NULL, type VARCHAR(20) NOT NULL, script VARCHAR(1000) NOT NULL, \
         checksum INTEGER, installed_by VARCHAR(100) NOT NULL, installed_on TIMESTAMP NOT NULL DEFAULT now(), \
         execution_time INTEGER NOT NULL, success BOOLEAN NOT NULL);
         INSERT INTO flyway_schema_history VALUES (1, '1', 'init', 'SQL', 'V1__init.sql', 1, 'app', now(), 1, false);",
    )
    .await;
    let d = folder(&[("V1__init.sql", "CREATE TABLE a (id int);")]);
    let err = run_adopt(&db, d.path(), Tool::Flyway).await.unwrap_err();
    assert!(err.to_string().contains("flyway repair"), "{err}");
    assert!(err.is_check_failure());
    assert!(
        db.query_strings("SELECT to_regclass('strata_schema_history') IS NULL")
            .await[0][0]
            .as_deref()
            == Some("t"),
        "nothing written"
    );
}

#[tokio::test]
async fn dbmate() {
    let db = fresh_db("adopt_dbmate").await;
    // dbmate's PostgreSQL driver: `create table if not exists schema_migrations (version varchar(128) primary key)`.
    db.query_strings(
        "CREATE TABLE IF NOT EXISTS public.schema_migrations (version varchar(128) PRIMARY KEY);
         INSERT INTO schema_migrations (version) VALUES ('20240101120000'), ('20240215093000');",
    )
    .await;
    let d = folder(&[
        (
            "20240101120000_users.sql",
            "-- migrate:up\nCREATE TABLE users (id int);\n-- migrate:down\nDROP TABLE users;\n",
        ),
        (
            "20240215093000_orders.sql",
            "-- migrate:up\nCREATE TABLE orders (id int);\n-- migrate:down\nDROP TABLE orders;\n",
        ),
        (
            "20240301000000_items.sql",
            "-- migrate:up\nCREATE TABLE items (id int);\n-- migrate:down\nDROP TABLE items;\n",
        ),
    ]);
    adopt_then_migrate(
        &db,
        d.path(),
        Tool::Dbmate,
        &["20240101120000_users.sql", "20240215093000_orders.sql"],
        &["20240301000000_items.sql"],
    )
    .await;
}

#[tokio::test]
async fn golang_migrate() {
    let db = fresh_db("adopt_golang_migrate").await;
    // golang-migrate's postgres driver: one row, the current version, and `dirty`.
    db.query_strings(
        "CREATE TABLE IF NOT EXISTS public.schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);
         INSERT INTO schema_migrations (version, dirty) VALUES (2, false);",
    )
    .await;
    let d = folder(&[
        ("000001_users.up.sql", "CREATE TABLE users (id int);"),
        ("000001_users.down.sql", "DROP TABLE users;"),
        ("000002_orders.up.sql", "CREATE TABLE orders (id int);"),
        ("000002_orders.down.sql", "DROP TABLE orders;"),
        ("000003_items.up.sql", "CREATE TABLE items (id int);"),
        ("000003_items.down.sql", "DROP TABLE items;"),
    ]);
    adopt_then_migrate(
        &db,
        d.path(),
        Tool::GolangMigrate,
        &["000001_users.up.sql", "000002_orders.up.sql"],
        &["000003_items.up.sql"],
    )
    .await;
}

#[tokio::test]
async fn golang_migrate_dirty_is_refused() {
    let db = fresh_db("adopt_golang_dirty").await;
    db.query_strings(
        "CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);
         INSERT INTO schema_migrations VALUES (1, true);",
    )
    .await;
    let d = folder(&[("000001_users.up.sql", "CREATE TABLE users (id int);")]);
    let err = run_adopt(&db, d.path(), Tool::GolangMigrate)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("dirty") && err.to_string().contains("migrate force"),
        "{err}"
    );
}

#[tokio::test]
async fn sqlx() {
    let db = fresh_db("adopt_sqlx").await;
    // sqlx-postgres `ensure_migrations_table`.
    db.query_strings(
        "CREATE TABLE IF NOT EXISTS _sqlx_migrations (
            version BIGINT PRIMARY KEY,
            description TEXT NOT NULL,
            installed_on TIMESTAMPTZ NOT NULL DEFAULT now(),
            success BOOLEAN NOT NULL,
            checksum BYTEA NOT NULL,
            execution_time BIGINT NOT NULL
        );
        INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
        VALUES (20240101120000, 'users', true, '\\x0102', 1000000);",
    )
    .await;
    let d = folder(&[
        ("20240101120000_users.sql", "CREATE TABLE users (id int);"),
        ("20240301000000_orders.sql", "CREATE TABLE orders (id int);"),
    ]);
    adopt_then_migrate(
        &db,
        d.path(),
        Tool::Sqlx,
        &["20240101120000_users.sql"],
        &["20240301000000_orders.sql"],
    )
    .await;
}

#[tokio::test]
async fn node_pg_migrate() {
    let db = fresh_db("adopt_node_pg_migrate").await;
    // node-pg-migrate's `pgmigrations`: the name is the file name without extension.
    db.query_strings(
        "CREATE TABLE public.pgmigrations (id SERIAL PRIMARY KEY, name varchar(255) NOT NULL, run_on timestamp NOT NULL);
         INSERT INTO pgmigrations (name, run_on) VALUES ('1700000000000_init', now()), ('1700000000100_orders', now());",
    )
    .await;
    let up_down = |t: &str| {
        format!("-- Up Migration\nCREATE TABLE {t} (id int);\n-- Down Migration\nDROP TABLE {t};\n")
    };
    let (a, b, c) = (up_down("a"), up_down("b"), up_down("c"));
    let d = folder(&[
        ("1700000000000_init.sql", &a),
        ("1700000000100_orders.sql", &b),
        ("1700000000200_items.sql", &c),
    ]);
    adopt_then_migrate(
        &db,
        d.path(),
        Tool::NodePgMigrate,
        &["1700000000000_init.sql", "1700000000100_orders.sql"],
        &["1700000000200_items.sql"],
    )
    .await;
}

#[tokio::test]
async fn refinery() {
    let db = fresh_db("adopt_refinery").await;
    // refinery's `ASSERT_MIGRATIONS_TABLE_QUERY` for PostgreSQL.
    db.query_strings(
        "CREATE TABLE IF NOT EXISTS refinery_schema_history(
            version INT4 PRIMARY KEY,
            name VARCHAR(255),
            applied_on VARCHAR(255),
            checksum VARCHAR(255));
         INSERT INTO refinery_schema_history VALUES (1, 'init', '2024-01-01T00:00:00Z', '123456789'),
                                                    (2, 'orders', '2024-01-02T00:00:00Z', '987654321');",
    )
    .await;
    let d = folder(&[
        ("V1__init.sql", "CREATE TABLE a (id int);"),
        ("V2__orders.sql", "CREATE TABLE b (id int);"),
        ("V3__items.sql", "CREATE TABLE c (id int);"),
    ]);
    adopt_then_migrate(
        &db,
        d.path(),
        Tool::Refinery,
        &["V1__init.sql", "V2__orders.sql"],
        &["V3__items.sql"],
    )
    .await;
}

#[tokio::test]
async fn an_applied_version_without_a_file_is_refused_and_a_missing_table_is_named() {
    let db = fresh_db("adopt_missing_file").await;
    let d = folder(&[("V1__init.sql", "CREATE TABLE a (id int);")]);
    let err = run_adopt(&db, d.path(), Tool::Refinery).await.unwrap_err();
    assert!(
        err.to_string().contains("refinery_schema_history")
            && err.to_string().contains("does not exist"),
        "{err}"
    );
    db.query_strings(
        "CREATE TABLE refinery_schema_history(version INT4 PRIMARY KEY, name VARCHAR(255), applied_on VARCHAR(255), checksum VARCHAR(255));
         INSERT INTO refinery_schema_history VALUES (1, 'init', 'x', '1'), (7, 'gone', 'x', '2');",
    )
    .await;
    let err = run_adopt(&db, d.path(), Tool::Refinery).await.unwrap_err();
    assert!(err.to_string().contains("version(s) 7"), "{err}");
}
