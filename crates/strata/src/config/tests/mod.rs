//! Tests of the whole module: strata.toml loading, defaults, ordering,
//! environments and targets. No database.

#![allow(clippy::unwrap_used)] // tests may panic

use std::path::{Path, PathBuf};

use super::*;

const SPEC_EXAMPLE: &str = r#"default_env = "dev"
history_table = "public.strata_schema_history"

[databases.core]
migrations = "migrations/core"
url_env = "SHARED_DATABASE_URL"
seeds = "seeds/core"
depends_on = []
schemas = ["public"]
history_table = "public.atriz_schema_history"
admin_url_env = "ADMIN_DATABASE_URL"
direct_url_env = "DIRECT_DATABASE_URL"
shadow_url_env = "SHADOW_DATABASE_URL"

[databases.mextrack]
url_env = "DATABASE_URL"
depends_on = ["core"]

[environments.dev]
env_files = [".env", ".env.local"]
local_cluster = true

[environments.test]
env_files = [".env.local", ".env.stack.local"]

[environments.prod]
env_files = []
protected = true
allowed_hosts = ["localhost", "127.0.0.1"]
database_pattern = "*_prod"
require_tls = true
lock_timeout = "5s"
statement_timeout = "0"
lock_retries = 3
"#;

fn project(toml: &str) -> Project {
    Project::from_toml(toml, Path::new("/p/strata.toml")).unwrap_or_else(|e| panic!("{e}"))
}

fn error(toml: &str) -> ConfigError {
    match Project::from_toml(toml, Path::new("/p/strata.toml")) {
        Ok(p) => panic!("expected an error, got {p:?}"),
        Err(e) => e,
    }
}

fn names(p: &Project) -> Vec<&str> {
    p.databases().iter().map(|d| d.name.as_str()).collect()
}

fn penv(pairs: &[(&str, &str)]) -> ProcessEnv {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn spec_example_loads() {
    let p = project(SPEC_EXAMPLE);
    assert_eq!(p.default_env(), Some("dev"));
    assert_eq!(names(&p), ["core", "mextrack"]);
    let core = p.database("core").unwrap();
    assert_eq!(core.migrations, PathBuf::from("/p/migrations/core"));
    assert_eq!(core.seeds, Some(PathBuf::from("/p/seeds/core")));
    assert_eq!(core.url_env, "SHARED_DATABASE_URL");
    assert_eq!(core.admin_url_env.as_deref(), Some("ADMIN_DATABASE_URL"));
    assert_eq!(core.direct_url_env.as_deref(), Some("DIRECT_DATABASE_URL"));
    assert_eq!(core.shadow_url_env.as_deref(), Some("SHADOW_DATABASE_URL"));
    assert_eq!(
        core.history_table.quoted(),
        r#""public"."atriz_schema_history""#
    );
    let mex = p.database("mextrack").unwrap();
    assert_eq!(mex.migrations, PathBuf::from("/p/migrations/mextrack"));
    assert_eq!(mex.history_table, TableName::default());
    assert_eq!(mex.depends_on, ["core"]);
    assert_eq!(mex.direct_url_env, None);
    assert_eq!(mex.shadow_url_env, None);
    assert_eq!(mex.schemas, ["public"]);

    let envs: Vec<_> = p.environments().iter().map(|e| e.name.as_str()).collect();
    assert_eq!(envs, ["dev", "test", "prod"]);
    let dev = p.environment("dev").unwrap();
    assert!(dev.local_cluster && !dev.protected);
    assert_eq!(
        dev.env_files,
        [PathBuf::from("/p/.env"), PathBuf::from("/p/.env.local")]
    );
    assert_eq!(dev.lock_timeout.as_setting(), "10s");
    assert_eq!(dev.lock_retries, 0);
    assert_eq!(dev.statement_timeout, None);
    let prod = p.environment("prod").unwrap();
    assert!(prod.protected && prod.require_tls && !prod.local_cluster);
    assert_eq!(
        prod.allowed_hosts.as_deref(),
        Some(&["localhost".to_owned(), "127.0.0.1".to_owned()][..])
    );
    assert_eq!(
        prod.database_pattern.as_ref().map(|p| p.as_str()),
        Some("*_prod")
    );
    assert_eq!(prod.lock_timeout.as_setting(), "5s");
    assert_eq!(prod.statement_timeout, Some(Timeout::DISABLED));
    assert_eq!(prod.lock_retries, 3);
}

#[test]
fn unknown_key_at_top_level() {
    let e = error("default_env = \"dev\"\nhistroy_table = \"x\"\n");
    match &e {
        ConfigError::UnknownKey {
            key,
            line,
            column,
            path,
            ..
        } => {
            assert_eq!(key, "histroy_table");
            assert_eq!((*line, *column), (2, 1));
            assert_eq!(path, Path::new("/p/strata.toml"));
        }
        other => panic!("{other:?}"),
    }
    let msg = e.to_string();
    assert!(
        msg.starts_with("/p/strata.toml:2:1: unknown key `histroy_table`"),
        "{msg}"
    );
    assert!(msg.contains("history_table"), "lists expected keys: {msg}");
}

#[test]
fn unknown_table_at_top_level() {
    let e = error("[environment.dev]\nlocal_cluster = true\n");
    assert!(
        matches!(&e, ConfigError::UnknownKey { key, line: 1, .. } if key == "environment"),
        "{e:?}"
    );
}

#[test]
fn unknown_key_in_a_database() {
    let e = error("[databases.core]\nurl_env = \"X\"\n\n[databases.app]\nmigration = \"m\"\n");
    assert!(
        matches!(&e, ConfigError::UnknownKey { key, line: 5, column: 1, .. } if key == "databases.app.migration"),
        "{e:?}"
    );
    assert_eq!(e.key(), Some("databases.app.migration"));
    assert_eq!(e.line(), Some(5));
}

#[test]
fn unknown_key_in_an_environment() {
    let e = error("[environments.prod]\nprotected = true\n  lock_timout = \"5s\"\n");
    assert!(
        matches!(&e, ConfigError::UnknownKey { key, line: 3, column: 3, .. } if key == "environments.prod.lock_timout"),
        "{e:?}"
    );
}

#[test]
fn wrong_type_names_key_and_line() {
    let e = error("[environments.prod]\nprotected = \"yes\"\n");
    assert!(
        matches!(&e, ConfigError::InvalidValue { key, line: 2, .. } if key == "environments.prod.protected"),
        "{e:?}"
    );
    let e = error("[databases.core]\ndepends_on = \"x\"\n");
    assert!(
        matches!(&e, ConfigError::InvalidValue { key, line: 2, .. } if key == "databases.core.depends_on"),
        "{e:?}"
    );
}

#[test]
fn toml_syntax_error_line() {
    let e = error("default_env = \"dev\"\n\n[databases.core\nurl_env = \"X\"\n");
    assert!(matches!(e, ConfigError::Syntax { line: 3, .. }), "{e:?}");
    assert!(e.to_string().starts_with("/p/strata.toml:3:"), "{e}");
}

#[test]
fn invalid_values_name_key_and_line() {
    let cases = [
        (
            "[environments.prod]\nlock_timeout = \"5 seconds\"\n",
            "environments.prod.lock_timeout",
            2,
        ),
        (
            "[environments.prod]\n\nstatement_timeout = -1\n",
            "environments.prod.statement_timeout",
            3,
        ),
        (
            "[environments.prod]\nlock_timeout = true\n",
            "environments.prod.lock_timeout",
            2,
        ),
        (
            "[environments.prod]\nlock_retries = -1\n",
            "environments.prod.lock_retries",
            2,
        ),
        ("history_table = \"a.b.c\"\n", "history_table", 1),
        (
            "[databases.core]\nhistory_table = \"1x\"\n",
            "databases.core.history_table",
            2,
        ),
        (
            "[environments.prod]\ndatabase_pattern = \"{a\"\n",
            "environments.prod.database_pattern",
            2,
        ),
        (
            "[environments.prod]\nallowed_hosts = []\n",
            "environments.prod.allowed_hosts",
            2,
        ),
        (
            "[databases.core]\nurl_env = \"\"\n",
            "databases.core.url_env",
            2,
        ),
        (
            "[databases.core]\nschemas = [\"public\", \"bad name\"]\n",
            "databases.core.schemas",
            2,
        ),
    ];
    for (toml, key, line) in cases {
        let e = error(toml);
        assert_eq!(e.key(), Some(key), "{toml}: {e:?}");
        assert_eq!(e.line(), Some(line), "{toml}: {e:?}");
        assert!(matches!(e, ConfigError::InvalidValue { .. }), "{e:?}");
    }
}

#[test]
fn integer_timeouts_are_milliseconds() {
    let p = project("[environments.ci]\nlock_timeout = 1500\nstatement_timeout = 60000\n");
    let ci = p.environment("ci").unwrap();
    assert_eq!(ci.lock_timeout.as_setting(), "1500ms");
    assert_eq!(
        ci.statement_timeout.map(Timeout::as_setting).as_deref(),
        Some("1min")
    );
}

#[test]
fn invalid_names() {
    let e = error("[databases.\"my db\"]\n");
    assert!(
        matches!(e, ConfigError::InvalidValue { line: 1, .. }),
        "{e:?}"
    );
    let e = error("[environments.\"pr/od\"]\n");
    assert!(
        matches!(e, ConfigError::InvalidValue { line: 1, .. }),
        "{e:?}"
    );
}

#[test]
fn dependency_cycle_names_the_path() {
    let e = error(
        "[databases.a]\ndepends_on = [\"b\"]\n[databases.b]\ndepends_on = [\"c\"]\n[databases.c]\ndepends_on = [\"a\"]\n",
    );
    assert!(
        matches!(&e, ConfigError::DependencyCycle { cycle, .. } if cycle == &["a", "b", "c", "a"]),
        "{e:?}"
    );
    assert!(e.to_string().contains("a -> b -> c -> a"), "{e}");

    let e = error("[databases.ok]\n[databases.x]\ndepends_on = [\"x\"]\n");
    assert!(
        matches!(&e, ConfigError::DependencyCycle { cycle, .. } if cycle == &["x", "x"]),
        "{e:?}"
    );

    // A cycle reached from a database outside it: only the loop is named.
    let e = error(
        "[databases.top]\ndepends_on = [\"b\"]\n[databases.b]\ndepends_on = [\"c\"]\n[databases.c]\ndepends_on = [\"b\"]\n",
    );
    assert!(
        matches!(&e, ConfigError::DependencyCycle { cycle, .. } if cycle == &["b", "c", "b"]),
        "{e:?}"
    );
}

#[test]
fn unknown_dependency_is_named() {
    let e = error("[databases.a]\n\n[databases.b]\ndepends_on = [\"a\", \"cor\"]\n");
    match &e {
        ConfigError::UnknownDependency {
            database,
            dependency,
            line,
            column,
            ..
        } => {
            assert_eq!((database.as_str(), dependency.as_str()), ("b", "cor"));
            assert_eq!((*line, *column), (4, 20));
        }
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("`cor`"), "{e}");
}

#[test]
fn topological_order_ties_by_declaration_order() {
    // Declared out of alphabetical order on purpose.
    let p = project(
        "[databases.zeta]\n[databases.app]\ndepends_on = [\"core\", \"zeta\"]\n[databases.core]\n[databases.beta]\ndepends_on = [\"core\"]\n[databases.alpha]\n",
    );
    assert_eq!(names(&p), ["zeta", "core", "app", "beta", "alpha"]);

    let p = project("[databases.c]\n[databases.b]\n[databases.a]\n");
    assert_eq!(names(&p), ["c", "b", "a"]);

    // Dotted keys and inline tables keep file order too.
    let p = project("databases.y = {}\ndatabases.x = { depends_on = [\"z\"] }\ndatabases.z = {}\n");
    assert_eq!(names(&p), ["y", "z", "x"]);
}

mod resolution;
