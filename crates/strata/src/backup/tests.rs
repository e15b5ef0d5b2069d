use super::conninfo::{conninfo, quote};
use super::program::parse_major;
use crate::config::{DbUrl, Libpq};
use crate::connect::Endpoint;

#[test]
fn versions_from_pg_dump_version() {
    assert_eq!(
        parse_major("pg_dump (PostgreSQL) 15.10 (Debian 15.10-1.pgdg120+1)\n"),
        Some(15)
    );
    assert_eq!(parse_major("pg_dump (PostgreSQL) 17beta1\n"), Some(17));
    assert_eq!(parse_major("pg_dump (PostgreSQL) 9.6.24\n"), Some(9));
    assert_eq!(parse_major("something else"), None);
}

#[test]
fn values_are_quoted_as_libpq_reads_them() {
    assert_eq!(quote("plain"), "'plain'");
    assert_eq!(quote(r"it's a\b"), r"'it\'s a\\b'");
    assert_eq!(quote(""), "''");
}

#[test]
fn the_connection_string_carries_tls_and_bounds_but_no_password() {
    let url = DbUrl::parse(
        "postgres://app:s3cr3t@db.internal:6432/shop?sslmode=require&application_name=deploy",
    )
    .expect("url");
    let text = conninfo(&Endpoint::for_url(&url, &Libpq::default()).expect("endpoint"));
    assert!(!text.contains("s3cr3t"), "{text}");
    assert!(!text.contains("password"), "{text}");
    for part in [
        "host='db.internal'",
        "port='6432'",
        "dbname='shop'",
        "user='app'",
        "application_name='deploy'",
        "connect_timeout='10'",
        "keepalives='1'",
    ] {
        assert!(text.contains(part), "{part} in {text}");
    }
    assert!(text.contains("sslmode='require'"), "{text}");
}

#[test]
fn several_hosts_keep_their_ports() {
    let url = DbUrl::parse("postgres://app@a:6000,b/shop?sslmode=disable").expect("url");
    let text = conninfo(&Endpoint::for_url(&url, &Libpq::default()).expect("endpoint"));
    assert!(text.contains("host='a,b'"), "{text}");
    assert!(text.contains("port='6000,5432'"), "{text}");
    assert!(text.contains("sslmode='disable'"), "{text}");
}
