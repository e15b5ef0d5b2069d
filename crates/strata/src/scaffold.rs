//! What `strata init` and `strata new` write: the starter strata.toml and the
//! name and body of the next migration file.
//!
//! Naming follows the folder's existing convention (SPEC §4 `new`): the same
//! prefix style (`V001__` or `001_`), zero-padded to the width already in use,
//! or a UTC timestamp when the folder already uses timestamps. Pure functions:
//! the caller lists the folder and writes the files.

use crate::migration::{FileName, Version};

/// The commented strata.toml written by `strata init`.
///
/// ```
/// use std::path::Path;
/// use strata::config::Project;
/// let toml = strata::scaffold::STRATA_TOML;
/// let project = Project::from_toml(toml, Path::new("strata.toml"))?;
/// assert_eq!(project.databases()[0].name, "main");
/// assert_eq!(project.databases()[0].url_env, "DATABASE_URL");
/// # Ok::<(), strata::config::ConfigError>(())
/// ```
pub const STRATA_TOML: &str = r#"# strata.toml: the databases this project manages and the environments it runs in.
# Reference: docs/configuration.md. Unknown keys are an error, so typos never pass silently.

# default_env = "dev"                             # when neither --env nor STRATA_ENV is given
# history_table = "public.strata_schema_history"  # where applied migrations are recorded

[databases.main]
migrations = "migrations"      # folder of V001__name.sql files
url_env = "DATABASE_URL"       # environment variable holding the connection URL
# schemas = ["public"]         # what `strata db clean` truncates
# depends_on = []              # databases migrated before this one

[environments.dev]
env_files = [".env", ".env.local"]   # dotenv files, later ones override earlier ones
local_cluster = true                 # no DATABASE_URL? use a local cluster in .strata/

[environments.prod]
env_files = []            # values come from the process environment (CI secrets)
protected = true          # refuses db drop/clean/seed; db reset only typed by hand
lock_timeout = "5s"       # SET lock_timeout while migrating (default 10s)
# allowed_hosts = ["db.internal"]
# database_pattern = "*_prod"
# require_tls = true
"#;

/// Turns a free-form description into `[a-z0-9_]`: lowercase, other
/// characters become `_`, runs collapse, ends are trimmed.
///
/// ```
/// assert_eq!(strata::scaffold::sanitize("Add Orders (v2)!"), "add_orders_v2");
/// ```
pub fn sanitize(description: &str) -> String {
    let mut out = String::with_capacity(description.len());
    for c in description.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_owned()
}

/// A file `strata new` creates.
///
/// ```
/// use strata::scaffold::{NewFile, next_migration};
/// let files = next_migration(&[], "create users", false, "20250301093000")?;
/// assert_eq!(files, [NewFile {
///     name: "V001__create_users.sql".into(),
///     content: "-- V001: create users\n-- strata runs this file in one transaction.\n\
///               -- strata:todo write this part, then delete this line\n\n".into(),
/// }]);
/// // The caller writes them.
/// # let dir = tempfile::tempdir()?;
/// # let migrations = dir.path();
/// for f in &files {
///     std::fs::write(migrations.join(&f.name), &f.content)?;
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFile {
    /// File name within the migrations folder.
    pub name: String,
    /// Initial content.
    pub content: String,
}

/// The folder's naming convention, learnt from its versioned files.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Style {
    Flyway { width: usize },
    Digits { width: usize, pairs: bool },
    Timestamp { pairs: bool },
}

/// Names the next migration after `existing` file names.
///
/// `now_utc` is `YYYYMMDDHHMMSS`, used when the folder uses timestamps.
/// Returns the file(s) to create: one file, or an `.up.sql`/`.down.sql` pair
/// when the folder already uses pairs and `reversible` is set.
///
/// ```
/// use strata::scaffold::next_migration;
/// let now = "20250301093000";
/// let existing = ["V001__users.sql", "V002__roles.sql", "R__views.sql"].map(String::from);
/// let files = next_migration(&existing, "Add orders", false, now)?;
/// assert_eq!(files[0].name, "V003__add_orders.sql");
///
/// // A folder of timestamped up/down pairs gets a pair named by the time.
/// let existing = ["20250101120000_users.up.sql", "20250101120000_users.down.sql"].map(String::from);
/// let names: Vec<String> = next_migration(&existing, "Add orders", true, now)?
///     .into_iter()
///     .map(|f| f.name)
///     .collect();
/// assert_eq!(names, [
///     "20250301093000_add_orders.up.sql",
///     "20250301093000_add_orders.down.sql",
/// ]);
///
/// assert!(next_migration(&[], "!!!", false, now).is_err());
/// # Ok::<(), String>(())
/// ```
///
/// # Errors
/// When the sanitized description is empty.
pub fn next_migration(
    existing: &[String],
    description: &str,
    reversible: bool,
    now_utc: &str,
) -> Result<Vec<NewFile>, String> {
    let desc = sanitize(description);
    if desc.is_empty() {
        return Err(format!(
            "description `{description}` has no letters or digits"
        ));
    }
    let mut style = None;
    let mut max: Option<Version> = None;
    for name in existing {
        let Ok(Some(parsed)) = FileName::parse(name) else {
            continue;
        };
        let FileName::Versioned {
            version,
            up_of_pair,
            ..
        } = parsed
        else {
            continue;
        };
        let digits: String = name
            .chars()
            .skip_while(|c| *c == 'V')
            .take_while(|c| c.is_ascii_digit())
            .collect();
        let s = if name.starts_with('V') {
            Style::Flyway {
                width: digits.len(),
            }
        } else if digits.len() >= 12 {
            Style::Timestamp { pairs: up_of_pair }
        } else {
            Style::Digits {
                width: digits.len(),
                pairs: up_of_pair,
            }
        };
        if max.as_ref().is_none_or(|m| version > *m) {
            max = Some(version);
            style = Some(s);
        }
    }
    let style = style.unwrap_or(Style::Flyway { width: 3 });
    let next_number = |width: usize| -> String {
        let n: u128 = max
            .as_ref()
            .and_then(|v| v.parts().first().copied())
            .unwrap_or(0)
            + 1;
        format!("{n:0width$}")
    };
    let up_body = |label: &str| {
        format!(
            "-- {label}: {}\n-- strata runs this file in one transaction.\n{TODO}\n",
            description.trim()
        )
    };
    let in_file = |label: &str| {
        if reversible {
            format!(
                "-- {label}: {}\n-- migrate:up\n{TODO}\n\n-- migrate:down\n{TODO}\n",
                description.trim()
            )
        } else {
            up_body(label)
        }
    };
    Ok(match style {
        Style::Flyway { width } => {
            let v = next_number(width);
            vec![NewFile {
                name: format!("V{v}__{desc}.sql"),
                content: in_file(&format!("V{v}")),
            }]
        }
        Style::Digits { width, pairs } => numbered(
            &next_number(width),
            &desc,
            pairs,
            reversible,
            &up_body,
            &in_file,
        ),
        Style::Timestamp { pairs } => {
            // A timestamp must still sort after the newest file.
            let mut ts = now_utc.to_owned();
            if let (Some(m), Ok(t)) = (&max, ts.parse::<Version>())
                && t <= *m
            {
                ts = next_number(0);
            }
            numbered(&ts, &desc, pairs, reversible, &up_body, &in_file)
        }
    })
}

/// The line every file `strata new` writes carries until it is written: the
/// loader refuses it, so an unwritten template is never applied as a no-op.
const TODO: &str = "-- strata:todo write this part, then delete this line\n";

fn numbered(
    v: &str,
    desc: &str,
    pairs: bool,
    reversible: bool,
    up_body: &dyn Fn(&str) -> String,
    in_file: &dyn Fn(&str) -> String,
) -> Vec<NewFile> {
    if pairs {
        let mut files = vec![NewFile {
            name: format!("{v}_{desc}.up.sql"),
            content: up_body(v),
        }];
        if reversible {
            files.push(NewFile {
                name: format!("{v}_{desc}.down.sql"),
                content: format!("-- {v}: down\n{TODO}\n"),
            });
        }
        files
    } else {
        vec![NewFile {
            name: format!("{v}_{desc}.sql"),
            content: in_file(v),
        }]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(existing: &[&str], reversible: bool) -> Vec<String> {
        let existing: Vec<String> = existing.iter().map(|s| s.to_string()).collect();
        next_migration(&existing, "Add orders!", reversible, "20261121103000")
            .unwrap()
            .into_iter()
            .map(|f| f.name)
            .collect()
    }

    /// What `new` writes is refused until it is written, in every style, so
    /// an unwritten template is never applied as a comment-only no-op.
    #[test]
    fn an_unwritten_template_is_refused_and_a_written_one_loads() {
        use crate::migration::Content;
        for (existing, reversible) in [
            (vec![], false),
            (vec![], true),
            (
                vec!["001_a.up.sql".to_owned(), "001_a.down.sql".to_owned()],
                true,
            ),
        ] {
            let files =
                next_migration(&existing, "add orders", reversible, "20261121103000").unwrap();
            let leak =
                |text: String| -> &'static [u8] { Box::leak(text.into_bytes().into_boxed_slice()) };
            let as_written = files
                .iter()
                .map(|f| (f.name.clone(), Content::Static(leak(f.content.clone()))))
                .collect();
            let err =
                crate::Migrations::from_files(std::path::Path::new("m"), as_written).unwrap_err();
            assert!(err.to_string().contains("`-- strata:todo`"), "{err}");
            let filled = files
                .iter()
                .map(|f| {
                    let sql = f.content.replace(TODO, "CREATE TABLE orders (id int);\n");
                    (f.name.clone(), Content::Static(leak(sql)))
                })
                .collect();
            crate::Migrations::from_files(std::path::Path::new("m"), filled).unwrap();
        }
    }

    #[test]
    fn empty_folder_starts_at_v001() {
        assert_eq!(names(&[], false), ["V001__add_orders.sql"]);
    }

    #[test]
    fn keeps_width_and_style() {
        assert_eq!(
            names(&["V001__a.sql", "V002__b.sql", "R__views.sql"], false),
            ["V003__add_orders.sql"]
        );
        assert_eq!(names(&["V9__a.sql"], false), ["V10__add_orders.sql"]);
        assert_eq!(
            names(&["0001_init.sql", "0002_x.sql"], false),
            ["0003_add_orders.sql"]
        );
        assert_eq!(names(&["V0099__a.sql"], false), ["V0100__add_orders.sql"]);
    }

    #[test]
    fn timestamps_and_pairs() {
        assert_eq!(
            names(&["20250101120000_users.sql"], false),
            ["20261121103000_add_orders.sql"]
        );
        assert_eq!(
            names(
                &[
                    "20250101120000_users.up.sql",
                    "20250101120000_users.down.sql"
                ],
                true
            ),
            [
                "20261121103000_add_orders.up.sql",
                "20261121103000_add_orders.down.sql"
            ]
        );
        // a file from the future: the next one still sorts after it
        assert_eq!(
            names(&["20991231235959_future.sql"], false),
            ["20991231235960_add_orders.sql"]
        );
    }

    #[test]
    fn reversible_in_file_sections() {
        let f = next_migration(&[], "x", true, "0").unwrap();
        assert!(f[0].content.contains("-- migrate:up") && f[0].content.contains("-- migrate:down"));
    }

    #[test]
    fn sanitizes() {
        assert_eq!(sanitize("  Hello,   World "), "hello_world");
        assert_eq!(sanitize("ünïcode"), "n_code");
        assert!(next_migration(&[], "!!!", false, "0").is_err());
    }
}
