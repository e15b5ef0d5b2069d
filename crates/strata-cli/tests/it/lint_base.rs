//! `strata lint --base REF` against scratch git repositories with two
//! branches: only what the branch adds (or edits) is linted, a version
//! added below REF's highest fails with `version-below-base`, an edited
//! migration with `edited-migration`; an unknown ref and a folder outside a
//! repository are usage errors; a project in a sub-folder of the
//! repository, with several databases, names the right files.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Stdio};

use crate::support::{Run, STRATA_TOML, expect, project, strata};

/// Runs git in `dir` with a fixed identity and no user or system config.
fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn write(dir: &Path, path: &str, text: &str) {
    let p = dir.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn commit_all(dir: &Path, message: &str) {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", message]);
}

/// A repository whose `main` holds V1, V2 and V3 (V3: an index on an
/// existing table, a hazard already merged), with `feature` checked out at
/// main's tip.
fn repo() -> tempfile::TempDir {
    let dir = project(&[
        ("strata.toml", STRATA_TOML),
        ("migrations/V1__users.sql", "CREATE TABLE users (id int);\n"),
        (
            "migrations/V2__orders.sql",
            "CREATE TABLE orders (id int, at timestamptz);\n",
        ),
        (
            "migrations/V3__orders_at.sql",
            "CREATE INDEX ON orders (at);\n",
        ),
    ]);
    git(dir.path(), &["init", "-q", "-b", "main"]);
    commit_all(dir.path(), "V1 to V3");
    git(dir.path(), &["checkout", "-q", "-b", "feature"]);
    dir
}

fn lint_base(dir: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["lint", "--base", "main"];
    args.extend_from_slice(extra);
    strata(dir, &args, &[])
}

fn findings(run: &Run, db: usize) -> Vec<(String, String)> {
    run.json()["databases"][db]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_owned(),
                f["script"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn only_the_migrations_the_branch_adds_are_linted() {
    let dir = repo();
    write(
        dir.path(),
        "migrations/V4__users_id.sql",
        "CREATE INDEX ON users (id);\n",
    );
    commit_all(dir.path(), "V4");
    // Not committed, not even tracked: still what the branch adds.
    write(dir.path(), "migrations/V5__wipe.sql", "TRUNCATE orders;\n");
    let run = lint_base(dir.path(), &["--json"]);
    expect(&run, 0);
    assert_eq!(
        findings(&run, 0),
        [
            (
                "require-concurrent-index-creation".to_owned(),
                "V4__users_id.sql".to_owned()
            ),
            ("ban-truncate".to_owned(), "V5__wipe.sql".to_owned()),
        ]
    );
    let run = lint_base(dir.path(), &[]);
    expect(&run, 0);
    assert!(
        run.stdout
            .contains("main: 0 error(s), 2 warning(s) in 2 migration(s)"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("V3__orders_at.sql"), "{}", run.stdout);
}

#[test]
fn a_version_below_the_highest_on_the_base_fails() {
    let dir = project(&[
        ("strata.toml", STRATA_TOML),
        ("migrations/V1__users.sql", "CREATE TABLE users (id int);\n"),
        (
            "migrations/V2__orders.sql",
            "CREATE TABLE orders (id int);\n",
        ),
    ]);
    git(dir.path(), &["init", "-q", "-b", "main"]);
    commit_all(dir.path(), "V1, V2");
    git(dir.path(), &["checkout", "-q", "-b", "feature"]);
    write(
        dir.path(),
        "migrations/V2_1__audit.sql",
        "CREATE TABLE audit (id int);\n",
    );
    commit_all(dir.path(), "V2_1");
    // Before main moves on, the branch is in order.
    expect(&lint_base(dir.path(), &[]), 0);
    // main merges V3 meanwhile: V2_1 would now be pending below it.
    git(dir.path(), &["checkout", "-q", "main"]);
    write(
        dir.path(),
        "migrations/V003__invoices.sql",
        "CREATE TABLE invoices (id int);\n",
    );
    commit_all(dir.path(), "V3");
    git(dir.path(), &["checkout", "-q", "feature"]);

    let run = lint_base(dir.path(), &[]);
    expect(&run, 3);
    assert!(
        run.stdout.contains(
            "migrations/V2_1__audit.sql:1:1: error[version-below-base]: \
             the branch adds a version that is not above the base's highest"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("version 2.1 is below 3 (V003__invoices.sql), already on main"),
        "{}",
        run.stdout
    );
    let run = lint_base(dir.path(), &["--json"]);
    expect(&run, 3);
    assert_eq!(
        findings(&run, 0),
        [(
            "version-below-base".to_owned(),
            "V2_1__audit.sql".to_owned()
        )]
    );
}

#[test]
fn the_same_version_as_one_on_the_base_fails() {
    let dir = repo();
    git(dir.path(), &["checkout", "-q", "main"]);
    write(
        dir.path(),
        "migrations/V4__a.sql",
        "CREATE TABLE a (id int);\n",
    );
    commit_all(dir.path(), "V4 on main");
    git(dir.path(), &["checkout", "-q", "feature"]);
    write(
        dir.path(),
        "migrations/V4__b.sql",
        "CREATE TABLE b (id int);\n",
    );
    commit_all(dir.path(), "V4 on feature");
    let run = lint_base(dir.path(), &[]);
    expect(&run, 3);
    assert!(
        run.stdout.contains("version 4 is also V4__a.sql on main"),
        "{}",
        run.stdout
    );
}

#[test]
fn an_edited_migration_already_on_the_base_is_an_error() {
    let dir = repo();
    // Uncommitted: the working tree is what the branch would merge.
    write(
        dir.path(),
        "migrations/V2__orders.sql",
        "CREATE TABLE orders (id bigint, at timestamptz);\n",
    );
    let run = lint_base(dir.path(), &["--json"]);
    expect(&run, 3);
    assert_eq!(
        findings(&run, 0),
        [("edited-migration".to_owned(), "V2__orders.sql".to_owned())]
    );
    // A repeatable migration is meant to change.
    git(dir.path(), &["checkout", "-q", "--", "."]);
    write(
        dir.path(),
        "migrations/R__views.sql",
        "CREATE VIEW v AS SELECT 1;\n",
    );
    commit_all(dir.path(), "R");
    git(dir.path(), &["branch", "-f", "main"]);
    write(
        dir.path(),
        "migrations/R__views.sql",
        "CREATE VIEW v AS SELECT 2;\n",
    );
    expect(&lint_base(dir.path(), &[]), 0);
}

#[test]
fn an_unknown_ref_is_a_usage_error_naming_it() {
    let dir = repo();
    let run = strata(dir.path(), &["lint", "--base", "no-such-branch"], &[]);
    expect(&run, 2);
    assert!(
        run.stderr.contains("unknown git ref `no-such-branch`"),
        "{}",
        run.stderr
    );
    // Never passed to git as an option.
    let run = strata(dir.path(), &["lint", "--base=--output=x"], &[]);
    expect(&run, 2);
    assert!(
        run.stderr.contains("unknown git ref `--output=x`"),
        "{}",
        run.stderr
    );
}

#[test]
fn outside_a_git_repository_is_a_usage_error() {
    let dir = project(&[
        ("strata.toml", STRATA_TOML),
        ("migrations/V1__users.sql", "CREATE TABLE users (id int);\n"),
    ]);
    let run = strata(dir.path(), &["lint", "--base", "main", "--json"], &[]);
    expect(&run, 2);
    assert!(
        run.stderr.contains("not a git repository"),
        "{}",
        run.stderr
    );
    let doc = run.json();
    assert_eq!(doc["exit_code"], 2, "{doc}");
    let error = doc["databases"][0]["error"].as_str().unwrap();
    assert!(error.contains("not a git repository"), "{error}");
}

#[test]
fn base_and_files_conflict() {
    let dir = repo();
    let run = strata(dir.path(), &["lint", "--base", "main", "x.sql"], &[]);
    expect(&run, 2);
}

#[test]
fn a_project_in_a_sub_folder_with_several_databases() {
    let toml = "[databases.core]\nurl_env = \"CORE_URL\"\n[databases.billing]\nurl_env = \"BILLING_URL\"\n";
    let dir = project(&[
        ("README.md", "a monorepo\n"),
        ("services/api/strata.toml", toml),
        (
            "services/api/migrations/core/V1__users.sql",
            "CREATE TABLE users (id int);\n",
        ),
        (
            "services/api/migrations/billing/V1__invoices.sql",
            "CREATE TABLE invoices (id int);\n",
        ),
        // Another project's folder of the same name: not this one's.
        (
            "services/web/migrations/core/V9__other.sql",
            "CREATE TABLE other (id int);\n",
        ),
    ]);
    let top = dir.path();
    git(top, &["init", "-q", "-b", "main"]);
    commit_all(top, "base");
    git(top, &["checkout", "-q", "-b", "feature"]);
    write(
        top,
        "services/api/migrations/core/V2__users_id.sql",
        "CREATE INDEX ON users (id);\n",
    );
    write(
        top,
        "services/api/migrations/billing/V1_1__lines.sql",
        "CREATE TABLE lines (id int);\n",
    );
    commit_all(top, "feature");
    git(top, &["checkout", "-q", "main"]);
    write(
        top,
        "services/api/migrations/billing/V2__taxes.sql",
        "CREATE TABLE taxes (id int);\n",
    );
    commit_all(top, "billing V2");
    git(top, &["checkout", "-q", "feature"]);

    // From the repository's top with -C, and from inside the project.
    for (cwd, args) in [
        (top.to_owned(), vec!["-C", "services/api"]),
        (top.join("services/api/migrations"), vec![]),
    ] {
        let mut all = args.clone();
        all.extend(["--json", "lint", "--base", "main"]);
        let run = strata(&cwd, &all, &[]);
        expect(&run, 3);
        let doc = run.json();
        let names: Vec<&str> = doc["databases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["name"].as_str().unwrap())
            .collect();
        let core = names.iter().position(|n| *n == "core").unwrap();
        let billing = names.iter().position(|n| *n == "billing").unwrap();
        assert_eq!(
            findings(&run, core),
            [(
                "require-concurrent-index-creation".to_owned(),
                "V2__users_id.sql".to_owned()
            )]
        );
        assert_eq!(
            findings(&run, billing),
            [(
                "version-below-base".to_owned(),
                "V1_1__lines.sql".to_owned()
            )]
        );
    }
}
