//! strata's rules about the transaction a migration runs in (SPEC §2.2):
//!
//! - `concurrently-in-transaction` / `non-transactional-in-transaction`: a
//!   statement PostgreSQL refuses inside a transaction block, mixed with
//!   other statements in a migration that runs in one. The decision is the
//!   migration scan's own ([`FileProblem::MixedTransaction`], which refuses
//!   such a file at load): lint reports the same thing as a finding.
//! - `transaction-control`: `BEGIN`/`COMMIT`/`ROLLBACK`… in a transactional
//!   migration would end strata's transaction behind its back (the same
//!   [`is_transaction_control`] the engine refuses them with).

use super::hit::Hit;
use super::part::Part;
use super::rule::{Own, Rule};
use crate::migration::FileProblem;
use crate::sql::{NonTransactional, is_transaction_control};

/// The load's refusal of a mixed part, as a hit on its statement.
pub(super) fn mixed(part: &Part<'_>, mixed: Option<&(u32, FileProblem)>, hits: &mut Vec<Hit>) {
    let Some((line, FileProblem::MixedTransaction { kind, .. })) = mixed else {
        return;
    };
    let Some(i) = part.stmt_from_line(*line) else {
        return;
    };
    let concurrently = matches!(
        kind,
        NonTransactional::CreateIndexConcurrently
            | NonTransactional::DropIndexConcurrently
            | NonTransactional::ReindexConcurrently
            | NonTransactional::DetachPartitionConcurrently
    );
    let own = if concurrently {
        Own::ConcurrentlyInTransaction
    } else {
        Own::NonTransactionalInTransaction
    };
    hits.push(Hit {
        rule: Rule::own(own),
        offset: part.stmts[i].range.start,
        why: format!(
            "{kind} cannot run inside a transaction block, and this migration runs its \
             other statements in one: PostgreSQL refuses it (and strata refuses the file)"
        ),
        suggestion: format!(
            "move {kind} to a migration of its own (it then runs outside a transaction), \
             or add `-- strata:no-transaction` before the first statement"
        ),
    });
}

/// `BEGIN`, `COMMIT`, `ROLLBACK` … in a part that runs in a transaction.
pub(super) fn control(part: &Part<'_>, hits: &mut Vec<Hit>) {
    if !part.in_transaction {
        return;
    }
    for (i, stmt) in part.stmts.iter().enumerate() {
        if is_transaction_control(part.stmt_text(i)) {
            hits.push(Hit {
                rule: Rule::own(Own::TransactionControl),
                offset: stmt.range.start,
                why: "strata runs this migration and its history row in one transaction; \
                      this statement would end that transaction behind its back"
                    .into(),
                suggestion: "remove it: strata opens and commits the transaction itself \
                             (or add `-- strata:no-transaction` and manage the transactions yourself)"
                    .into(),
            });
        }
    }
}
