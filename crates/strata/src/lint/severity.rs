//! How serious a finding is ([`Severity`]) and which rules run at which
//! severity ([`Rules`]: the defaults, changed by strata.toml's
//! `[lint] rules`).

use std::collections::HashMap;
use std::fmt;

use super::Rule;
use super::rule::Id;

/// How serious a finding is: an error makes `lint` exit 3 and `migrate`
/// refuse; a warning is shown.
///
/// ```
/// use strata::lint::Severity;
/// assert!(Severity::Error > Severity::Warning);
/// assert_eq!("error".parse::<Severity>(), Ok(Severity::Error));
/// assert_eq!(Severity::Warning.to_string(), "warning");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Shown; does not fail `lint` or stop `migrate`.
    Warning,
    /// Fails `lint` (exit 3) and stops `migrate` before it touches the database.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

impl std::str::FromStr for Severity {
    type Err = ();

    fn from_str(s: &str) -> Result<Severity, ()> {
        match s {
            "warning" => Ok(Severity::Warning),
            "error" => Ok(Severity::Error),
            _ => Err(()),
        }
    }
}

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
