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

    /// Every rule on by default or set in strata.toml (to a severity or
    /// off), each once, in id order.
    fn known(&self) -> Vec<Rule> {
        let mut all: Vec<Rule> = Rule::defaults()
            .chain(self.overrides.keys().copied())
            .collect();
        all.sort_by_key(|r| r.to_string());
        all.dedup();
        all
    }

    /// The rules that run at `severity`.
    pub(super) fn at(&self, severity: Severity) -> Vec<Rule> {
        let mut all = self.known();
        all.retain(|r| self.severity(*r) == Some(severity));
        all
    }

    /// The squawk rules that are on.
    pub(super) fn squawk(&self) -> Vec<squawk_linter::Rule> {
        self.known()
            .into_iter()
            .filter(|r| self.severity(*r).is_some())
            .filter_map(|r| match r.0 {
                Id::Squawk(s) => Some(s),
                Id::Strata(_) => None,
            })
            .collect()
    }
}
