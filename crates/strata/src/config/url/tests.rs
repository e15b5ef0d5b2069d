//! Unit tests of URL parsing, rendering and redaction.
#![allow(clippy::unwrap_used)] // tests may panic

use super::*;
use tokio_postgres::config::Host;

fn url(s: &str) -> DbUrl {
    DbUrl::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

#[test]
fn parses_a_full_url() {
    let u = url(
        "postgres://app:s3cret@db.example.com:6543/orders?sslmode=verify-full&application_name=api&connect_timeout=7&options=-c%20search_path%3Dx&sslrootcert=/etc/ca.pem",
    );
    assert_eq!(u.user(), Some("app"));
    assert!(u.has_password());
    assert_eq!(u.host(), Some("db.example.com"));
    assert_eq!(u.port(), 6543);
    assert_eq!(u.database(), "orders");
    assert_eq!(u.ssl_mode(), Some(SslMode::VerifyFull));
    assert_eq!(u.ssl_root_cert(), Some("/etc/ca.pem"));
    assert_eq!(u.application_name(), "api");
    assert_eq!(u.connect_timeout(), Some(Duration::from_secs(7)));
    assert!(!u.is_unix_socket());

    let c = u.to_pg_config();
    assert_eq!(c.get_user(), Some("app"));
    assert_eq!(c.get_password(), Some(&b"s3cret"[..]));
    assert_eq!(c.get_dbname(), Some("orders"));
    assert_eq!(c.get_hosts(), &[Host::Tcp("db.example.com".into())]);
    assert_eq!(c.get_ports(), &[6543]);
    assert_eq!(c.get_application_name(), Some("api"));
    assert_eq!(c.get_connect_timeout(), Some(&Duration::from_secs(7)));
    assert_eq!(c.get_options(), Some("-c search_path=x"));
    assert_eq!(c.get_ssl_mode(), tokio_postgres::config::SslMode::Require);
}

#[test]
fn percent_encoded_parts_and_postgresql_scheme() {
    let u = url("postgresql://us%65r:p%40ss@localhost/my%20db");
    assert_eq!(u.user(), Some("user"));
    assert_eq!(u.database(), "my db");
    let c = u.to_pg_config();
    assert_eq!(c.get_password(), Some(&b"p@ss"[..]));
    assert_eq!(c.get_application_name(), Some("strata"));
    assert_eq!(u.to_string(), "postgres://user:***@localhost/my%20db");
}

#[test]
fn unencoded_at_in_password_is_tolerated() {
    let u = url("postgres://u:p@ss@h/db");
    assert_eq!(u.to_pg_config().get_password(), Some(&b"p@ss"[..]));
    assert_eq!(u.host(), Some("h"));
}

#[test]
fn rejects_other_schemes_without_echoing() {
    assert_eq!(
        DbUrl::parse("mysql://root:hunter2@h/db"),
        Err(UrlError::UnsupportedScheme {
            scheme: "mysql".into()
        })
    );
    // A key=value string is a connection string (SPEC §1.3), redacted too.
    let kv = DbUrl::parse("host=h password=hunter2").unwrap();
    assert_eq!(kv.to_string(), "host=h password=***");
    assert_eq!(DbUrl::parse("just words"), Err(UrlError::NotAUrl));
    let e = DbUrl::parse("weird scheme hunter2://x").unwrap_err();
    assert_eq!(e, UrlError::NotAUrl);
    assert!(!e.to_string().contains("hunter2"));
}

#[test]
fn ipv6_hosts() {
    let u = url("postgres://u@[::1]:5433/db");
    assert_eq!(u.host(), Some("::1"));
    assert_eq!(u.port(), 5433);
    assert_eq!(u.to_string(), "postgres://u@[::1]:5433/db");
    let u = url("postgres://u@[2001:db8::2]/db");
    assert_eq!(u.host(), Some("2001:db8::2"));
    assert_eq!(u.port(), 5432);
    assert_eq!(
        DbUrl::parse("postgres://u@[::1/db"),
        Err(UrlError::InvalidHost)
    );
}

#[test]
fn unix_socket_hosts() {
    let u = url("postgres://postgres@/app?host=/var/run/postgresql&port=5433");
    assert_eq!(u.host(), Some("/var/run/postgresql"));
    assert!(u.is_unix_socket());
    assert_eq!(u.port(), 5433);
    let c = u.to_pg_config();
    assert_eq!(c.get_hosts(), &[Host::Unix("/var/run/postgresql".into())]);
    assert_eq!(c.get_ports(), &[5433]);
    assert_eq!(
        u.to_string(),
        "postgres://postgres@:5433/app?host=/var/run/postgresql"
    );
    // Percent-encoded socket directory in the host position.
    let u = url("postgres://%2Ftmp%2Fsock/app");
    assert_eq!(u.host(), Some("/tmp/sock"));
    assert!(u.is_unix_socket());
    // No host at all: libpq's default socket.
    assert!(url("postgres:///app").is_unix_socket());
}

#[test]
fn every_sslmode() {
    for mode in SslMode::ALL {
        let u = url(&format!("postgres://h/db?sslmode={mode}"));
        assert_eq!(u.ssl_mode(), Some(mode));
        assert_eq!(
            mode.requires_tls(),
            matches!(
                mode,
                SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull
            )
        );
    }
    assert!(matches!(
        DbUrl::parse("postgres://h/db?sslmode=on"),
        Err(UrlError::InvalidParameter { name, .. }) if name == "sslmode"
    ));
    assert_eq!(
        url("postgres://h/db").to_pg_config().get_ssl_mode(),
        tokio_postgres::config::SslMode::Prefer
    );
}

#[test]
fn unknown_parameters_are_named() {
    assert_eq!(
        DbUrl::parse("postgres://h/db?sslmod=require&foo=1&sslmode=disable"),
        Err(UrlError::UnknownParameters {
            names: vec!["sslmod".into(), "foo".into()]
        })
    );
}

#[test]
fn bad_ports_and_timeouts() {
    assert!(matches!(
        DbUrl::parse("postgres://h:0/db"),
        Err(UrlError::InvalidPort)
    ));
    assert!(matches!(
        DbUrl::parse("postgres://h:99999/db"),
        Err(UrlError::InvalidPort)
    ));
    assert!(matches!(
        DbUrl::parse("postgres://h/db?connect_timeout=soon"),
        Err(UrlError::InvalidParameter { .. })
    ));
}

#[test]
fn several_hosts_are_tried_in_order() {
    let u = url("postgres://app@h:5432,h2:6000/db");
    assert_eq!(u.hosts(), ["h", "h2"]);
    let c = u.to_pg_config();
    assert_eq!(
        c.get_hosts(),
        &[Host::Tcp("h".into()), Host::Tcp("h2".into())]
    );
    assert_eq!(c.get_ports(), &[5432, 6000]);
    assert_eq!(u.to_string(), "postgres://app@h:5432,h2:6000/db");
    let u = url("postgres://app@/db?host=a,b&port=1,2&target_session_attrs=read-write");
    assert_eq!(
        u.to_pg_config().get_target_session_attrs(),
        tokio_postgres::config::TargetSessionAttrs::ReadWrite
    );
    assert_eq!(url(&u.to_string()), u);
    let e = DbUrl::parse("postgres://h/db?target_session_attrs=primary").unwrap_err();
    assert!(e.to_string().contains("target_session_attrs"), "{e}");
}

#[test]
fn database_defaults_to_user() {
    assert_eq!(url("postgres://alice@h").database(), "alice");
    // No user and no database: left to PGUSER / PGDATABASE / the OS user.
    assert_eq!(url("postgres://h").database(), "");
    assert_eq!(url("postgres://h/x?dbname=y").database(), "y");
}

#[test]
fn with_database_keeps_the_rest() {
    let u = url("postgres://app:pw@h:1/app_dev?sslmode=require");
    let m = u.with_database("postgres");
    assert_eq!(m.database(), "postgres");
    assert_eq!(
        m.to_string(),
        "postgres://app:***@h:1/postgres?sslmode=require"
    );
    assert_eq!(m.to_pg_config().get_password(), Some(&b"pw"[..]));
}

#[test]
fn password_seam() {
    let u = url("postgres://app@h/db");
    assert!(!u.has_password());
    let u = u.with_password("from-pgpass");
    assert_eq!(u.to_pg_config().get_password(), Some(&b"from-pgpass"[..]));
    assert!(!format!("{u} {u:?}").contains("from-pgpass"));
}

#[test]
fn password_never_shown() {
    for text in [
        "postgres://app:hunter2@h/db",
        "postgresql://app:hunter2@h/db?sslmode=require",
        "postgres://h/db?user=app&password=hunter2",
        "postgres://:hunter2@h/db?user=app",
        "postgres://app:hunter%32@h/db",
    ] {
        let u = url(text);
        for shown in [
            u.to_string(),
            format!("{u:?}"),
            format!("{u:#?}"),
            u.redacted(),
        ] {
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(shown.contains("***"), "{shown}");
        }
    }
}

#[test]
fn display_parses_back_to_the_same_url() {
    for text in [
        "postgres://app@db.example.com:6543/orders?sslmode=verify-full&application_name=my%20api&connect_timeout=7&options=-c%20x%3Dy",
        "postgres://u@[::1]:5433/db?hostaddr=::1",
        "postgres://postgres@:5433/app?host=/var/run/postgresql",
        "postgres://%2Ftmp%2Fsock/app",
        "postgres://us%3Aer@h/d%2Fb?sslrootcert=/etc/ssl/ca%26.pem",
    ] {
        let u = url(text);
        assert_eq!(url(&u.to_string()), u, "{text} -> {u}");
    }
}

#[test]
fn redact_url_like_values() {
    assert_eq!(
        redact_url_like("redis://u:hunter2@cache:6379/0"),
        "redis://u:***@cache:6379/0"
    );
    assert_eq!(
        redact_url_like("postgres://u:hunter2@h/db?sslmode=require"),
        "postgres://u:***@h/db?sslmode=require"
    );
    assert_eq!(
        redact_url_like("https://example.com/x"),
        "https://example.com/x"
    );
    assert_eq!(redact_url_like("plain"), "plain");
    assert_eq!(
        redact_url_like("host=db password='a b\\' c' sslmod=x"),
        "host=db password=*** sslmod=x"
    );
    // A password given as a query parameter, in a URL strata cannot parse.
    assert_eq!(
        redact_url_like("redis://cache:6379/0?password=hunter2"),
        "redis://cache:6379/0?password=***"
    );
    assert_eq!(
        redact_url_like("postgres://h/db?sslmod=require&Password=hunter2&x=1"),
        "postgres://h/db?sslmod=require&Password=***&x=1"
    );
    assert_eq!(redact_url_like("mypassword=x"), "mypassword=x");
}

#[test]
fn hostaddr_means_tcp() {
    let url = DbUrl::parse("postgres://app@/db?hostaddr=203.0.113.9").unwrap();
    assert!(!url.is_unix_socket());
}

#[test]
fn raw_special_characters_in_a_password_parse() {
    for (text, password, host, db) in [
        (
            "postgres://app:Hunter2LEAK?x@host/db",
            "Hunter2LEAK?x",
            "host",
            "db",
        ),
        (
            "postgres://app:Hunter2LEAK#x@host/db",
            "Hunter2LEAK#x",
            "host",
            "db",
        ),
        (
            "postgres://app:Hunter2LEAK@x@host/db",
            "Hunter2LEAK@x",
            "host",
            "db",
        ),
        (
            "postgres://app:Hunter2LEAK/x@host/db",
            "Hunter2LEAK/x",
            "host",
            "db",
        ),
        (
            "postgres://app:a?b@c/d@host:6432/db?sslmode=disable",
            "a?b@c/d",
            "host",
            "db",
        ),
    ] {
        let u = url(text);
        assert_eq!(u.password(), Some(password), "{text}");
        assert_eq!((u.host(), u.database()), (Some(host), db), "{text}");
        assert!(!u.redacted().contains("Hunter2LEAK"), "{}", u.redacted());
    }
    // An `@` in a query value is not user info.
    let u = url("postgres://host:6432/db?application_name=me@laptop");
    assert_eq!((u.host(), u.port(), u.user()), (Some("host"), 6432, None));
    assert_eq!(u.database(), "db");
}

#[test]
fn errors_and_redaction_of_unparseable_urls_hide_the_password() {
    for text in [
        "postgres://app:Hunter2LEAK?x=1@host/db",
        "postgres://app:Hunter2LEAK?x@host:notaport/db",
        "postgres://app:Hunter2LEAK#x@host:0/db",
        "postgres://app:Hunter2LEAK/x@host/db?nosuch=1",
        "postgres://app:Hunter2LEAK/x@[::1/db",
        "postgres://app:Hunter2LEAK%FF@host/db",
    ] {
        let err = DbUrl::parse(text).expect_err(text);
        for shown in [err.to_string(), format!("{err:?}"), redact_url_like(text)] {
            assert!(!shown.contains("Hunter2"), "{text}: {shown}");
            assert!(!shown.contains("LEAK"), "{text}: {shown}");
        }
    }
    // Several hosts parse; the password with its raw `@` stays hidden.
    let u = url("postgres://app:Hunter2LEAK@x@h1,h2/db");
    assert_eq!(u.password(), Some("Hunter2LEAK@x"));
    assert_eq!(u.to_string(), "postgres://app:***@h1,h2/db");
    assert_eq!(
        redact_url_like("postgres://app:Hunter2LEAK/x@[::1/db"),
        "postgres://app:***@[::1/db"
    );
}
