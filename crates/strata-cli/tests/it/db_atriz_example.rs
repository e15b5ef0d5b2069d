//! examples/atriz (seed 004) end to end: every command of its README, in
//! the README's order, with the real `strata` on `PATH`, as a new user runs
//! it: copy env.example to .env, create every database with the PG* server
//! credentials, migrate core then the apps, seed, clean one app and then
//! all, roll back and re-apply, production against a second server with
//! TLS (`sslmode=require`; seeds and clean refused), reset one app, drop
//! everything, and set up one app alone. The README's `localhost:5432` is
//! the test server's port, its PgBouncer host the TLS server. Change
//! examples/atriz/README.md and this file together.
#![allow(clippy::unwrap_used)] // tests may panic

use crate::example_project::{ExampleCopy, sh, tls_cluster};
use crate::support::{self, db_exists, expect, scalar};
use strata_testkit::server;

const DATABASES: [&str; 4] = ["atriz_shared", "atriz_db", "mextrack_db", "pshop_db"];

fn url(db: &str) -> String {
    server().url(db)
}

/// `version:kind` of every row of `db`'s history, in order.
fn history(db_url: &str) -> String {
    scalar(
        db_url,
        "SELECT string_agg(version || ':' || kind, ' ' ORDER BY installed_rank) \
         FROM public.atriz_schema_history",
    )
    .unwrap_or_default()
}

fn tables(db_url: &str) -> String {
    scalar(
        db_url,
        "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables \
         WHERE schemaname = 'public'",
    )
    .unwrap_or_default()
}

fn count(db: &str, table: &str) -> String {
    scalar(&url(db), &format!("SELECT count(*) FROM {table}")).unwrap()
}

#[test]
fn atriz_shared_plus_three_apps_end_to_end() {
    let ex = ExampleCopy::new("atriz");
    let p = ex.path();
    let admin = server().base_url();
    for db in DATABASES {
        support::drop_db(admin, db);
    }

    // ## Set up every database
    expect(&sh(p, "cp env.example .env", &[]), 0);
    // The test server, where env.example says localhost:5432.
    let port = server().port().to_string();
    ex.write(".env", &ex.read(".env").replace("5432", &port));

    let run = sh(p, "strata env", &[]);
    expect(&run, 0);
    assert!(run.stdout.contains("from    .env:8"), "{}", run.stdout);
    assert!(
        run.stdout.contains("credentials: PGUSER/PGPASSWORD"),
        "{}",
        run.stdout
    );

    let run = sh(p, "strata db create", &[]);
    expect(&run, 0);
    for db in DATABASES {
        assert!(
            run.stdout.contains(&format!("created database {db}")),
            "{}",
            run.stdout
        );
        assert!(db_exists(admin, db));
    }
    expect(&sh(p, "strata db create", &[]), 0);

    let run = sh(p, "strata migrate --db core", &[]);
    expect(&run, 0);
    assert!(
        run.stdout.contains("core: applied V3 create roles"),
        "{}",
        run.stdout
    );
    assert_eq!(tables(&url("atriz_db")), "", "only core was selected");

    let run = sh(p, "strata migrate", &[]);
    expect(&run, 0);
    let order: Vec<&str> = run
        .stdout
        .lines()
        .filter_map(|l| l.split(':').next())
        .collect();
    assert_eq!(
        order,
        ["core", "atriz", "mextrack", "mextrack", "pshop", "pshop"],
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("core: up to date (version 3)"),
        "{}",
        run.stdout
    );
    assert_eq!(
        history(&url("atriz_shared")),
        "1:versioned 2:versioned 3:versioned"
    );
    assert_eq!(history(&url("atriz_db")), "1:versioned");
    assert_eq!(history(&url("mextrack_db")), "1:versioned 2:versioned");
    assert_eq!(history(&url("pshop_db")), "1:versioned 2:versioned");
    assert_eq!(
        tables(&url("atriz_shared")),
        "atriz_schema_history,auth_tokens,roles,user_roles,users"
    );
    assert_eq!(
        tables(&url("mextrack_db")),
        "atriz_schema_history,tracking_data,vehicles"
    );

    let run = sh(p, "strata status --db pshop", &[]);
    expect(&run, 0);
    assert!(
        run.stdout.contains("2 applied, 0 pending"),
        "{}",
        run.stdout
    );

    let run = sh(p, "strata db seed", &[]);
    expect(&run, 0);
    let seeded: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.contains(": seeded "))
        .collect();
    assert_eq!(seeded.len(), 6, "{}", run.stdout);
    assert!(
        seeded[0].starts_with("core: seeded 001_seed_default_users.sql")
            && seeded[1].starts_with("core: seeded 002_seed_roles.sql"),
        "{}",
        run.stdout
    );
    assert_eq!(count("atriz_shared", "user_roles"), "2");
    assert_eq!(count("mextrack_db", "tracking_data"), "1");
    assert_eq!(
        scalar(&url("pshop_db"), "SELECT sum(quantity) FROM inventory").as_deref(),
        Some("20")
    );

    // ## Clean and seed again
    let run = sh(p, "strata db clean --db pshop", &[]);
    expect(&run, 0);
    assert!(
        run.stdout.contains(
            "pshop: cleaned 2 table(s) in pshop_db (schemas public; history \
             public.atriz_schema_history kept)"
        ),
        "{}",
        run.stdout
    );
    assert_eq!(count("pshop_db", "products"), "0");
    assert_eq!(count("atriz_shared", "users"), "2", "only pshop cleaned");
    assert_eq!(history(&url("pshop_db")), "1:versioned 2:versioned");
    assert_eq!(
        tables(&url("pshop_db")),
        "atriz_schema_history,inventory,products"
    );
    expect(&sh(p, "strata db seed --db pshop", &[]), 0);
    assert_eq!(
        scalar(
            &url("pshop_db"),
            "SELECT string_agg(id::text, ',' ORDER BY id) FROM products"
        )
        .as_deref(),
        Some("1,2"),
        "sequences reset"
    );

    expect(&sh(p, "strata db clean", &[]), 0);
    for (db, table) in [
        ("atriz_shared", "users"),
        ("atriz_db", "user_profiles"),
        ("mextrack_db", "tracking_data"),
        ("pshop_db", "inventory"),
    ] {
        assert_eq!(count(db, table), "0", "{db}.{table}");
    }
    assert_eq!(
        history(&url("atriz_shared")),
        "1:versioned 2:versioned 3:versioned"
    );
    expect(&sh(p, "strata db seed", &[]), 0);
    assert_eq!(count("atriz_shared", "user_roles"), "2");
    assert_eq!(count("mextrack_db", "tracking_data"), "1");

    // ## Roll back and migrate again
    let run = sh(p, "strata rollback --db core --steps 2", &[]);
    expect(&run, 0);
    assert!(
        run.stdout.contains("core: rolled back V3 create roles")
            && run
                .stdout
                .contains("core: rolled back V2 create auth tokens"),
        "{}",
        run.stdout
    );
    assert_eq!(tables(&url("atriz_shared")), "atriz_schema_history,users");
    expect(&sh(p, "strata migrate --db core", &[]), 0);
    assert_eq!(
        history(&url("atriz_shared")),
        "1:versioned 2:versioned 3:versioned 3:undo 2:undo 2:versioned 3:versioned"
    );
    assert_eq!(
        tables(&url("atriz_shared")),
        "atriz_schema_history,auth_tokens,roles,user_roles,users"
    );

    // ## Production: a second server with TLS stands in for PgBouncer.
    let (tls, _certs) = tls_cluster();
    let prod_url = |db: &str| format!("{}?sslmode=require", tls.url(db));
    let prod_env: Vec<(String, String)> = [
        ("SHARED_DATABASE_URL", "atriz_shared"),
        ("ATRIZ_DATABASE_URL", "atriz_db"),
        ("MEXTRACK_DATABASE_URL", "mextrack_db"),
        ("PSHOP_DATABASE_URL", "pshop_db"),
    ]
    .iter()
    .map(|(var, db)| ((*var).to_owned(), prod_url(db)))
    .collect();
    let prod: Vec<(&str, &str)> = prod_env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();

    let run = sh(p, "strata --env prod db create", &prod);
    expect(&run, 0);
    for db in DATABASES {
        assert!(db_exists(&tls.base_url(), db), "{db}: {}", run.stdout);
    }
    let run = sh(p, "strata --env prod migrate", &prod);
    expect(&run, 0);
    assert_eq!(
        history(&tls.url("atriz_shared")),
        "1:versioned 2:versioned 3:versioned"
    );
    assert_eq!(history(&tls.url("pshop_db")), "1:versioned 2:versioned");
    for line in ["strata --env prod db seed", "strata --env prod db clean"] {
        let run = sh(p, line, &prod);
        expect(&run, 5);
        assert!(
            run.stderr.contains("protected environment prod"),
            "{line}: {}",
            run.stderr
        );
    }
    assert_eq!(
        scalar(&tls.url("atriz_shared"), "SELECT count(*) FROM users").as_deref(),
        Some("0"),
        "no seed in production"
    );
    // One URL without sslmode=require: refused before any database is touched.
    let mut no_tls = prod.clone();
    let shared_plain = tls.url("atriz_shared");
    no_tls[0] = ("SHARED_DATABASE_URL", &shared_plain);
    let run = sh(p, "strata --env prod migrate", &no_tls);
    expect(&run, 2);
    assert!(
        run.stderr.contains("require_tls: no sslmode in the URL"),
        "{}",
        run.stderr
    );
    // .env is not read in prod: without the process variables nothing resolves.
    let run = sh(p, "strata --env prod migrate", &[]);
    expect(&run, 2);
    drop(tls);

    // ## Reset one app, start over
    scalar(
        &url("mextrack_db"),
        "INSERT INTO vehicles (user_id, vehicle_name) VALUES (gen_random_uuid(), 'stray')",
    );
    let run = sh(
        p,
        "strata db reset --db mextrack --confirm mextrack_db",
        &[],
    );
    expect(&run, 0);
    assert_eq!(count("mextrack_db", "vehicles"), "2");
    assert_eq!(history(&url("mextrack_db")), "1:versioned 2:versioned");
    expect(&sh(p, "strata verify", &[]), 0);

    let run = sh(
        p,
        "strata db drop --confirm atriz_shared --confirm atriz_db --confirm mextrack_db --confirm pshop_db",
        &[],
    );
    expect(&run, 0);
    for db in DATABASES {
        assert!(!db_exists(admin, db), "{db}");
    }

    // ## Only one app
    expect(&sh(p, "strata db create --db core --db mextrack", &[]), 0);
    assert!(db_exists(admin, "atriz_shared") && db_exists(admin, "mextrack_db"));
    assert!(!db_exists(admin, "atriz_db") && !db_exists(admin, "pshop_db"));
    let run = sh(p, "strata migrate --db core --db mextrack", &[]);
    expect(&run, 0);
    let first = run.stdout.lines().next().unwrap_or_default();
    assert!(first.starts_with("core: applied V1"), "{}", run.stdout);
    expect(&sh(p, "strata db seed --db core --db mextrack", &[]), 0);
    assert_eq!(count("atriz_shared", "users"), "2");
    assert_eq!(count("mextrack_db", "tracking_data"), "1");

    for db in DATABASES {
        support::drop_db(admin, db);
    }
}
