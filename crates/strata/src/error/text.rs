//! Pieces of [`super::Error`]'s messages that are more than a format
//! string: lists of errors and problems, and the endings that depend on a
//! field.

use crate::plan::problem::Problem;

/// How a migration that changed while strata ran ended.
pub(super) fn changed_outcome(applied: bool) -> &'static str {
    if applied {
        "its statements ran and are recorded with the checksum of the bytes that ran: run `strata status` to compare it with the file"
    } else {
        "nothing of it was applied: run the command again"
    }
}

/// Why a pooled connection cannot serve what needs a session, and the way out.
pub(super) const NEEDS_OWN_SESSION: &str = "needs a server session of its own, which a connection pooler does not give \
     (each transaction may get another one): connect directly to the server (set the database's `direct_url_env` to a \
     variable holding a URL that bypasses the pooler; migrate, rollback, repair and baseline use it)";

/// The first line of a message (all of it when it has none).
pub(crate) fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

/// One error per line.
pub(super) fn join_lines<T: std::fmt::Display>(errors: &[T]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// `migrate` refused by lint: the findings, and the ways out.
pub(super) fn lint_refused(findings: &[crate::lint::finding::Finding]) -> String {
    format!(
        "migrate refused by lint, nothing was applied:\n{}\nfix them, allow a rule for a file with \
         `-- strata:allow RULE`, or run with `--no-lint`",
        join_lines(findings)
    )
}

/// One problem per line, indented.
pub(super) fn join_problems(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// What the history said about a migration whose COMMIT may have been in
/// flight when the connection was lost.
pub(super) fn commit_outcome(committed: Option<bool>) -> &'static str {
    match committed {
        Some(true) => {
            "strata reconnected and read the history: it committed (its history row is there)"
        }
        Some(false) => {
            "strata reconnected and read the history: it did not commit, nothing of it was applied \
             (no history row); run `strata migrate` again"
        }
        None => {
            "whether it committed is unknown (strata could not reconnect): run `strata status` once \
             the database is reachable"
        }
    }
}

/// The rest of the message of a no-transaction file that left a
/// transaction open.
pub(super) fn left_open(rolled_back: usize, applied: usize, recorded: bool) -> String {
    let next = if recorded {
        "recorded as failed: end the transaction in the file, then run `strata migrate --resume`, \
         or `strata repair`"
    } else {
        "the history row could not be updated; end the transaction in the file, then run \
         `strata migrate --resume`, or `strata repair`"
    };
    format!(
        "strata rolled back its last {rolled_back} statement(s); {applied} statement(s) before them \
         stay applied; {next}"
    )
}

#[cfg(test)]
mod tests {
    use super::super::Error;
    use super::*;

    #[test]
    fn a_transaction_left_open_names_the_file_and_the_way_out() {
        let err = Error::TransactionLeftOpen {
            script: "V4__split.sql".into(),
            statements_applied: 3,
            statements_rolled_back: 1,
            recorded: true,
        };
        let text = err.to_string();
        assert!(
            text.starts_with("V4__split.sql left a transaction open"),
            "{text}"
        );
        assert!(text.contains("strata migrate --resume") && text.contains("strata repair"));
        assert!(!err.is_check_failure() && !err.is_config());
    }

    #[test]
    fn the_commit_outcome_says_which() {
        assert!(commit_outcome(Some(true)).contains("it committed"));
        assert!(commit_outcome(Some(false)).contains("did not commit"));
        assert!(commit_outcome(None).contains("unknown"));
    }
}
