//! [`State`]: what one migration is, as SPEC §4.1 names it.

use std::fmt;

/// The state of one migration (SPEC §4.1).
///
/// ```
/// use strata::plan::State;
/// // How `status` and `--json` name it:
/// assert_eq!(State::OutOfOrder.to_string(), "out_of_order");
/// // The states that keep `migrate` from running:
/// let blocks = |s| {
///     matches!(s, State::Failed | State::Modified | State::Missing | State::OutOfOrder)
/// };
/// assert!(blocks(State::Modified) && !blocks(State::BelowBaseline));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// Applied, checksum matches.
    Applied,
    /// Not applied yet (or rolled back), or a new/changed repeatable.
    Pending,
    /// The latest row has success = false.
    Failed,
    /// Applied, but the file's checksum differs.
    Modified,
    /// Applied with the same checksum under another file name (a warning,
    /// not a blocker): counts as applied.
    Renamed,
    /// Applied, but the file is gone.
    Missing,
    /// Pending, but a higher version is already applied.
    OutOfOrder,
    /// The baseline version itself.
    Baseline,
    /// Below the baseline: never applied, and never will be.
    BelowBaseline,
    /// Pending, but beyond `--target`.
    AboveTarget,
}

impl State {
    /// The name used in output and JSON.
    ///
    /// ```
    /// use strata::plan::State;
    /// assert_eq!(State::Applied.as_str(), "applied");
    /// assert_eq!(State::BelowBaseline.as_str(), "below_baseline");
    /// assert_eq!(State::AboveTarget.as_str(), "above_target");
    /// assert_eq!(State::Renamed.as_str(), "renamed");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            State::Applied => "applied",
            State::Pending => "pending",
            State::Failed => "failed",
            State::Modified => "modified",
            State::Renamed => "renamed",
            State::Missing => "missing",
            State::OutOfOrder => "out_of_order",
            State::Baseline => "baseline",
            State::BelowBaseline => "below_baseline",
            State::AboveTarget => "above_target",
        }
    }
}

impl State {
    /// Applied, as far as running goes: `applied`, or `renamed` (the same
    /// script under a new name).
    ///
    /// ```
    /// use strata::plan::State;
    /// assert!(State::Renamed.is_applied() && State::Applied.is_applied());
    /// assert!(!State::Modified.is_applied() && !State::Baseline.is_applied());
    /// ```
    pub fn is_applied(self) -> bool {
        matches!(self, State::Applied | State::Renamed)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}
