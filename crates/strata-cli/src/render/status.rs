//! The `strata status` table: one row per migration, aligned columns,
//! both checksums under a modified one, and the summary line.

use std::fmt::Write as _;

use strata::history::AppliedMigration;
use strata::plan::State;

use super::{DbReport, applied_state, header};
use crate::output::printable;

/// `strata status` for one database.
///
/// Written straight into one string, cell by cell: with ten thousand
/// migrations, a `String` per cell was a quarter of `status`'s time.
pub fn status_table(r: &DbReport, color: bool) -> String {
    let mut out = printable(&header(r)).into_owned();
    let Some(plan) = &r.plan else { return out };
    // `2026-11-21T16:32:28Z` shows as `2026-11-21 16:32:28`. Appended in
    // place (no string per row); returns the width written.
    fn push_at(out: &mut String, a: &AppliedMigration) -> usize {
        let start = out.len();
        let _ = write!(out, "{}", a.applied_at);
        if out.as_bytes().get(start + 10) == Some(&b'T') && out.len() >= start + 19 {
            out.replace_range(start + 10..start + 11, " ");
            out.truncate(start + 19);
        }
        out.len() - start
    }
    // The version (`R` for none), appended in place; returns its width.
    fn push_version(out: &mut String, e: &strata::plan::Entry) -> usize {
        let start = out.len();
        match &e.version {
            Some(v) => {
                let _ = write!(out, "{v}");
            }
            None => out.push('R'),
        }
        out.len() - start
    }
    fn digits(n: i32) -> usize {
        let d = n
            .unsigned_abs()
            .checked_ilog10()
            .map_or(1, |l| l as usize + 1);
        d + usize::from(n < 0)
    }
    fn shown(e: &strata::plan::Entry) -> Option<&AppliedMigration> {
        e.applied.as_ref().filter(|_| applied_state(e.state))
    }
    let titles = [
        "VERSION",
        "DESCRIPTION",
        "STATE",
        "APPLIED AT (UTC)",
        "TIME",
    ];
    let mut w = titles.map(str::len);
    let mut scratch = String::new();
    for e in &plan.entries {
        scratch.clear();
        w[0] = w[0].max(push_version(&mut scratch, e));
        w[1] = w[1].max(printable(&e.description).chars().count());
        w[2] = w[2].max(e.state.as_str().len());
        if let Some(a) = shown(e) {
            scratch.clear();
            w[3] = w[3].max(push_at(&mut scratch, a));
            w[4] = w[4].max(digits(a.execution_ms) + 3);
        }
    }
    let pad = |out: &mut String, n: usize| out.extend(std::iter::repeat_n(' ', n));
    // Ends a line: no trailing blanks after empty last cells.
    let end_line = |out: &mut String| {
        let kept = out.trim_end_matches(' ').len();
        out.truncate(kept);
    };
    if !plan.entries.is_empty() {
        out.push_str("\n  ");
        for (i, t) in titles.iter().enumerate() {
            out.push_str(t);
            if i < 4 {
                pad(&mut out, w[i] - t.len() + 2);
            }
        }
        end_line(&mut out);
    }
    out.reserve(plan.entries.len() * (w.iter().sum::<usize>() + 12));
    for e in &plan.entries {
        out.push_str("\n  ");
        let width = push_version(&mut out, e);
        pad(&mut out, w[0] - width + 2);
        let description = printable(&e.description);
        out.push_str(&description);
        pad(&mut out, w[1] - description.chars().count() + 2);
        let state = e.state.as_str();
        if color {
            let _ = write!(out, "{}{state}\x1b[0m", state_color(e.state));
        } else {
            out.push_str(state);
        }
        pad(&mut out, w[2] - state.len() + 2);
        match shown(e) {
            Some(a) => {
                let width = push_at(&mut out, a);
                pad(&mut out, w[3] - width + 2);
                let _ = write!(out, "{} ms", a.execution_ms);
            }
            None => pad(&mut out, w[3] + 2),
        }
        end_line(&mut out);
        if e.state == State::Modified {
            let _ = write!(
                out,
                "\n      checksum applied {}\n      checksum on disk {}",
                Hex(e.applied_checksum()),
                Hex(e.checksum)
            );
        }
    }
    out.push('\n');
    out.push_str(&summary(r));
    out
}

/// `3 applied, 2 pending (1 out of order)` plus any problem states present.
pub fn summary(r: &DbReport) -> String {
    let Some(plan) = &r.plan else {
        return String::new();
    };
    let (applied, pending) = r.counts();
    let mut pending_text = format!("{pending} pending");
    let sub: Vec<String> = [State::OutOfOrder, State::AboveTarget]
        .iter()
        .filter_map(|st| {
            let n = plan.count(*st);
            (n > 0).then(|| format!("{n} {}", st.as_str().replace('_', " ")))
        })
        .collect();
    if !sub.is_empty() {
        pending_text.push_str(&format!(" ({})", sub.join(", ")));
    }
    let mut parts = vec![format!("{applied} applied"), pending_text];
    for st in [
        State::Failed,
        State::Modified,
        State::Missing,
        State::BelowBaseline,
    ] {
        let n = plan.count(st);
        if n > 0 {
            parts.push(format!("{n} {}", st.as_str().replace('_', " ")));
        }
    }
    format!("  {}", parts.join(", "))
}

/// A checksum in hex, `none` without one.
struct Hex(Option<strata::migration::Checksum>);

impl std::fmt::Display for Hex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(c) => write!(f, "{c}"),
            None => f.write_str("none"),
        }
    }
}

fn state_color(s: State) -> &'static str {
    match s {
        State::Applied | State::Baseline => "\x1b[32m",
        State::Renamed => "\x1b[33m",
        State::Pending | State::AboveTarget | State::BelowBaseline => "\x1b[36m",
        State::Failed | State::Modified | State::Missing | State::OutOfOrder => "\x1b[31m",
    }
}
