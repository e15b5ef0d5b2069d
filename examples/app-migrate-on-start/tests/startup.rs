//! research_agent against a real server: refuses without the opt-in,
//! migrates on start with it (once, even with replicas racing), and its
//! down files let `rollback` revert what it applied. (The README's
//! walk-through with the real `strata` binary is
//! crates/strata-cli/tests/it/example_research_agent.rs.)
#![allow(clippy::unwrap_used)]

use std::process::{Command, Output, Stdio};

use strata::TableName;
use strata::rollback::{Rollback, RollbackOptions, RollbackTarget};
use strata_testkit::TestDb;

fn app(url: &str, migrate_on_start: bool) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_research-agent"));
    // Run where strata.toml is; the process environment wins over a
    // developer's .env there, so every value the app reads is set here.
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("DATABASE_URL", url)
        .env("DB_WAIT_SECS", "5")
        .env(
            "MIGRATE_ON_START",
            if migrate_on_start { "true" } else { "false" },
        )
        .env_remove("STRATA_ENV");
    cmd
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn migrates_on_start_only_when_asked() {
    let db = TestDb::new_blocking("research_agent_start");
    let url = db.url();

    let out = app(&url, false).output().unwrap();
    let (_, err) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("20251130000001_initial_schema.up.sql: not applied"),
        "{err}"
    );
    assert!(err.contains("MIGRATE_ON_START=true"), "{err}");

    // Two replicas start at once: each migration is applied exactly once.
    let spawn = || {
        app(&url, true)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    for o in [&a, &b] {
        assert_eq!(o.status.code(), Some(0), "{:?}", text(o));
        assert!(text(o).0.contains("research-agent: ready"));
    }
    let applied = db.query_strings_blocking(
        "SELECT count(*) FROM strata_schema_history WHERE kind = 'versioned' AND success",
    );
    assert_eq!(applied[0][0].as_deref(), Some("2"));

    let out = app(&url, false).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    let out = app(&url, true).output().unwrap();
    assert!(
        text(&out).0.contains("schema up to date"),
        "{:?}",
        text(&out)
    );

    // migration:revert: the .down.sql files roll back, and the next start re-applies.
    let migrations = strata::Migrations::from_dir(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations"),
    )
    .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let r = Rollback::new(&migrations, TableName::default())
            .with_options(RollbackOptions {
                target: RollbackTarget::Steps(1),
                ..Default::default()
            })
            .run(&db.client().await, &mut |_| {})
            .await
            .unwrap();
        assert_eq!(
            r.rolled_back[0].script,
            "20251130000002_add_sources.down.sql"
        );
    });
    let out = app(&url, false).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{:?}", text(&out));
    let out = app(&url, true).output().unwrap();
    let (stdout, _) = text(&out);
    assert!(
        stdout.contains("applied 20251130000002_add_sources.up.sql"),
        "{stdout}"
    );
}

#[test]
fn no_database_is_exit_1_after_the_wait() {
    let out = app("postgres://nobody@127.0.0.1:1/none", true)
        .env("DB_WAIT_SECS", "0")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{:?}", text(&out));
}
