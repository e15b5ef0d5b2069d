//! `db create` and the database's owner (SPEC §4, §1.1 `owner`): on
//! PostgreSQL 15+ only the owner of a database may create in its `public`
//! schema, so a database created with admin credentials must belong to the
//! application's role, or its first `migrate` fails.

#![allow(clippy::unwrap_used)]

use crate::support::{db_exists, drop_db, expect, project, scalar, strata, unique};
use strata::config::quote_ident;
use strata_testkit::server;

/// A login role that is not a superuser, dropped with its databases at the end.
struct Role {
    name: String,
    databases: Vec<String>,
}

impl Role {
    fn new(hint: &str) -> Role {
        let name = unique(hint);
        scalar(
            server().base_url(),
            &format!(
                "CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB",
                quote_ident(&name)
            ),
        );
        Role {
            name,
            databases: Vec::new(),
        }
    }

    /// The URL of `database` on the test server, logging in as this role.
    fn url(&self, database: &str) -> String {
        format!(
            "postgres://{}@127.0.0.1:{}/{database}",
            self.name,
            server().port()
        )
    }
}

impl Drop for Role {
    fn drop(&mut self) {
        for d in &self.databases {
            drop_db(server().base_url(), d);
        }
        scalar(
            server().base_url(),
            &format!("DROP ROLE IF EXISTS {}", quote_ident(&self.name)),
        );
    }
}

fn owner_of(database: &str) -> Option<String> {
    scalar(
        server().base_url(),
        &format!(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '{}'",
            database.replace('\'', "''")
        ),
    )
}

const TOML: &str = "[databases.main]\nurl_env = \"DATABASE_URL\"\nadmin_url_env = \"ADMIN_URL\"\n";

#[test]
fn db_create_with_admin_credentials_makes_the_app_role_the_owner() {
    let mut role = Role::new("app_owner");
    let database = unique("owned_by_app");
    role.databases.push(database.clone());
    let dir = project(&[
        ("strata.toml", TOML),
        ("migrations/V1__t.sql", "CREATE TABLE t (id int);\n"),
    ]);
    let app_url = role.url(&database);
    let env = [
        ("DATABASE_URL", app_url.as_str()),
        ("ADMIN_URL", server().base_url()),
    ];

    let run = strata(dir.path(), &["db", "create", "--json"], &env);
    expect(&run, 0);
    assert!(db_exists(server().base_url(), &database));
    assert_eq!(owner_of(&database).as_deref(), Some(role.name.as_str()));
    let doc = run.json();
    assert_eq!(
        doc["databases"][0]["actions"][0]["owner"],
        role.name.as_str()
    );

    // The app role creates the history table in `public` and migrates.
    let run = strata(dir.path(), &["migrate"], &env);
    expect(&run, 0);
    assert_eq!(
        scalar(
            &app_url,
            "SELECT count(*) FROM public.strata_schema_history"
        )
        .as_deref(),
        Some("1")
    );

    // Idempotent: a second run finds it and changes nothing.
    let run = strata(dir.path(), &["db", "create"], &env);
    expect(&run, 0);
    assert!(run.stdout.contains("already exists"), "{}", run.stdout);

    // `db reset` recreates it with the owner it had, and migrates as the app.
    let run = strata(dir.path(), &["db", "reset", "--confirm", &database], &env);
    expect(&run, 0);
    assert_eq!(owner_of(&database).as_deref(), Some(role.name.as_str()));
    assert_eq!(
        scalar(
            &app_url,
            "SELECT count(*) FROM public.strata_schema_history"
        )
        .as_deref(),
        Some("1")
    );
}

#[test]
fn db_create_uses_the_configured_owner_and_names_a_missing_one() {
    let mut role = Role::new("named_owner");
    let database = unique("owned_by_named");
    role.databases.push(database.clone());
    let toml = format!("{TOML}owner = \"{}\"\n", role.name);
    let dir = project(&[("strata.toml", &toml)]);
    // The database URL logs in as the superuser: the owner still comes from `owner`.
    let url = server().url(&database);
    let env = [
        ("DATABASE_URL", url.as_str()),
        ("ADMIN_URL", server().base_url()),
    ];
    let run = strata(dir.path(), &["db", "create"], &env);
    expect(&run, 0);
    assert!(
        run.stdout.contains(&format!("(owner {})", role.name)),
        "{}",
        run.stdout
    );
    assert_eq!(owner_of(&database).as_deref(), Some(role.name.as_str()));

    // A role that does not exist: a clear error, and no database.
    let missing = unique("no_such_role");
    let other = unique("never_created");
    let toml = format!("{TOML}owner = \"{missing}\"\n");
    let dir = project(&[("strata.toml", &toml)]);
    let url = server().url(&other);
    let env = [
        ("DATABASE_URL", url.as_str()),
        ("ADMIN_URL", server().base_url()),
    ];
    let run = strata(dir.path(), &["db", "create"], &env);
    expect(&run, 1);
    assert!(
        run.stderr.contains(&format!(
            "cannot create database {other} owned by role {missing}: the role does not exist"
        )) && run.stderr.contains("`owner` in strata.toml"),
        "{}",
        run.stderr
    );
    assert!(!db_exists(server().base_url(), &other));

    // An empty owner is a configuration error naming the key.
    let dir = project(&[("strata.toml", &format!("{TOML}owner = \"\"\n"))]);
    let run = strata(dir.path(), &["db", "create"], &env);
    expect(&run, 2);
    assert!(run.stderr.contains("owner"), "{}", run.stderr);
}
