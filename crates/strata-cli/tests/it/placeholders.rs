//! `${name}` placeholders (SPEC §2.4) through the real binary: values from
//! strata.toml and from the environment (env files included), the
//! built-ins and Flyway's aliases, load-time errors naming file:line, the
//! checksum over the file as written, `--dry-run -v`, and a database
//! without a `[placeholders]` table leaving `${…}` alone.

#![allow(clippy::unwrap_used)]

use crate::support::{Project, history};
use strata_testkit::TestDb;

const TOML: &str = "[databases.main]\nurl_env = \"DATABASE_URL\"\nschemas = [\"app\", \"public\"]\n\
    [databases.main.placeholders]\nschema = \"app\"\nowner = { env = \"OWNER_ROLE\" }\n\
    [environments.dev]\nenv_files = [\".env\"]\n";

fn scalar(db: &TestDb, sql: &str) -> String {
    db.query_strings_blocking(sql)[0][0]
        .clone()
        .unwrap_or_default()
}

#[test]
fn values_builtins_and_flyway_aliases_are_replaced_everywhere() {
    let db = TestDb::new_blocking("cli_placeholders");
    let url = db.url();
    let project = Project::with_toml(TOML);
    std::fs::write(project.path().join(".env"), "OWNER_ROLE=from_env_file\n").unwrap();
    project.migration(
        "V1__tables.sql",
        "-- in ${schema}: replaced in comments too\n\
         CREATE SCHEMA IF NOT EXISTS ${schema};\n\
         CREATE TABLE ${schema}.t (note text DEFAULT '${strata:database}|${flyway:database}|${strata:user}|${flyway:user}');\n\
         COMMENT ON TABLE ${flyway:defaultSchema}.t IS '${owner} ${strata:environment} ${strata:filename} ${flyway:filename} ${strata:schema}';\n\
         CREATE FUNCTION ${schema}.f() RETURNS text LANGUAGE sql AS $$ SELECT '${schema}' $$;\n",
    );
    let run = project.run(&url, &["migrate"]);
    run.expect_code(0).expect_no_panic();
    let dbname = scalar(&db, "SELECT current_database()");
    let user = scalar(&db, "SELECT current_user");
    assert_eq!(
        scalar(
            &db,
            "SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef WHERE adrelid = 'app.t'::regclass"
        ),
        format!("'{dbname}|{dbname}|{user}|{user}'::text")
    );
    assert_eq!(
        scalar(&db, "SELECT obj_description('app.t'::regclass)"),
        "from_env_file dev V1__tables.sql V1__tables.sql app"
    );
    assert_eq!(scalar(&db, "SELECT app.f()"), "app");

    // The checksum is the file's as written: another value is not an edit.
    let verify = project
        .cmd(Some(&url), &["verify"])
        .env("OWNER_ROLE", "someone_else")
        .output()
        .unwrap();
    assert_eq!(
        verify.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
}

#[test]
fn an_undefined_placeholder_or_unset_variable_is_a_load_error_with_file_and_line() {
    let db = TestDb::new_blocking("cli_placeholders_undefined");
    let url = db.url();
    let project = Project::with_toml(TOML);
    project
        .migration(
            "V1__a.sql",
            "CREATE SCHEMA ${schema};\n\nCREATE TABLE ${schema}.${tabel} (id int);\n",
        )
        .migration(
            "V2__b.sql",
            "-- owner\nALTER SCHEMA app OWNER TO ${owner};\n",
        );
    for args in [
        &["validate", "--offline"][..],
        &["validate"],
        &["migrate"],
        &["status"],
    ] {
        let run = project.run(&url, args);
        run.expect_code(3).expect_no_panic();
        let all = format!("{}{}", run.stdout, run.stderr);
        assert!(
            all.contains(
                "V1__a.sql:3: placeholder ${tabel} is not defined; add it to [databases.main.placeholders] in strata.toml"
            ) && all.contains(
                "V2__b.sql:2: placeholder ${owner} reads OWNER_ROLE, which is not set (process environment or env files)"
            ),
            "{args:?}: {all}"
        );
    }
    assert!(history(&db).is_empty());
    assert!(
        db.query_strings_blocking("SELECT 1 FROM pg_namespace WHERE nspname = 'app'")
            .is_empty()
    );

    // Set from the process environment, the variable is found.
    project.remove_migration("V1__a.sql");
    let run = project
        .cmd(Some(&url), &["validate", "--offline"])
        .env("OWNER_ROLE", "postgres")
        .output()
        .unwrap();
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

#[test]
fn dry_run_verbose_shows_the_sql_after_replacement_and_errors_keep_their_line() {
    let db = TestDb::new_blocking("cli_placeholders_dry_run");
    let url = db.url();
    let project = Project::with_toml(TOML);
    std::fs::write(project.path().join(".env"), "OWNER_ROLE=x\n").unwrap();
    project.migration(
        "V1__a.sql",
        "CREATE SCHEMA ${schema};\nCREATE TABLE ${schema}.t (id int);\nSELECT * FROM ${schema}.missing;\n",
    );
    let dry = project.run(&url, &["migrate", "--dry-run", "-v"]);
    dry.expect_code(0);
    assert!(
        dry.stdout
            .contains("CREATE SCHEMA app;\nCREATE TABLE app.t (id int);")
            && !dry.stdout.contains("${"),
        "{}",
        dry.stdout
    );
    let run = project.run(&url, &["migrate"]);
    run.expect_code(1);
    assert!(run.stderr.contains("V1__a.sql:3:"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("relation \"app.missing\" does not exist"),
        "{}",
        run.stderr
    );
}

#[test]
fn without_a_placeholders_table_nothing_is_replaced() {
    let db = TestDb::new_blocking("cli_placeholders_none");
    let url = db.url();
    let project = Project::new();
    project.migration(
        "V1__f.sql",
        "CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $$ SELECT '${x}' $$;\n",
    );
    project.run(&url, &["validate", "--offline"]).expect_code(0);
    project.run(&url, &["migrate"]).expect_code(0);
    assert_eq!(scalar(&db, "SELECT f()"), "${x}");
}

#[test]
fn a_down_part_is_replaced_too() {
    let db = TestDb::new_blocking("cli_placeholders_down");
    let url = db.url();
    let project = Project::with_toml(TOML);
    std::fs::write(project.path().join(".env"), "OWNER_ROLE=x\n").unwrap();
    project.migration(
        "V1__r.sql",
        "-- migrate:up\nCREATE SCHEMA ${schema};\nCREATE TABLE ${schema}.r (id int);\n\
         -- migrate:down\nDROP TABLE ${schema}.r;\nDROP SCHEMA ${schema};\n",
    );
    // --single-transaction reads scripts the same way.
    project
        .run(&url, &["migrate", "--single-transaction"])
        .expect_code(0);
    assert_eq!(scalar(&db, "SELECT count(*)::text FROM app.r"), "0");
    project
        .run(&url, &["rollback"])
        .expect_code(0)
        .expect_no_panic();
    assert!(
        db.query_strings_blocking("SELECT 1 FROM pg_namespace WHERE nspname = 'app'")
            .is_empty()
    );
}
