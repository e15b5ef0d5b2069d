//! Unit tests of environment selection, layering and redaction.
#![allow(clippy::unwrap_used)] // tests may panic

use super::*;
use crate::config::ConfigError;
use std::fs;

fn penv(pairs: &[(&str, &str)]) -> ProcessEnv {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn env_name_precedence() {
    let with_var = penv(&[("STRATA_ENV", "test")]);
    let empty = penv(&[]);
    assert_eq!(
        select_env_name(Some("prod"), &with_var, Some("staging")),
        ("prod".into(), EnvNameSource::Flag)
    );
    assert_eq!(
        select_env_name(None, &with_var, Some("staging")),
        ("test".into(), EnvNameSource::StrataEnv)
    );
    assert_eq!(
        select_env_name(None, &empty, Some("staging")),
        ("staging".into(), EnvNameSource::DefaultEnv)
    );
    assert_eq!(
        select_env_name(None, &empty, None),
        ("dev".into(), EnvNameSource::Fallback)
    );
    assert_eq!(
        select_env_name(None, &penv(&[("STRATA_ENV", "")]), None),
        ("dev".into(), EnvNameSource::Fallback)
    );
}

#[test]
fn undeclared_environment() {
    let envs = vec![
        Environment::undeclared("dev"),
        Environment::undeclared("prod"),
    ];
    let err = resolve_env(&envs, None, Some("staging"), &penv(&[])).unwrap_err();
    assert!(
        matches!(&err, ConfigError::UndeclaredEnvironment { env, declared } if env == "staging" && declared == &["dev", "prod"]),
        "{err:?}"
    );
    assert!(err.to_string().contains("declared: dev, prod"), "{err}");

    // No environments declared: any name, no files.
    let r = resolve_env(&[], None, Some("anything"), &penv(&[])).unwrap();
    assert_eq!(r.name, "anything");
    assert!(!r.spec.declared);
    assert!(r.loaded_files.is_empty() && r.skipped_files.is_empty());
}

#[test]
fn env_file_layering_and_provenance() {
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join(".env.local");
    let stack = dir.path().join(".env.stack.local");
    let missing = dir.path().join(".env.missing");
    fs::write(
        &local,
        "# local\nDATABASE_URL=postgres://a@local/db\nONLY_LOCAL=1\nCI_SECRET=from-file\n",
    )
    .unwrap();
    fs::write(&stack, "\n\nexport DATABASE_URL='postgres://a@stack/db'\n").unwrap();

    let mut spec = Environment::undeclared("test");
    spec.declared = true;
    spec.env_files = vec![local.clone(), missing.clone(), stack.clone()];
    let process = penv(&[("CI_SECRET", "from-process"), ("STRATA_ENV", "test")]);
    let r = resolve_env(&[spec], None, None, &process).unwrap();

    assert_eq!(r.name_source, EnvNameSource::StrataEnv);
    assert_eq!(
        r.get("DATABASE_URL"),
        Some((
            "postgres://a@stack/db",
            &Origin::File {
                path: stack.clone(),
                line: 3
            }
        ))
    );
    assert_eq!(
        r.get("ONLY_LOCAL").map(|(v, o)| (v, o.to_string())),
        Some(("1", format!("{}:3", local.display())))
    );
    assert_eq!(r.get("CI_SECRET"), Some(("from-process", &Origin::Process)));
    assert_eq!(r.loaded_files, [local, stack]);
    assert_eq!(r.skipped_files, [missing]);
    assert_eq!(r.get("NOPE"), None);
}

#[test]
fn empty_value_counts_as_unset_for_urls() {
    let mut spec = Environment::undeclared("dev");
    spec.env_files = Vec::new();
    let r = ResolvedEnv::load(spec, EnvNameSource::Flag, &penv(&[("DATABASE_URL", " ")])).unwrap();
    assert!(r.get("DATABASE_URL").is_some());
    assert_eq!(r.get_non_empty("DATABASE_URL"), None);
}

#[test]
fn debug_redacts_secrets_and_url_passwords() {
    let process = penv(&[
        ("DATABASE_URL", "postgres://app:hunter2@h/db"),
        ("PGPASSWORD", "hunter2"),
        ("GITHUB_TOKEN", "hunter2"),
        ("my_secret_thing", "hunter2"),
        ("REDIS_URL", "redis://u:hunter2@cache/0"),
        ("HOME", "/root"),
    ]);
    let r = ResolvedEnv::load(
        Environment::undeclared("dev"),
        EnvNameSource::Flag,
        &process,
    )
    .unwrap();
    let shown = format!("{r:?} {r:#?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("postgres://app:***@h/db"), "{shown}");
    assert!(shown.contains("/root"), "{shown}");
    assert_eq!(r.vars["PGPASSWORD"].display_value(), "***");
    assert_eq!(r.vars["PGPASSWORD"].value(), "hunter2");
}

#[test]
fn database_pattern_globs() {
    let p = DatabasePattern::new("*_prod").unwrap();
    assert!(p.is_match("shop_prod"));
    assert!(!p.is_match("shop_prod_copy"));
    assert!(!p.is_match("SHOP_PROD"));
    assert!(DatabasePattern::new("shop_{prod,stage").is_err());
}
