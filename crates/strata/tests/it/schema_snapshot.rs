//! Snapshots (SPEC §11): the same schema built two ways gives
//! byte-identical snapshots and dumps; the history table is left out; a
//! dump reads back to the same snapshot, and its SQL loads into an empty
//! database as the same schema.
#![allow(clippy::unwrap_used)]

use strata::config::TableName;
use strata::schema::{Dump, ObjectKind, Scope, Snapshot};

use super::schema_support::{ONE_WAY, OTHER_WAY, built, run, scope, snap};

#[tokio::test]
async fn the_same_schema_built_two_ways_gives_identical_snapshots_and_dumps() {
    let a = snap(&built("snapshot_one_way", ONE_WAY).await).await;
    let b = snap(&built("snapshot_other_way", OTHER_WAY).await).await;
    let lines: Vec<String> = a.diff(&b).iter().map(ToString::to_string).collect();
    assert_eq!(lines, Vec::<String>::new());
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&b).unwrap()
    );
    assert_eq!(a.to_dump("main"), b.to_dump("main"));
    // Every kind of SPEC §11 is there, so the comparison above meant something.
    assert_eq!(a.server_major, 15);
    assert_eq!(
        (
            a.schemas.len(),
            a.extensions.len(),
            a.types.len(),
            a.functions.len()
        ),
        (2, 1, 4, 2)
    );
    assert_eq!(
        (
            a.sequences.len(),
            a.tables.len(),
            a.constraints.len(),
            a.indexes.len()
        ),
        (2, 4, 5, 3)
    );
    assert_eq!(
        (a.views.len(), a.triggers.len(), a.policies.len()),
        (2, 1, 1)
    );
    let events = a.tables.iter().find(|t| t.name == "events").unwrap();
    assert_eq!(events.partition_key.as_deref(), Some("RANGE (at)"));
}

#[tokio::test]
async fn a_snapshot_is_the_same_whatever_the_sessions_search_path() {
    let db = built("snapshot_search_path", ONE_WAY).await;
    let plain = snap(&db).await;
    let client = db.client().await;
    client
        .batch_execute("SET search_path = app, public")
        .await
        .unwrap();
    let other = strata::schema::snapshot(&client, &scope()).await.unwrap();
    assert_eq!(plain, other);
    // The session is left as it was: the snapshot's settings were local.
    let row = client.query_one("SHOW search_path", &[]).await.unwrap();
    assert_eq!(row.get::<_, String>(0), "app, public");
}

#[tokio::test]
async fn the_history_table_with_its_index_and_sequence_is_left_out() {
    let db = built("snapshot_history", "CREATE TABLE kept (id int)").await;
    let bare = snap(&db).await;
    // The project's configured history table, with a sequence, an index,
    // a constraint and a trigger of its own.
    run(
        &db,
        "CREATE SCHEMA ops;
        CREATE TABLE ops.history (installed_rank serial PRIMARY KEY, version text UNIQUE);
        CREATE INDEX history_version_idx ON ops.history (version);
        CREATE TRIGGER history_touch BEFORE UPDATE ON ops.history FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger();
        ",
    )
    .await;
    let scope = Scope::new(["public", "ops"]).without(TableName::parse("ops.history").unwrap());
    let with_history = strata::schema::snapshot(&db.client().await, &scope)
        .await
        .unwrap();
    let added: Vec<String> = bare
        .diff(&with_history)
        .iter()
        .map(ToString::to_string)
        .collect();
    // Only the schema `ops` itself is new; nothing of the table.
    assert_eq!(added, ["+ schema ops"]);
    // Without the exclusion, all of it shows.
    let everything = strata::schema::snapshot(&db.client().await, &Scope::new(["public", "ops"]))
        .await
        .unwrap();
    let kinds: Vec<ObjectKind> = with_history
        .diff(&everything)
        .iter()
        .map(|d| d.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            ObjectKind::Sequence,
            ObjectKind::Table,
            ObjectKind::Constraint,
            ObjectKind::Constraint,
            ObjectKind::Index,
            ObjectKind::Trigger
        ]
    );
}

#[tokio::test]
async fn a_dump_reads_back_to_the_same_snapshot_and_its_sql_builds_the_same_schema() {
    let original = snap(&built("snapshot_dump_source", ONE_WAY).await).await;
    let text = original.to_dump("core");
    let dump = Dump::parse(&text).unwrap();
    assert_eq!(dump.database, "core");
    assert_eq!(dump.snapshot, original);
    assert_eq!(
        Snapshot::from_dump(&text.replace('\n', "\r\n")).unwrap(),
        original
    );

    // The SQL alone, run on an empty database, builds the same schema.
    let loaded = strata_testkit::fresh_db("snapshot_dump_loaded").await;
    loaded.client().await.batch_execute(&text).await.unwrap();
    let again = snap(&loaded).await;
    let lines: Vec<String> = original
        .diff(&again)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(lines, Vec::<String>::new());
    assert_eq!(again.to_dump("core"), text);
}

/// Statements this database's sessions ran, from `pg_stat_statements`.
async fn statements(db: &strata_testkit::TestDb) -> i64 {
    let rows = db
        .query_strings(
            "SELECT coalesce(sum(calls), 0)::text FROM pg_stat_statements \
             WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) \
               AND query !~* 'pg_stat_statements'",
        )
        .await;
    rows[0][0].as_deref().unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_snapshot_costs_the_same_statements_for_one_table_or_forty() {
    let cluster = strata_testkit::start_extra_cluster_with(&strata_testkit::StartOptions {
        settings: vec![
            (
                "shared_preload_libraries".into(),
                "pg_stat_statements".into(),
            ),
            ("pg_stat_statements.track_utility".into(), "on".into()),
        ],
        ..strata_testkit::StartOptions::for_tests()
    });
    let db = cluster.fresh_db("snapshot_statements").await;
    db.query_strings("CREATE EXTENSION pg_stat_statements")
        .await;
    let mut counts = Vec::new();
    for tables in [1, 40] {
        let mut sql = String::new();
        for i in counts.len() * 1000..counts.len() * 1000 + tables {
            sql.push_str(&format!(
                "CREATE TABLE t{i} (id int PRIMARY KEY, v text CHECK (v <> ''));\n\
                 CREATE INDEX t{i}_v ON t{i} (v);\nCREATE VIEW v{i} AS SELECT * FROM t{i};\n"
            ));
        }
        db.client().await.batch_execute(&sql).await.unwrap();
        db.query_strings("SELECT pg_stat_statements_reset()").await;
        let s = strata::schema::snapshot(&db.client().await, &scope())
            .await
            .unwrap();
        assert!(s.tables.len() >= tables);
        counts.push(statements(&db).await);
    }
    // BEGIN + SET LOCAL (one simple query, two statements), the catalog
    // query, COMMIT — whatever the number of objects.
    assert_eq!(counts, [4, 4]);
}
