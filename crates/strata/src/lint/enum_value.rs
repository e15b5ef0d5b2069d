//! `enum-value-used-in-transaction`: `ALTER TYPE … ADD VALUE 'v'` and then a
//! use of `'v'` in the same transactional migration. PostgreSQL refuses it
//! ("unsafe use of new value", SQLSTATE 55P04): a value added in a
//! transaction cannot be used until that transaction commits. See
//! <https://www.postgresql.org/docs/current/sql-altertype.html#id-1.9.3.42.7>.
//!
//! A use is a string literal with that value in a later statement, read from
//! the syntax tree's tokens (never a search of the text).

use std::collections::HashSet;

use squawk_syntax::SyntaxKind;
use squawk_syntax::ast::{self, AstNode};

use super::hit::Hit;
use super::part::Part;
use super::rule::{Own, Rule};

/// The value of a plain `'…'` string token.
fn string_value(text: &str) -> Option<String> {
    let inner = text.strip_prefix('\'')?.strip_suffix('\'')?;
    Some(inner.replace("''", "'"))
}

/// The hits of the rule in `part`.
pub(super) fn check(part: &Part<'_>, hits: &mut Vec<Hit>) {
    if !part.in_transaction {
        return;
    }
    let mut added: HashSet<String> = HashSet::new();
    for stmt in &part.stmts {
        if let ast::Stmt::AlterType(alter) = &stmt.ast
            && let Some(ast::AlterTypeAction::AddValue(add)) = alter.action()
        {
            if let Some(value) = add
                .literal()
                .and_then(|l| string_value(l.syntax().text().to_string().trim()))
            {
                added.insert(value);
            }
            continue;
        }
        if added.is_empty() {
            continue;
        }
        let used = stmt
            .ast
            .syntax()
            .descendants_with_tokens()
            .filter_map(|e| e.into_token())
            .filter(|t| t.kind() == SyntaxKind::STRING)
            .find_map(|t| {
                string_value(t.text())
                    .filter(|v| added.contains(v))
                    .map(|v| (v, t))
            });
        if let Some((value, token)) = used {
            hits.push(Hit {
                rule: Rule::own(Own::EnumValueUsedInTransaction),
                offset: usize::from(token.text_range().start()),
                why: format!(
                    "'{value}' is added to the enum earlier in this migration's transaction; \
                     PostgreSQL refuses to use a new enum value before that transaction commits \
                     (unsafe use of new value)"
                ),
                suggestion: "add the value in a migration of its own and use it in a later one \
                             (or mark this one `-- strata:no-transaction`)"
                    .into(),
            });
        }
    }
}
