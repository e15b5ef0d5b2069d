//! `strata lint`'s output: each finding as
//! `file:line:column: severity[rule-id]: message`, then the statement, the
//! why and the suggestion (indented, like a compiler's note); the summary
//! line per database; and the `--json` document (SPEC §10: per database
//! `findings: [{rule, severity, script, line, column, message, suggestion}]`,
//! plus `why` and `statement`).

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;
use strata::lint::{Finding, Severity};

use super::DbReport;
use super::json::{Database, Document, database};
use crate::output::printable;

/// Lines of a statement shown under its finding.
const STATEMENT_LINES: usize = 4;

/// One finding, human: coloured when `color`, every text made printable.
pub fn finding(folder: &Path, f: &Finding, color: bool) -> String {
    let paint = |code: &str, text: &str| {
        if color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    };
    let severity = match f.severity {
        Severity::Error => paint("1;31", "error"),
        Severity::Warning => paint("1;33", "warning"),
    };
    let file = folder.join(&f.script);
    let mut out = format!(
        "{}:{}:{}: {severity}[{}]: {}",
        printable(&file.display().to_string()),
        f.line,
        f.column,
        f.rule,
        f.message()
    );
    let lines: Vec<&str> = f.statement.lines().collect();
    for line in lines.iter().take(STATEMENT_LINES) {
        let _ = write!(out, "\n    | {}", printable(line));
    }
    if lines.len() > STATEMENT_LINES {
        let _ = write!(out, "\n    | …");
    }
    let _ = write!(out, "\n    = {} {}", paint("1", "why:"), printable(&f.why));
    let _ = write!(
        out,
        "\n    = {} {}",
        paint("1", "instead:"),
        printable(&f.suggestion)
    );
    out
}

/// `main: 1 error, 2 warnings in 5 migration(s)`.
pub fn summary(db: &str, files: usize, findings: &[Finding]) -> String {
    let errors = findings.iter().filter(|f| f.is_error()).count();
    let warnings = findings.len() - errors;
    if findings.is_empty() {
        return format!("{db}: ok, {files} migration(s) linted, no findings");
    }
    format!("{db}: {errors} error(s), {warnings} warning(s) in {files} migration(s)")
}

/// A database of `lint`'s document.
#[derive(Debug, Serialize)]
pub struct LintDatabase<'a> {
    #[serde(flatten)]
    pub database: Database<'a>,
    pub findings: Vec<FindingJson<'a>>,
}

/// One finding in the document.
#[derive(Debug, Serialize)]
pub struct FindingJson<'a> {
    pub rule: String,
    pub severity: Severity,
    pub script: &'a str,
    pub line: u32,
    pub column: u32,
    pub message: &'static str,
    pub suggestion: &'a str,
    pub why: &'a str,
    pub statement: &'a str,
}

impl<'a> From<&'a Finding> for FindingJson<'a> {
    fn from(f: &'a Finding) -> FindingJson<'a> {
        FindingJson {
            rule: f.rule.to_string(),
            severity: f.severity,
            script: &f.script,
            line: f.line,
            column: f.column,
            message: f.message(),
            suggestion: &f.suggestion,
            why: &f.why,
            statement: &f.statement,
        }
    }
}

/// `lint`'s document.
pub fn document<'a>(
    env: &'a str,
    dbs: impl IntoIterator<Item = (&'a DbReport, &'a [Finding])>,
) -> Document<'a, LintDatabase<'a>> {
    Document {
        env,
        databases: dbs
            .into_iter()
            .map(|(report, findings)| LintDatabase {
                database: database(report, false),
                findings: findings.iter().map(FindingJson::from).collect(),
            })
            .collect(),
    }
}
