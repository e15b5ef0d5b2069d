//! Tests on real PostgreSQL server binaries: each test initdb's its own
//! cluster in a temporary directory and stops it on the way out, even when
//! an assertion fails. A machine without the binaries fails these tests
//! (with the install hint); it never skips them.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use super::*;

/// A cluster in a temp dir, stopped (immediately) and removed on drop.
struct Scratch {
    cluster: LocalCluster,
    _tmp: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        Scratch::nested("")
    }

    /// A cluster in `<tmp>/<sub>` (sub may be empty).
    fn nested(sub: &str) -> Scratch {
        let bins = PgBinaries::from_process_env().unwrap_or_else(|e| panic!("{e}"));
        let tmp = tempfile::Builder::new()
            .prefix("strata-cluster-test-")
            .tempdir()
            .expect("tempdir");
        // tempdir() makes 0700 dirs; the server user (as root) must enter it.
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
        let dir = if sub.is_empty() {
            tmp.path().to_path_buf()
        } else {
            let dir = tmp.path().join(sub);
            std::fs::create_dir_all(&dir).expect("mkdir");
            dir
        };
        let cluster = LocalCluster::new(&dir, bins).unwrap_or_else(|e| panic!("{e}"));
        Scratch { cluster, _tmp: tmp }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = self.cluster.stop_with(ShutdownMode::Immediate);
    }
}

fn query_one(url: &str, sql: &str) -> String {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|e| panic!("connect {url}: {e}"));
        tokio::spawn(conn);
        let rows = client.simple_query(sql).await.expect("query");
        rows.iter()
            .find_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_owned),
                _ => None,
            })
            .expect("a row")
    })
}

fn kill_9(pid: u32) {
    let status = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

#[test]
fn init_start_status_url_stop() {
    let s = Scratch::new();
    let c = &s.cluster;
    assert_eq!(c.status().expect("status"), ClusterStatus::NotInitialized);
    assert!(c.init().expect("init"), "first init runs initdb");
    assert!(!c.init().expect("init"), "second init is a no-op");
    assert_eq!(c.status().expect("status"), ClusterStatus::Stopped);
    assert!(matches!(c.url("x"), Err(ClusterError::NotRunning { .. })));

    let info = c.start(&StartOptions::for_tests()).expect("start");
    assert!(c.is_running());
    assert_eq!(c.status().expect("status").info(), Some(&info));
    assert_eq!(info.data_dir, c.data_dir());
    assert_eq!(
        info.socket_dir.as_deref(),
        Some(c.dir().join("run").as_path())
    );
    assert!(
        c.dir()
            .join("run")
            .join(format!(".s.PGSQL.{}", info.port))
            .exists()
    );
    assert_eq!(
        c.url("postgres").expect("url"),
        format!("postgres://postgres@127.0.0.1:{}/postgres", info.port)
    );
    assert!(c.log_file().is_file());

    let url = info.url("postgres");
    assert_eq!(query_one(&url, "SHOW fsync"), "off");
    assert_eq!(query_one(&url, "SHOW max_connections"), "200");
    assert_eq!(query_one(&url, "SHOW listen_addresses"), "127.0.0.1");
    assert_eq!(query_one(&url, "SHOW server_encoding"), "UTF8");
    assert_eq!(query_one(&url, "SELECT current_user"), "postgres");

    // Starting a running cluster is a no-op returning the same server.
    assert_eq!(c.start(&StartOptions::for_tests()).expect("start"), info);

    assert!(c.stop().expect("stop"));
    assert!(!c.is_running());
    assert!(!c.stop().expect("stop again"), "stopping a stopped cluster");

    // A restart prefers the previous port, and durable means fsync on.
    let again = c.start(&StartOptions::default()).expect("restart");
    assert_eq!(again.port, info.port);
    assert_eq!(query_one(&again.url("postgres"), "SHOW fsync"), "on");
}

#[test]
fn start_after_kill_9_of_the_postmaster() {
    let s = Scratch::new();
    let c = &s.cluster;
    let info = c.start(&StartOptions::for_tests()).expect("start");
    kill_9(info.pid);
    // The stale postmaster.pid stays behind.
    assert!(c.data_dir().join("postmaster.pid").exists());
    let mut waited = 0;
    while c.is_running() && waited < 50 {
        std::thread::sleep(Duration::from_millis(100));
        waited += 1;
    }
    assert!(!c.is_running(), "a killed postmaster counts as stopped");

    let again = c
        .start(&StartOptions::for_tests())
        .expect("start after kill -9");
    assert_ne!(again.pid, info.pid);
    assert_eq!(query_one(&again.url("postgres"), "SELECT 1"), "1");
}

#[test]
fn long_cluster_path_puts_the_socket_under_tmp() {
    let deep = "a-rather-long-directory-name-to-overflow-sun-path/".repeat(3);
    let s = Scratch::nested(deep.trim_end_matches('/'));
    let c = &s.cluster;
    let info = c.start(&StartOptions::for_tests()).expect("start");
    let socket_dir = info.socket_dir.clone().expect("socket dir");
    assert!(
        socket_dir
            .to_string_lossy()
            .starts_with("/tmp/strata-sock-"),
        "{socket_dir:?}"
    );
    let recorded = std::fs::read_to_string(c.dir().join("socket_dir")).expect("record");
    assert_eq!(Path::new(recorded.trim()), socket_dir);
    assert_eq!(query_one(&info.url("postgres"), "SELECT 1"), "1");

    assert!(c.stop().expect("stop"));
    assert!(!socket_dir.exists(), "fallback socket dir removed on stop");
    assert!(!c.dir().join("socket_dir").exists());
}

#[test]
fn a_taken_fixed_port_is_an_error_with_the_log() {
    let s = Scratch::new();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let opts = StartOptions {
        port: Some(port),
        ..StartOptions::for_tests()
    };
    let err = s.cluster.start(&opts).expect_err("port is taken");
    let msg = err.to_string();
    assert!(matches!(err, ClusterError::StartFailed { .. }), "{msg}");
    assert!(
        msg.contains("could not bind") || msg.contains("in use"),
        "{msg}"
    );
    assert!(!s.cluster.is_running());
}
