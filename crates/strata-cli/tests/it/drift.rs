//! `strata drift` and `strata roundtrip` (SPEC §11): the live schema
//! against what its applied migrations build in a scratch database (or a
//! committed dump), the live database left untouched; every down part
//! checked to restore the schema; the scratch database dropped afterwards.
//! Most tests put the scratch database on the test server through
//! `shadow_url_env`; one uses the default, the project's local cluster.
#![allow(clippy::unwrap_used)]

use strata_testkit::TestDb;

use crate::support::{Project, Run, db_exists, history, objects, scalar, table_exists};

const TOML: &str = "[databases.main]\nmigrations = \"migrations\"\nurl_env = \"DATABASE_URL\"\n\
                    shadow_url_env = \"SHADOW_DATABASE_URL\"\n";

const V1: &str = "CREATE TABLE users (id bigint PRIMARY KEY, email varchar(100) NOT NULL);\n";
const V2: &str = "CREATE TABLE orders (id serial PRIMARY KEY, customer bigint REFERENCES users);\n";

fn project() -> Project {
    let p = Project::with_toml(TOML);
    p.migration("V1__users.sql", V1)
        .migration("V2__orders.sql", V2);
    p
}

/// `strata ARGS` with the live URL and the shadow on the test server.
fn run(project: &Project, db: &TestDb, args: &[&str]) -> Run {
    let shadow = strata_testkit::server().base_url().to_owned();
    let out = project
        .cmd(Some(&db.url()), args)
        .env("SHADOW_DATABASE_URL", shadow)
        .output()
        .unwrap();
    let run = Run::of(out);
    run.expect_no_panic();
    run
}

/// What the run left on the shadow server: the scratch database it named
/// on stderr is gone, or it built in one transaction in the server's own
/// database and that holds no object (none committed).
fn assert_scratch_dropped(run: &Run) {
    let admin = strata_testkit::server().base_url();
    match run
        .stderr
        .split_whitespace()
        .find(|w| w.starts_with("strata_shadow_"))
    {
        Some(name) => assert!(!db_exists(admin, name), "{name} was left behind"),
        None => {
            assert!(
                run.stderr.contains(", rolled back afterwards"),
                "neither a scratch database nor a rolled-back replay:\n{}",
                run.stderr
            );
            assert_eq!(objects(admin), 0, "the replay left objects behind");
        }
    }
}

/// A checksum of what the live database's catalogs hold, and its history.
fn fingerprint(db: &TestDb) -> (String, usize) {
    let sql = "SELECT md5(string_agg(x, ',' ORDER BY x)) FROM ( \
               SELECT format('%s.%s.%s.%s', c.oid, c.relname, c.relkind, c.relnamespace) AS x FROM pg_class c \
               UNION ALL SELECT format('%s.%s.%s.%s.%s', a.attrelid, a.attname, a.atttypid, a.attnum, a.attnotnull) \
               FROM pg_attribute a \
               UNION ALL SELECT format('%s.%s', d.adrelid, pg_get_expr(d.adbin, d.adrelid)) FROM pg_attrdef d) s";
    (scalar(&db.url(), sql).unwrap(), history(db).len())
}

#[test]
fn drift_is_clean_after_migrate_dirty_after_hand_changes_and_clean_again() {
    let db = TestDb::new_blocking("cli_drift_cycle");
    let p = project();
    // A pending migration is not drift.
    p.migration("V3__later.sql", "CREATE TABLE later (id int);\n");
    run(&p, &db, &["migrate", "--target", "2"]).expect_code(0);

    let before = fingerprint(&db);
    let clean = run(&p, &db, &["drift"]);
    clean.expect_code(0);
    assert!(
        clean
            .stdout
            .contains("no drift: the schema matches its 2 applied migration(s)"),
        "{}",
        clean.stdout
    );
    assert_scratch_dropped(&clean);
    assert_eq!(fingerprint(&db), before, "drift changed the live database");

    scalar(
        &db.url(),
        "CREATE INDEX orders_customer_idx ON orders (customer)",
    );
    scalar(&db.url(), "ALTER TABLE users ALTER COLUMN email TYPE text");
    let before = fingerprint(&db);
    let dirty = run(&p, &db, &["drift"]);
    dirty.expect_code(3);
    assert!(
        dirty.stdout.contains("  + index orders_customer_idx"),
        "{}",
        dirty.stdout
    );
    assert!(
        dirty
            .stdout
            .contains("  ~ column users.email: character varying(100) → text"),
        "{}",
        dirty.stdout
    );
    assert!(dirty.stderr.contains("2 difference(s)"), "{}", dirty.stderr);
    assert_scratch_dropped(&dirty);
    assert_eq!(fingerprint(&db), before, "drift changed the live database");

    let json = run(&p, &db, &["drift", "--json"]);
    json.expect_code(3);
    let doc = json.json();
    let differences = doc["databases"][0]["differences"].as_array().unwrap();
    assert_eq!(differences.len(), 2, "{doc}");
    assert_eq!(doc["databases"][0]["status"], "problems");
    assert_eq!(doc["exit_code"], 3);

    scalar(&db.url(), "DROP INDEX orders_customer_idx");
    scalar(
        &db.url(),
        "ALTER TABLE users ALTER COLUMN email TYPE varchar(100)",
    );
    run(&p, &db, &["drift"]).expect_code(0);
}

#[test]
fn drift_against_a_dump_needs_no_scratch_database() {
    let db = TestDb::new_blocking("cli_drift_against");
    let p = project();
    run(&p, &db, &["migrate"]).expect_code(0);
    run(&p, &db, &["schema", "dump", "--out", "schema.sql"]).expect_code(0);

    let clean = run(&p, &db, &["drift", "--against", "schema.sql"]);
    clean.expect_code(0);
    assert!(clean.stdout.contains("no drift"), "{}", clean.stdout);
    assert!(!clean.stderr.contains("strata_shadow_"), "{}", clean.stderr);

    scalar(&db.url(), "ALTER TABLE orders ADD COLUMN note text");
    let dirty = run(&p, &db, &["drift", "--against", "schema.sql"]);
    dirty.expect_code(3);
    assert!(
        dirty.stdout.contains("  + table orders.note (text)"),
        "{}",
        dirty.stdout
    );
    let doc = run(&p, &db, &["drift", "--against", "schema.sql", "--json"]).json();
    assert_eq!(
        doc["databases"][0]["differences"][0]["kind"], "column",
        "{doc}"
    );

    let missing = run(&p, &db, &["drift", "--against", "nope.sql"]);
    missing.expect_code(1);
    assert!(missing.stderr.contains("nope.sql"), "{}", missing.stderr);
}

#[test]
fn drift_without_a_history_table_reports_it_and_creates_nothing() {
    let db = TestDb::new_blocking("cli_drift_no_history");
    let p = project();
    scalar(&db.url(), V1);
    let r = run(&p, &db, &["drift"]);
    r.expect_code(3);
    assert!(
        r.stderr.contains(
            "no history table public.strata_schema_history: compared with an empty schema"
        ),
        "{}",
        r.stderr
    );
    assert!(r.stdout.contains("  + table users"), "{}", r.stdout);
    assert!(!table_exists(&db, "strata_schema_history"));
}

/// One hand change per object kind, each reported by `drift`.
#[test]
fn drift_reports_a_change_of_every_object_kind() {
    let base = "CREATE TYPE mood AS ENUM ('ok', 'sad');\n\
                CREATE SEQUENCE tickets;\n\
                CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, m mood);\n\
                CREATE TABLE tags (id int GENERATED ALWAYS AS IDENTITY, label text);\n\
                CREATE VIEW item_names AS SELECT name FROM items;\n\
                CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;\n\
                CREATE TRIGGER items_touch BEFORE UPDATE ON items FOR EACH ROW EXECUTE FUNCTION touch();\n\
                ALTER TABLE items ENABLE ROW LEVEL SECURITY;\n\
                CREATE POLICY items_all ON items USING (true);\n";
    let cases: &[(&str, &str, &str)] = &[
        ("table", "CREATE TABLE extra (id int)", "+ table extra"),
        (
            "column",
            "ALTER TABLE items ALTER COLUMN name DROP NOT NULL",
            "~ column items.name",
        ),
        (
            "index",
            "CREATE INDEX items_name_idx ON items (name)",
            "+ index items_name_idx",
        ),
        (
            "constraint",
            "ALTER TABLE items ADD CONSTRAINT items_id_pos CHECK (id > 0)",
            "+ constraint",
        ),
        (
            "view",
            "CREATE OR REPLACE VIEW item_names AS SELECT name FROM items WHERE id > 0",
            "~ view item_names",
        ),
        (
            "function",
            "CREATE FUNCTION extra_fn() RETURNS int LANGUAGE sql AS 'SELECT 1'",
            "+ function extra_fn",
        ),
        (
            "enum label",
            "ALTER TYPE mood ADD VALUE 'glad'",
            "~ type mood",
        ),
        ("trigger", "DROP TRIGGER items_touch ON items", "- trigger"),
        ("policy", "DROP POLICY items_all ON items", "- policy"),
        (
            "sequence",
            "ALTER SEQUENCE tickets INCREMENT BY 5",
            "~ sequence tickets",
        ),
        (
            "identity options",
            "ALTER TABLE tags ALTER COLUMN id SET INCREMENT BY 10",
            "~ column tags.id: identity options none → INCREMENT BY 10",
        ),
        (
            "comment",
            "COMMENT ON TABLE items IS 'what we sell'",
            "~ table items",
        ),
    ];
    for (kind, change, line) in cases {
        let db = TestDb::new_blocking("cli_drift_kind");
        let p = Project::with_toml(TOML);
        p.migration("V1__base.sql", base);
        run(&p, &db, &["migrate"]).expect_code(0);
        scalar(&db.url(), change);
        let r = run(&p, &db, &["drift"]);
        assert_eq!(r.code, 3, "{kind}: {change}\n{}\n{}", r.stdout, r.stderr);
        assert!(
            r.stdout.lines().any(|l| l.trim_start().starts_with(line)),
            "{kind}: expected a line starting {line:?}:\n{}",
            r.stdout
        );
    }
}

#[test]
fn roundtrip_catches_downs_that_do_not_restore_and_passes_correct_ones() {
    let p = Project::with_toml(TOML);
    p.migration(
        "V1__items.sql",
        "CREATE TABLE items (id int PRIMARY KEY);\nCREATE TYPE mood AS ENUM ('ok');\n\
         -- migrate:down\nDROP TYPE mood;\nDROP TABLE items;\n",
    )
    .migration("V2__seed.sql", "INSERT INTO items VALUES (1);\n")
    .migration(
        "V3__forgets_index.sql",
        "ALTER TABLE items ADD COLUMN n int;\nCREATE INDEX items_id_idx ON items (id);\n\
         -- migrate:down\nALTER TABLE items DROP COLUMN n;\n",
    )
    .migration(
        "V4__forgets_default.sql",
        "ALTER TABLE items ADD COLUMN note text;\nALTER TABLE items ALTER COLUMN id SET DEFAULT 7;\n\
         -- migrate:down\nALTER TABLE items DROP COLUMN note;\n",
    )
    .migration(
        "V5__forgets_label.sql",
        "ALTER TYPE mood ADD VALUE 'sad';\n-- migrate:down\nCOMMENT ON TYPE mood IS NULL;\n",
    )
    .migration(
        "V6__correct.sql",
        "CREATE INDEX items_n_idx ON items (n);\n-- migrate:down\nDROP INDEX items_n_idx;\n",
    );
    let db = TestDb::new_blocking("cli_roundtrip_unused");
    let r = run(&p, &db, &["roundtrip"]);
    r.expect_code(3);
    let out = &r.stdout;
    assert!(
        out.contains("V1__items.sql: its down restores the schema"),
        "{out}"
    );
    assert!(
        out.contains("V2__seed.sql: irreversible (no down part)"),
        "{out}"
    );
    assert!(
        out.contains("V3__forgets_index.sql: its down does not restore the schema"),
        "{out}"
    );
    assert!(out.contains("  + index items_id_idx"), "{out}");
    assert!(
        out.contains("V4__forgets_default.sql: its down does not restore"),
        "{out}"
    );
    assert!(out.contains("~ column items.id: default"), "{out}");
    assert!(
        out.contains("V5__forgets_label.sql: its down does not restore"),
        "{out}"
    );
    assert!(out.contains("~ type mood"), "{out}");
    assert!(
        out.contains("V6__correct.sql: its down restores the schema"),
        "{out}"
    );
    assert!(
        r.stderr.contains(
            "3 down part(s) do not restore the schema: V3__forgets_index.sql, V4__forgets_default.sql, V5__forgets_label.sql"
        ),
        "{}",
        r.stderr
    );
    assert_scratch_dropped(&r);
    // The live database is not connected to.
    assert!(!table_exists(&db, "strata_schema_history"));

    let doc = run(&p, &db, &["roundtrip", "--json"]).json();
    let ms = doc["databases"][0]["migrations"].as_array().unwrap();
    let outcomes: Vec<&str> = ms.iter().map(|m| m["outcome"].as_str().unwrap()).collect();
    assert_eq!(
        outcomes,
        [
            "restored",
            "irreversible",
            "not_restored",
            "not_restored",
            "not_restored",
            "restored"
        ]
    );
    assert_eq!(ms[2]["differences"][0]["kind"], "index", "{doc}");
}

#[test]
fn roundtrip_passes_when_every_down_is_right_and_drops_its_scratch_database_on_failure() {
    let p = Project::with_toml(TOML);
    p.migration(
        "V1__a.sql",
        "CREATE TABLE a (id int DEFAULT 1);\n-- migrate:down\nDROP TABLE a;\n",
    )
    .migration(
        "V2__b.sql",
        "CREATE INDEX a_id ON a (id);\n-- migrate:down\nDROP INDEX a_id;\n",
    );
    let db = TestDb::new_blocking("cli_roundtrip_ok");
    let ok = run(&p, &db, &["roundtrip"]);
    ok.expect_code(0);
    assert_scratch_dropped(&ok);

    // A down that fails: exit 1, and the scratch database is still dropped.
    p.migration(
        "V3__c.sql",
        "CREATE TABLE c (id int);\n-- migrate:down\nDROP TABLE no_such_table;\n",
    );
    let failed = run(&p, &db, &["roundtrip"]);
    failed.expect_code(1);
    assert!(failed.stderr.contains("no_such_table"), "{}", failed.stderr);
    assert_scratch_dropped(&failed);
}

/// Without `shadow_url_env` the scratch database is on the project's own
/// local cluster, started for the purpose although the environment does
/// not set `local_cluster`.
#[test]
fn drift_defaults_to_the_local_cluster() {
    let db = TestDb::new_blocking("cli_drift_local");
    let p = Project::new();
    p.migration("V1__users.sql", V1);
    p.run(&db.url(), &["migrate"]).expect_code(0);
    let r = p.run(&db.url(), &["drift"]);
    let stop = p.run(&db.url(), &["dev", "down"]);
    r.expect_code(0).expect_no_panic();
    assert!(r.stderr.contains("on the local cluster"), "{}", r.stderr);
    assert!(
        r.stderr.contains("started the local cluster"),
        "{}",
        r.stderr
    );
    stop.expect_code(0);
}

/// A run killed before its drop leaves its scratch database; on the local
/// cluster the next check drops those whose process is gone, and leaves one
/// whose process lives (pid 1) alone.
#[test]
fn the_local_cluster_drops_scratch_databases_that_killed_runs_left() {
    let db = TestDb::new_blocking("cli_drift_orphans");
    let p = Project::new();
    p.migration("V1__users.sql", V1);
    p.run(&db.url(), &["migrate"]).expect_code(0);
    p.run(&db.url(), &["dev", "up"]).expect_code(0);
    let status = p.run(&db.url(), &["--json", "dev", "status"]).json();
    let admin = format!(
        "postgres://postgres@127.0.0.1:{}/postgres",
        status["port"].as_u64().unwrap()
    );
    // pid_max is at most 4194304: no process has this pid.
    let gone = "strata_shadow_4194303_0_0";
    let alive = "strata_shadow_1_0_0";
    scalar(&admin, &format!("CREATE DATABASE {gone}"));
    scalar(&admin, &format!("CREATE DATABASE {alive}"));
    let r = p.run(&db.url(), &["drift"]);
    let (gone_left, alive_left) = (db_exists(&admin, gone), db_exists(&admin, alive));
    crate::support::drop_db(&admin, alive);
    crate::support::drop_db(&admin, gone);
    let stop = p.run(&db.url(), &["dev", "down"]);
    r.expect_code(0).expect_no_panic();
    assert!(!gone_left, "{gone} was not dropped");
    assert!(alive_left, "{alive} was dropped although pid 1 lives");
    stop.expect_code(0);
}

/// SIGINT while a migration runs in the scratch database: the statement is
/// cancelled, strata exits 130, and the scratch database is dropped.
#[test]
fn sigint_during_roundtrip_still_drops_the_scratch_database() {
    let p = Project::with_toml(TOML);
    p.migration(
        "V1__slow.sql",
        "CREATE TABLE s (id int);\nSELECT pg_sleep(60);\n",
    );
    let db = TestDb::new_blocking("cli_roundtrip_sigint");
    interrupt_in_the_shadow(&p, &db, "roundtrip");
}

/// The same for `drift`, whose live snapshot is read while the shadow
/// replays: the migration sleeps only in a scratch database (where a
/// no-transaction file sends the replay).
#[test]
fn sigint_during_drift_still_drops_the_scratch_database() {
    let p = Project::with_toml(TOML);
    p.migration(
        "V1__slow.sql",
        "-- strata:no-transaction\nCREATE TABLE s (id int);\n\
         SELECT pg_sleep(CASE WHEN current_database() LIKE 'strata\\_shadow\\_%' THEN 60 ELSE 0 END);\n",
    );
    let db = TestDb::new_blocking("cli_drift_sigint");
    run(&p, &db, &["migrate"]).expect_code(0);
    interrupt_in_the_shadow(&p, &db, "drift");
}

/// Runs `strata COMMAND`, waits for its scratch database's backend to sleep
/// in `pg_sleep(…60…)`, sends SIGINT, and checks exit 130 and the scratch
/// database gone.
fn interrupt_in_the_shadow(p: &Project, db: &TestDb, command: &str) {
    use std::time::{Duration, Instant};
    let admin = strata_testkit::server().base_url().to_owned();
    let mut child = p
        .std_cmd(&db.url(), &[command])
        .env("SHADOW_DATABASE_URL", &admin)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The scratch database whose backend sleeps: this run's (its pid is in the name).
    let pattern = format!("strata\\_shadow\\_{}\\_%", child.id());
    let sql = format!(
        "SELECT datname FROM pg_stat_activity WHERE datname LIKE '{pattern}' \
         AND state = 'active' AND query LIKE '%pg_sleep(%60%'"
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let name = loop {
        if let Some(n) = scalar(&admin, &sql) {
            break n;
        }
        assert!(child.try_wait().unwrap().is_none(), "strata ended first");
        assert!(Instant::now() < deadline, "the slow statement never ran");
        std::thread::sleep(Duration::from_millis(50));
    };
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "strata did not end after SIGINT");
        std::thread::sleep(Duration::from_millis(50));
    }
    let run = Run::of(child.wait_with_output().unwrap());
    run.expect_code(130).expect_no_panic();
    assert!(run.stderr.contains("interrupted"), "{}", run.stderr);
    assert!(!db_exists(&admin, &name), "{name} was left behind");
}

/// A history table in a schema of its own that is in scope: the schema
/// strata creates for it is not something V1's down forgot.
#[test]
fn roundtrip_does_not_blame_a_down_for_the_history_tables_schema() {
    let p = Project::with_toml(
        "[databases.main]\nmigrations = \"migrations\"\nurl_env = \"DATABASE_URL\"\n\
         shadow_url_env = \"SHADOW_DATABASE_URL\"\nschemas = [\"public\", \"ops\"]\n\
         history_table = \"ops.history\"\n",
    );
    p.migration(
        "V1__a.sql",
        "CREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n",
    );
    let db = TestDb::new_blocking("cli_roundtrip_ops");
    let r = run(&p, &db, &["roundtrip"]);
    r.expect_code(0);
    assert!(
        r.stdout.contains("V1__a.sql: its down restores the schema"),
        "{}",
        r.stdout
    );
}

/// A role that owns nothing but the scratch databases made through
/// [`ShadowOwner::url`]: what it still owns after a run was left behind.
struct ShadowOwner(String);

impl ShadowOwner {
    fn new() -> ShadowOwner {
        let role = crate::support::unique("drift_shadow_owner");
        scalar(
            strata_testkit::server().base_url(),
            &format!(
                "CREATE ROLE {} LOGIN NOSUPERUSER CREATEDB",
                strata::config::quote_ident(&role)
            ),
        );
        ShadowOwner(role)
    }

    fn url(&self) -> String {
        format!(
            "postgres://{}@127.0.0.1:{}/postgres",
            self.0,
            strata_testkit::server().port()
        )
    }

    /// The databases it owns, dropped (so the role can be).
    fn left_behind(&self) -> Option<String> {
        let admin = strata_testkit::server().base_url();
        let left = scalar(
            admin,
            &format!(
                "SELECT string_agg(datname, ' ') FROM pg_database \
                 WHERE datdba = (SELECT oid FROM pg_roles WHERE rolname = '{}')",
                self.0
            ),
        );
        for name in left.iter().flat_map(|l| l.split(' ')) {
            crate::support::drop_db(admin, name);
        }
        left
    }
}

impl Drop for ShadowOwner {
    fn drop(&mut self) {
        let _ = self.left_behind();
        scalar(
            strata_testkit::server().base_url(),
            &format!("DROP ROLE {}", strata::config::quote_ident(&self.0)),
        );
    }
}

/// The live database and the shadow server are connected to at once; a
/// live connection that fails late (a server that accepts, then hangs up)
/// leaves no scratch database.
#[test]
fn a_live_connection_that_fails_late_leaves_no_scratch_database() {
    let owner = ShadowOwner::new();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hang_up = std::thread::spawn(move || {
        let (conn, _) = listener.accept().unwrap();
        std::thread::sleep(std::time::Duration::from_secs(1));
        drop(conn);
    });
    let p = project();
    let live = format!("postgres://app@127.0.0.1:{port}/live?sslmode=disable");
    let r = Run::of(
        p.cmd(Some(&live), &["drift"])
            .env("SHADOW_DATABASE_URL", owner.url())
            .output()
            .unwrap(),
    );
    hang_up.join().unwrap();
    r.expect_no_panic();
    assert_eq!(owner.left_behind(), None, "scratch database(s) left behind");
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("127.0.0.1"), "{}", r.stderr);
}

/// A live history that cannot be read (a table of that name that is not a
/// history table) fails the run before the shadow is used: nothing is
/// created.
#[test]
fn an_unreadable_live_history_leaves_no_scratch_database() {
    let owner = ShadowOwner::new();
    let db = TestDb::new_blocking("cli_drift_bad_history");
    scalar(&db.url(), "CREATE TABLE strata_schema_history (x int)");
    let p = project();
    let r = Run::of(
        p.cmd(Some(&db.url()), &["drift"])
            .env("SHADOW_DATABASE_URL", owner.url())
            .output()
            .unwrap(),
    );
    r.expect_no_panic();
    // Read before anything is made: no replay started.
    assert!(!r.stderr.contains("replaying"), "{}", r.stderr);
    assert_eq!(owner.left_behind(), None, "scratch database(s) left behind");
    assert_ne!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("strata_schema_history"), "{}", r.stderr);
}

/// A database adopted with `baseline`: the files at and below the
/// baseline describe what it stands for and are replayed, so drift is
/// clean; with no such file it warns that the baseline's objects show as
/// `+` and names the version.
#[test]
fn drift_on_a_baselined_database_replays_the_files_the_baseline_stands_for() {
    let db = TestDb::new_blocking("cli_drift_baselined");
    // The schema as it was before strata, made by hand.
    scalar(&db.url(), V1);
    scalar(&db.url(), V2);
    let p = project();
    run(&p, &db, &["baseline", "2"]).expect_code(0);
    p.migration("V3__note.sql", "ALTER TABLE orders ADD COLUMN note text;\n");
    run(&p, &db, &["migrate"]).expect_code(0);
    let clean = run(&p, &db, &["drift"]);
    clean.expect_code(0);
    assert!(
        clean.stdout.contains("its 3 applied migration(s)"),
        "{}",
        clean.stdout
    );
    assert!(!clean.stderr.contains("baselined at"), "{}", clean.stderr);
    assert_scratch_dropped(&clean);

    // Adopted at version 0 with no file describing the existing tables.
    let db = TestDb::new_blocking("cli_drift_baselined0");
    scalar(&db.url(), V1);
    let p = Project::with_toml(TOML);
    p.migration("V1__later.sql", "CREATE TABLE later (id int);\n");
    run(&p, &db, &["baseline", "0"]).expect_code(0);
    run(&p, &db, &["migrate"]).expect_code(0);
    let dirty = run(&p, &db, &["drift", "--json"]);
    dirty.expect_code(3);
    assert!(
        dirty.stderr.contains(
            "baselined at version 0 and no migration file at or below it: what the baseline stands for shows as `+`"
        ),
        "{}",
        dirty.stderr
    );
    let doc = dirty.json();
    assert_eq!(doc["databases"][0]["baseline_undescribed"], "0", "{doc}");
    assert_scratch_dropped(&dirty);
}
