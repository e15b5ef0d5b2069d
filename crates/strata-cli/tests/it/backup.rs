//! `strata migrate --backup DIR` (SPEC §4): a `pg_dump -Fc` per database,
//! named `<database>-<UTC YYYYMMDDTHHMMSSZ>.dump`, taken before anything is
//! applied; restorable; and when a dump fails nothing is migrated (exit 1),
//! with pg_dump's error and never the password.

#![allow(clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{Project, Run, history, table_exists};
use strata_testkit::{TestDb, server};

fn pg_program(name: &str) -> PathBuf {
    server().pg_bin().program(name)
}

/// The files in `dir`, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// `name-YYYYMMDDTHHMMSSZ.dump` for database `db`.
fn is_backup_name(file: &str, db: &str) -> bool {
    let Some(stamp) = file
        .strip_prefix(&format!("{db}-"))
        .and_then(|r| r.strip_suffix(".dump"))
    else {
        return false;
    };
    let b = stamp.as_bytes();
    b.len() == 16
        && b[8] == b'T'
        && b[15] == b'Z'
        && b[..8].iter().chain(&b[9..15]).all(u8::is_ascii_digit)
}

/// A directory with one executable `pg_dump` script (for STRATA_PG_BIN).
fn fake_pg_dump(script: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pg_dump");
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

fn run_with(p: &Project, url: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = p.cmd(Some(url), args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    Run::of(cmd.output().unwrap())
}

/// The URL of `db` with a password in it (the test server trusts every
/// connection, so any password is accepted, and must never be shown).
fn with_password(db: &TestDb, password: &str) -> String {
    db.url()
        .replacen("postgres@", &format!("postgres:{password}@"), 1)
}

#[test]
fn the_dump_is_taken_before_anything_is_applied_and_restores() {
    let db = TestDb::new_blocking("backup_before");
    let p = Project::new();
    p.migration(
        "V001__users.sql",
        "CREATE TABLE users (id int); INSERT INTO users VALUES (1), (2);",
    );
    p.run(&db.url(), &["migrate"]).expect_code(0);
    p.migration("V002__orders.sql", "CREATE TABLE orders (id int);");

    let run = p.run(&db.url(), &["migrate", "--backup", "backups", "--json"]);
    run.expect_code(0);
    let backups = p.path().join("backups");
    let names = files(&backups);
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(is_backup_name(&names[0], db.name()), "{names:?}");
    let dump = backups.join(&names[0]);
    let doc = run.json();
    assert_eq!(doc["databases"][0]["backup"], dump.display().to_string());
    assert_eq!(
        doc["databases"][0]["executed"][0]["script"],
        "V002__orders.sql"
    );
    // Every row of the database is in it: readable by its owner only.
    let mode = std::fs::metadata(&dump).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);

    // pg_restore reads it: the custom format's table of contents.
    let list = Command::new(pg_program("pg_restore"))
        .arg("--list")
        .arg(&dump)
        .output()
        .unwrap();
    assert!(list.status.success(), "{list:?}");
    let toc = String::from_utf8_lossy(&list.stdout);
    assert!(toc.contains("TABLE public users"), "{toc}");
    assert!(toc.contains("TABLE public strata_schema_history"), "{toc}");
    assert!(!toc.contains("TABLE public orders"), "{toc}");

    // Restored into an empty database: the state before V002.
    let fresh = TestDb::new_blocking("backup_restored");
    let restore = Command::new(pg_program("pg_restore"))
        .arg("--dbname")
        .arg(fresh.url())
        .arg(&dump)
        .output()
        .unwrap();
    assert!(restore.status.success(), "{restore:?}");
    assert!(table_exists(&fresh, "users"));
    assert!(!table_exists(&fresh, "orders"));
    assert_eq!(
        fresh.query_strings_blocking("SELECT count(*) FROM users"),
        [[Some("2".to_owned())]]
    );
    assert_eq!(
        history(&fresh),
        [(Some("1".to_owned()), "V001__users.sql".to_owned(), true)]
    );
    // And the live database went on to V002.
    assert!(table_exists(&db, "orders"));
}

#[test]
fn a_failing_pg_dump_migrates_nothing_and_shows_no_password() {
    let db = TestDb::new_blocking("backup_fails");
    let password = "Pw-9f2c-never-shown";
    let url = with_password(&db, password);
    let p = Project::new();
    p.migration("V001__users.sql", "CREATE TABLE users (id int);");
    let seen = p.path().join("seen");
    let fake = fake_pg_dump(&format!(
        "#!/bin/sh\n\
         case \"$1\" in --version) echo 'pg_dump (PostgreSQL) 99.0'; exit 0;; esac\n\
         printf '%s\\n' \"$PGPASSWORD\" > '{seen}'\n\
         printf '%s\\n' \"$@\" >> '{seen}'\n\
         echo \"pg_dump: error: the disk is on fire ($PGPASSWORD)\" >&2\n\
         exit 1\n",
        seen = seen.display()
    ));
    let bin = fake.path().to_str().unwrap();

    let run = run_with(
        &p,
        &url,
        &["migrate", "--backup", "backups"],
        &[("STRATA_PG_BIN", bin)],
    );
    run.expect_code(1).expect_no_panic();
    assert!(
        run.stderr
            .contains(&format!("pg_dump of {} failed (exit status: 1)", db.name())),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("the disk is on fire"), "{}", run.stderr);
    assert!(
        run.stderr.contains("nothing was migrated"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(password), "{}", run.stderr);
    assert!(!run.stdout.contains(password), "{}", run.stdout);
    // pg_dump got the password in its environment, not on its command line.
    let seen = std::fs::read_to_string(&seen).unwrap();
    let mut lines = seen.lines();
    assert_eq!(lines.next(), Some(password));
    let args: Vec<&str> = lines.collect();
    assert!(args.iter().all(|a| !a.contains(password)), "{args:?}");
    assert!(args.contains(&"--format=custom"), "{args:?}");
    assert!(args.contains(&"--no-password"), "{args:?}");
    assert!(
        args.iter()
            .any(|a| a.starts_with("--dbname=") && a.contains(&format!("dbname='{}'", db.name()))),
        "{args:?}"
    );
    // Nothing migrated, no history table, no file that looks like a backup.
    assert!(history(&db).is_empty());
    assert!(!table_exists(&db, "strata_schema_history"));
    assert!(!table_exists(&db, "users"));
    assert!(files(&p.path().join("backups")).is_empty());

    // --json: the error document, exit code 1.
    let run = run_with(
        &p,
        &url,
        &["migrate", "--backup", "backups", "--json"],
        &[("STRATA_PG_BIN", bin)],
    );
    run.expect_code(1);
    let doc = run.json();
    assert_eq!(doc["error"]["exit_code"], 1);
    assert!(!run.stdout.contains(password), "{}", run.stdout);
    assert!(!table_exists(&db, "users"));
}

#[test]
fn a_backup_directory_that_cannot_be_created_migrates_nothing() {
    let db = TestDb::new_blocking("backup_dir");
    let p = Project::new();
    p.migration("V001__users.sql", "CREATE TABLE users (id int);");
    // A file where the directory should be (root ignores permission bits,
    // so a read-only directory would not do).
    std::fs::write(p.path().join("backups"), "not a directory").unwrap();
    let run = p.run(&db.url(), &["migrate", "--backup", "backups/today"]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("cannot write the backup"),
        "{}",
        run.stderr
    );
    assert!(!table_exists(&db, "strata_schema_history"));
    assert!(!table_exists(&db, "users"));
}

#[test]
fn one_failed_dump_of_several_databases_migrates_none() {
    let first = TestDb::new_blocking("backup_first");
    let second = TestDb::new_blocking("backup_second");
    let p = Project::with_toml(
        "[databases.one]\nurl_env = \"ONE_URL\"\n\
         [databases.two]\nurl_env = \"TWO_URL\"\ndepends_on = [\"one\"]\n",
    );
    for d in ["one", "two"] {
        let dir = p.path().join("migrations").join(d);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("V001__t.sql"), "CREATE TABLE t (id int);").unwrap();
    }
    // The real pg_dump for the first database, a failure for the second.
    let fake = fake_pg_dump(&format!(
        "#!/bin/sh\n\
         case \"$*\" in *\"dbname='{second}'\"*) echo 'pg_dump: error: no space left' >&2; exit 1;; esac\n\
         exec '{real}' \"$@\"\n",
        second = second.name(),
        real = pg_program("pg_dump").display()
    ));
    let env = [
        ("ONE_URL", first.url()),
        ("TWO_URL", second.url()),
        ("STRATA_PG_BIN", fake.path().display().to_string()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let run = run_with(&p, "unused", &["migrate", "--backup", "backups"], &env);
    run.expect_code(1);
    assert!(run.stderr.contains("no space left"), "{}", run.stderr);
    // The first database was dumped, and still not migrated.
    let names = files(&p.path().join("backups"));
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(is_backup_name(&names[0], first.name()), "{names:?}");
    for db in [&first, &second] {
        assert!(!table_exists(db, "strata_schema_history"));
        assert!(!table_exists(db, "t"));
    }
}

#[test]
fn dry_run_with_backup_dumps_nothing_and_says_what_it_would_do() {
    let db = TestDb::new_blocking("backup_dry");
    let p = Project::new();
    p.migration("V001__users.sql", "CREATE TABLE users (id int);");
    let run = p.run(&db.url(), &["migrate", "--dry-run", "--backup", "backups"]);
    run.expect_code(0);
    assert!(
        run.stdout
            .contains(&format!("main: would back up {} into ", db.name())),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("pg_dump"), "{}", run.stdout);
    assert!(!p.path().join("backups").exists());
    assert!(!table_exists(&db, "users"));
}

#[test]
fn sigint_during_the_dump_kills_pg_dump_and_migrates_nothing() {
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    let db = TestDb::new_blocking("backup_sigint");
    let p = Project::new();
    p.migration("V001__users.sql", "CREATE TABLE users (id int);");
    let pid_file = p.path().join("pg_dump.pid");
    // A pg_dump that never finishes on its own: it records its pid and sleeps.
    let fake = fake_pg_dump(&format!(
        "#!/bin/sh\n\
         case \"$1\" in --version) echo 'pg_dump (PostgreSQL) 99.0'; exit 0;; esac\n\
         echo $$ > '{pid}.tmp' && mv '{pid}.tmp' '{pid}'\n\
         exec sleep 300\n",
        pid = pid_file.display()
    ));
    let mut cmd = p.std_cmd(&db.url(), &["migrate", "--backup", "backups"]);
    cmd.env("STRATA_PG_BIN", fake.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !pid_file.exists() {
        assert!(child.try_wait().unwrap().is_none(), "strata ended early");
        assert!(Instant::now() < deadline, "pg_dump never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    let dump_pid = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .to_owned();
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("strata did not end after SIGINT");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let run = Run::of(child.wait_with_output().unwrap());
    run.expect_code(130).expect_no_panic();
    assert!(run.stderr.contains("interrupted"), "{}", run.stderr);
    // pg_dump was killed and reaped, not left running.
    assert!(
        !Path::new(&format!("/proc/{dump_pid}")).exists(),
        "pg_dump {dump_pid} still runs"
    );
    assert!(!table_exists(&db, "strata_schema_history"));
    assert!(!table_exists(&db, "users"));
    assert!(files(&p.path().join("backups")).is_empty());
}
