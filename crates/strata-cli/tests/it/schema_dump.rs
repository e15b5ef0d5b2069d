//! `strata schema dump` (SPEC §4, §11): the schema as deterministic SQL on
//! stdout or in `--out FILE`, the same text every run, readable back by
//! the library; `--json` gives the snapshot; `--out` with several
//! databases selected is a usage error; the history table is not in it.
#![allow(clippy::unwrap_used)]

use strata_testkit::TestDb;

use crate::support::{Project, Run};

fn project() -> Project {
    let project = Project::new();
    project
        .migration(
            "V001__create_users.sql",
            "CREATE TABLE users (\n  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n  email text NOT NULL UNIQUE\n);\n\
             COMMENT ON TABLE users IS 'who signs in';\n",
        )
        .migration(
            "V002__orders.sql",
            "CREATE TYPE status AS ENUM ('new', 'paid');\n\
             CREATE TABLE orders (id serial PRIMARY KEY, user_id bigint REFERENCES users, status status NOT NULL DEFAULT 'new');\n\
             CREATE INDEX orders_user_idx ON orders (user_id);\n",
        );
    project
}

fn migrated(hint: &str) -> (TestDb, Project) {
    let db = TestDb::new_blocking(hint);
    let project = project();
    project.run(&db.url(), &["migrate"]).expect_code(0);
    (db, project)
}

#[test]
fn dump_prints_the_same_sql_every_run_without_the_history_table() {
    let (db, project) = migrated("cli_schema_dump");
    let first = project.run(&db.url(), &["schema", "dump"]);
    first.expect_code(0).expect_no_panic();
    let second = project.run(&db.url(), &["schema", "dump"]);
    assert_eq!(first.stdout, second.stdout);
    assert!(
        !first.stdout.contains("strata_schema_history"),
        "{}",
        first.stdout
    );
    // The banner names the database, on stderr.
    assert!(first.stderr.contains("main"), "{}", first.stderr);
    let snapshot = strata::schema::Snapshot::from_dump(&first.stdout).unwrap();
    assert_eq!(snapshot.tables.len(), 2);
    insta::assert_snapshot!("schema_dump", first.stdout);
}

#[test]
fn dump_out_writes_the_file_and_it_reads_back() {
    let (db, project) = migrated("cli_schema_dump_out");
    let stdout = project.run(&db.url(), &["schema", "dump"]).stdout;
    let run = project.run(&db.url(), &["schema", "dump", "--out", "db/schema.sql"]);
    // The folder must exist: strata writes a file, it does not make folders.
    run.expect_code(1);
    assert!(run.stderr.contains("cannot write"), "{}", run.stderr);

    std::fs::create_dir(project.path().join("db")).unwrap();
    let run = project.run(&db.url(), &["schema", "dump", "--out", "db/schema.sql"]);
    run.expect_code(0);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("wrote its schema to"), "{}", run.stderr);
    let file = std::fs::read_to_string(project.path().join("db/schema.sql")).unwrap();
    assert_eq!(file, stdout);
    let dump = strata::schema::Dump::parse(&file).unwrap();
    assert_eq!(dump.database, "main");
    assert_eq!(dump.snapshot.indexes[0].name, "orders_user_idx");
    // Only the dump is left in the folder, no temporary file.
    assert_eq!(
        std::fs::read_dir(project.path().join("db"))
            .unwrap()
            .count(),
        1
    );
}

#[test]
fn dump_json_prints_the_snapshot() {
    let (db, project) = migrated("cli_schema_dump_json");
    let run = project.run(&db.url(), &["schema", "dump", "--json"]);
    run.expect_code(0);
    let doc = run.json();
    assert_eq!(doc["exit_code"], 0);
    let main = &doc["databases"][0];
    assert_eq!(main["name"], "main");
    assert_eq!(main["status"], "ok");
    let tables: Vec<&str> = main["snapshot"]["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(tables, ["orders", "users"]);
    assert_eq!(
        main["snapshot"]["types"][0]["definition"]["labels"],
        serde_json::json!(["new", "paid"])
    );
}

#[test]
fn dump_out_with_several_databases_needs_db() {
    let db = TestDb::new_blocking("cli_schema_dump_two");
    let project = Project::with_toml(
        "[databases.core]\nmigrations = \"migrations\"\n\n[databases.billing]\nmigrations = \"migrations\"\n",
    );
    let run = project.run(&db.url(), &["schema", "dump", "--out", "schema.sql"]);
    run.expect_code(2);
    assert!(run.stderr.contains("--out writes the dump of one database, and 2 are selected (core, billing): pick one with --db NAME"), "{}", run.stderr);
    assert!(!project.path().join("schema.sql").exists());

    let run = project.run(
        &db.url(),
        &["schema", "dump", "--json", "--out", "schema.sql"],
    );
    run.expect_code(2);
    assert_eq!(run.json()["error"]["exit_code"], 2);

    let run = project.run(
        &db.url(),
        &["--db", "billing", "schema", "dump", "--out", "schema.sql"],
    );
    run.expect_code(0);
    let text = std::fs::read_to_string(project.path().join("schema.sql")).unwrap();
    assert!(
        text.starts_with("-- strata schema dump, format 1\n-- database: billing\n"),
        "{text}"
    );

    // Without --out, each database's dump in turn, each with its header.
    let run = project.run(&db.url(), &["schema", "dump"]);
    run.expect_code(0);
    assert_eq!(
        run.stdout
            .matches("-- strata schema dump, format 1")
            .count(),
        2
    );
}

#[test]
fn dump_of_an_unreachable_database_fails_with_exit_1() {
    let project = project();
    let run: Run = project.run("postgres://nobody@127.0.0.1:1/nothing", &["schema", "dump"]);
    run.expect_code(1).expect_no_panic();
    assert!(run.stderr.contains("cannot connect"), "{}", run.stderr);
    assert_eq!(run.stdout, "");
}

/// The dump runs on an empty database and gives the same dump back: views
/// after the views they read (named here so that name order is wrong), an
/// identity's own start and step, a materialized view over a view, a view
/// over a function.
#[test]
fn the_dump_loads_into_an_empty_database_and_dumps_the_same() {
    let db = TestDb::new_blocking("cli_schema_dump_loads");
    let project = Project::new();
    project.migration(
        "V1__chain.sql",
        "CREATE TABLE a (id bigint GENERATED BY DEFAULT AS IDENTITY (START WITH 100 INCREMENT BY 5) PRIMARY KEY, n int);\n\
         CREATE TABLE b (id int GENERATED ALWAYS AS IDENTITY (MINVALUE 10 CACHE 20), m smallint GENERATED BY DEFAULT AS IDENTITY (INCREMENT BY -1 CYCLE));\n\
         CREATE FUNCTION twice(x int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT x * 2';\n\
         CREATE VIEW z_base AS SELECT id, twice(n) AS n2 FROM a;\n\
         CREATE VIEW m_mid AS SELECT id FROM z_base WHERE n2 > 0;\n\
         CREATE VIEW \"A top\" AS SELECT id FROM m_mid;\n\
         CREATE MATERIALIZED VIEW b_totals AS SELECT count(*) AS c FROM \"A top\";\n",
    );
    project.run(&db.url(), &["migrate"]).expect_code(0);
    let dump = project.run(&db.url(), &["schema", "dump"]);
    dump.expect_code(0);
    assert!(
        dump.stdout.contains(
            "id bigint GENERATED BY DEFAULT AS IDENTITY (START WITH 100 INCREMENT BY 5) NOT NULL"
        ),
        "{}",
        dump.stdout
    );
    assert!(
        dump.stdout.contains(
            "m smallint GENERATED BY DEFAULT AS IDENTITY (INCREMENT BY -1 CYCLE) NOT NULL"
        ),
        "{}",
        dump.stdout
    );
    let at = |what: &str| dump.stdout.find(what).unwrap_or_else(|| panic!("{what}"));
    assert!(at("CREATE VIEW public.z_base") < at("CREATE VIEW public.m_mid"));
    assert!(at("CREATE VIEW public.m_mid") < at("CREATE VIEW public.\"A top\""));
    assert!(at("CREATE VIEW public.\"A top\"") < at("CREATE MATERIALIZED VIEW public.b_totals"));

    let copy = TestDb::new_blocking("cli_schema_dump_loaded");
    crate::support::scalar(&copy.url(), &dump.stdout);
    let again = project.run(&copy.url(), &["schema", "dump"]);
    again.expect_code(0);
    assert_eq!(again.stdout, dump.stdout);
    // And the identity continues where its options say.
    assert_eq!(
        crate::support::scalar(
            &copy.url(),
            "INSERT INTO a (n) VALUES (1), (2) RETURNING id"
        )
        .as_deref(),
        Some("100")
    );
}
