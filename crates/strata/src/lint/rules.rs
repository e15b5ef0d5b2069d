//! [`Rules`]: which rules run at which severity: each rule's default, with
//! what strata.toml's `[lint] rules` changes.

use std::collections::HashMap;

use super::rule::{Id, Rule};
use super::severity::Severity;

/// Which rules run, at which severity: each rule's default, with what
/// strata.toml's `[lint] rules` changes (`"off"` is `None`).
///
/// ```
/// use strata::lint::{Rule, Rules, Severity};
/// let drop: Rule = "ban-drop-column".parse()?;
/// let index: Rule = "require-concurrent-index-creation".parse()?;
/// let mut rules = Rules::default();
/// assert_eq!(rules.severity(drop), Some(Severity::Warning));
/// rules.set(drop, Some(Severity::Error));
/// rules.set(index, None);
/// assert_eq!(rules.severity(drop), Some(Severity::Error));
/// assert_eq!(rules.severity(index), None);
/// # Ok::<(), strata::lint::UnknownRule>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rules {
    overrides: HashMap<Rule, Option<Severity>>,
}

impl Rules {
    /// Sets `rule`'s severity (`None`: off). A rule that cannot be lowered
    /// ([`Rule::cannot_be_lowered`]) stays an error.
    pub fn set(&mut self, rule: Rule, severity: Option<Severity>) {
        if !rule.cannot_be_lowered() {
            self.overrides.insert(rule, severity);
        }
    }

    /// The severity `rule` runs at, or None when it is off.
    pub fn severity(&self, rule: Rule) -> Option<Severity> {
        match self.overrides.get(&rule) {
            Some(s) => *s,
            None => rule.default_severity(),
        }
    }

    /// The rules strata.toml sets (to a severity or off).
    pub(super) fn set_rules(&self) -> impl Iterator<Item = Rule> + '_ {
        self.overrides.keys().copied()
    }

    /// The squawk rules that are on.
    pub(super) fn squawk(&self) -> Vec<squawk_linter::Rule> {
        let defaults = Rule::defaults().filter_map(|r| match r.0 {
            Id::Squawk(s) => Some(s),
            Id::Strata(_) => None,
        });
        let set = self.overrides.keys().filter_map(|r| match r.0 {
            Id::Squawk(s) => Some(s),
            Id::Strata(_) => None,
        });
        let mut all: Vec<squawk_linter::Rule> = defaults.chain(set).collect();
        all.sort_by_key(|r| r.to_string());
        all.dedup();
        all.retain(|r| self.severity(Rule(Id::Squawk(*r))).is_some());
        all
    }
}
