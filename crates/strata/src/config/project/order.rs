//! The `depends_on` order of databases: dependencies first, ties in
//! declaration order, with errors for unknown names and cycles.

use std::path::Path;

use super::database::DatabaseConfig;
use crate::config::error::{ConfigError, Location};

/// Orders databases so each comes after its `depends_on`, ties broken by
/// declaration order (Kahn's algorithm, always taking the earliest
/// declared ready database).
pub(crate) fn order(
    databases: Vec<DatabaseConfig>,
    dep_locations: &[(String, String, Location)],
    path: &Path,
) -> Result<Vec<DatabaseConfig>, ConfigError> {
    let names: Vec<&str> = databases.iter().map(|d| d.name.as_str()).collect();
    for db in &databases {
        if let Some(dep) = db.depends_on.iter().find(|d| !names.contains(&d.as_str())) {
            let at = dep_locations
                .iter()
                .find(|(d, n, _)| *d == db.name && n == dep)
                .map(|(_, _, at)| *at)
                .unwrap_or_default();
            return Err(ConfigError::UnknownDependency {
                path: path.to_owned(),
                line: at.line,
                column: at.column,
                database: db.name.clone(),
                dependency: dep.clone(),
            });
        }
    }
    let mut done = vec![false; databases.len()];
    let mut order = Vec::with_capacity(databases.len());
    while order.len() < databases.len() {
        let ready = (0..databases.len()).find(|&i| {
            !done[i]
                && databases[i]
                    .depends_on
                    .iter()
                    .all(|d| names.iter().position(|n| n == d).is_some_and(|j| done[j]))
        });
        match ready {
            Some(i) => {
                done[i] = true;
                order.push(i);
            }
            None => {
                return Err(ConfigError::DependencyCycle {
                    path: path.to_owned(),
                    cycle: find_cycle(&databases, &done),
                });
            }
        }
    }
    let mut slots: Vec<Option<DatabaseConfig>> = databases.into_iter().map(Some).collect();
    Ok(order.into_iter().filter_map(|i| slots[i].take()).collect())
}

/// Follows unmet dependencies from the first unplaced database until a name
/// repeats; returns that loop, first name repeated at the end.
fn find_cycle(databases: &[DatabaseConfig], done: &[bool]) -> Vec<String> {
    let index = |name: &str| databases.iter().position(|d| d.name == name);
    let Some(mut current) = (0..databases.len()).find(|&i| !done[i]) else {
        return Vec::new();
    };
    let mut path: Vec<usize> = Vec::new();
    loop {
        if let Some(pos) = path.iter().position(|&p| p == current) {
            let mut cycle: Vec<String> = path[pos..]
                .iter()
                .map(|&i| databases[i].name.clone())
                .collect();
            cycle.push(databases[current].name.clone());
            return cycle;
        }
        path.push(current);
        // Every unplaced database has at least one unplaced dependency,
        // otherwise it would have been ready.
        match databases[current]
            .depends_on
            .iter()
            .filter_map(|d| index(d))
            .find(|&j| !done[j])
        {
            Some(next) => current = next,
            None => return path.iter().map(|&i| databases[i].name.clone()).collect(),
        }
    }
}
