//! The password file (`.pgpass`, `PGPASSFILE`, `passfile`) as libpq reads
//! it: `host:port:database:user:password` lines, `*` wildcards, `\:` and
//! `\\` escapes, ignored when group or others can read the file.

use std::path::Path;

/// The file's text, unless group or others may read it (libpq ignores such
/// a password file) or it cannot be read.
pub(super) fn read_private(path: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.permissions().mode() & 0o077 != 0 {
        return None;
    }
    std::fs::read_to_string(path).ok()
}

/// The password of the first line of a `.pgpass` text matching
/// `hostname:port:database:username` (`*` matches anything; `\:` and `\\`
/// are a literal colon and backslash; `#` starts a comment line).
///
/// # Examples
///
/// ```
/// use strata::config::pgpass_lookup;
/// let text = "# host:port:database:user:password\ndb.internal:5432:*:app:s3cret\n*:*:*:*:fallback\n";
/// assert_eq!(pgpass_lookup(text, "db.internal", 5432, "shop", "app").as_deref(), Some("s3cret"));
/// assert_eq!(pgpass_lookup(text, "other", 6432, "x", "y").as_deref(), Some("fallback"));
/// ```
pub fn pgpass_lookup(
    text: &str,
    host: &str,
    port: u16,
    database: &str,
    user: &str,
) -> Option<String> {
    let port = port.to_string();
    let wanted = [host, port.as_str(), database, user];
    for line in text.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim_start().starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let fields = split_fields(line);
        if fields.len() < 5 {
            continue;
        }
        if fields[..4]
            .iter()
            .zip(wanted)
            .all(|(f, w)| f == "*" || f == w)
        {
            return Some(fields[4..].join(":"));
        }
    }
    None
}

fn split_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let (Some(next), Some(f)) = (chars.next(), fields.last_mut()) {
                    f.push(next);
                }
            }
            ':' if fields.len() < 5 => fields.push(String::new()),
            _ => {
                if let Some(f) = fields.last_mut() {
                    f.push(c);
                }
            }
        }
    }
    fields
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may panic
mod tests {
    use super::*;

    #[test]
    fn pgpass_matching() {
        let text = "# comment\n\
                    db.example.com:5432:shop:app:first\n\
                    *:5433:*:app:any\\:colon\n\
                    localhost:*:*:*:local\\\\pw\n";
        assert_eq!(
            pgpass_lookup(text, "db.example.com", 5432, "shop", "app").as_deref(),
            Some("first")
        );
        assert_eq!(
            pgpass_lookup(text, "db.example.com", 5433, "other", "app").as_deref(),
            Some("any:colon")
        );
        assert_eq!(
            pgpass_lookup(text, "localhost", 1, "x", "y").as_deref(),
            Some("local\\pw")
        );
        assert_eq!(
            pgpass_lookup(text, "db.example.com", 5432, "shop", "bob"),
            None
        );
        // An unescaped colon in the password field is part of it.
        assert_eq!(
            pgpass_lookup("h:1:d:u:a:b", "h", 1, "d", "u").as_deref(),
            Some("a:b")
        );
    }
}
