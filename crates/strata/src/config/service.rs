//! libpq's connection service file, `pg_service.conf`
//! (<https://www.postgresql.org/docs/current/libpq-pgservice.html>):
//! `[name]` sections of `key=value` connection parameters, `#` comments.
//! A service is looked up in the user's file (`PGSERVICEFILE`, else
//! `~/.pg_service.conf`), then in `PGSYSCONFDIR/pg_service.conf`; the first
//! file that defines it wins, as in libpq. Values may hold a password:
//! no error quotes one.

use std::path::{Path, PathBuf};

use super::url::UrlError;

/// The system-wide directory libpq looks in when `PGSYSCONFDIR` is unset
/// (Debian's and Ubuntu's packages).
pub(super) const DEFAULT_SYSCONFDIR: &str = "/etc/postgresql-common";

/// The `(key, value)` pairs of service `name` and the file they came from.
pub(super) fn lookup(
    name: &str,
    files: &[PathBuf],
) -> Result<(Vec<(String, String)>, PathBuf), UrlError> {
    for path in files {
        let text = match crate::source::read_regular_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                return Err(UrlError::ServiceFile {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                });
            }
        };
        if let Some(pairs) = section(&text, name, path)? {
            return Ok((pairs, path.clone()));
        }
    }
    Err(UrlError::UnknownService {
        name: name.to_owned(),
        searched: files.iter().map(|p| p.display().to_string()).collect(),
    })
}

/// The pairs of section `name` in `text`, `None` when it has no such section.
fn section(text: &str, name: &str, path: &Path) -> Result<Option<Vec<(String, String)>>, UrlError> {
    let mut current: Option<&str> = None;
    let mut found: Option<Vec<(String, String)>> = None;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            if found.is_some() {
                break;
            }
            current = rest.strip_suffix(']');
            if current == Some(name) {
                found = Some(Vec::new());
            }
            continue;
        }
        let Some(pairs) = found.as_mut().filter(|_| current == Some(name)) else {
            continue;
        };
        let bad = |reason: &str| UrlError::ServiceFile {
            path: path.display().to_string(),
            reason: format!("line {}: {reason}", i + 1),
        };
        let Some((key, value)) = line.split_once('=') else {
            return Err(bad("expected key=value"));
        };
        let key = key.trim();
        if key == "service" {
            return Err(bad("nested service specifications are not supported"));
        }
        pairs.push((key.to_owned(), value.trim().to_owned()));
    }
    Ok(found)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may panic
mod tests {
    use super::*;

    #[test]
    fn sections_and_search_order() {
        let dir = tempfile::tempdir().unwrap();
        let user = dir.path().join("user.conf");
        let sys = dir.path().join("pg_service.conf");
        std::fs::write(
            &user,
            "# mine\n[shop]\nhost=db.internal\nport = 6432\npassword=hunter2\n[other]\nhost=x\n",
        )
        .unwrap();
        std::fs::write(&sys, "[shop]\nhost=sys\n[sysonly]\ndbname=s\n").unwrap();
        let files = [dir.path().join("missing.conf"), user.clone(), sys.clone()];
        let (pairs, from) = lookup("shop", &files).unwrap();
        assert_eq!(from, user);
        assert_eq!(pairs[1], ("port".into(), "6432".into()));
        assert_eq!(pairs.len(), 3);
        assert_eq!(lookup("sysonly", &files).unwrap().1, sys);
        let e = lookup("nope", &files).unwrap_err().to_string();
        assert!(e.contains("service `nope` is not defined"), "{e}");
        std::fs::write(&user, "[shop]\nhunter2\n").unwrap();
        let e = lookup("shop", &files).unwrap_err().to_string();
        assert!(e.contains("line 2") && !e.contains("hunter2"), "{e}");
    }
}
