//! Database lifecycle and connections on real PostgreSQL: create, drop,
//! recreate with sessions open, clean, seed, waiting for a server, TLS in
//! every `sslmode`, passwords from the URL, `PGPASSWORD` and `.pgpass`, and
//! the URL parameters libpq honours.
#![allow(clippy::unwrap_used)] // tests may panic

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use strata::config::{
    DbUrl, EnvNameSource, Environment, Libpq, ProcessEnv, ResolvedEnv, TableName, Timeout,
};
use strata::connect::{connect_url, connect_with};
use strata::database;
use strata::tls::Tls;
use strata_testkit::{ExtraCluster, fresh_db, server, start_extra_cluster};
use tokio_postgres::Client;

async fn client(url: &str) -> Client {
    connect_url(&DbUrl::parse(url).unwrap(), Duration::ZERO)
        .await
        .unwrap()
}

async fn admin() -> Client {
    client(server().base_url()).await
}

async fn one(c: &Client, sql: &str) -> String {
    let rows = c.simple_query(sql).await.unwrap();
    rows.iter()
        .find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_owned),
            _ => None,
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn create_is_idempotent_and_drop_reports_absence() {
    let a = admin().await;
    let name = format!("lifecycle \"quoted\" {}", std::process::id());
    assert!(database::create_if_missing(&a, &name).await.unwrap());
    assert!(!database::create_if_missing(&a, &name).await.unwrap());
    assert!(database::exists(&a, &name).await.unwrap());
    assert!(database::drop_database(&a, &name).await.unwrap());
    assert!(!database::drop_database(&a, &name).await.unwrap());
    assert!(!database::exists(&a, &name).await.unwrap());
}

#[tokio::test]
async fn drop_refuses_while_sessions_are_connected_and_recreate_terminates_them() {
    let db = fresh_db("recreate_terminates").await;
    let a = admin().await;
    let user = db.client().await;
    user.batch_execute("CREATE TABLE t (id int); INSERT INTO t VALUES (1)")
        .await
        .unwrap();
    let e = database::drop_database(&a, db.name()).await.unwrap_err();
    assert!(e.to_string().contains("1 other session(s)"), "{e}");
    assert!(database::exists(&a, db.name()).await.unwrap());

    let re = database::recreate_database(&a, db.name()).await.unwrap();
    assert!(re.dropped);
    assert_eq!(re.terminated, 1);
    // The old session is gone; the new database is empty.
    assert!(user.simple_query("SELECT 1").await.is_err());
    let fresh = db.client().await;
    assert_eq!(
        one(
            &fresh,
            "SELECT count(*) FROM pg_tables WHERE tablename = 't'"
        )
        .await,
        "0"
    );
}

#[tokio::test]
async fn clean_empties_tables_restarts_sequences_and_keeps_history() {
    let db = fresh_db("clean_keeps_history").await;
    let c = db.client().await;
    c.batch_execute(
        "CREATE TABLE public.strata_schema_history (installed_rank int PRIMARY KEY, script text);
         INSERT INTO public.strata_schema_history VALUES (1, 'V1__init.sql');
         CREATE TABLE users (id serial PRIMARY KEY, email text);
         CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                              user_id int REFERENCES users(id));
         CREATE SCHEMA app;
         CREATE TABLE app.events (id serial, what text);
         CREATE SCHEMA untouched;
         CREATE TABLE untouched.keep (id int);
         CREATE TABLE measurements (at date, v int) PARTITION BY RANGE (at);
         CREATE TABLE measurements_2025 PARTITION OF measurements
             FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
         INSERT INTO users (email) VALUES ('a'), ('b');
         INSERT INTO orders (user_id) VALUES (1), (2);
         INSERT INTO app.events (what) VALUES ('x');
         INSERT INTO untouched.keep VALUES (7);
         INSERT INTO measurements VALUES ('2025-05-01', 1);",
    )
    .await
    .unwrap();
    let history = TableName::parse("public.strata_schema_history").unwrap();
    let schemas = vec!["public".to_owned(), "app".to_owned()];
    let tables = database::clean(&c, &schemas, &history, Some(Timeout::parse("5s").unwrap()))
        .await
        .unwrap();
    assert_eq!(
        tables,
        [
            "app.events",
            "public.measurements",
            "public.orders",
            "public.users"
        ]
    );
    for (sql, want) in [
        ("SELECT count(*) FROM users", "0"),
        ("SELECT count(*) FROM orders", "0"),
        ("SELECT count(*) FROM app.events", "0"),
        ("SELECT count(*) FROM measurements_2025", "0"),
        ("SELECT count(*) FROM untouched.keep", "1"),
        ("SELECT count(*) FROM public.strata_schema_history", "1"),
    ] {
        assert_eq!(one(&c, sql).await, want, "{sql}");
    }
    c.batch_execute(
        "INSERT INTO users (email) VALUES ('c'); INSERT INTO orders (user_id) VALUES (1)",
    )
    .await
    .unwrap();
    assert_eq!(one(&c, "SELECT max(id) FROM users").await, "1");
    assert_eq!(one(&c, "SELECT max(id) FROM orders").await, "1");
}

#[tokio::test]
async fn clean_is_one_transaction() {
    let db = fresh_db("clean_one_transaction").await;
    let c = db.client().await;
    c.batch_execute(
        "CREATE TABLE a (id serial); CREATE TABLE b (id serial);
         INSERT INTO a DEFAULT VALUES; INSERT INTO b DEFAULT VALUES;",
    )
    .await
    .unwrap();
    // Another session holds a lock on b: clean gives up on lock_timeout and
    // a stays untouched too.
    let other = db.client().await;
    other
        .batch_execute("BEGIN; LOCK TABLE b IN ACCESS SHARE MODE")
        .await
        .unwrap();
    let history = TableName::parse("public.strata_schema_history").unwrap();
    let e = database::clean(
        &c,
        &["public".to_owned()],
        &history,
        Some(Timeout::parse("200ms").unwrap()),
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("cannot truncate"), "{e}");
    other.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(one(&c, "SELECT count(*) FROM a").await, "1");
    assert_eq!(one(&c, "SELECT count(*) FROM b").await, "1");
}

#[tokio::test]
async fn seeds_run_in_file_name_order_each_in_a_transaction() {
    let db = fresh_db("seed_order").await;
    let c = db.client().await;
    c.batch_execute("CREATE TABLE log (n serial, file text)")
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (name, body) in [
        ("010_b.sql", "INSERT INTO log (file) VALUES ('010_b');"),
        (
            "002_a.sql",
            "\u{feff}INSERT INTO log (file) VALUES ('002_a');",
        ),
        ("1_c.sql", "INSERT INTO log (file) VALUES ('1_c');"),
        ("README.md", "not a seed"),
    ] {
        std::fs::write(dir.path().join(name), body).unwrap();
    }
    let files = database::seed_files(dir.path()).unwrap();
    let names: Vec<_> = files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["002_a.sql", "010_b.sql", "1_c.sql"]);
    for f in &files {
        database::run_seed(&c, f).await.unwrap();
    }
    assert_eq!(
        one(&c, "SELECT string_agg(file, ',' ORDER BY n) FROM log").await,
        "002_a,010_b,1_c"
    );

    // A failing seed is rolled back whole and names its line.
    let bad = dir.path().join("020_bad.sql");
    std::fs::write(
        &bad,
        "INSERT INTO log (file) VALUES ('bad');\n\nINSERT INTO nope VALUES (1);\n",
    )
    .unwrap();
    let seed = database::SeedFile {
        name: "020_bad.sql".into(),
        path: bad,
    };
    let e = database::run_seed(&c, &seed).await.unwrap_err();
    let sql = e.as_sql().unwrap();
    assert_eq!((sql.line, sql.code.as_str()), (Some(3), "42P01"));
    assert_eq!(
        one(&c, "SELECT count(*) FROM log WHERE file = 'bad'").await,
        "0"
    );
    assert!(
        database::seed_files(Path::new("/nonexistent/seeds"))
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn url_parameters_reach_the_server() {
    let db = fresh_db("url_parameters").await;
    let c = client(&db.url()).await;
    assert_eq!(one(&c, "SHOW application_name").await, "strata");
    let url = format!(
        "{}?application_name=deploy%20job&options=-c%20search_path%3Dapp%2Cpublic&connect_timeout=5",
        db.url()
    );
    let c = client(&url).await;
    assert_eq!(one(&c, "SHOW application_name").await, "deploy job");
    assert_eq!(one(&c, "SHOW search_path").await, "app,public");
}

/// A second server with TLS (a test CA's certificate for `localhost`) and
/// a role that must authenticate with a password.
struct Secure {
    cluster: ExtraCluster,
    dir: tempfile::TempDir,
}

const PW_USER: &str = "pw_user";
const PW: &str = "p@ss:w/rd";

fn secure() -> &'static Secure {
    static S: OnceLock<Secure> = OnceLock::new();
    S.get_or_init(|| {
        let cluster = start_extra_cluster();
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let sh = |script: &str| {
            let out = Command::new("sh").arg("-ec").arg(script).current_dir(d).output().unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        };
        sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
              -keyout ca.key -out ca.crt -days 2 -subj '/CN=strata test CA' 2>/dev/null
            openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
              -keyout other.key -out other-ca.crt -days 2 -subj '/CN=other CA' 2>/dev/null
            openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
              -keyout server.key -out server.csr -subj '/CN=localhost' 2>/dev/null
            printf 'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > ext
            openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
              -out server.crt -days 2 -extfile ext 2>/dev/null");
        let data = cluster.cluster().data_dir();
        for f in ["server.crt", "server.key"] {
            std::fs::copy(d.join(f), data.join(f)).unwrap();
            std::fs::set_permissions(data.join(f), std::fs::Permissions::from_mode(0o600)).unwrap();
            if let Some(user) = cluster.cluster().server_user() {
                sh(&format!("chown {user} '{}'", data.join(f).display()));
            }
        }
        let hba = data.join("pg_hba.conf");
        let old = std::fs::read_to_string(&hba).unwrap();
        std::fs::write(
            &hba,
            format!(
                "host all {PW_USER} 127.0.0.1/32 scram-sha-256\nhost all {PW_USER} ::1/128 scram-sha-256\n{old}"
            ),
        )
        .unwrap();
        let base = cluster.base_url();
        strata_testkit_block_on(async move {
            let c = client(&format!("{base}?sslmode=disable")).await;
            for sql in [
                "ALTER SYSTEM SET ssl = on".to_owned(),
                "SELECT pg_reload_conf()".to_owned(),
                format!(
                    "CREATE ROLE {PW_USER} LOGIN CREATEDB PASSWORD '{}'",
                    PW.replace('\'', "''")
                ),
            ] {
                c.batch_execute(&sql).await.unwrap();
            }
            // The reload is asynchronous: wait until TLS is offered.
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                match connect_url(
                    &DbUrl::parse(&format!("{base}?sslmode=require")).unwrap(),
                    Duration::ZERO,
                )
                .await
                {
                    Ok(_) => break,
                    Err(e) if Instant::now() > deadline => panic!("TLS never came up: {e:?}"),
                    Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                }
            }
        });
        Secure { cluster, dir }
    })
}

fn strata_testkit_block_on<F: std::future::Future<Output = ()> + Send>(f: F) {
    std::thread::scope(|s| {
        s.spawn(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(f)
        })
        .join()
        .unwrap()
    });
}

impl Secure {
    fn url(&self, host: &str, user: &str, query: &str) -> String {
        format!(
            "postgres://{user}@{host}:{}/postgres{query}",
            self.cluster.port()
        )
    }
    fn path(&self, f: &str) -> PathBuf {
        self.dir.path().join(f)
    }
}

async fn uses_tls(url: &str) -> Result<bool, String> {
    let c = connect_url(
        &DbUrl::parse(url).map_err(|e| e.to_string())?,
        Duration::ZERO,
    )
    .await
    .map_err(|e| format!("{e:?}"))?;
    Ok(one(
        &c,
        "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
    )
    .await
        == "t")
}

#[tokio::test]
async fn every_sslmode_against_a_tls_server() {
    let s = secure();
    let ca = s.path("ca.crt");
    let ca = ca.display();
    let other = s.path("other-ca.crt");
    let other = other.display();
    let u = |host: &str, q: String| s.url(host, "postgres", &q);
    assert_eq!(
        uses_tls(&u("127.0.0.1", "?sslmode=disable".into())).await,
        Ok(false)
    );
    assert_eq!(
        uses_tls(&u("127.0.0.1", String::new())).await,
        Ok(true),
        "prefer is the default"
    );
    assert_eq!(
        uses_tls(&u("127.0.0.1", "?sslmode=prefer".into())).await,
        Ok(true)
    );
    assert_eq!(
        uses_tls(&u("127.0.0.1", "?sslmode=require".into())).await,
        Ok(true)
    );
    // verify-ca: the chain must lead to the given root; the name is not checked.
    assert_eq!(
        uses_tls(&u(
            "127.0.0.1",
            format!("?sslmode=verify-ca&sslrootcert={ca}")
        ))
        .await,
        Ok(true)
    );
    assert!(
        uses_tls(&u(
            "127.0.0.1",
            format!("?sslmode=verify-ca&sslrootcert={other}")
        ))
        .await
        .is_err()
    );
    // require with a root certificate verifies like verify-ca (libpq).
    assert!(
        uses_tls(&u(
            "127.0.0.1",
            format!("?sslmode=require&sslrootcert={other}")
        ))
        .await
        .is_err()
    );
    // verify-full: the certificate names localhost, not 127.0.0.1.
    assert_eq!(
        uses_tls(&u(
            "localhost",
            format!("?sslmode=verify-full&sslrootcert={ca}")
        ))
        .await,
        Ok(true)
    );
    let e = uses_tls(&u(
        "127.0.0.1",
        format!("?sslmode=verify-full&sslrootcert={ca}"),
    ))
    .await
    .unwrap_err();
    // In words, never the TLS library's debug text.
    assert!(
        e.contains("does not name the host") && !e.contains("NotValidForName"),
        "{e}"
    );
    // No roots at all: refused before connecting.
    let e = uses_tls(&u("localhost", "?sslmode=verify-full".into()))
        .await
        .unwrap_err();
    assert!(e.contains("sslrootcert"), "{e}");
}

/// channel_binding (SPEC §1.3): SCRAM bound to the TLS channel. `require`
/// works with a password over TLS, and fails where there is no binding to
/// make: without TLS, or with an authentication that is not SCRAM (trust).
#[tokio::test]
async fn channel_binding_with_scram_over_tls() {
    let s = secure();
    let pw = s.url(
        "127.0.0.1",
        &format!("{PW_USER}:p%40ss%3Aw%2Frd"),
        "?sslmode=require&channel_binding=require",
    );
    assert_eq!(uses_tls(&pw).await, Ok(true));
    let plain = pw.replace("sslmode=require", "sslmode=disable");
    assert!(uses_tls(&plain).await.is_err());
    let trust = s.url(
        "127.0.0.1",
        "postgres",
        "?sslmode=require&channel_binding=require",
    );
    assert!(uses_tls(&trust).await.is_err());
    let prefer = s.url(
        "127.0.0.1",
        "postgres",
        "?sslmode=require&channel_binding=prefer",
    );
    assert_eq!(uses_tls(&prefer).await, Ok(true));
}

#[tokio::test]
async fn sslmode_against_a_server_without_tls() {
    let db = fresh_db("no_tls_server").await;
    assert_eq!(
        uses_tls(&format!("{}?sslmode=prefer", db.url())).await,
        Ok(false)
    );
    assert_eq!(
        uses_tls(&format!("{}?sslmode=disable", db.url())).await,
        Ok(false)
    );
    assert!(
        uses_tls(&format!("{}?sslmode=require", db.url()))
            .await
            .is_err()
    );
}

fn libpq(pairs: &[(&str, &str)]) -> Libpq {
    let p: ProcessEnv = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Libpq::from_env(
        &ResolvedEnv::load(Environment::undeclared("dev"), EnvNameSource::Flag, &p).unwrap(),
    )
}

async fn connect_libpq(l: &Libpq, url: &str) -> Result<(), String> {
    let url = DbUrl::parse(url).unwrap();
    let config = l.pg_config(&url).unwrap();
    let tls = Tls::for_mode(url.ssl_mode(), url.ssl_root_cert(), None).unwrap();
    connect_with(&config, &tls, &url.redacted(), Duration::ZERO)
        .await
        .map(|_| ())
        .map_err(|e| format!("{e:?}"))
}

#[tokio::test]
async fn passwords_from_the_url_pgpassword_and_pgpass() {
    let s = secure();
    let none = libpq(&[]);
    let bare = s.url("127.0.0.1", PW_USER, "");
    // Without a password the server refuses (and it is not retried).
    let started = Instant::now();
    assert!(connect_libpq(&none, &bare).await.is_err());
    assert!(started.elapsed() < Duration::from_secs(5));
    // Percent-encoded in the URL.
    let encoded = s.url("127.0.0.1", &format!("{PW_USER}:p%40ss%3Aw%2Frd"), "");
    connect_libpq(&none, &encoded).await.unwrap();
    // PGPASSWORD.
    connect_libpq(&libpq(&[("PGPASSWORD", PW)]), &bare)
        .await
        .unwrap();
    // The password file, with libpq's escapes; ignored unless private.
    let pass = s.path("pgpass");
    std::fs::write(
        &pass,
        format!(
            "# strata test\n127.0.0.1:{}:*:{PW_USER}:p@ss\\:w/rd\n",
            s.cluster.port()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&pass, std::fs::Permissions::from_mode(0o600)).unwrap();
    let with_file = libpq(&[("PGPASSFILE", pass.to_str().unwrap())]);
    connect_libpq(&with_file, &bare).await.unwrap();
    std::fs::set_permissions(&pass, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert!(connect_libpq(&with_file, &bare).await.is_err());
    // PGUSER and PGPORT fill a URL that names neither.
    let l = libpq(&[
        ("PGUSER", PW_USER),
        ("PGPASSWORD", PW),
        ("PGPORT", &s.cluster.port().to_string()),
    ]);
    connect_libpq(&l, "postgres://127.0.0.1/postgres")
        .await
        .unwrap();
}

#[tokio::test]
async fn unix_socket_host() {
    let s = secure();
    let info = s.cluster.info();
    let sock = info.socket_dir.clone().unwrap();
    let encoded: String = sock.to_str().unwrap().replace('/', "%2F");
    for url in [
        format!(
            "postgres://postgres@/postgres?host={}&port={}",
            sock.display(),
            info.port
        ),
        format!("postgresql://postgres@{encoded}:{}/postgres", info.port),
    ] {
        let c = client(&url).await;
        assert_eq!(
            one(&c, "SELECT coalesce(inet_client_addr()::text, 'socket')").await,
            "socket",
            "{url}"
        );
    }
}

#[tokio::test]
async fn waiting_retries_only_while_the_server_is_not_up() {
    let extra = start_extra_cluster();
    let url = DbUrl::parse(&extra.base_url()).unwrap();
    extra.cluster().stop().unwrap();
    // Refused, bounded by the wait.
    let started = Instant::now();
    let e = connect_url(&url, Duration::from_millis(700))
        .await
        .unwrap_err();
    assert!(started.elapsed() >= Duration::from_millis(700), "{e}");
    assert!(started.elapsed() < Duration::from_secs(5));
    // The server comes up while strata waits.
    let starter = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(800));
        extra.start();
        extra
    });
    let c = connect_url(&url, Duration::from_secs(30)).await.unwrap();
    assert_eq!(one(&c, "SELECT 1").await, "1");
    drop(c);
    let _extra = starter.join().unwrap();
    // A missing database is not "starting up": it fails at once.
    let started = Instant::now();
    let missing = url.with_database("no_such_database_here");
    assert!(
        connect_url(&missing, Duration::from_secs(10))
            .await
            .is_err()
    );
    assert!(started.elapsed() < Duration::from_secs(3));
}
