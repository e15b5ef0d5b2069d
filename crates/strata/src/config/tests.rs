//! Tests of the whole module: strata.toml loading, defaults, ordering,
//! environments and targets. No database.

#![allow(clippy::unwrap_used)] // tests may panic

use std::fs;
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
    assert_eq!(
        core.history_table.quoted(),
        r#""public"."atriz_schema_history""#
    );
    let mex = p.database("mextrack").unwrap();
    assert_eq!(mex.migrations, PathBuf::from("/p/migrations/mextrack"));
    assert_eq!(mex.history_table, TableName::default());
    assert_eq!(mex.depends_on, ["core"]);
    assert_eq!(mex.direct_url_env, None);
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

#[test]
fn defaults_without_databases() {
    let p = project("");
    assert_eq!(names(&p), ["main"]);
    let main = &p.databases()[0];
    assert_eq!(main.migrations, PathBuf::from("/p/migrations"));
    assert_eq!(main.url_env, "DATABASE_URL");
    assert_eq!(main.seeds, None);
    assert_eq!(main.schemas, ["public"]);
    assert_eq!(
        main.history_table.to_string(),
        "public.strata_schema_history"
    );
    assert!(p.environments().is_empty());
    assert_eq!(p.default_env(), None);

    let p = project("history_table = \"ops.history\"\n[databases]\n");
    assert_eq!(names(&p), ["main"]);
    assert_eq!(
        p.databases()[0].history_table.quoted(),
        r#""ops"."history""#
    );
}

#[test]
fn defaults_with_one_and_several_databases() {
    let p = project("[databases.core]\n");
    let core = &p.databases()[0];
    assert_eq!(core.migrations, PathBuf::from("/p/migrations"));
    assert_eq!(core.url_env, "DATABASE_URL");

    let p = project("[databases.core]\n[databases.app]\nmigrations = \"db/app\"\n");
    assert_eq!(
        p.database("core").unwrap().migrations,
        PathBuf::from("/p/migrations/core")
    );
    assert_eq!(
        p.database("app").unwrap().migrations,
        PathBuf::from("/p/db/app")
    );
}

#[test]
fn seeds_default_only_when_the_folder_exists() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("strata.toml");
    let load = |toml: &str| {
        fs::write(&config, toml).unwrap();
        Project::load(&config).unwrap()
    };

    let p = load("");
    assert_eq!(p.databases()[0].seeds, None);
    fs::create_dir(dir.path().join("seeds")).unwrap();
    let p = load("");
    assert_eq!(p.databases()[0].seeds, Some(dir.path().join("seeds")));

    // Several databases: only seeds/<name>.
    fs::create_dir(dir.path().join("seeds/core")).unwrap();
    let p = load("[databases.core]\n[databases.app]\n");
    assert_eq!(
        p.database("core").unwrap().seeds,
        Some(dir.path().join("seeds/core"))
    );
    assert_eq!(p.database("app").unwrap().seeds, None);

    // One declared database prefers seeds/<name> over seeds.
    let p = load("[databases.core]\n");
    assert_eq!(
        p.database("core").unwrap().seeds,
        Some(dir.path().join("seeds/core"))
    );
}

#[test]
fn discover_walks_up_and_resolves_against_the_root() {
    let dir = tempfile::tempdir().unwrap();
    let root = fs::canonicalize(dir.path()).unwrap();
    fs::write(root.join("strata.toml"), "[databases.core]\n").unwrap();
    let deep = root.join("a/b/c");
    fs::create_dir_all(&deep).unwrap();
    let p = Project::discover(&deep).unwrap();
    assert_eq!(p.config_path(), root.join("strata.toml"));
    assert_eq!(p.root(), root);
    assert_eq!(p.databases()[0].migrations, root.join("migrations"));
}

#[test]
fn missing_strata_toml() {
    let dir = tempfile::tempdir().unwrap();
    let e = Project::discover(dir.path()).unwrap_err();
    assert!(matches!(e, ConfigError::NotFound { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains("strata init"), "{msg}");
    assert!(
        msg.contains(&fs::canonicalize(dir.path()).unwrap().display().to_string()),
        "{msg}"
    );

    let missing = dir.path().join("other.toml");
    let e = Project::load(&missing).unwrap_err();
    assert!(
        matches!(&e, ConfigError::ConfigFileMissing { path } if path == &missing),
        "{e:?}"
    );
    assert!(e.to_string().contains("strata init"));
}

#[test]
fn load_reports_the_real_path() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("custom.toml");
    fs::write(&config, "\n\nbogus = 1\n").unwrap();
    let e = Project::load(&config).unwrap_err();
    assert!(
        e.to_string()
            .starts_with(&format!("{}:3:1: unknown key `bogus`", config.display())),
        "{e}"
    );
}

#[test]
fn select_databases_keeps_dependency_order() {
    let p =
        project("[databases.app]\ndepends_on = [\"core\"]\n[databases.core]\n[databases.other]\n");
    let sel: Vec<_> = p
        .select_databases(&["app", "core"])
        .unwrap()
        .iter()
        .map(|d| d.name.clone())
        .collect();
    assert_eq!(sel, ["core", "app"]);
    assert_eq!(p.select_databases::<&str>(&[]).unwrap().len(), 3);
    let e = p.select_databases(&["nope"]).unwrap_err();
    assert!(
        e.to_string()
            .contains("unknown database `nope` (declared: core, app, other)"),
        "{e}"
    );
}

#[test]
fn environment_resolution_through_the_project() {
    let p = project(SPEC_EXAMPLE);
    let none = penv(&[]);
    assert_eq!(p.resolve_env(None, &none).unwrap().name, "dev");
    assert_eq!(
        p.resolve_env(None, &penv(&[("STRATA_ENV", "test")]))
            .unwrap()
            .name,
        "test"
    );
    assert_eq!(
        p.resolve_env(Some("prod"), &penv(&[("STRATA_ENV", "test")]))
            .unwrap()
            .name,
        "prod"
    );
    let e = p.resolve_env(Some("staging"), &none).unwrap_err();
    assert!(e.to_string().contains("declared: dev, test, prod"), "{e}");

    let p = project("[environments.a]\n");
    // No default_env and no `dev` declared: the fallback is undeclared.
    assert!(matches!(
        p.resolve_env(None, &none),
        Err(ConfigError::UndeclaredEnvironment { .. })
    ));
}

/// The SPEC's `test` environment on disk: `.env.local` then
/// `.env.stack.local`, the process environment over both.
#[test]
fn env_files_layer_with_provenance() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::write(root.join("strata.toml"), SPEC_EXAMPLE).unwrap();
    fs::write(
        root.join(".env.local"),
        "SHARED_DATABASE_URL=postgres://core@localhost/core_local\nDATABASE_URL=postgres://app:local-pw@localhost/app_local\n",
    )
    .unwrap();
    fs::write(
        root.join(".env.stack.local"),
        "# stack overrides\n\nDATABASE_URL=postgres://app:stack-pw@localhost/app_stack\n",
    )
    .unwrap();
    let p = Project::load(&root.join("strata.toml")).unwrap();

    let env = p.resolve_env(Some("test"), &penv(&[])).unwrap();
    let (url, origin) = env.get("DATABASE_URL").unwrap();
    assert_eq!(url, "postgres://app:stack-pw@localhost/app_stack");
    assert_eq!(
        origin.to_string(),
        format!("{}:3", root.join(".env.stack.local").display())
    );
    let (_, origin) = env.get("SHARED_DATABASE_URL").unwrap();
    assert_eq!(
        origin.to_string(),
        format!("{}:1", root.join(".env.local").display())
    );

    let process = penv(&[("DATABASE_URL", "postgres://ci:ci-pw@ci-host/app_ci")]);
    let env = p.resolve_env(Some("test"), &process).unwrap();
    assert_eq!(
        env.get("DATABASE_URL"),
        Some(("postgres://ci:ci-pw@ci-host/app_ci", &Origin::Process))
    );

    // dev lists `.env`, which does not exist.
    let env = p.resolve_env(Some("dev"), &penv(&[])).unwrap();
    assert_eq!(env.skipped_files, [root.join(".env")]);
    assert_eq!(env.loaded_files, [root.join(".env.local")]);

    let shown = format!("{env:?} {p:?}");
    for pw in ["local-pw", "stack-pw"] {
        assert!(!shown.contains(pw), "{shown}");
    }
}

#[test]
fn targets() {
    let p = project(SPEC_EXAMPLE);
    let core = p.database("core").unwrap();
    let mex = p.database("mextrack").unwrap();

    // Unset URL in an environment with a local cluster.
    let dev = p.resolve_env(Some("dev"), &penv(&[])).unwrap();
    let t = resolve_target(core, &dev).unwrap();
    assert!(t.url.is_none() && t.origin.is_none() && t.policy.is_none());
    assert!(t.uses_local_cluster());
    assert!(t.check_policy().is_ok());

    // Unset URL without one.
    let test = p.resolve_env(Some("test"), &penv(&[])).unwrap();
    let t = resolve_target(core, &test).unwrap();
    assert!(!t.uses_local_cluster());
    let e = t.require_url().unwrap_err();
    assert!(
        e.to_string()
            .starts_with("SHARED_DATABASE_URL is not set in environment `test`"),
        "{e}"
    );

    // A production URL that passes every rule.
    let good = penv(&[
        (
            "SHARED_DATABASE_URL",
            "postgres://app:hunter2@localhost/core_prod?sslmode=verify-full",
        ),
        (
            "ADMIN_DATABASE_URL",
            "postgres://admin:hunter3@127.0.0.1/postgres?sslmode=require",
        ),
        (
            "DATABASE_URL",
            "postgres://app:hunter2@db.example.com/mex_dev",
        ),
    ]);
    let prod = p.resolve_env(Some("prod"), &good).unwrap();
    let t = resolve_target(core, &prod).unwrap();
    assert_eq!(t.origin, Some(Origin::Process));
    assert!(t.check_policy().is_ok(), "{:?}", t.policy);
    assert_eq!(t.policy.as_ref().map(|r| r.checks.len()), Some(3));
    assert_eq!(t.admin_policy.as_ref().map(|r| r.checks.len()), Some(2));
    assert_eq!(
        t.admin_url().map(|u| u.redacted()).as_deref(),
        Some("postgres://admin:***@127.0.0.1/postgres?sslmode=require")
    );

    // mextrack's URL breaks every rule; the error names the first.
    let t = resolve_target(mex, &prod).unwrap();
    let report = t.policy.clone().unwrap();
    assert!(report.checks.iter().all(|c| !c.passed), "{report:?}");
    let e = t.check_policy().unwrap_err();
    assert!(matches!(
        e,
        ConfigError::PolicyViolation {
            rule: PolicyRule::AllowedHosts,
            ..
        }
    ));
    let msg = e.to_string();
    assert!(
        msg.contains("`prod`") && msg.contains("postgres://app:***@db.example.com/mex_dev"),
        "{msg}"
    );
    assert_eq!(
        t.admin_url().map(|u| u.to_string()).as_deref(),
        Some("postgres://app:***@db.example.com/postgres")
    );

    let shown = format!("{t:?} {prod:?} {msg}");
    for pw in ["hunter2", "hunter3"] {
        assert!(!shown.contains(pw), "{shown}");
    }
}

#[test]
fn invalid_url_names_the_variable_not_the_password() {
    let p = project("");
    let env = p
        .resolve_env(
            None,
            &penv(&[("DATABASE_URL", "mysql://root:hunter2@h/db")]),
        )
        .unwrap();
    let e = resolve_target(&p.databases()[0], &env).unwrap_err();
    let msg = e.to_string();
    assert!(
        matches!(&e, ConfigError::InvalidUrl { var, .. } if var == "DATABASE_URL"),
        "{e:?}"
    );
    assert!(
        msg.starts_with("DATABASE_URL (from process): unsupported scheme `mysql`"),
        "{msg}"
    );
    let full = format!("{msg} {e:?}");
    assert!(!full.contains("hunter2"), "{full}");

    // An empty value is unset, not invalid.
    let env = p.resolve_env(None, &penv(&[("DATABASE_URL", "")])).unwrap();
    assert!(
        resolve_target(&p.databases()[0], &env)
            .unwrap()
            .url
            .is_none()
    );
}

#[test]
fn placeholders_and_baseline_on_migrate_are_declared_keys() {
    let p = project(
        "[databases.main]\nbaseline_on_migrate = true\n\
         [databases.main.placeholders]\nschema = \"app\"\ntenant = { env = \"TENANT\" }\n",
    );
    let db = p.database("main").unwrap();
    assert!(db.baseline_on_migrate);
    let ph = db.placeholders.as_ref().unwrap();
    assert_eq!(ph["schema"], PlaceholderValue::Text("app".into()));
    assert_eq!(ph["tenant"], PlaceholderValue::Env("TENANT".into()));
    // Without the table, no placeholders at all (not an empty table).
    assert!(
        project("[databases.main]\n").databases()[0]
            .placeholders
            .is_none()
    );

    let e = error("[databases.main.placeholders]\n\"a b\" = \"x\"\n");
    assert!(
        e.to_string().contains("placeholder name `a b` must match"),
        "{e}"
    );
    let e = error("[databases.main.placeholders]\nx = \"line\\nbreak\"\n");
    assert!(e.to_string().contains("a value is one line"), "{e}");
    let e = error("[databases.main]\nbaseline_on_migrat = true\n");
    assert!(
        matches!(&e, ConfigError::UnknownKey { key, .. } if key == "databases.main.baseline_on_migrat"),
        "{e:?}"
    );
}
