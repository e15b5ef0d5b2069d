//! End-to-end test of `examples/quickstart`, the project the README's first
//! command migrates: the real `strata` binary against real PostgreSQL.
//!
//! The example is copied to a temporary directory (so no `.strata/` or other
//! state lands in the source tree) and run with `DATABASE_URL` pointing at a
//! fresh test database from `strata-testkit`. The example's `dev`
//! environment has `local_cluster = true`, which applies only while
//! `DATABASE_URL` is unset, so this also checks that a set URL wins over the
//! embedded cluster.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use assert_cmd::Command;
use strata_testkit::TestDb;

use crate::support;

/// Copies `from` into `to`, skipping local state (`.strata/`).
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name() == ".strata" {
            continue;
        }
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// `strata -C <project> <args>` with `DATABASE_URL` set and nothing else
/// from the caller's environment choosing for it.
fn strata(project: &Path, url: &str, args: &[&str]) -> Command {
    let mut cmd = support::strata_cmd();
    cmd.arg("-C")
        .arg(project)
        .args(args)
        .env("DATABASE_URL", url)
        .env_remove("STRATA_ENV")
        .env("NO_COLOR", "1");
    cmd
}

fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd.assert().success().get_output().clone();
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn quickstart_migrates_verifies_and_is_idempotent() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/quickstart");
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("quickstart");
    copy_dir(&example, &project);

    let db = TestDb::new_blocking("quickstart");
    let url = db.url();

    // First run: the three migrations, in version order, one line each.
    let out = stdout_of(&mut strata(&project, &url, &["migrate"]));
    let applied: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("app: applied "))
        .collect();
    assert_eq!(applied.len(), 3, "{out}");
    assert!(
        applied[0].starts_with("app: applied V1 create users ("),
        "{out}"
    );
    assert!(
        applied[1].starts_with("app: applied V2 create orders ("),
        "{out}"
    );
    assert!(
        applied[2].starts_with("app: applied V3 index orders concurrently ("),
        "{out}"
    );

    // status: all three applied.
    let out = stdout_of(&mut strata(&project, &url, &["status"]));
    assert!(out.contains("  3 applied, 0 pending"), "{out}");
    assert_eq!(
        out.lines().filter(|l| l.contains(" applied  ")).count(),
        3,
        "{out}"
    );

    // status --json: the same, machine-readable.
    let out = stdout_of(&mut strata(&project, &url, &["status", "--json"]));
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["env"], "dev");
    let app = &doc["databases"][0];
    assert_eq!(app["name"], "app");
    assert_eq!(app["applied"], 3);
    assert_eq!(app["pending"], 0);
    let states: Vec<&str> = app["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["applied", "applied", "applied"]);

    // verify: exit 0.
    let out = stdout_of(&mut strata(&project, &url, &["verify"]));
    assert_eq!(out.trim(), "app: ok, 3 migrations applied and verified");

    // Second run: nothing to do.
    let out = stdout_of(&mut strata(&project, &url, &["migrate"]));
    assert_eq!(out.trim(), "app: up to date (version 3)");

    // The history: one successful row per migration, in order.
    let rows = db.query_strings_blocking(
        "SELECT installed_rank::text, version, description, kind, script, success::text, \
         (checksum ~ '^[0-9a-f]{64}$')::text, (progress IS NULL)::text \
         FROM public.strata_schema_history ORDER BY installed_rank",
    );
    let row = |rank: &str, version: &str, description: &str, script: &str| {
        [
            rank,
            version,
            description,
            "versioned",
            script,
            "true",
            "true",
            "true",
        ]
        .map(|s| Some(s.to_owned()))
        .to_vec()
    };
    assert_eq!(
        rows,
        [
            row("1", "1", "create users", "V001__create_users.sql"),
            row("2", "2", "create orders", "V002__create_orders.sql"),
            row(
                "3",
                "3",
                "index orders concurrently",
                "V003__index_orders_concurrently.sql"
            ),
        ]
    );

    // The no-transaction migration built a valid index.
    let valid = db.query_strings_blocking(
        "SELECT indisvalid::text FROM pg_index \
         WHERE indexrelid = 'public.orders_user_id_created_at_idx'::regclass",
    );
    assert_eq!(valid, [[Some("true".to_owned())]]);

    // DATABASE_URL was set, so the embedded cluster was never used (only the
    // scan cache lives in .strata/, and it is kept out of git).
    assert!(!project.join(".strata/cluster").exists());
    assert_eq!(
        std::fs::read_to_string(project.join(".strata/.gitignore")).unwrap(),
        "*\n"
    );
}
