//! SPEC §6 and issue 13: the command that starts the project's local cluster
//! says, on stderr, where it runs and how to stop it — once, when it starts
//! it; not on later commands, not under `--quiet`, and still with `--json`
//! (on stderr, stdout stays one JSON document).
#![allow(clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::support::{self, Run};

/// Two databases, neither URL set: the dev environment's local cluster
/// stands in for both.
const TOML: &str = r#"
default_env = "dev"

[databases.core]
migrations = "migrations/core"
url_env = "CORE_URL"

[databases.app]
migrations = "migrations/app"
url_env = "APP_URL"
depends_on = ["core"]

[environments.dev]
local_cluster = true
"#;

const NOTICE: &str = "started the local cluster: 127.0.0.1:";

/// A project with [`TOML`], one migration per database, the local cluster
/// stopped (immediately) on drop even when an assertion fails.
struct Local {
    dir: tempfile::TempDir,
}

impl Local {
    fn new() -> Local {
        let dir = support::project(&[
            ("strata.toml", TOML),
            (
                "migrations/core/V1__accounts.sql",
                "CREATE TABLE accounts (id int);\n",
            ),
            (
                "migrations/app/V1__orders.sql",
                "CREATE TABLE orders (id int);\n",
            ),
        ]);
        // As root the server runs as `postgres`, which must enter the project.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        Local { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn strata(&self, args: &[&str]) -> Run {
        support::strata(self.path(), args, &[("NO_COLOR", "1")])
    }

    fn running(&self) -> bool {
        let run = self.strata(&["dev", "status", "--json"]);
        run.expect_code(0);
        run.json()["running"] == true
    }
}

impl Drop for Local {
    fn drop(&mut self) {
        let _ = self.strata(&["dev", "down"]);
    }
}

#[test]
fn the_command_that_starts_the_local_cluster_says_where_and_how_to_stop_it() {
    let local = Local::new();

    // First use: initdb, start, two databases created; one notice.
    let run = local.strata(&["migrate"]);
    run.expect_code(0);
    assert_eq!(run.stderr.matches(NOTICE).count(), 1, "{}", run.stderr);
    let notice = run.stderr.lines().find(|l| l.contains(NOTICE)).unwrap();
    assert!(
        notice.ends_with("it keeps running after this command: stop it with `strata dev down`"),
        "{notice}"
    );
    let data = local
        .path()
        .canonicalize()
        .unwrap()
        .join(".strata/cluster/data");
    assert!(
        notice.contains(&format!("data {}", data.display())),
        "{notice}"
    );
    assert!(notice.contains("postgres.log"), "{notice}");
    // Right after the banner line of the database that started it.
    let banner = "strata: env dev, database core → 127.0.0.1:";
    let first_two: Vec<&str> = run.stderr.lines().take(2).collect();
    assert!(
        first_two[0].starts_with(banner) && first_two[1] == notice,
        "{}",
        run.stderr
    );

    // The cluster is running: the next command says nothing about it.
    let run = local.strata(&["status"]);
    run.expect_code(0);
    assert!(!run.stderr.contains(NOTICE), "{}", run.stderr);
    assert!(local.running());

    // What the notice says stops it.
    local.strata(&["dev", "down"]).expect_code(0);
    assert!(!local.running());

    // --quiet: started, and not a word on stderr.
    let run = local.strata(&["-q", "status"]);
    run.expect_code(0);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    assert!(local.running());
    local.strata(&["dev", "down"]).expect_code(0);

    // --json: the notice on stderr, stdout one JSON document.
    let run = local.strata(&["--json", "status"]);
    run.expect_code(0);
    assert_eq!(run.stderr.matches(NOTICE).count(), 1, "{}", run.stderr);
    assert_eq!(run.json()["exit_code"], 0);
    local.strata(&["dev", "down"]).expect_code(0);

    // Started from elsewhere (-C DIR): the stop command names the project.
    let elsewhere = tempfile::tempdir().unwrap();
    let project = local.path().to_str().unwrap();
    let run = support::strata(elsewhere.path(), &["-C", project, "db", "wait"], &[]);
    run.expect_code(0);
    let root = local.path().canonicalize().unwrap();
    let stop = format!("stop it with `strata -C {} dev down`", root.display());
    assert!(run.stderr.contains(&stop), "{}", run.stderr);
}
