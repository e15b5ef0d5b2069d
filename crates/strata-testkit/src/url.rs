//! The little URL surgery the kit needs: swap the database of a
//! `postgres://` URL (keeping user, password, host and query) and read its
//! port. Not a general URL parser.

/// `url` with its database replaced by `database` (percent-encoded).
pub(crate) fn with_database(url: &str, database: &str) -> String {
    let (prefix, query) = split(url);
    let db = encode(database);
    match query {
        Some(q) => format!("{prefix}/{db}?{q}"),
        None => format!("{prefix}/{db}"),
    }
}

/// The port of the first host in `url`, 5432 when none is given.
pub(crate) fn port(url: &str) -> u16 {
    let (prefix, _) = split(url);
    let authority = prefix.split_once("://").map_or(prefix, |(_, a)| a);
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let first = hostport.split(',').next().unwrap_or(hostport);
    let port = match first.rsplit_once(']') {
        Some((_, rest)) => rest.strip_prefix(':'),
        None => first.rsplit_once(':').map(|(_, p)| p),
    };
    port.and_then(|p| p.parse().ok()).unwrap_or(5432)
}

/// True for the two schemes libpq and strata accept.
pub(crate) fn has_postgres_scheme(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// (`scheme://authority`, query) of `url`.
fn split(url: &str) -> (&str, Option<&str>) {
    let (before_query, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_start = before_query.find("://").map_or(0, |i| i + 3);
    let prefix = match before_query[authority_start..].find('/') {
        Some(slash) => &before_query[..authority_start + slash],
        None => before_query,
    };
    (prefix, query)
}

fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swaps_the_database_and_keeps_the_rest() {
        assert_eq!(
            with_database("postgres://u:p@h:6000/postgres?sslmode=disable", "t_1"),
            "postgres://u:p@h:6000/t_1?sslmode=disable"
        );
        assert_eq!(
            with_database("postgresql://h", "a b"),
            "postgresql://h/a%20b"
        );
        assert_eq!(with_database("postgres://h/", "x"), "postgres://h/x");
    }

    #[test]
    fn reads_the_port() {
        assert_eq!(port("postgres://u:p@h:6000/db?x=1"), 6000);
        assert_eq!(port("postgres://h/db"), 5432);
        assert_eq!(port("postgres://[::1]:7000/db"), 7000);
        assert_eq!(port("postgres://[::1]/db"), 5432);
        assert_eq!(port("postgres://u:p:x@127.0.0.1:5433"), 5433);
    }
}
