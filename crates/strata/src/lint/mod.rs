//! `strata lint`: static analysis of migrations for production hazards
//! (SPEC §8), on squawk's PostgreSQL parser, never on regexes.
//!
//! A [`Linter`] lints the files of one run in order ([`Source`]: a file's
//! name and text), remembering the tables created so far, so that a rule
//! about existing objects does not fire on a table an earlier file of the
//! run created. Each file's up section is linted — the part `migrate` runs
//! — with what strata knows of how it runs (in a transaction or not, §2.2).
//! The rules are squawk-linter's, behind strata's ids (the `squawk`
//! bridge), plus strata's own: one file each (`transaction`, `enum_value`,
//! `truncate`; `comment-only` comes from the scan). [`Rules`] says which
//! run at which [`Severity`]; `-- strata:allow RULE` in a file suppresses
//! rules for that file. What comes out is [`Finding`]s, as data.
//!
//! ```
//! use strata::lint::{Linter, Rules, Severity, Source};
//! let rules = Rules::default();
//! let mut linter = Linter::new(&rules);
//! // A table created in the run is new: an index on it blocks no one.
//! let v1 = linter.lint(&Source::new("V1__users.sql", "CREATE TABLE users (email text);"))?;
//! let v2 = linter.lint(&Source::new("V2__index.sql", "CREATE INDEX ON users (email);"))?;
//! assert!(v1.is_empty() && v2.is_empty());
//! // An index on a table that exists already blocks its writes.
//! let v3 = linter.lint(&Source::new("V3__index.sql", "CREATE INDEX ON orders (at);"))?;
//! assert_eq!(v3[0].rule.to_string(), "require-concurrent-index-creation");
//! assert_eq!(v3[0].severity, Severity::Warning);
//! # Ok::<(), strata::Error>(())
//! ```

mod base;
mod enum_value;
mod existing;
pub(crate) mod finding;
mod hit;
mod part;
mod quick;
pub(crate) mod rule;
pub(crate) mod rules;
pub(crate) mod severity;
mod squawk;
#[cfg(test)]
mod tests;
mod transaction;
mod truncate;

use std::io::Read;
use std::path::Path;

pub use base::BaseFiles;
pub use finding::Finding;
pub use rule::{Rule, UnknownRule};
pub use rules::Rules;
pub use severity::Severity;

use crate::error::Error;
use crate::migration::{FileProblem, Migration, Placeholders, Replacing, scan_keeping_mixed};
use hit::Hit;
use part::Part;
use rule::Own;

/// One migration file to lint: its name (relative to its folder, as in the
/// history's `script`) and its whole text.
///
/// ```
/// use strata::lint::Source;
/// let s = Source::new("V1__users.sql", "CREATE TABLE users (id int);");
/// assert!(!s.no_transaction);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    /// The file name.
    pub script: &'a str,
    /// The file's text.
    pub text: &'a str,
    /// Runs outside a transaction for a reason outside the file (a Flyway
    /// `<file>.sql.conf` saying `executeInTransaction=false`); the file's own
    /// directives are read from `text`.
    pub no_transaction: bool,
}

impl<'a> Source<'a> {
    /// A file whose directives all live in its text.
    pub fn new(script: &'a str, text: &'a str) -> Source<'a> {
        Source {
            script,
            text,
            no_transaction: false,
        }
    }
}

/// Lints the files of one run, in order; see the module docs.
#[derive(Debug)]
pub struct Linter<'r> {
    rules: &'r Rules,
    created: existing::Created,
    /// Whether a table created by one file is new for the later ones.
    one_run: bool,
    /// Whether [`Linter::errors_of_migration`] may skip files by their
    /// words ([`quick::applies`]).
    quick: bool,
}

impl<'r> Linter<'r> {
    /// A linter for a run, with `rules`' severities.
    pub fn new(rules: &'r Rules) -> Linter<'r> {
        Linter {
            rules,
            created: existing::Created::default(),
            one_run: true,
            quick: quick::applies(rules),
        }
    }

    /// A linter for files that may each be applied on its own (`lint
    /// --offline`, which cannot know what a database has applied): a table
    /// created by an earlier file counts as existing, only one created
    /// earlier in the same file is new.
    ///
    /// ```
    /// use strata::lint::{Linter, Rules, Source};
    /// let rules = Rules::default();
    /// let create = Source::new("V1__t.sql", "CREATE TABLE t (id int);\n");
    /// let index = Source::new("V2__i.sql", "CREATE INDEX t_id ON t (id);\n");
    /// let mut run = Linter::new(&rules);
    /// run.lint(&create)?;
    /// assert!(run.lint(&index)?.is_empty());
    /// let mut each = Linter::per_file(&rules);
    /// each.lint(&create)?;
    /// assert_eq!(each.lint(&index)?[0].rule.to_string(), "require-concurrent-index-creation");
    /// # Ok::<(), strata::Error>(())
    /// ```
    pub fn per_file(rules: &'r Rules) -> Linter<'r> {
        Linter {
            one_run: false,
            ..Linter::new(rules)
        }
    }

    /// The findings of the next file of the run, in file order.
    ///
    /// ```
    /// use strata::lint::{Linter, Rules, Source};
    /// let rules = Rules::default();
    /// let text = "-- strata:allow ban-drop-column\nALTER TABLE users DROP COLUMN legacy;\n";
    /// assert!(Linter::new(&rules).lint(&Source::new("V4__drop.sql", text))?.is_empty());
    ///
    /// let typo = "-- strata:allow ban-drop-colum\nALTER TABLE users DROP COLUMN legacy;\n";
    /// let err = Linter::new(&rules).lint(&Source::new("V4__drop.sql", typo)).unwrap_err();
    /// assert!(err.to_string().contains("ban-drop-colum"));
    /// # Ok::<(), strata::Error>(())
    /// ```
    ///
    /// # Errors
    /// What the load refuses in a file ([`Error::FileRule`] and the other
    /// scan errors), except the mixing of statements that cannot run in a
    /// transaction with others, which is a finding; a `-- strata:allow`
    /// naming an unknown rule ([`FileProblem::UnknownLintRule`]).
    pub fn lint(&mut self, source: &Source<'_>) -> Result<Vec<Finding>, Error> {
        if !self.one_run {
            self.created = existing::Created::default();
        }
        let path = Path::new(source.script);
        let (file, mixed) =
            scan_keeping_mixed(&mut source.text.as_bytes(), path, source.no_transaction)?;
        let allowed = allowed(source, &file.allow)?;
        let up = source
            .text
            .get(file.up.start as usize..file.up.end as usize)
            .unwrap_or("");
        let part = Part::parse(up, file.up.line, !file.up.no_transaction);
        let mut hits = squawk::check(&part, self.rules);
        transaction::mixed(&part, mixed.as_ref(), &mut hits);
        transaction::control(&part, &mut hits);
        enum_value::check(&part, &mut hits);
        truncate::check(&part, &mut hits);
        if file.no_op {
            hits.push(Hit {
                rule: Rule::own(Own::CommentOnly),
                offset: 0,
                why: "it is applied as a recorded no-op: nothing changes in the database".into(),
                suggestion: "write its SQL, or delete the file if it is not needed".into(),
            });
        }
        existing::drop_new_tables(&part, &mut self.created, &mut hits);
        hits.sort_by_key(|h| h.offset);
        Ok(hits
            .into_iter()
            .filter(|h| !allowed.contains(&h.rule))
            .filter_map(|h| {
                let severity = self.rules.severity(h.rule)?;
                let (line, column) = part.file_position(h.offset);
                let statement = part
                    .stmt_at(h.offset)
                    .map(|i| part.stmt_text(i).to_owned())
                    .unwrap_or_default();
                Some(Finding {
                    rule: h.rule,
                    severity,
                    script: source.script.to_owned(),
                    line,
                    column,
                    statement,
                    why: h.why,
                    suggestion: h.suggestion,
                })
            })
            .collect())
    }
}

impl Linter<'_> {
    /// [`Linter::lint`] on a migration of a [`Migrations`](crate::Migrations)
    /// list: its file is read again, whole (lint needs the text; the load
    /// kept only its ranges and checksum).
    ///
    /// ```
    /// use std::path::Path;
    /// use strata::lint::{Linter, Rules};
    /// use strata::migration::Content;
    /// use strata::source::Migrations;
    /// let m = Migrations::from_files(Path::new("migrations"), vec![
    ///     ("V1__wipe.sql".into(), Content::Static(b"TRUNCATE sessions;")),
    /// ])?;
    /// let rules = Rules::default();
    /// let found = Linter::new(&rules).lint_migration(&m.list[0])?;
    /// assert_eq!(found[0].rule.to_string(), "ban-truncate");
    /// # Ok::<(), strata::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Linter::lint`], and an I/O error reading the file.
    pub fn lint_migration(&mut self, m: &Migration) -> Result<Vec<Finding>, Error> {
        let text = whole_text(m)?;
        self.lint(&Source {
            script: &m.script,
            text: &text,
            no_transaction: m.no_transaction(),
        })
    }

    /// The error-level findings of the next migration of the run: what
    /// `migrate`'s check before a run needs, on the text that runs (with
    /// `placeholders` replaced, line by line as the engine replaces them;
    /// one that cannot be is left as written: the run's own check names
    /// it). A file that cannot have one
    /// (see the `quick` module: with the default severities, one without
    /// the few words strata's transaction rules look for) is not parsed;
    /// its `-- strata:allow` names are still checked.
    ///
    /// ```
    /// use std::path::Path;
    /// use strata::lint::{Linter, Rules};
    /// use strata::migration::Content;
    /// use strata::source::Migrations;
    /// let m = Migrations::from_files(Path::new("migrations"), vec![
    ///     ("V1__wipe.sql".into(), Content::Static(b"TRUNCATE sessions;")),
    ///     ("V2__tx.sql".into(), Content::Static(b"CREATE TABLE t (id int);\nCOMMIT;")),
    /// ])?;
    /// let rules = Rules::default();
    /// let mut linter = Linter::new(&rules);
    /// assert!(linter.errors_of_migration(&m.list[0], None)?.is_empty()); // a warning
    /// let found = linter.errors_of_migration(&m.list[1], None)?;
    /// assert_eq!(found[0].rule.to_string(), "transaction-control");
    /// # Ok::<(), strata::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Linter::lint_migration`].
    pub fn errors_of_migration(
        &mut self,
        m: &Migration,
        placeholders: Option<&Placeholders>,
    ) -> Result<Vec<Finding>, Error> {
        let mut text = whole_text(m)?;
        if let Some(p) = placeholders {
            text = replaced(text, p, &m.script);
        }
        let source = Source {
            script: &m.script,
            text: &text,
            no_transaction: m.no_transaction(),
        };
        if self.quick && quick::cannot_err(&text) {
            allowed(&source, &m.allow)?;
            return Ok(Vec::new());
        }
        let mut found = self.lint(&source)?;
        found.retain(Finding::is_error);
        Ok(found)
    }
}

/// `text` as the engine runs it: through [`Replacing`], the engine's own
/// reader; with a placeholder that cannot be replaced, as written.
fn replaced(text: String, placeholders: &Placeholders, script: &str) -> String {
    let mut out = String::with_capacity(text.len());
    match Replacing::new(text.as_bytes(), Some(placeholders), script).read_to_string(&mut out) {
        Ok(_) => out,
        Err(_) => text,
    }
}

/// A migration's whole file, read again (lint needs the text; the load
/// kept only its ranges and checksum).
fn whole_text(m: &Migration) -> Result<String, Error> {
    let whole = crate::migration::Part {
        start: 0,
        end: m.size,
        line: 1,
        no_transaction: false,
    };
    m.content.read_part(&whole, &m.script)
}

/// The rules `-- strata:allow` names; an unknown one is an error naming the
/// line of the directive.
fn allowed(source: &Source<'_>, names: &[String]) -> Result<Vec<Rule>, Error> {
    names
        .iter()
        .map(|name| {
            name.parse::<Rule>().map_err(|_| Error::FileRule {
                path: source.script.into(),
                line: directive_line(source.text, name),
                problem: FileProblem::UnknownLintRule { rule: name.clone() },
            })
        })
        .collect()
}

/// The line of the `-- strata:allow` comment that names `rule` (comment
/// lines only; 1 when not found).
fn directive_line(text: &str, rule: &str) -> u32 {
    text.lines()
        .position(|l| {
            l.trim_start()
                .strip_prefix("--")
                .and_then(|c| c.trim_start().strip_prefix("strata:allow"))
                .is_some_and(|args| args.split([',', ' ', '\t']).any(|a| a.trim() == rule))
        })
        .map_or(1, |i| i as u32 + 1)
}
