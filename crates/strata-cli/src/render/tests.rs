//! Rendering into a buffer: the status table, the JSON documents and some
//! one-line results, with no database (plans built from in-memory files and
//! history rows).

#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use strata::cluster::ClusterInfo;
use strata::history::{AppliedMigration, RowKind, TableName, Timestamp};
use strata::migration::{Content, Migration};
use strata::plan::{Plan, PlanOptions};
use strata::source::Migrations;

use super::{DbReport, db, env, json, lines, status_table};
use crate::output::Output;

/// A `Write` whose bytes the test reads back.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().write(bytes)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buffer {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

/// An [`Output`] over two buffers (stdout, stderr).
fn output(json: bool) -> (Output, Buffer, Buffer) {
    let (stdout, stderr) = (Buffer::default(), Buffer::default());
    let out = Output::new(json, false, false, true).with_streams(stdout.clone(), stderr.clone());
    (out, stdout, stderr)
}

fn files(list: &[(&str, &'static str)]) -> Vec<Migration> {
    let list = list
        .iter()
        .map(|(n, t)| (n.to_string(), Content::Static(t.as_bytes())));
    Migrations::from_files("migrations".as_ref(), list.collect())
        .unwrap()
        .list
}

fn applied(rank: i32, m: &Migration) -> AppliedMigration {
    AppliedMigration {
        installed_rank: rank,
        version: m.version.clone(),
        description: m.description.clone(),
        kind: RowKind::Versioned,
        script: m.script.clone(),
        checksum: Some(m.checksum),
        applied_by: "app".into(),
        applied_at: Timestamp::from_unix_secs(1_735_689_600),
        execution_ms: 12,
        success: true,
        progress: None,
    }
}

/// V1 applied, V2 pending.
fn report() -> DbReport {
    let list = files(&[
        ("V1__create_users.sql", "CREATE TABLE users (id int);"),
        ("V2__add_roles.sql", "CREATE TABLE roles (id int);"),
    ]);
    let history = [applied(1, &list[0])];
    let plan = Plan::new(&list, &history, &PlanOptions::default());
    DbReport {
        name: "main".into(),
        url: Some("postgres://app@db/app".into()),
        table: "public.strata_schema_history".into(),
        problems: plan.blockers.clone(),
        plan: Some(plan),
        ..Default::default()
    }
}

#[test]
fn renders_a_status_table_into_a_buffer() {
    let (out, stdout, stderr) = output(false);
    out.result(&status_table(&report(), false));
    assert_eq!(
        stdout.text(),
        "main  postgres://app@db/app  (public.strata_schema_history)\n\
         \x20 VERSION  DESCRIPTION   STATE    APPLIED AT (UTC)     TIME\n\
         \x20 1        create users  applied  2025-01-01 00:00:00  12 ms\n\
         \x20 2        add roles     pending\n\
         \x20 1 applied, 1 pending\n"
    );
    assert_eq!(stderr.text(), "");
}

#[test]
fn renders_a_json_document_into_a_buffer_with_its_keys_in_order() {
    let (out, stdout, _) = output(true);
    let reports = [report()];
    out.json(&json::document("dev", &reports, true));
    let text = stdout.text();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let keys =
        |v: &serde_json::Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect() };
    assert_eq!(keys(&doc), ["env", "databases"]);
    let db = &doc["databases"][0];
    assert_eq!(
        keys(db),
        [
            "name",
            "url",
            "history_table",
            "migrations",
            "applied",
            "pending",
            "problems",
            "status",
            "executed"
        ]
    );
    assert_eq!(
        keys(&db["migrations"][0]),
        [
            "version",
            "description",
            "kind",
            "script",
            "state",
            "checksum",
            "applied_at",
            "execution_ms"
        ]
    );
    assert_eq!(db["migrations"][0]["applied_at"], "2025-01-01T00:00:00Z");
    assert_eq!(db["migrations"][1]["applied_at"], serde_json::Value::Null);
    assert_eq!(
        (db["applied"].clone(), db["pending"].clone()),
        (1.into(), 1.into())
    );
    // Pretty-printed, one document, one trailing newline.
    assert!(text.starts_with("{\n  \"env\": \"dev\",\n"));
    assert!(text.ends_with("}\n"));
}

#[test]
fn a_failed_database_has_its_error_after_its_status() {
    let r = DbReport {
        name: "main".into(),
        table: "public.strata_schema_history".into(),
        error: Some("database main: connection refused".into()),
        ..Default::default()
    };
    let text = serde_json::to_string(&json::database(&r, false)).unwrap();
    assert_eq!(
        text,
        r#"{"name":"main","url":null,"history_table":"public.strata_schema_history","migrations":[],"applied":0,"pending":0,"problems":[],"status":"failed","error":"database main: connection refused"}"#
    );
}

#[test]
fn a_closed_stream_is_not_an_error() {
    struct Closed;
    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
    }
    let out = Output::new(false, false, false, true).with_streams(Closed, Closed);
    out.result("dropped");
    out.warn("dropped");
    out.json(&json::document("dev", &[report()], false));
}

#[test]
fn an_adopt_line_says_how_many_rows_from_where_to_where() {
    use strata::adopt::Tool;
    let source = TableName::parse("public.flyway_schema_history").unwrap();
    let table = TableName::parse("public.strata_schema_history").unwrap();
    let line = |dry_run| lines::adopted("main", dry_run, 3, Tool::Flyway, &source, &table);
    assert_eq!(
        line(false),
        "main: adopted 3 row(s) from flyway's history public.flyway_schema_history \
         into public.strata_schema_history"
    );
    assert!(line(true).starts_with("main: would adopt 3 row(s) from flyway's history"));
}

#[test]
fn a_clean_line_names_the_schemas_and_the_kept_history() {
    let history = TableName::parse("strata.history").unwrap();
    let schemas = ["public".to_owned(), "billing".to_owned()];
    assert_eq!(
        db::cleaned("main", 3, "app_dev", &schemas, &history),
        "main: cleaned 3 table(s) in app_dev (schemas public, billing; history strata.history kept)"
    );
    assert_eq!(db::truncated("public.users"), "  truncated public.users");
}

#[test]
fn a_wait_line_shows_the_time_waited_to_a_tenth_of_a_second() {
    let waited = std::time::Duration::from_millis(1_250);
    assert_eq!(
        db::ready("main", "app_dev", waited),
        "main: app_dev accepts connections (1.2s)"
    );
}

#[test]
fn a_skipped_dependent_names_the_database_that_failed() {
    let why = lines::depends_on_failed("users");
    assert_eq!(
        lines::skipped("orders", &why),
        "database orders: skipped: it depends on users, which failed"
    );
}

#[test]
fn dev_lines_name_the_port_pid_and_data_directory() {
    let info = ClusterInfo {
        pid: 4242,
        port: 54329,
        data_dir: "/p/.strata/cluster/data".into(),
        socket_dir: None,
        log_file: "/p/.strata/cluster/log".into(),
    };
    assert_eq!(
        env::cluster_started(&info),
        "local cluster running on 127.0.0.1:54329 (pid 4242, data /p/.strata/cluster/data)"
    );
    assert_eq!(
        env::cluster_stopped("/p/.strata/cluster".as_ref()),
        "not running (cluster dir /p/.strata/cluster); start it with `strata dev up`"
    );
}
