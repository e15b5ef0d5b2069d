//! One test per object kind of SPEC §11: a change of that kind, made on a
//! real database, shows up in `Snapshot::diff` with the right kind, the
//! right change, both versions, and its line.
#![allow(clippy::unwrap_used)]

use strata::schema::{Change, Difference, Object, ObjectKind};

use super::schema_support::{built, run, snap};

const BASE: &str = "
CREATE TYPE mood AS ENUM ('sad', 'happy');
CREATE FUNCTION f(a integer) RETURNS integer LANGUAGE sql AS $$SELECT a$$;
CREATE PROCEDURE p() LANGUAGE sql AS $$SELECT 1$$;
CREATE SEQUENCE s;
CREATE TABLE users (id int PRIMARY KEY, email varchar(100));
CREATE INDEX users_email_idx ON users (email);
CREATE VIEW v AS SELECT id FROM users;
CREATE MATERIALIZED VIEW mv AS SELECT id FROM users;
CREATE FUNCTION tg() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER users_tg BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION tg();
CREATE POLICY users_p ON users USING (id > 0);
";

/// The differences a change makes to [`BASE`] (in schemas public and app).
async fn after(hint: &str, change: &str) -> Vec<Difference> {
    let db = built(hint, BASE).await;
    let before = snap(&db).await;
    run(&db, change).await;
    before.diff(&snap(&db).await)
}

/// The one difference, its kind and its line.
fn only(diff: &[Difference], kind: ObjectKind, line: &str) -> Difference {
    let lines: Vec<String> = diff.iter().map(ToString::to_string).collect();
    assert_eq!(lines, [line]);
    assert_eq!(diff[0].kind, kind);
    diff[0].clone()
}

#[tokio::test]
async fn schema_added() {
    let d = after("diff_schema", "CREATE SCHEMA app").await;
    let d = only(&d, ObjectKind::Schema, "+ schema app");
    assert!(matches!(d.change, Change::Added { after: Object::Schema(s) } if s.name == "app"));
}

#[tokio::test]
async fn extension_added() {
    let d = after("diff_extension", "CREATE EXTENSION citext").await;
    only(&d, ObjectKind::Extension, "+ extension citext");
}

#[tokio::test]
async fn enum_label_added() {
    let d = after("diff_enum", "ALTER TYPE mood ADD VALUE 'ok' BEFORE 'happy'").await;
    let d = only(
        &d,
        ObjectKind::Type,
        "~ type mood: labels ('sad', 'happy') → ('sad', 'ok', 'happy')",
    );
    assert!(matches!(
        d.change,
        Change::Changed {
            before: Object::Type(_),
            after: Object::Type(_)
        }
    ));
}

#[tokio::test]
async fn function_body_changed() {
    let d = after(
        "diff_function",
        "CREATE OR REPLACE FUNCTION f(a integer) RETURNS integer LANGUAGE sql AS $$SELECT a + 1$$",
    )
    .await;
    let d = only(
        &d,
        ObjectKind::Function,
        "~ function f(a integer): definition changed",
    );
    let Change::Changed {
        before: Object::Function(b),
        after: Object::Function(a),
    } = d.change
    else {
        panic!("{d:?}")
    };
    assert!(b.definition.contains("SELECT a$") && a.definition.contains("SELECT a + 1"));
}

#[tokio::test]
async fn procedure_removed() {
    let d = after("diff_procedure", "DROP PROCEDURE p()").await;
    only(&d, ObjectKind::Procedure, "- procedure p()");
}

#[tokio::test]
async fn sequence_parameter_changed() {
    let d = after("diff_sequence", "ALTER SEQUENCE s INCREMENT BY 5").await;
    only(&d, ObjectKind::Sequence, "~ sequence s: increment 1 → 5");
}

#[tokio::test]
async fn table_removed_and_rls_flag_changed() {
    let d = after(
        "diff_table_rls",
        "ALTER TABLE users ENABLE ROW LEVEL SECURITY",
    )
    .await;
    only(
        &d,
        ObjectKind::Table,
        "~ table users: row level security off → on",
    );
    let d = after("diff_table_added", "CREATE TABLE orders (id int)").await;
    only(&d, ObjectKind::Table, "+ table orders");
}

#[tokio::test]
async fn column_added_and_type_changed() {
    let d = after(
        "diff_column_added",
        "ALTER TABLE users ADD COLUMN note text",
    )
    .await;
    let d = only(&d, ObjectKind::Column, "+ table users.note (text)");
    assert!(
        matches!(d.change, Change::Added { after: Object::Column(c) } if c.table == "users" && c.column.data_type == "text")
    );
    let d = after(
        "diff_column_type",
        "ALTER TABLE users ALTER COLUMN email TYPE text",
    )
    .await;
    only(
        &d,
        ObjectKind::Column,
        "~ column users.email: character varying(100) → text",
    );
}

#[tokio::test]
async fn column_default_removed() {
    let db = built("diff_column_default", BASE).await;
    run(&db, "ALTER TABLE users ALTER COLUMN email SET DEFAULT 'x'").await;
    let before = snap(&db).await;
    run(&db, "ALTER TABLE users ALTER COLUMN email DROP DEFAULT").await;
    let d = before.diff(&snap(&db).await);
    only(
        &d,
        ObjectKind::Column,
        "~ column users.email: default 'x'::character varying → none",
    );
}

#[tokio::test]
async fn constraint_added() {
    let d = after(
        "diff_constraint",
        "ALTER TABLE users ADD CONSTRAINT users_id_check CHECK (id > 0) NOT VALID",
    )
    .await;
    only(
        &d,
        ObjectKind::Constraint,
        "+ constraint users_id_check on users",
    );
}

#[tokio::test]
async fn index_removed_and_added() {
    let d = after(
        "diff_index",
        "DROP INDEX users_email_idx; CREATE INDEX users_id_email_idx ON users (id, email)",
    )
    .await;
    let lines: Vec<String> = d.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        ["- index users_email_idx", "+ index users_id_email_idx"]
    );
    assert!(d.iter().all(|x| x.kind == ObjectKind::Index));
}

#[tokio::test]
async fn view_changed() {
    let d = after(
        "diff_view",
        "CREATE OR REPLACE VIEW v AS SELECT id FROM users WHERE id > 1",
    )
    .await;
    only(&d, ObjectKind::View, "~ view v: definition changed");
}

#[tokio::test]
async fn materialized_view_removed() {
    let d = after("diff_matview", "DROP MATERIALIZED VIEW mv").await;
    only(&d, ObjectKind::MaterializedView, "- materialized view mv");
}

#[tokio::test]
async fn trigger_disabled() {
    let d = after("diff_trigger", "ALTER TABLE users DISABLE TRIGGER users_tg").await;
    only(
        &d,
        ObjectKind::Trigger,
        "~ trigger users_tg on users: origin → disabled",
    );
}

#[tokio::test]
async fn policy_changed() {
    let d = after(
        "diff_policy",
        "ALTER POLICY users_p ON users USING (id > 1)",
    )
    .await;
    only(
        &d,
        ObjectKind::Policy,
        "~ policy users_p on users: using (id > 0) → (id > 1)",
    );
}

#[tokio::test]
async fn comment_added() {
    let d = after(
        "diff_comment",
        "COMMENT ON INDEX users_email_idx IS 'lookups'",
    )
    .await;
    only(
        &d,
        ObjectKind::Index,
        "~ index users_email_idx: comment none → lookups",
    );
}
