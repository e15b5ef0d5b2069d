//! strata through a real PgBouncer in transaction mode (SPEC §4.2 step 1):
//! concurrent runs serialized by transaction-scoped locks, no lock left on
//! a pooled backend, a no-transaction migration refused there and applied
//! over `direct_url_env`. PgBouncer is started here, in front of the test
//! server; a machine without it fails these tests (install `pgbouncer`).

#![allow(clippy::unwrap_used)]

use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Project, Run, advisory_locks, history, table_exists};
use strata_testkit::{TestDb, server};

/// A PgBouncer (`pool_mode = transaction`, trust) in front of the test
/// server, stopped when dropped.
struct PgBouncer {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl PgBouncer {
    fn start() -> PgBouncer {
        let binary = pgbouncer_binary();
        let dir = tempfile::Builder::new()
            .prefix("strata-pgbouncer-")
            .tempdir()
            .unwrap();
        let port = free_port();
        let ini = format!(
            "[databases]\n* = host=127.0.0.1 port={server}\n\n[pgbouncer]\n\
             listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n\
             auth_type = trust\nauth_file = {auth}\npool_mode = transaction\n\
             max_client_conn = 100\ndefault_pool_size = 20\n\
             ignore_startup_parameters = extra_float_digits,options\n",
            server = server().port(),
            auth = dir.path().join("users.txt").display(),
        );
        std::fs::write(dir.path().join("pgbouncer.ini"), ini).unwrap();
        std::fs::write(dir.path().join("users.txt"), "\"postgres\" \"\"\n").unwrap();
        let mut cmd = Command::new(&binary);
        cmd.arg(dir.path().join("pgbouncer.ini"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // PgBouncer refuses to run as root: as the server does, it runs as
        // `postgres` then, which must be able to read its files.
        if let Some((uid, gid)) = root_runs_as_postgres() {
            for f in ["", "pgbouncer.ini", "users.txt"] {
                std::os::unix::fs::chown(dir.path().join(f), Some(uid), Some(gid)).unwrap();
            }
            cmd.gid(gid).uid(uid);
        }
        let child = cmd.spawn().unwrap();
        let mut bouncer = PgBouncer {
            child,
            port,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = bouncer.child.try_wait() {
                panic!("pgbouncer exited at start: {status}");
            }
            assert!(Instant::now() < deadline, "pgbouncer did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        bouncer
    }

    /// The URL of `db` through the pooler.
    fn url(&self, db: &TestDb) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{}", self.port, db.name())
    }
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `pgbouncer` on PATH or in /usr/sbin; a clear failure otherwise.
fn pgbouncer_binary() -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain([PathBuf::from("/usr/sbin")])
        .map(|d| d.join("pgbouncer"))
        .find(|p| p.is_file());
    on_path.unwrap_or_else(|| {
        panic!("pgbouncer is not installed (apt-get install pgbouncer): the pooler tests need it")
    })
}

/// uid/gid of `postgres` when the tests run as root.
fn root_runs_as_postgres() -> Option<(u32, u32)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let euid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .nth(1)?
        .to_owned();
    if euid != "0" {
        return None;
    }
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let f: Vec<&str> = line.split(':').collect();
        if f.first() != Some(&"postgres") || f.len() < 4 {
            return None;
        }
        Some((f[2].parse().ok()?, f[3].parse().ok()?))
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One database whose `direct_url_env` is `DIRECT_DATABASE_URL`.
const DIRECT_TOML: &str = "[databases.main]\nmigrations = \"migrations\"\nurl_env = \"DATABASE_URL\"\n\
                           direct_url_env = \"DIRECT_DATABASE_URL\"\n";

const POOLER_WARNING: &str = "the connection goes through a pooler";

/// Migrations that fail on a duplicate key if any runs twice.
fn racing_project() -> Project {
    let project = Project::new();
    project
        .migration(
            "V1__accounts.sql",
            "CREATE TABLE IF NOT EXISTS accounts (id int PRIMARY KEY);\nINSERT INTO accounts VALUES (1);\n",
        )
        .migration("V2__second.sql", "INSERT INTO accounts VALUES (2);\n")
        .migration(
            "V3__orders.sql",
            "CREATE TABLE orders (id int PRIMARY KEY);\nINSERT INTO accounts VALUES (3);\n",
        )
        .migration(
            "R__totals.sql",
            "CREATE OR REPLACE VIEW totals AS SELECT count(*) AS n FROM accounts;\n",
        );
    project
}

fn migrate(project: &Project, url: &str) -> std::process::Command {
    let mut cmd = project.std_cmd(url, &["migrate", "--lock-wait", "60"]);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd
}

#[test]
fn four_runs_through_pgbouncer_apply_each_migration_once_and_leave_no_lock() {
    let bouncer = PgBouncer::start();
    let db = TestDb::new_blocking("cli_pooler_race");
    let project = racing_project();
    let url = bouncer.url(&db);
    let children: Vec<_> = (0..4)
        .map(|_| migrate(&project, &url).spawn().unwrap())
        .collect();
    let runs: Vec<Run> = children
        .into_iter()
        .map(|c| Run::of(c.wait_with_output().unwrap()))
        .collect();
    for run in &runs {
        run.expect_code(0).expect_no_panic();
        assert!(run.stderr.contains(POOLER_WARNING), "{run:#?}");
    }
    let scripts: Vec<String> = history(&db)
        .into_iter()
        .map(|(_, s, ok)| {
            assert!(ok);
            s
        })
        .collect();
    assert_eq!(
        scripts,
        [
            "V1__accounts.sql",
            "V2__second.sql",
            "V3__orders.sql",
            "R__totals.sql"
        ],
        "each migration exactly once"
    );
    assert_eq!(
        db.query_strings_blocking("SELECT string_agg(id::text, ',' ORDER BY id) FROM accounts"),
        vec![vec![Some("1,2,3".to_owned())]]
    );
    assert!(table_exists(&db, "totals"));
    // PgBouncer keeps its server connections open: none holds strata's lock.
    assert_eq!(advisory_locks(&db), 0, "a pooled backend kept a lock");
    // A rerun through the pooler finds nothing to do.
    let again = Run::of(migrate(&project, &url).output().unwrap());
    again.expect_code(0);
    assert_eq!(history(&db).len(), 4);
}

#[test]
fn a_no_transaction_migration_is_refused_through_pgbouncer_and_applied_over_direct_url_env() {
    let bouncer = PgBouncer::start();
    let db = TestDb::new_blocking("cli_pooler_notx");
    let project = Project::with_toml(DIRECT_TOML);
    project
        .migration("V1__t.sql", "CREATE TABLE t (id int);\n")
        .migration(
            "V2__index.sql",
            "-- strata:no-transaction\nCREATE INDEX CONCURRENTLY t_id ON t (id);\n",
        );
    let url = bouncer.url(&db);
    // direct_url_env declared but its variable not set: through the pooler.
    let refused = project.run(&url, &["migrate"]);
    refused.expect_code(3);
    assert!(refused.stderr.contains(POOLER_WARNING), "{refused:#?}");
    assert!(
        refused.stderr.contains(
            "V2__index.sql (a no-transaction migration) needs a server session of its own, which a connection pooler does not give"
        ),
        "{refused:#?}"
    );
    assert!(refused.stderr.contains("direct_url_env"), "{refused:#?}");
    assert!(
        history(&db).is_empty(),
        "nothing applied: {:?}",
        history(&db)
    );
    assert!(!table_exists(&db, "t"));

    let direct = Run::of(
        project
            .cmd(Some(&url), &["migrate"])
            .env("DIRECT_DATABASE_URL", db.url())
            .output()
            .unwrap(),
    );
    direct.expect_code(0);
    assert!(!direct.stderr.contains(POOLER_WARNING), "{direct:#?}");
    let scripts: Vec<String> = history(&db).into_iter().map(|(_, s, _)| s).collect();
    assert_eq!(scripts, ["V1__t.sql", "V2__index.sql"]);
    assert_eq!(advisory_locks(&db), 0);
}

#[test]
fn rollback_through_pgbouncer_is_refused_naming_direct_url_env() {
    let bouncer = PgBouncer::start();
    let db = TestDb::new_blocking("cli_pooler_rollback");
    let project = Project::with_toml(DIRECT_TOML);
    project.migration(
        "V1__t.sql",
        "-- migrate:up\nCREATE TABLE t (id int);\n-- migrate:down\nDROP TABLE t;\n",
    );
    project.run(&db.url(), &["migrate"]).expect_code(0);
    let refused = project.run(&bouncer.url(&db), &["rollback"]);
    refused.expect_code(3);
    assert!(refused.stderr.contains("direct_url_env"), "{refused:#?}");
    assert!(table_exists(&db, "t"), "nothing rolled back");
    assert_eq!(advisory_locks(&db), 0);
    // The JSON of a migrate through the pooler carries the warning.
    let json = project.run(&bouncer.url(&db), &["migrate", "--json"]);
    json.expect_code(0);
    assert!(
        json.json().to_string().contains(POOLER_WARNING),
        "{}",
        json.stdout
    );
    // Over direct_url_env the rollback runs.
    let direct = Run::of(
        project
            .cmd(Some(&bouncer.url(&db)), &["rollback"])
            .env("DIRECT_DATABASE_URL", db.url())
            .output()
            .unwrap(),
    );
    direct.expect_code(0);
    assert!(!table_exists(&db, "t"), "rolled back: {direct:#?}");
}

#[test]
fn a_lock_held_elsewhere_times_out_through_pgbouncer_with_exit_4_naming_the_holder() {
    let bouncer = PgBouncer::start();
    let db = TestDb::new_blocking("cli_pooler_lock_wait");
    let project = Project::new();
    project.migration("V1__t.sql", "CREATE TABLE t (id int);\n");
    let holder = crate::concurrency::LockHolder::take(&db, "deploy-bot-9");
    let run = project.run(&bouncer.url(&db), &["migrate", "--lock-wait", "1"]);
    run.expect_code(4).expect_no_panic();
    assert!(run.stderr.contains("deploy-bot-9"), "{run:#?}");
    assert!(!table_exists(&db, "t"), "nothing applied");
    drop(holder);
    // Only the holder's lock was there; strata's transaction left none.
    assert_eq!(advisory_locks(&db), 0);
}

#[test]
fn the_direct_url_is_policy_checked_for_migrate_and_left_alone_by_status() {
    let db = TestDb::new_blocking("cli_direct_policy");
    let toml = format!("{DIRECT_TOML}\n[environments.dev]\nallowed_hosts = [\"127.0.0.1\"]\n");
    let project = Project::with_toml(&toml);
    project.migration("V1__t.sql", "CREATE TABLE t (id int);\n");
    let run = |args: &[&str]| {
        Run::of(
            project
                .cmd(Some(&db.url()), args)
                .env("DIRECT_DATABASE_URL", "postgres://app@db.example/app")
                .output()
                .unwrap(),
        )
    };
    let migrate = run(&["migrate"]);
    migrate.expect_code(2);
    assert!(migrate.stderr.contains("allowed_hosts"), "{migrate:#?}");
    assert!(!table_exists(&db, "t"), "nothing applied");
    // status reads over url_env: the direct URL is not its business.
    run(&["status"]).expect_code(0);
}

/// A project whose one database has a shadow URL, migrated (V1: table `t`)
/// into a new test database.
fn migrated_drift_project(hint: &str) -> (Project, TestDb) {
    let db = TestDb::new_blocking(hint);
    let project = Project::with_toml(
        "[databases.main]\nmigrations = \"migrations\"\nurl_env = \"DATABASE_URL\"\n\
         shadow_url_env = \"SHADOW_DATABASE_URL\"\n",
    );
    project.migration(
        "V1__t.sql",
        "CREATE TABLE t (id int PRIMARY KEY, v text);\n",
    );
    project.run(&db.url(), &["migrate"]).expect_code(0);
    (project, db)
}

/// `drift` and `schema dump` only read the live database: through a
/// transaction-mode pooler they work as over a direct URL (the scratch
/// database on the server itself), clean and then dirty.
#[test]
fn drift_and_schema_dump_through_pgbouncer_read_the_live_schema() {
    let bouncer = PgBouncer::start();
    let (project, db) = migrated_drift_project("cli_pooler_drift");
    let drift = |expect: i32| {
        let r = Run::of(
            project
                .cmd(Some(&bouncer.url(&db)), &["drift"])
                .env("SHADOW_DATABASE_URL", server().base_url())
                .output()
                .unwrap(),
        );
        r.expect_no_panic();
        assert_eq!(r.code, expect, "{}\n{}", r.stdout, r.stderr);
        r
    };
    drift(0);
    crate::support::scalar(&db.url(), "CREATE INDEX t_v_idx ON t (v)");
    let dirty = drift(3);
    assert!(dirty.stdout.contains("+ index t_v_idx"), "{}", dirty.stdout);
    let direct = project.run(&db.url(), &["schema", "dump"]);
    let pooled = project.run(&bouncer.url(&db), &["schema", "dump"]);
    pooled.expect_code(0);
    assert_eq!(pooled.stdout, direct.stdout);
}

/// The shadow URL through a transaction-mode pooler: the replay in one
/// rolled-back transaction holds its lock for that transaction only, so
/// the pool keeps no lock and no object, and the next run builds there
/// again.
#[test]
fn drift_builds_in_place_through_pgbouncer_and_leaves_the_pool_clean() {
    let bouncer = PgBouncer::start();
    let (project, db) = migrated_drift_project("cli_pooler_in_place");
    let shadow = TestDb::new_blocking("cli_pooler_shadow");
    assert_eq!(
        crate::support::objects(&shadow.url()),
        0,
        "the test's shadow database is not a new one"
    );
    for _ in 0..2 {
        let r = Run::of(
            project
                .cmd(Some(&db.url()), &["drift"])
                .env("SHADOW_DATABASE_URL", bouncer.url(&shadow))
                .output()
                .unwrap(),
        );
        r.expect_no_panic();
        assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
        assert!(r.stderr.contains("rolled back afterwards"), "{}", r.stderr);
        let locks = crate::support::scalar(
            server().base_url(),
            &format!(
                "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database \
                 WHERE l.locktype = 'advisory' AND d.datname = '{}'",
                shadow.name()
            ),
        );
        assert_eq!(locks.as_deref(), Some("0"), "a lock stayed in the pool");
        assert_eq!(crate::support::objects(&shadow.url()), 0);
    }
}
