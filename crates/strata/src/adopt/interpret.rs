//! What the other tool's rows mean: [`ToolHistory`] and [`interpret`]
//! (pure: latest row per version, baselines, failed or dirty rows).

use std::collections::BTreeSet;

use crate::migration::Version;

use super::{Tool, ToolRow};

/// What the other tool applied.
///
/// ```
/// use strata::adopt::{Tool, ToolRow, interpret};
/// // golang-migrate keeps a single row: the version reached, and whether it is dirty.
/// let row = ToolRow { version: Some("42".into()), description: None, kind: None, success: true };
/// let h = interpret(Tool::GolangMigrate, std::slice::from_ref(&row))?;
/// assert_eq!(h.up_to, Some("42".parse()?));
/// assert!(h.applied.is_empty() && h.baseline.is_none());
///
/// let dirty = ToolRow { success: false, ..row };
/// assert!(interpret(Tool::GolangMigrate, &[dirty]).unwrap_err().contains("dirty"));
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ToolHistory {
    /// Applied versions, ascending.
    pub applied: BTreeSet<Version>,
    /// A baseline version (flyway).
    pub baseline: Option<Version>,
    /// golang-migrate: every version up to this one is applied.
    pub up_to: Option<Version>,
    /// Descriptions of repeatables applied (flyway).
    pub repeatables: Vec<String>,
}

/// Interprets the rows of `tool`'s table. Pure.
///
/// ```
/// use strata::adopt::{Tool, ToolRow, interpret};
/// let rows = vec![ToolRow { version: Some("20240101120000".into()), description: None, kind: None, success: true }];
/// let h = interpret(Tool::Dbmate, &rows).unwrap();
/// assert_eq!(h.applied.len(), 1);
/// ```
///
/// # Errors
/// A reason string when the tool's history shows a failed or dirty migration,
/// or a version strata cannot read.
pub fn interpret(tool: Tool, rows: &[ToolRow]) -> Result<ToolHistory, String> {
    let mut h = ToolHistory::default();
    let parse = |raw: &str| -> Result<Version, String> {
        let digits: &str = match tool {
            // `1481383212024_init`: the leading digits are the version.
            Tool::NodePgMigrate => {
                let end = raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len());
                &raw[..end]
            }
            _ => raw,
        };
        digits
            .parse::<Version>()
            .map_err(|e| format!("cannot read version `{raw}`: {e}"))
    };
    match tool {
        Tool::Flyway => {
            // The latest row per version decides, as in flyway itself.
            let mut latest: std::collections::BTreeMap<Version, &ToolRow> = Default::default();
            let mut repeatables: std::collections::BTreeMap<&str, bool> = Default::default();
            for r in rows {
                let kind = r.kind.as_deref().unwrap_or("SQL");
                if kind == "SCHEMA" {
                    continue;
                }
                match &r.version {
                    Some(v) => {
                        latest.insert(parse(v)?, r);
                    }
                    None => {
                        if let Some(d) = &r.description {
                            repeatables.insert(d, r.success && kind != "DELETE");
                        }
                    }
                }
            }
            for (v, r) in latest {
                let kind = r.kind.as_deref().unwrap_or("SQL");
                if !r.success {
                    return Err(format!(
                        "flyway recorded version {v} as failed; run `flyway repair` (or finish that migration) first"
                    ));
                }
                if kind.starts_with("UNDO") || kind == "DELETE" {
                    continue;
                }
                if kind.contains("BASELINE") {
                    h.baseline = Some(v);
                } else {
                    h.applied.insert(v);
                }
            }
            h.repeatables = repeatables
                .into_iter()
                .filter(|(_, ok)| *ok)
                .map(|(d, _)| d.replace('_', " "))
                .collect();
        }
        Tool::GolangMigrate => {
            if rows.len() > 1 {
                return Err(format!(
                    "golang-migrate keeps one row, this table has {}",
                    rows.len()
                ));
            }
            if let Some(r) = rows.first() {
                let v = parse(r.version.as_deref().unwrap_or_default())?;
                if !r.success {
                    return Err(format!(
                        "golang-migrate marked version {v} dirty (it failed half-way); fix the schema and run \
                         `migrate force {v}` (or the version before it) first"
                    ));
                }
                h.up_to = Some(v);
            }
        }
        _ => {
            for r in rows {
                let raw = r.version.as_deref().unwrap_or_default();
                let v = parse(raw)?;
                if !r.success {
                    return Err(format!(
                        "{tool} recorded version {v} as failed; resolve it with {tool} first"
                    ));
                }
                h.applied.insert(v);
            }
        }
    }
    Ok(h)
}
