//! Inside a file: section markers (`-- migrate:up`/`-- migrate:down`,
//! `-- Up Migration`/`-- Down Migration`), `-- strata:` directives in a
//! section's leading comments, and the per-section state of the scan.

use super::Part;

/// Section markers recognised in a file.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub(super) enum Marker {
    Up { no_transaction: bool },
    Down { no_transaction: bool },
}

pub(super) fn marker(line: &str) -> Option<Marker> {
    let t = line.trim();
    let body = t.strip_prefix("--")?.trim();
    let lower = body.to_ascii_lowercase();
    let opts_no_tx = |rest: &str| rest.split_whitespace().any(|o| o == "transaction:false");
    if let Some(rest) = lower.strip_prefix("migrate:up")
        && (rest.is_empty() || rest.starts_with(char::is_whitespace))
    {
        return Some(Marker::Up {
            no_transaction: opts_no_tx(rest),
        });
    }
    if let Some(rest) = lower.strip_prefix("migrate:down")
        && (rest.is_empty() || rest.starts_with(char::is_whitespace))
    {
        return Some(Marker::Down {
            no_transaction: opts_no_tx(rest),
        });
    }
    match lower.as_str() {
        "up migration" => Some(Marker::Up {
            no_transaction: false,
        }),
        "down migration" => Some(Marker::Down {
            no_transaction: false,
        }),
        _ => None,
    }
}

/// A `-- strata:` directive.
pub(super) enum Directive {
    NoTransaction,
    Allow(Vec<String>),
}

/// The directive on `line`, if it carries one.
pub(super) fn directive(line: &str) -> Option<Directive> {
    let body = line.trim().strip_prefix("--")?.trim();
    let rest = body.strip_prefix("strata:")?;
    if rest.trim() == "no-transaction" {
        return Some(Directive::NoTransaction);
    }
    let rules = rest.strip_prefix("allow")?;
    Some(Directive::Allow(
        rules
            .split([',', ' ', '\t'])
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_owned)
            .collect(),
    ))
}

/// Per-section state while scanning.
pub(super) struct SectionScan {
    pub(super) part: Part,
    /// Still in the leading blank/comment lines where directives are read.
    pub(super) in_header: bool,
    /// Text seen so far while no statement has been found (bounded: only leading trivia).
    pub(super) pending: String,
    pub(super) has_statement: bool,
}

impl SectionScan {
    pub(super) fn new(start: u64, line: u32, no_transaction: bool) -> Self {
        SectionScan {
            part: Part {
                start,
                end: start,
                line,
                no_transaction,
            },
            in_header: true,
            pending: String::new(),
            has_statement: false,
        }
    }

    pub(super) fn feed(&mut self, text: &str) {
        if self.has_statement {
            return;
        }
        self.pending.push_str(text);
        let t = text.trim();
        if !t.is_empty() && !t.starts_with("--") {
            // Only now can a statement have started; the lexer decides. A block
            // comment still open at the end of this line is not a statement yet.
            self.has_statement = crate::sql::first_statement(&self.pending)
                .is_some_and(|st| !self.pending[st.start..].starts_with("/*"));
        }
        if self.has_statement {
            self.pending = String::new();
        }
    }
}
