//! Converting what the other tool applied into strata's history rows:
//! [`rows_for`], with the checksums of the files on disk (pure).

use crate::baseline::baseline_row;
use crate::history::NewRow;
use crate::migration::{Migration, MigrationKind, Version};
use crate::migrator::row_of;

use super::ToolHistory;

/// The strata history rows that record what the tool applied, checksums
/// from `migrations`. Pure.
///
/// ```
/// use std::path::Path;
/// use strata::adopt::{Tool, ToolRow, interpret, rows_for};
/// use strata::history::RowKind;
/// use strata::migration::Content;
/// use strata::source::Migrations;
/// let files = Migrations::from_files(Path::new("db/migrations"), vec![
///     ("20240101000000_users.sql".into(), Content::Static(b"CREATE TABLE users (id int);")),
///     ("20240201000000_roles.sql".into(), Content::Static(b"CREATE TABLE roles (id int);")),
/// ])?;
/// // dbmate applied the first one.
/// let applied = |v: &str| ToolRow {
///     version: Some(v.into()),
///     description: None,
///     kind: None,
///     success: true,
/// };
/// let rows = rows_for(&interpret(Tool::Dbmate, &[applied("20240101000000")])?, &files.list)?;
/// assert_eq!(rows.len(), 1);
/// assert_eq!(rows[0].kind, RowKind::Versioned);
/// assert_eq!(rows[0].script, "20240101000000_users.sql");
/// assert_eq!(rows[0].checksum, Some(files.list[0].checksum));
///
/// // A version applied without a file here is refused.
/// let unknown = interpret(Tool::Dbmate, &[applied("20231231000000")])?;
/// assert!(rows_for(&unknown, &files.list).unwrap_err().contains("20231231000000"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// A reason string naming every applied version without a file.
pub fn rows_for(history: &ToolHistory, migrations: &[Migration]) -> Result<Vec<NewRow>, String> {
    let by_version = |v: &Version| {
        migrations
            .iter()
            .find(|m| m.kind == MigrationKind::Versioned && m.version.as_ref() == Some(v))
    };
    let mut rows = Vec::new();
    let mut missing = Vec::new();
    if let Some(b) = &history.baseline {
        rows.push(baseline_row(b));
    }
    let mut applied: Vec<&Migration> = Vec::new();
    for v in &history.applied {
        match by_version(v) {
            Some(m) => applied.push(m),
            None => missing.push(v.to_string()),
        }
    }
    if let Some(top) = &history.up_to {
        applied.extend(migrations.iter().filter(|m| {
            m.kind == MigrationKind::Versioned && m.version.as_ref().is_some_and(|v| v <= top)
        }));
        if by_version(top).is_none() {
            missing.push(top.to_string());
        }
    }
    if !missing.is_empty() {
        return Err(format!(
            "applied version(s) {} have no migration file here; copy those files into the migrations folder \
             (strata records their checksums)",
            missing.join(", ")
        ));
    }
    rows.extend(applied.into_iter().map(|m| row_of(m, Some(0), true, None)));
    rows.extend(
        migrations
            .iter()
            .filter(|m| m.kind == MigrationKind::Repeatable)
            .filter(|m| history.repeatables.contains(&m.description))
            .map(|m| row_of(m, Some(0), true, None)),
    );
    Ok(rows)
}
