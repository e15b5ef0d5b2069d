//! `ban-truncate`: `TRUNCATE` deletes every row of a table (squawk only has
//! a rule for `TRUNCATE … CASCADE`); a warning, like the other destructive
//! statements (`ban-drop-table`, `ban-drop-column`).

use squawk_syntax::ast;

use super::hit::Hit;
use super::part::Part;
use super::rule::{Own, Rule};

/// The hits of the rule in `part`.
pub(super) fn check(part: &Part<'_>, hits: &mut Vec<Hit>) {
    for stmt in &part.stmts {
        if matches!(stmt.ast, ast::Stmt::Truncate(_)) {
            hits.push(Hit {
                rule: Rule::own(Own::BanTruncate),
                offset: stmt.range.start,
                why: "TRUNCATE deletes every row and takes an ACCESS EXCLUSIVE lock; \
                      the data is gone once the migration commits"
                    .into(),
                suggestion:
                    "delete data outside the migrations, or in batches with DELETE … WHERE; \
                             allow it with `-- strata:allow ban-truncate` when it is meant"
                        .into(),
            });
        }
    }
}
