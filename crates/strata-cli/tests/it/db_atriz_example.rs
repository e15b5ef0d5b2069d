//! examples/atriz (seed 004) end to end, as a new user runs it: copy
//! env.example to .env, create every database with the PG* server
//! credentials, migrate core then the apps, seed, clean one app and re-seed
//! it, see production refuse seeds, and reset one app.
#![allow(clippy::unwrap_used)] // tests may panic

use std::path::Path;

use crate::support;
use crate::support::{db_exists, expect, scalar, strata};
use strata_testkit::server;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != ".strata" {
                copy_dir(&entry.path(), &target);
            }
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

const DATABASES: [&str; 4] = ["atriz_shared", "atriz_db", "mextrack_db", "pshop_db"];

#[test]
fn atriz_shared_plus_three_apps_end_to_end() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/atriz");
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path();
    copy_dir(&example, p);
    // The test server, where env.example says localhost:5432.
    let port = server().port().to_string();
    let env_text = std::fs::read_to_string(p.join("env.example"))
        .unwrap()
        .replace("5432", &port);
    std::fs::write(p.join(".env"), env_text).unwrap();
    let admin = server().base_url();
    for db in DATABASES {
        support::drop_db(admin, db);
    }
    let url = |db: &str| server().url(db);

    let run = strata(p, &["env"], &[]);
    expect(&run, 0);
    assert!(run.stdout.contains("from    .env:8"), "{}", run.stdout);
    assert!(
        run.stdout.contains("credentials: PGUSER/PGPASSWORD"),
        "{}",
        run.stdout
    );

    let run = strata(p, &["db", "create"], &[]);
    expect(&run, 0);
    for db in DATABASES {
        assert!(
            run.stdout.contains(&format!("created database {db}")),
            "{}",
            run.stdout
        );
        assert!(db_exists(admin, db));
    }
    expect(&strata(p, &["db", "create"], &[]), 0);

    let run = strata(p, &["migrate", "--json"], &[]);
    expect(&run, 0);
    let doc = run.json();
    let applied: Vec<String> = doc["databases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{}:{}",
                d["name"].as_str().unwrap(),
                d["executed"].as_array().unwrap().len()
            )
        })
        .collect();
    assert_eq!(applied, ["core:3", "atriz:1", "mextrack:2", "pshop:2"]);

    expect(&strata(p, &["db", "seed"], &[]), 0);
    assert_eq!(
        scalar(&url("atriz_shared"), "SELECT count(*) FROM user_roles").as_deref(),
        Some("2")
    );
    assert_eq!(
        scalar(&url("mextrack_db"), "SELECT count(*) FROM tracking_data").as_deref(),
        Some("1")
    );
    assert_eq!(
        scalar(&url("pshop_db"), "SELECT sum(quantity) FROM inventory").as_deref(),
        Some("20")
    );

    // Clean one app: data gone, structure and history kept; seeds again.
    let run = strata(p, &["db", "clean", "--db", "pshop"], &[]);
    expect(&run, 0);
    assert!(
        run.stdout.contains("pshop: cleaned 2 table(s) in pshop_db"),
        "{}",
        run.stdout
    );
    assert_eq!(
        scalar(&url("pshop_db"), "SELECT count(*) FROM products").as_deref(),
        Some("0")
    );
    assert_eq!(
        scalar(
            &url("pshop_db"),
            "SELECT count(*) FROM atriz_schema_history"
        )
        .as_deref(),
        Some("2")
    );
    expect(&strata(p, &["db", "seed", "--db", "pshop"], &[]), 0);
    assert_eq!(
        scalar(&url("pshop_db"), "SELECT min(id) FROM products").as_deref(),
        Some("1")
    );

    // Production: seeds are refused, nothing changes.
    let run = strata(p, &["--env", "prod", "db", "seed"], &[]);
    expect(&run, 5);
    assert_eq!(
        scalar(&url("atriz_shared"), "SELECT count(*) FROM users").as_deref(),
        Some("2")
    );

    // Reset one app with its real name.
    scalar(
        &url("mextrack_db"),
        "INSERT INTO vehicles (user_id, vehicle_name) VALUES (gen_random_uuid(), 'stray')",
    );
    let run = strata(
        p,
        &[
            "db",
            "reset",
            "--db",
            "mextrack",
            "--confirm",
            "mextrack_db",
        ],
        &[],
    );
    expect(&run, 0);
    assert_eq!(
        scalar(&url("mextrack_db"), "SELECT count(*) FROM vehicles").as_deref(),
        Some("2")
    );
    expect(&strata(p, &["verify"], &[]), 0);

    let mut args = vec!["db", "drop"];
    for db in DATABASES {
        args.extend(["--confirm", db]);
    }
    expect(&strata(p, &args, &[]), 0);
    for db in DATABASES {
        assert!(!db_exists(admin, db), "{db}");
    }
}
