//! The existing-object logic (SPEC §8): a rule about an object that exists
//! before the migration (a blocking index build, a constraint validated
//! under lock, a rewrite) is harmless on a table created earlier in the same
//! migration, or by an earlier migration of the same run — it is new and
//! empty, no one is using it yet. [`Created`] remembers those tables across
//! the files of a run; [`drop_new_tables`] removes the hits they exempt.
//!
//! Names are compared as PostgreSQL folds them (unquoted lower-cased) and
//! without their schema, as squawk does.

use std::collections::{HashMap, HashSet};

use squawk_syntax::ast;

use super::hit::Hit;
use super::part::Part;

/// Tables created so far in a run.
#[derive(Debug, Default, Clone)]
pub(super) struct Created(HashSet<String>);

/// The table `CREATE TABLE` creates.
fn creates(stmt: &ast::Stmt) -> Option<String> {
    match stmt {
        ast::Stmt::CreateTable(t) => Some(t.table_name()?.path()?.segment()?.text()),
        _ => None,
    }
}

/// The one table a statement works on, for the statements the
/// existing-object rules look at.
fn target(stmt: &ast::Stmt) -> Option<String> {
    let relation = match stmt {
        ast::Stmt::CreateIndex(i) => i.table_relation_name()?,
        ast::Stmt::AlterTable(t) => t.table_relation_name()?,
        _ => return None,
    };
    Some(relation.table_name_ref()?.path_ref()?.segment()?.text())
}

/// Removes the hits of existing-object rules on tables that are new, then
/// adds the part's own new tables to `created`.
pub(super) fn drop_new_tables(part: &Part<'_>, created: &mut Created, hits: &mut Vec<Hit>) {
    // Each table this part creates, and the first statement that does.
    let mut here: HashMap<String, usize> = HashMap::new();
    for (i, stmt) in part.stmts.iter().enumerate() {
        if let Some(t) = creates(&stmt.ast) {
            here.entry(t).or_insert(i);
        }
    }
    hits.retain(|hit| {
        if !hit.rule.about_existing_objects() {
            return true;
        }
        let Some(i) = part.stmt_at(hit.offset) else {
            return true;
        };
        let Some(table) = target(&part.stmts[i].ast) else {
            return true;
        };
        let new_here = here.get(&table).is_some_and(|at| *at < i);
        !(created.0.contains(&table) || new_here)
    });
    created.0.extend(here.into_keys());
}
