//! examples/app-migrate-on-start (seed 003) end to end: the commands of its
//! README, in order, with the real `strata` on `PATH` and the example's app
//! binary (what `cargo run --quiet` runs), against the test server. The
//! compose database is stood in for by the test server: `.env` gets its
//! port and user (the README's "without Docker" edit) and
//! `research_agent_db` is created as compose's `POSTGRES_DB` would.
//! docker-compose.yml and the Dockerfile are not run here. Change
//! examples/app-migrate-on-start/README.md and this file together.
#![allow(clippy::unwrap_used)] // tests may panic

use std::process::Stdio;

use strata::config::{DbUrl, quote_ident};
use strata_testkit::server;

use crate::example_project::{ExampleCopy, app_bin, sh};
use crate::support::{Run, SCRUBBED, drop_db, expect, scalar};

const DATABASE: &str = "research_agent_db";

/// `cargo run --quiet` in the example, with `env` on top of a scrubbed
/// environment (the app reads .env itself).
fn app(dir: &std::path::Path, env: &[(&str, &str)]) -> Run {
    let mut cmd = std::process::Command::new(app_bin("research-agent"));
    cmd.current_dir(dir).stdin(Stdio::null());
    for v in SCRUBBED {
        cmd.env_remove(v);
    }
    for v in ["MIGRATE_ON_START", "DB_WAIT_SECS", "DB_HOST", "DB_PORT"] {
        cmd.env_remove(v);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    Run::of(cmd.output().unwrap())
}

/// `version:kind` of every history row, in order.
fn history() -> Vec<String> {
    scalar(
        &server().url(DATABASE),
        "SELECT string_agg(version || ':' || kind || ':' || success, ' ' ORDER BY installed_rank) \
         FROM public.strata_schema_history",
    )
    .unwrap_or_default()
    .split(' ')
    .map(str::to_owned)
    .collect()
}

fn tables() -> String {
    scalar(
        &server().url(DATABASE),
        "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables \
         WHERE schemaname = 'public'",
    )
    .unwrap_or_default()
}

const V1: &str = "20251130000001:versioned:true";
const V2: &str = "20251130000002:versioned:true";
const V2_UNDO: &str = "20251130000002:undo:true";

#[test]
fn research_agent_readme_end_to_end() {
    let ex = ExampleCopy::new("app-migrate-on-start");
    let p = ex.path();
    let admin = server().base_url();
    drop_db(admin, DATABASE);

    // ## Start PostgreSQL
    expect(&sh(p, "cp .env.example .env", &[]), 0);
    let user = DbUrl::parse(admin).unwrap().user().unwrap().to_owned();
    let port = server().port().to_string();
    let env_file = ex
        .read(".env")
        .replace("DB_PORT=5433", &format!("DB_PORT={port}"))
        .replace("DB_USERNAME=research_agent", &format!("DB_USERNAME={user}"));
    ex.write(".env", &env_file);
    // `docker compose up -d postgres`: the server runs, POSTGRES_DB exists.
    scalar(admin, &format!("CREATE DATABASE {}", quote_ident(DATABASE)));

    let run = sh(p, "strata db wait", &[]);
    expect(&run, 0);
    assert!(
        run.stderr.contains(&format!("localhost:{port}/{DATABASE}")),
        "{}",
        run.stderr
    );
    // The healthcheck fails while the server refuses, saying why.
    let run = sh(p, "strata db wait --timeout 1s", &[("DB_PORT", "1")]);
    expect(&run, 1);
    assert!(
        run.stderr.contains("gave up after 1s (--timeout)")
            && run.stderr.contains("Connection refused"),
        "{}",
        run.stderr
    );

    // ## Migrate, revert, migrate again
    let run = sh(p, "strata migrate", &[]);
    expect(&run, 0);
    assert!(
        run.stdout
            .contains("research: applied V20251130000002 add sources"),
        "{}",
        run.stdout
    );
    assert_eq!(history(), [V1, V2]);
    assert_eq!(tables(), "research_tasks,sources,strata_schema_history");

    let run = sh(p, "strata rollback", &[]);
    expect(&run, 0);
    assert!(
        run.stdout
            .contains("research: rolled back V20251130000002 add sources"),
        "{}",
        run.stdout
    );
    assert_eq!(tables(), "research_tasks,strata_schema_history");

    let run = sh(p, "strata status", &[]);
    expect(&run, 0);
    assert!(
        run.stdout.contains("1 applied, 1 pending")
            && run.stdout.contains(&format!(
                "postgres://{user}:***@localhost:{port}/{DATABASE}"
            )),
        "{}",
        run.stdout
    );

    expect(&sh(p, "strata migrate", &[]), 0);
    assert_eq!(history(), [V1, V2, V2_UNDO, V2]);
    assert_eq!(tables(), "research_tasks,sources,strata_schema_history");

    // ## The app
    let run = app(p, &[("MIGRATE_ON_START", "false")]);
    expect(&run, 0);
    assert!(run.stdout.contains("research-agent: ready"), "{run:?}");

    expect(&sh(p, "strata rollback", &[]), 0);
    let run = app(p, &[("MIGRATE_ON_START", "false")]);
    expect(&run, 1);
    assert!(
        run.stderr
            .contains("  20251130000002_add_sources.up.sql: not applied; run `strata migrate`")
            && run
                .stderr
                .contains("research-agent: run `strata migrate`, or set MIGRATE_ON_START=true"),
        "{}",
        run.stderr
    );
    assert_eq!(tables(), "research_tasks,strata_schema_history");

    // .env's MIGRATE_ON_START=true.
    let run = app(p, &[]);
    expect(&run, 0);
    assert!(
        run.stdout
            .contains("research-agent: applied 20251130000002_add_sources.up.sql")
            && run.stdout.contains("research-agent: ready"),
        "{}",
        run.stdout
    );
    assert_eq!(history(), [V1, V2, V2_UNDO, V2, V2_UNDO, V2]);
    assert_eq!(tables(), "research_tasks,sources,strata_schema_history");
    expect(&sh(p, "strata verify", &[]), 0);

    drop_db(admin, DATABASE);
}
