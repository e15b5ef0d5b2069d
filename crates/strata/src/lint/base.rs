//! The branch against its base (`strata lint --base REF`): findings about
//! the set of files rather than their text. A versioned migration the
//! branch adds whose version is not above the highest one already on the
//! base (`version-below-base`: merged after it, it would be pending below
//! an applied version, which `migrate` refuses as out of order), and a
//! versioned migration already on the base that the branch edits
//! (`edited-migration`: every database that applied it reports a modified
//! checksum). Pure: the caller reads the file names from git.

use super::finding::Finding;
use super::rule::{Own, Rule};
use super::rules::Rules;
use crate::migration::{FileName, Version};

/// The file names of one migrations folder on the base and on the branch.
///
/// ```
/// use strata::lint::{BaseFiles, Rules};
/// let files = BaseFiles {
///     base: "main",
///     on_base: &["V1__users.sql", "V2__roles.sql", "V3__orders.sql"],
///     added: &["V2_1__audit.sql", "V4__invoices.sql"],
///     edited: &["V2__roles.sql"],
/// };
/// let found = files.check(&Rules::default());
/// let ids: Vec<(String, &str)> = found.iter().map(|f| (f.rule.to_string(), f.script.as_str())).collect();
/// assert_eq!(ids, [
///     ("version-below-base".to_owned(), "V2_1__audit.sql"),
///     ("edited-migration".to_owned(), "V2__roles.sql"),
/// ]);
/// assert!(found[0].why.contains("V3__orders.sql"));
/// assert!(found.iter().all(|f| f.is_error()));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct BaseFiles<'a> {
    /// The base as the user named it (`main`, `origin/main`), for the messages.
    pub base: &'a str,
    /// The folder's file names on the base's tip.
    pub on_base: &'a [&'a str],
    /// The file names the branch adds (not there where it left the base).
    pub added: &'a [&'a str],
    /// The file names already there where the branch left the base, and
    /// changed on the branch.
    pub edited: &'a [&'a str],
}

impl BaseFiles<'_> {
    /// The findings, at `rules`' severities: the added files in the order
    /// given, then the edited ones. Repeatable, undo and down files have no
    /// place in the version order and are never findings here; a name that
    /// is no migration name is left to the load, which refuses it.
    pub fn check(&self, rules: &Rules) -> Vec<Finding> {
        let mut found = Vec::new();
        let highest = self
            .on_base
            .iter()
            .filter_map(|s| versioned(s).map(|v| (v, *s)))
            .max_by(|a, b| a.0.cmp(&b.0));
        for script in self.added {
            if self.on_base.contains(script) {
                continue; // on the base already: nothing new in the order
            }
            let (Some(version), Some((top, top_script))) = (versioned(script), &highest) else {
                continue;
            };
            if version > *top {
                continue;
            }
            let why = if version == *top {
                format!(
                    "version {version} is also {top_script} on {}: two migrations with one version",
                    self.base
                )
            } else {
                format!(
                    "version {version} is below {top} ({top_script}), already on {}: \
                     a database migrated from {} has {top} applied, and `migrate` refuses \
                     a pending version below it",
                    self.base, self.base
                )
            };
            push(
                &mut found,
                rules,
                Own::VersionBelowBase,
                script,
                why,
                format!(
                    "give it a version above {top} (merge {} first, then rename it, \
                     or `strata new` again)",
                    self.base
                ),
            );
        }
        for script in self.edited {
            if versioned(script).is_none() {
                continue; // a repeatable file is meant to change
            }
            push(
                &mut found,
                rules,
                Own::EditedMigration,
                script,
                format!(
                    "{script} is already on {}: databases that applied it keep the old \
                     text, and `validate` and `verify` report its checksum as modified",
                    self.base
                ),
                "revert the edit and put the change in a new migration".into(),
            );
        }
        found
    }
}

/// The version of a versioned migration's file name.
fn versioned(script: &str) -> Option<Version> {
    match FileName::parse(script) {
        Ok(Some(FileName::Versioned { version, .. })) => Some(version),
        _ => None,
    }
}

fn push(
    found: &mut Vec<Finding>,
    rules: &Rules,
    own: Own,
    script: &str,
    why: String,
    suggestion: String,
) {
    let rule = Rule::own(own);
    if let Some(severity) = rules.severity(rule) {
        found.push(Finding {
            rule,
            severity,
            script: script.to_owned(),
            line: 1,
            column: 1,
            statement: String::new(),
            why,
            suggestion,
        });
    }
}
