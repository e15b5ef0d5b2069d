//! Flyway's per-script configuration, `<file>.sql.conf` beside `<file>.sql`
//! (<https://documentation.red-gate.com/fd/script-configuration-271583394.html>):
//! strata reads `executeInTransaction` (`false` runs the migration outside a
//! transaction) and accepts `encoding` when it names UTF-8. Any other key is
//! an error naming it: a setting Flyway would honour is never dropped
//! silently.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use crate::error::Error;
use crate::migration::{Content, FileProblem};

/// Larger than any real script configuration: the rest is not read.
const MAX_CONF_BYTES: u64 = 64 * 1024;

/// Whether `name` is a script configuration file.
pub(super) fn is_conf(name: &str) -> bool {
    name.ends_with(".sql.conf")
}

/// Reads the configuration files among `confs` (name, content), each for the
/// migration named like it without `.conf`: which migrations must run
/// outside a transaction. Errors are pushed to `errors`.
pub(super) fn read_all(
    base: &Path,
    confs: Vec<(String, Content)>,
    migrations: &[&str],
    errors: &mut Vec<Error>,
) -> BTreeMap<String, bool> {
    let mut out = BTreeMap::new();
    for (name, content) in confs {
        let path = base.join(&name);
        let script = name.trim_end_matches(".conf");
        if migrations.binary_search(&script).is_err() {
            errors.push(Error::FileRule {
                path,
                line: 1,
                problem: FileProblem::OrphanConf,
            });
            continue;
        }
        let mut text = String::new();
        let read = content
            .open()
            .and_then(|r| {
                r.take(MAX_CONF_BYTES)
                    .read_to_string(&mut text)
                    .map_err(|e| Error::io(&path, e))
            })
            .map_err(|e| match e {
                Error::Io { source, .. } => Error::io(&path, source),
                other => other,
            });
        if let Err(e) = read {
            errors.push(e);
            continue;
        }
        match parse(&text) {
            Ok(no_transaction) => {
                out.insert(script.to_owned(), no_transaction);
            }
            Err((line, problem)) => errors.push(Error::FileRule {
                path,
                line,
                problem,
            }),
        }
    }
    out
}

/// `key=value` lines (Java properties: `=` or `:`, `#` and `!` comments);
/// true when `executeInTransaction=false`.
fn parse(text: &str) -> Result<bool, (u32, FileProblem)> {
    let mut no_transaction = false;
    for (i, line) in text.lines().enumerate() {
        let line_no = i as u32 + 1;
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') || t.starts_with('!') {
            continue;
        }
        let bad = || (line_no, FileProblem::ConfValue { text: t.to_owned() });
        let Some((key, value)) = t.split_once(['=', ':']) else {
            return Err(bad());
        };
        let (key, value) = (key.trim(), value.trim());
        match key {
            "executeInTransaction" => match value.to_ascii_lowercase().as_str() {
                "false" => no_transaction = true,
                "true" => no_transaction = false,
                _ => return Err(bad()),
            },
            "encoding" => {
                if !matches!(value.to_ascii_lowercase().as_str(), "utf-8" | "utf8") {
                    return Err(bad());
                }
            }
            _ => {
                return Err((
                    line_no,
                    FileProblem::ConfKey {
                        key: key.to_owned(),
                    },
                ));
            }
        }
    }
    Ok(no_transaction)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn execute_in_transaction() {
        assert_eq!(parse("executeInTransaction=false\n"), Ok(true));
        assert_eq!(
            parse("# c\n executeInTransaction = false \nencoding=UTF-8\n"),
            Ok(true)
        );
        assert_eq!(parse("executeInTransaction=true"), Ok(false));
        assert_eq!(parse(""), Ok(false));
        assert!(matches!(
            parse("shouldExecute=false"),
            Err((1, FileProblem::ConfKey { .. }))
        ));
        assert!(matches!(
            parse("\nexecuteInTransaction=no"),
            Err((2, FileProblem::ConfValue { .. }))
        ));
        assert!(matches!(
            parse("encoding=ISO-8859-1"),
            Err((1, FileProblem::ConfValue { .. }))
        ));
    }
}
