//! A real `pg_dump` (plain format, schema and data: COPY blocks, sequences
//! set with setval, a view, a function with a `$$` body, an index, and the
//! `\restrict` line current pg_dump writes) applied as migration V1 with
//! `strata migrate` into an empty database gives the source back: schema
//! dumps equal but for strata's history table, data equal.

#![allow(clippy::unwrap_used)]

use std::process::Command;

use crate::support::Project;
use strata_testkit::{TestDb, server};

const SOURCE: &str = r#"
CREATE SCHEMA shop;
CREATE TYPE shop.mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE shop.customer (
    id serial PRIMARY KEY,
    name text NOT NULL,
    mood shop.mood DEFAULT 'ok',
    note text,
    born date
);
CREATE TABLE shop.orders (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id int NOT NULL REFERENCES shop.customer (id),
    total numeric(10, 2) NOT NULL CHECK (total >= 0),
    tags text[],
    meta jsonb
);
CREATE INDEX orders_customer_idx ON shop.orders (customer_id);
CREATE SEQUENCE shop.ticket START 100;
CREATE VIEW shop.big_orders AS SELECT o.id, c.name, o.total FROM shop.orders o JOIN shop.customer c ON c.id = o.customer_id WHERE o.total > 10;
CREATE FUNCTION shop.spend(who int) RETURNS numeric LANGUAGE plpgsql AS $$
BEGIN
    -- a ; inside the body, and a 'quoted' word
    RETURN (SELECT coalesce(sum(total), 0) FROM shop.orders WHERE customer_id = who);
END;
$$;
COMMENT ON TABLE shop.orders IS 'what was bought; by whom';
INSERT INTO shop.customer (name, mood, note, born) VALUES
    ('O''Brien', 'happy', E'tab\there, newline\nthere, backslash \\ done', '1970-01-02'),
    ('Zoë', NULL, NULL, NULL),
    ('semi;colon', 'sad', '\.', '2000-02-29');
INSERT INTO shop.orders (customer_id, total, tags, meta) VALUES
    (1, 12.50, '{a,"b c"}', '{"k": [1, 2]}'),
    (1, 3.00, NULL, NULL),
    (3, 99.99, '{}', '"s"');
SELECT setval('shop.ticket', 123);
SELECT nextval('shop.customer_id_seq');
"#;

fn pg_dump(url: &str, args: &[&str]) -> String {
    let out = Command::new(server().pg_bin().program("pg_dump"))
        .args(args)
        .arg("--dbname")
        .arg(url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pg_dump failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A dump without its `\restrict` / `\unrestrict` lines (their key is
/// random per run).
fn comparable(dump: &str) -> String {
    dump.lines()
        .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_pg_dump_with_data_applies_as_a_migration_and_gives_the_source_back() {
    let source = TestDb::new_blocking("cli_pg_dump_source");
    source.query_strings_blocking(SOURCE);
    let dump = pg_dump(&source.url(), &[]);
    // What this test is about: the dump holds data as COPY, setval and \restrict.
    assert!(dump.contains("FROM stdin;\n"), "{dump}");
    assert!(
        dump.contains("pg_catalog.setval('shop.ticket', 123, true)"),
        "{dump}"
    );
    assert!(dump.contains("$$;"), "{dump}");
    assert!(dump.contains("\n\\restrict "), "{dump}");

    let project = Project::new();
    project.migration("V1__dump.sql", &dump);
    let target = TestDb::new_blocking("cli_pg_dump_target");
    let run = project.run(&target.url(), &["validate", "--offline"]);
    run.expect_code(0);
    let run = project.run(&target.url(), &["migrate"]);
    run.expect_code(0).expect_no_panic();
    assert!(
        run.stdout.contains("applied V1"),
        "{}\n{}",
        run.stdout,
        run.stderr
    );

    let history = ["--exclude-table", "public.strata_schema_history"];
    let schema =
        |url: &str| comparable(&pg_dump(url, &[&["--schema-only"][..], &history].concat()));
    assert_eq!(schema(&target.url()), schema(&source.url()));
    let data = |url: &str| comparable(&pg_dump(url, &[&["--data-only"][..], &history].concat()));
    assert_eq!(data(&target.url()), data(&source.url()));
    // And one value read back, escapes and all.
    let note = target.query_strings_blocking("SELECT note FROM shop.customer WHERE id = 1");
    assert_eq!(
        note[0][0].as_deref(),
        Some("tab\there, newline\nthere, backslash \\ done")
    );
    let spend =
        target.query_strings_blocking("SELECT shop.spend(1)::text, nextval('shop.ticket')::text");
    assert_eq!(spend, [[Some("15.50".to_owned()), Some("124".to_owned())]]);
}
