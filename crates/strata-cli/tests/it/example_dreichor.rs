//! examples/dreichor (seed 001) end to end: every command of its README, in
//! the README's order, with the real `strata` (on `PATH`, as after `cargo
//! install`) and the example's runtime binary (what `cargo run --quiet`
//! runs), against the test server. The README's `localhost:5432` is the
//! test server's port; `export DATABASE_URL=…` is the variable set for each
//! command. [`STEPS`] is the README's `sh` lines with their `# exit N`;
//! the test fails when the two differ, so change examples/dreichor/README.md
//! and this file together.
#![allow(clippy::unwrap_used)] // tests may panic

use std::process::Stdio;

use crate::example_project::{ExampleCopy, app_bin, sh};
use crate::support::{Run, SCRUBBED, db_exists, drop_db, expect, readme_steps, scalar};
use strata::schema::Dump;
use strata_testkit::server;

const MIGRATION_002: &str = "infra/db/migrations/002_add_shadow_ledger.sql";

/// The README's commands, in order, with the exit code each must end with.
const STEPS: &[(&str, i32)] = &[
    // Development
    (
        "export DATABASE_URL=postgres://postgres@localhost:5432/dreichor_dev",
        0,
    ),
    ("strata db create", 0),
    ("cargo run --quiet", 1),
    ("infra/db/migrate.sh dev", 0),
    ("cargo run --quiet", 0),
    // The URL rules
    (
        "DATABASE_URL=postgres://postgres@localhost:5432/dreichor_prod strata migrate",
        2,
    ),
    (
        "DATABASE_URL=postgres://postgres@db.example.com:5432/dreichor_dev strata migrate",
        2,
    ),
    (
        "DATABASE_URL=postgresql://postgres@localhost:5432/dreichor_dev cargo run --quiet",
        2,
    ),
    // An edited migration
    (
        "echo \"-- tidy\" >> infra/db/migrations/002_add_shadow_ledger.sql",
        0,
    ),
    ("strata verify", 3),
    ("infra/db/migrate.sh dev", 3),
    (
        "git checkout infra/db/migrations/002_add_shadow_ledger.sql",
        0,
    ),
    ("strata verify", 0),
    // A change made by hand
    (HAND_INDEX, 0),
    ("cargo run --quiet", 1),
    (DROP_HAND_INDEX, 0),
    ("cargo run --quiet", 0),
    // Production
    (
        "export DATABASE_URL=postgres://postgres@localhost:5432/dreichor_prod",
        0,
    ),
    ("strata --env prod db create", 0),
    ("infra/db/migrate.sh prod", 0),
    ("DREICHOR_ENV=prod cargo run --quiet", 0),
    // The hard reset
    ("strata --env prod db reset < /dev/null", 5),
    (
        "strata --env prod db reset --confirm dreichor_prod < /dev/null",
        5,
    ),
    (
        "strata --env prod db drop --confirm dreichor_prod < /dev/null",
        5,
    ),
    (
        "export DATABASE_URL=postgres://postgres@localhost:5432/dreichor_dev",
        0,
    ),
    ("strata db reset --confirm dreichor_dev", 0),
    // A new migration
    (NEW_MIGRATION, 0),
    ("infra/db/migrate.sh dev", 0),
    ("strata schema dump --out schema.sql", 0),
];

const HAND_INDEX: &str =
    "psql \"$DATABASE_URL\" -c 'CREATE INDEX decisions_instrument_idx ON decisions (instrument)'";
const DROP_HAND_INDEX: &str = "psql \"$DATABASE_URL\" -c 'DROP INDEX decisions_instrument_idx'";
const NEW_MIGRATION: &str = "printf 'CREATE INDEX decisions_made_at_idx ON decisions (made_at);\\n' \
     > infra/db/migrations/004_index_decisions_by_time.sql";

#[test]
fn the_readme_and_this_test_run_the_same_commands() {
    let readme = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/dreichor/README.md"),
    )
    .unwrap();
    let expected: Vec<(String, i32)> = STEPS.iter().map(|(c, n)| ((*c).to_owned(), *n)).collect();
    assert_eq!(
        readme_steps(&readme, "## What strata does not do here"),
        expected
    );
}

/// The URL the README writes for `database`, on the test server.
fn url(database: &str) -> String {
    server().url(database).replace("127.0.0.1", "localhost")
}

/// `cargo run --quiet` in the example: its runtime binary.
fn runtime(dir: &std::path::Path, database_url: &str, env: Option<&str>) -> Run {
    let mut cmd = std::process::Command::new(app_bin("dreichor-runtime"));
    cmd.current_dir(dir)
        .stdin(Stdio::null())
        .env("DATABASE_URL", database_url);
    for v in SCRUBBED {
        if *v != "DATABASE_URL" {
            cmd.env_remove(v);
        }
    }
    match env {
        Some(e) => cmd.env("DREICHOR_ENV", e),
        None => cmd.env_remove("DREICHOR_ENV"),
    };
    Run::of(cmd.output().unwrap())
}

/// `(version, kind, success)` of every history row, in order.
fn history(database: &str) -> Vec<String> {
    let rows = scalar(
        &url(database),
        "SELECT string_agg(version || ':' || kind || ':' || success || ':' || \
         (applied_at IS NOT NULL), ' ' ORDER BY installed_rank) \
         FROM public.dreichor_schema_migrations",
    )
    .unwrap_or_default();
    rows.split(' ').map(str::to_owned).collect()
}

fn tables(database: &str) -> String {
    scalar(
        &url(database),
        "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables \
         WHERE schemaname = 'public'",
    )
    .unwrap_or_default()
}

const APPLIED: [&str; 3] = [
    "1:versioned:true:true",
    "2:versioned:true:true",
    "3:versioned:true:true",
];
const TABLES: &str = "decision_memory,decisions,dreichor_schema_migrations,shadow_ledger";

#[test]
fn dreichor_readme_end_to_end() {
    let ex = ExampleCopy::new("dreichor");
    let p = ex.path();
    let admin = server().base_url();
    drop_db(admin, "dreichor_dev");
    drop_db(admin, "dreichor_prod");
    let dev = url("dreichor_dev");
    let prod = url("dreichor_prod");
    let dev_env = [("DATABASE_URL", dev.as_str())];
    let prod_env = [("DATABASE_URL", prod.as_str())];

    // ## Development
    let run = sh(p, "strata db create", &dev_env);
    expect(&run, 0);
    assert!(
        run.stdout.contains("created database dreichor_dev"),
        "{run:?}"
    );
    assert!(db_exists(admin, "dreichor_dev"));

    let run = runtime(p, &dev, None);
    expect(&run, 1);
    for f in [
        "001_init.sql",
        "002_add_shadow_ledger.sql",
        "003_add_decision_memory.sql",
    ] {
        assert!(
            run.stderr
                .contains(&format!("  {f}: not applied; run `strata migrate`")),
            "{}",
            run.stderr
        );
    }
    assert!(
        run.stderr
            .contains("an operator must run `strata migrate` (the runtime never migrates)"),
        "{}",
        run.stderr
    );
    // Nothing created, not even the history table.
    assert_eq!(tables("dreichor_dev"), "");

    let run = sh(p, "infra/db/migrate.sh dev", &dev_env);
    expect(&run, 0);
    assert!(
        run.stdout.contains("dreichor: applied V1 init")
            && run
                .stdout
                .contains("dreichor: applied V3 add decision memory")
            && run.stdout.contains("3 applied, 0 pending"),
        "{}",
        run.stdout
    );
    assert_eq!(history("dreichor_dev"), APPLIED);
    assert_eq!(tables("dreichor_dev"), TABLES);

    let run = runtime(p, &dev, None);
    expect(&run, 0);
    assert!(
        run.stdout.contains(
            "dreichor: schema compatible (3 migrations verified in \
             public.dreichor_schema_migrations); ready"
        ),
        "{}",
        run.stdout
    );

    // The committed schema.sql is what `strata schema dump` writes of the
    // migrated database (else every start above would have refused).
    let regenerated = p.join("schema-now.sql");
    let run = sh(
        p,
        &format!("strata schema dump --out {}", regenerated.display()),
        &dev_env,
    );
    expect(&run, 0);
    assert_eq!(
        std::fs::read_to_string(&regenerated).unwrap(),
        ex.read("schema.sql"),
        "examples/dreichor/schema.sql is stale: regenerate it (README: A new migration)"
    );

    // ## The URL rules
    let port = server().port().to_string();
    let run = sh(p, "strata migrate", &prod_env);
    expect(&run, 2);
    assert!(
        run.stderr
            .contains("database_pattern: database `dreichor_prod` does not match `dreichor_dev`"),
        "{}",
        run.stderr
    );
    let remote = format!("postgres://postgres@db.example.com:{port}/dreichor_dev");
    let run = sh(p, "strata migrate", &[("DATABASE_URL", &remote)]);
    expect(&run, 2);
    assert!(
        run.stderr
            .contains("allowed_hosts: host `db.example.com` is not in allowed_hosts [localhost]"),
        "{}",
        run.stderr
    );
    let run = runtime(p, &dev.replace("postgres://", "postgresql://"), None);
    expect(&run, 2);
    assert!(
        run.stderr
            .contains("dreichor: invalid configuration: DATABASE_URL must start with postgres://"),
        "{}",
        run.stderr
    );
    let run = runtime(p, &dev.replace("localhost", "127.0.0.1"), None);
    expect(&run, 2);
    assert!(run.stderr.contains("allowed_hosts"), "{}", run.stderr);
    assert!(!db_exists(admin, "dreichor_prod"));

    // ## An edited migration
    let original = ex.read(MIGRATION_002);
    let run = sh(p, &format!("echo \"-- tidy\" >> {MIGRATION_002}"), &[]);
    expect(&run, 0);
    let run = sh(p, "strata verify", &dev_env);
    expect(&run, 3);
    assert!(
        run.stdout
            .contains("dreichor: 002_add_shadow_ledger.sql: checksum differs from the applied one"),
        "{run:?}"
    );
    let run = sh(p, "infra/db/migrate.sh dev", &dev_env);
    expect(&run, 3);
    assert!(run.stderr.contains("nothing was applied"), "{}", run.stderr);
    assert_eq!(history("dreichor_dev"), APPLIED);
    ex.write(MIGRATION_002, &original); // git checkout
    expect(&sh(p, "strata verify", &dev_env), 0);

    // ## A change made by hand
    expect(&sh(p, HAND_INDEX, &dev_env), 0);
    let run = runtime(p, &dev, None);
    expect(&run, 1);
    assert!(
        run.stderr.contains(
            "dreichor: refusing to start: the database schema differs from the schema this \
             build expects (1 difference(s) from the dump of database dreichor):\n  \
             + index decisions_instrument_idx\n\
             dreichor: the schema was changed outside the migrations: undo the change, or \
             make it a migration and regenerate schema.sql\n"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(history("dreichor_dev"), APPLIED);
    expect(&sh(p, DROP_HAND_INDEX, &dev_env), 0);
    expect(&runtime(p, &dev, None), 0);

    // ## Production
    let run = sh(p, "strata --env prod db create", &prod_env);
    expect(&run, 0);
    assert!(db_exists(admin, "dreichor_prod"));
    let run = sh(p, "infra/db/migrate.sh prod", &prod_env);
    expect(&run, 0);
    assert!(
        run.stderr.contains("without guaranteed TLS"),
        "{}",
        run.stderr
    );
    assert_eq!(history("dreichor_prod"), APPLIED);
    assert_eq!(tables("dreichor_prod"), TABLES);
    expect(&runtime(p, &prod, Some("prod")), 0);
    // The dev runtime refuses the prod database and the other way round.
    expect(&runtime(p, &prod, None), 2);
    expect(&runtime(p, &dev, Some("prod")), 2);

    let run = sh(
        p,
        "infra/db/migrate.sh prod",
        &[("DATABASE_URL", &prod), ("GITHUB_ACTIONS", "true")],
    );
    expect(&run, 5);
    assert!(
        run.stderr.contains("never in GitHub Actions"),
        "{}",
        run.stderr
    );

    // ## The hard reset
    scalar(
        &prod,
        "INSERT INTO decisions (instrument, action) VALUES ('XAU', 'hold')",
    );
    for line in [
        "strata --env prod db reset < /dev/null",
        "strata --env prod db reset --confirm dreichor_prod < /dev/null",
        "strata --env prod db drop --confirm dreichor_prod < /dev/null",
    ] {
        let run = sh(p, line, &prod_env);
        expect(&run, 5);
        assert!(
            run.stderr.contains("protected environment prod")
                && run.stderr.contains("nothing was changed"),
            "{line}: {}",
            run.stderr
        );
    }
    assert_eq!(
        scalar(&prod, "SELECT count(*) FROM decisions").as_deref(),
        Some("1")
    );
    assert_eq!(history("dreichor_prod"), APPLIED);

    scalar(
        &dev,
        "INSERT INTO decisions (instrument, action) VALUES ('XAU', 'buy')",
    );
    let run = sh(p, "strata db reset --confirm dreichor_dev", &dev_env);
    expect(&run, 0);
    assert_eq!(
        scalar(&dev, "SELECT count(*) FROM decisions").as_deref(),
        Some("0")
    );
    assert_eq!(history("dreichor_dev"), APPLIED);
    assert_eq!(tables("dreichor_dev"), TABLES);
    expect(&runtime(p, &dev, None), 0);

    // ## A new migration
    let committed = ex.read("schema.sql");
    expect(&sh(p, NEW_MIGRATION, &[]), 0);
    let run = sh(p, "infra/db/migrate.sh dev", &dev_env);
    expect(&run, 0);
    assert!(
        run.stdout
            .contains("dreichor: applied V4 index decisions by time"),
        "{}",
        run.stdout
    );
    // The runtime built before 004 refuses the database migrated past it.
    let run = runtime(p, &dev, None);
    expect(&run, 1);
    assert!(
        run.stderr.contains("  + index decisions_made_at_idx\n"),
        "{}",
        run.stderr
    );
    expect(&sh(p, "strata schema dump --out schema.sql", &dev_env), 0);
    let before = Dump::parse(&committed).unwrap().snapshot;
    let after = Dump::parse(&ex.read("schema.sql")).unwrap().snapshot;
    let lines: Vec<String> = before
        .diff(&after)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(lines, ["+ index decisions_made_at_idx"]);
    expect(&sh(p, "strata verify", &dev_env), 0);

    drop_db(admin, "dreichor_dev");
    drop_db(admin, "dreichor_prod");
}
