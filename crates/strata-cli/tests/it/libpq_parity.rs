//! SPEC §1.3: connections the way libpq makes them, and the URL policy on
//! the effective connection. `PG*` variables and service files that change
//! the host, database or sslmode cannot get around `allowed_hosts`,
//! `database_pattern` or `require_tls`; every database is checked before
//! the first is touched; key=value strings, `PGDATABASE`, several hosts and
//! `target_session_attrs` work against the real server; TLS is tested
//! against a second cluster started with `ssl = on` and certificates made
//! by `openssl` here.
#![allow(clippy::unwrap_used)] // tests may panic

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{Run, expect, project, strata, table_exists};
use strata::cluster::StartOptions;
use strata_testkit::{TestDb, server};

const PROD: &str = r#"
[environments.prod]
env_files = [".env"]
protected = true
allowed_hosts = ["localhost"]
"#;

const MIGRATION: (&str, &str) = ("migrations/V1__marker.sql", "CREATE TABLE marker (id int);");

/// A loopback port where nothing listens (bound, then released).
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn port() -> String {
    server().port().to_string()
}

#[track_caller]
fn refused(run: &Run, rule: &str, shown: &str) {
    expect(run, 2);
    assert!(
        run.stderr.contains(rule) && run.stderr.contains(shown),
        "expected {rule} naming {shown}:\n{}",
        run.stderr
    );
}

#[test]
fn pg_variables_cannot_get_around_allowed_hosts() {
    let db = TestDb::new_blocking("policy_pghost");
    let dir = project(&[("strata.toml", PROD), MIGRATION]);
    let url = format!("postgres://postgres@/{}", db.name());
    let port = port();

    // The reported bypass: an empty host plus PGHOST=::1 is TCP to ::1.
    let run = strata(
        dir.path(),
        &["migrate", "--env", "prod"],
        &[("DATABASE_URL", &url), ("PGHOST", "::1"), ("PGPORT", &port)],
    );
    refused(&run, "allowed_hosts", "`::1`");
    assert!(run.stderr.contains("environment `prod`"), "{}", run.stderr);
    // PGHOSTADDR, and PGHOST from an env file.
    let run = strata(
        dir.path(),
        &["migrate", "--env", "prod"],
        &[("DATABASE_URL", &url), ("PGHOSTADDR", "127.0.0.1")],
    );
    refused(&run, "allowed_hosts", "`127.0.0.1`");
    std::fs::write(dir.path().join(".env"), "PGHOST=127.0.0.1\n").unwrap();
    let run = strata(
        dir.path(),
        &["status", "--env", "prod"],
        &[("DATABASE_URL", &url), ("PGPORT", &port)],
    );
    refused(&run, "allowed_hosts", "`127.0.0.1`");
    std::fs::remove_file(dir.path().join(".env")).unwrap();

    // A service file's host counts too (PGSERVICE, and service= in the URL).
    let services = dir.path().join("services.conf");
    std::fs::write(&services, format!("[far]\nhost=::1\nport={port}\n")).unwrap();
    let services = services.to_str().unwrap();
    let run = strata(
        dir.path(),
        &["migrate", "--env", "prod"],
        &[
            ("DATABASE_URL", &url),
            ("PGSERVICE", "far"),
            ("PGSERVICEFILE", services),
        ],
    );
    refused(&run, "allowed_hosts", "`::1`");
    let kv = format!("service=far dbname={}", db.name());
    let run = strata(
        dir.path(),
        &["migrate", "--env", "prod"],
        &[("DATABASE_URL", &kv), ("PGSERVICEFILE", services)],
    );
    refused(&run, "allowed_hosts", "`::1`");
    assert!(!table_exists(&db, "marker"));
    assert!(!table_exists(&db, "strata_schema_history"));
}

#[test]
fn pg_variables_cannot_get_around_database_pattern_and_require_tls() {
    let db = TestDb::new_blocking("policy_pgdatabase");
    let toml = "[environments.prod]\ndatabase_pattern = \"*_prod\"\n\n\
                [environments.tls]\nrequire_tls = true\n";
    let dir = project(&[("strata.toml", toml), MIGRATION]);
    let base = format!("postgres://postgres@127.0.0.1:{}/", port());

    let run = strata(
        dir.path(),
        &["migrate", "--env", "prod"],
        &[("DATABASE_URL", &base), ("PGDATABASE", db.name())],
    );
    refused(&run, "database_pattern", db.name());

    // PGSSLMODE=disable under require_tls, and a service file's sslmode.
    let url = format!("{base}{}", db.name());
    let run = strata(
        dir.path(),
        &["migrate", "--env", "tls"],
        &[("DATABASE_URL", &url), ("PGSSLMODE", "disable")],
    );
    refused(&run, "require_tls", "sslmode=disable");
    let services = dir.path().join("services.conf");
    std::fs::write(&services, "[weak]\nsslmode=allow\n").unwrap();
    let run = strata(
        dir.path(),
        &["migrate", "--env", "tls"],
        &[
            ("DATABASE_URL", &url),
            ("PGSERVICE", "weak"),
            ("PGSERVICEFILE", services.to_str().unwrap()),
            // The service file wins over the variable, as in libpq.
            ("PGSSLMODE", "require"),
        ],
    );
    refused(&run, "require_tls", "sslmode=allow");
    assert!(!table_exists(&db, "strata_schema_history"));
}

#[test]
fn a_policy_failure_on_the_last_database_touches_none() {
    let first = TestDb::new_blocking("policy_first");
    let last = TestDb::new_blocking("policy_last");
    let toml = format!(
        "[databases.a]\nmigrations = \"migrations/a\"\nurl_env = \"A_URL\"\n\n\
         [databases.b]\nmigrations = \"migrations/b\"\nurl_env = \"B_URL\"\ndepends_on = [\"a\"]\n\n\
         [environments.prod]\ndatabase_pattern = \"{}\"\n",
        first.name()
    );
    let dir = project(&[
        ("strata.toml", &toml),
        ("migrations/a/V1__a.sql", "CREATE TABLE a (id int);"),
        ("migrations/b/V1__b.sql", "CREATE TABLE b (id int);"),
    ]);
    for command in [&["migrate"][..], &["baseline", "1"], &["status"]] {
        let mut args = command.to_vec();
        args.extend(["--env", "prod"]);
        let run = strata(
            dir.path(),
            &args,
            &[("A_URL", &first.url()), ("B_URL", &last.url())],
        );
        refused(&run, "database_pattern", last.name());
        assert!(run.stderr.contains("database b"), "{}", run.stderr);
        assert!(
            !table_exists(&first, "strata_schema_history"),
            "{command:?}"
        );
        assert!(!table_exists(&first, "a"));
    }
}

#[test]
fn a_protected_environment_without_tls_is_warned_about() {
    let db = TestDb::new_blocking("policy_warn");
    let dir = project(&[
        ("strata.toml", "[environments.prod]\nprotected = true\n"),
        MIGRATION,
    ]);
    let url = format!("{}?sslmode=disable", db.url());
    let run = strata(
        dir.path(),
        &["migrate", "--env", "prod"],
        &[("DATABASE_URL", &url)],
    );
    expect(&run, 0);
    assert!(
        run.stderr
            .contains("without guaranteed TLS (sslmode=disable)"),
        "{}",
        run.stderr
    );
}

#[test]
fn key_value_strings_pgdatabase_and_several_hosts_connect() {
    let port = port();
    let closed = closed_port();

    // A key=value string.
    let db = TestDb::new_blocking("kv_migrate");
    let dir = project(&[("strata.toml", ""), MIGRATION]);
    let kv = format!(
        "host=127.0.0.1 port={port} user=postgres dbname='{}' sslmode=disable",
        db.name()
    );
    let run = strata(dir.path(), &["migrate"], &[("DATABASE_URL", &kv)]);
    expect(&run, 0);
    assert!(table_exists(&db, "marker"));
    let run = strata(dir.path(), &["env"], &[("DATABASE_URL", &kv)]);
    expect(&run, 0);
    assert!(run.stdout.contains("host=127.0.0.1"), "{}", run.stdout);

    // PGDATABASE fills in the database the URL leaves out.
    let db = TestDb::new_blocking("pgdatabase");
    let url = format!("postgres://postgres@127.0.0.1:{port}/");
    let run = strata(
        dir.path(),
        &["migrate"],
        &[("DATABASE_URL", &url), ("PGDATABASE", db.name())],
    );
    expect(&run, 0);
    assert!(table_exists(&db, "marker"));

    // Several hosts, the first dead: the next one is tried.
    let db = TestDb::new_blocking("multihost");
    let url = format!(
        "postgres://postgres@127.0.0.1:{closed},127.0.0.1:{port}/{}?sslmode=disable",
        db.name()
    );
    let run = strata(dir.path(), &["migrate"], &[("DATABASE_URL", &url)]);
    expect(&run, 0);
    assert!(table_exists(&db, "marker"));

    // target_session_attrs: read-write finds the primary; read-only finds none.
    let db = TestDb::new_blocking("tsa");
    let url = format!("{}?target_session_attrs=read-write", db.url());
    let run = strata(dir.path(), &["migrate"], &[("DATABASE_URL", &url)]);
    expect(&run, 0);
    assert!(table_exists(&db, "marker"));
    let run = strata(
        dir.path(),
        &["status"],
        &[
            ("DATABASE_URL", &db.url()),
            ("PGTARGETSESSIONATTRS", "read-only"),
        ],
    );
    expect(&run, 1);

    // application_name: strata unless PGAPPNAME sets one.
    let seen = |env: &[(&str, &str)]| {
        let dir = project(&[
            ("strata.toml", ""),
            (
                "migrations/V1__app.sql",
                "CREATE TABLE app AS SELECT current_setting('application_name') AS name;",
            ),
        ]);
        let db = TestDb::new_blocking("appname");
        let mut vars = vec![("DATABASE_URL", db.url())];
        vars.extend(env.iter().map(|(k, v)| (*k, (*v).to_owned())));
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        expect(&strata(dir.path(), &["migrate"], &vars), 0);
        db.query_strings_blocking("SELECT name FROM app")[0][0].clone()
    };
    assert_eq!(seen(&[]).as_deref(), Some("strata"));
    assert_eq!(
        seen(&[("PGAPPNAME", "deployer")]).as_deref(),
        Some("deployer")
    );

    // A parameter strata does not support is named, never ignored.
    let run = strata(
        dir.path(),
        &["status"],
        &[("DATABASE_URL", &format!("{kv} sslcrl=/etc/crl.pem"))],
    );
    expect(&run, 2);
    assert!(run.stderr.contains("sslcrl"), "{}", run.stderr);
    let run = strata(
        dir.path(),
        &["status"],
        &[("DATABASE_URL", &kv), ("PGGSSENCMODE", "require")],
    );
    expect(&run, 2);
    assert!(run.stderr.contains("PGGSSENCMODE"), "{}", run.stderr);
}

// ---- TLS ----------------------------------------------------------------------

/// A certificate and its key made by `openssl`: self-signed (so a CA
/// certificate, as `openssl req -x509` makes it), naming `san`.
pub(crate) fn make_cert(dir: &Path, name: &str, san: &str) -> (PathBuf, PathBuf) {
    let crt = dir.join(format!("{name}.crt"));
    let key = dir.join(format!("{name}.key"));
    let out = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&crt)
        .args(["-subj", "/CN=strata-test", "-addext"])
        .arg(format!("subjectAltName={san}"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (crt, key)
}

/// The server user's uid when the tests run as root (the cluster then runs
/// as `postgres`, which must own its key file).
pub(crate) fn server_uid() -> Option<u32> {
    let out = Command::new("id").args(["-u", "postgres"]).output().ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

#[test]
fn tls_modes_against_a_tls_server() {
    use std::os::unix::fs::PermissionsExt;
    let certs = tempfile::tempdir().unwrap();
    std::fs::set_permissions(certs.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let (crt, key) = make_cert(certs.path(), "server", "IP:127.0.0.1");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let server_key = certs.path().join("server-owned.key");
    std::fs::copy(&key, &server_key).unwrap();
    if is_root() {
        let uid = server_uid().expect("a postgres user when running as root");
        std::os::unix::fs::chown(&server_key, Some(uid), None).unwrap();
    }
    let opts = StartOptions {
        settings: vec![
            ("ssl".into(), "on".into()),
            ("ssl_cert_file".into(), crt.display().to_string()),
            ("ssl_key_file".into(), server_key.display().to_string()),
        ],
        ..StartOptions::for_tests()
    };
    let tls = strata_testkit::start_extra_cluster_with(&opts);
    let db = tls.fresh_db_blocking("tls");
    let home = tempfile::tempdir().unwrap();
    let home = home.path().to_str().unwrap();
    let dir = project(&[("strata.toml", ""), MIGRATION]);
    let crt_s = crt.to_str().unwrap();
    let run_with = |url: &str, extra: &[(&str, &str)]| {
        let mut env = vec![("DATABASE_URL", url), ("HOME", home)];
        env.extend_from_slice(extra);
        strata(dir.path(), &["status"], &env)
    };

    // A self-signed server certificate given as its own root: accepted.
    let url = format!("{}?sslmode=verify-full&sslrootcert={crt_s}", db.url());
    expect(&run_with(&url, &[]), 0);
    // The same through PGSSLMODE / PGSSLROOTCERT: the server sees TLS.
    let recorder = project(&[
        ("strata.toml", ""),
        (
            "migrations/V1__tls.sql",
            "CREATE TABLE seen AS SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid();",
        ),
    ]);
    let run = strata(
        recorder.path(),
        &["migrate"],
        &[
            ("DATABASE_URL", &db.url()),
            ("HOME", home),
            ("PGSSLMODE", "verify-full"),
            ("PGSSLROOTCERT", crt_s),
        ],
    );
    expect(&run, 0);
    // The SSLRequest the pooler check reads past: still a direct connection.
    assert!(
        !run.stderr.contains("goes through a pooler"),
        "{}",
        run.stderr
    );
    assert_eq!(
        db.query_strings_blocking("SELECT ssl::text FROM seen")[0][0].as_deref(),
        Some("true")
    );

    // PGSSLMODE=verify-full with no roots anywhere: refused before connecting.
    let run = run_with(&db.url(), &[("PGSSLMODE", "verify-full")]);
    expect(&run, 2);
    assert!(run.stderr.contains("sslrootcert"), "{}", run.stderr);

    // A certificate for another name: a clear message, no debug text.
    let port = tls.port();
    let other = format!(
        "host=db.example hostaddr=127.0.0.1 port={port} user=postgres dbname={} sslmode=verify-full sslrootcert={crt_s}",
        db.name()
    );
    let run = run_with(&other, &[]);
    expect(&run, 1);
    assert!(
        run.stderr.contains("does not name the host"),
        "{}",
        run.stderr
    );
    for debug in [
        "NotValidForName",
        "CaUsedAsEndEntity",
        "Other(",
        "InvalidCertificate",
    ] {
        assert!(!run.stderr.contains(debug), "{debug}: {}", run.stderr);
    }
    // verify-ca does not check the name.
    let run = run_with(&other.replace("verify-full", "verify-ca"), &[]);
    expect(&run, 0);
    // Roots that did not sign the server's certificate.
    let (other_ca, _) = make_cert(certs.path(), "other", "DNS:elsewhere");
    let url = format!(
        "{}?sslmode=verify-ca&sslrootcert={}",
        db.url(),
        other_ca.display()
    );
    let run = run_with(&url, &[]);
    expect(&run, 1);
    assert!(
        run.stderr.contains("not one of the trusted roots"),
        "{}",
        run.stderr
    );

    // A client key others may read is refused, naming the file.
    let (client_crt, client_key) = make_cert(certs.path(), "client", "DNS:client");
    std::fs::set_permissions(&client_key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let url = format!(
        "{}?sslmode=require&sslcert={}&sslkey={}",
        db.url(),
        client_crt.display(),
        client_key.display()
    );
    let run = run_with(&url, &[]);
    expect(&run, 2);
    assert!(
        run.stderr.contains(client_key.to_str().unwrap()) && run.stderr.contains("0644"),
        "{}",
        run.stderr
    );
    // At 0600 it is used (the server asks for no client certificate).
    std::fs::set_permissions(&client_key, std::fs::Permissions::from_mode(0o600)).unwrap();
    expect(&run_with(&url, &[]), 0);
    // sslrootcert=system: the operating system's store, which did not sign
    // this test certificate.
    let url = format!("{}?sslmode=verify-ca&sslrootcert=system", db.url());
    let run = run_with(&url, &[]);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("UnknownIssuer"), "{}", run.stderr);
}

pub(crate) fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}
