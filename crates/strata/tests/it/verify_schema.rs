//! The start-up schema check (`strata::verify_schema`) on a real server:
//! a database migrated from files passes against the dump taken of it,
//! and so does one built with the same SQL but without a history table;
//! an index created by hand and a column changed by a hotfix are each
//! reported by name, from the dump to the live database.
#![allow(clippy::unwrap_used)]

use strata::history::TableName;
use strata::migrator::Migrator;
use strata::schema::{Change, Dump, ObjectKind, Scope};
use strata::source::Migrations;
use strata::{Incompatible, verify_schema};
use strata_testkit::{TestDb, fresh_db};

const V1: &str = "CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, \
                  email varchar(100) NOT NULL);\n";
const V2: &str = "CREATE TABLE orders (id int PRIMARY KEY, user_id bigint REFERENCES users, \
                  total numeric(10,2) CHECK (total >= 0));\n\
                  CREATE INDEX orders_user_idx ON orders (user_id);\n";

/// `db` migrated with V1 and V2 through the library, with its history in
/// `public.app_history` (in the scope's schema, left out by the scope).
async fn migrated(hint: &str) -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("V1__users.sql"), V1).unwrap();
    std::fs::write(dir.path().join("V2__orders.sql"), V2).unwrap();
    let db = fresh_db(hint).await;
    let report = Migrator::new(&Migrations::from_dir(dir.path()).unwrap(), history())
        .run(&db.client().await, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(report.executed.len(), 2);
    db
}

fn history() -> TableName {
    TableName::parse("public.app_history").unwrap()
}

fn scope() -> Scope {
    Scope::new(["public"]).without(history())
}

/// The dump of `db`, as `strata schema dump` writes it, read back.
async fn dump_of(db: &TestDb) -> Dump {
    let s = strata::schema::snapshot(&db.client().await, &scope())
        .await
        .unwrap();
    Dump::parse(&s.to_dump("app")).unwrap()
}

fn lines(e: &Incompatible) -> Vec<String> {
    e.differences().iter().map(ToString::to_string).collect()
}

#[tokio::test]
async fn a_migrated_database_matches_its_dump_and_the_history_is_left_out() {
    let db = migrated("verify_schema_clean").await;
    let dump = dump_of(&db).await;
    assert!(dump.snapshot.tables.iter().all(|t| t.name != "app_history"));
    verify_schema(&db.client().await, &scope(), &dump)
        .await
        .unwrap();

    // The history's rows are not part of the schema.
    db.client()
        .await
        .batch_execute("DELETE FROM app_history WHERE version = '1'")
        .await
        .unwrap();
    verify_schema(&db.client().await, &scope(), &dump)
        .await
        .unwrap();

    // The same SQL run by hand, with no history table at all: the same schema.
    let other = fresh_db("verify_schema_by_hand").await;
    other
        .client()
        .await
        .batch_execute(&format!("{V1}{V2}"))
        .await
        .unwrap();
    verify_schema(&other.client().await, &scope(), &dump)
        .await
        .unwrap();
}

#[tokio::test]
async fn an_index_created_by_hand_is_reported_until_it_is_dropped() {
    let db = migrated("verify_schema_index").await;
    let dump = dump_of(&db).await;
    let client = db.client().await;
    client
        .batch_execute("CREATE INDEX orders_total_idx ON orders (total)")
        .await
        .unwrap();

    let err = verify_schema(&client, &scope(), &dump).await.unwrap_err();
    assert_eq!(lines(&err), ["+ index orders_total_idx"]);
    assert_eq!(err.differences()[0].kind, ObjectKind::Index);
    assert!(err.problems().is_empty());
    assert_eq!(
        err.to_string(),
        "the database schema differs from the schema this build expects \
         (1 difference(s) from the dump of database app):\n  + index orders_total_idx"
    );

    client
        .batch_execute("DROP INDEX orders_total_idx")
        .await
        .unwrap();
    verify_schema(&client, &scope(), &dump).await.unwrap();
}

#[tokio::test]
async fn a_changed_column_and_a_dropped_index_are_each_one_line() {
    let db = migrated("verify_schema_column").await;
    let dump = dump_of(&db).await;
    let client = db.client().await;
    client
        .batch_execute("ALTER TABLE users ALTER COLUMN email TYPE text; DROP INDEX orders_user_idx")
        .await
        .unwrap();

    let err = verify_schema(&client, &scope(), &dump).await.unwrap_err();
    assert_eq!(
        lines(&err),
        [
            "~ column users.email: character varying(100) → text",
            "- index orders_user_idx",
        ]
    );
    assert!(matches!(
        err.differences()[0].change,
        Change::Changed { .. }
    ));
    let Incompatible::SchemaDiffers {
        database,
        expected_major,
        live_major,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(database, "app");
    assert_eq!(expected_major, live_major);
    assert!(
        err.to_string()
            .contains("(2 difference(s) from the dump of database app):\n  ~ column users.email"),
        "{err}"
    );
}

#[tokio::test]
async fn a_lost_connection_is_a_check_error_not_a_difference() {
    let db = migrated("verify_schema_lost").await;
    let dump = dump_of(&db).await;
    let client = db.client().await;
    let pid = client
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get::<_, i32>(0);
    db.client()
        .await
        .execute("SELECT pg_terminate_backend($1)", &[&pid])
        .await
        .unwrap();
    let err = verify_schema(&client, &scope(), &dump).await.unwrap_err();
    assert!(matches!(err, Incompatible::Check(_)), "{err:?}");
    assert!(err.differences().is_empty());
}
