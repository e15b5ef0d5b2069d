//! [`PolicyRule`]: the names of an environment's URL rules. A leaf, so the
//! error type can name a rule without importing the checks.

use std::fmt;

/// One of the environment's URL rules.
///
/// # Examples
///
/// ```
/// use strata::config::{check_url_policy, DbUrl, Environment, PolicyRule, UrlRole};
/// let mut env = Environment::undeclared("prod");
/// env.require_tls = true;
/// let report = check_url_policy(&env, &DbUrl::parse("postgres://app@db/shop").unwrap(), UrlRole::Database);
/// assert_eq!(report.first_violation().unwrap().rule, PolicyRule::RequireTls);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PolicyRule {
    /// `allowed_hosts`: the URL host must be one of these.
    AllowedHosts,
    /// `database_pattern`: the database name must match this glob.
    DatabasePattern,
    /// `require_tls`: `sslmode` must be `require`, `verify-ca` or `verify-full`.
    RequireTls,
}

impl PolicyRule {
    /// The strata.toml key of the rule.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::PolicyRule;
    /// assert_eq!(PolicyRule::AllowedHosts.key(), "allowed_hosts");
    /// assert_eq!(PolicyRule::RequireTls.key(), "require_tls");
    /// ```
    pub fn key(self) -> &'static str {
        match self {
            PolicyRule::AllowedHosts => "allowed_hosts",
            PolicyRule::DatabasePattern => "database_pattern",
            PolicyRule::RequireTls => "require_tls",
        }
    }
}

impl fmt::Display for PolicyRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}
