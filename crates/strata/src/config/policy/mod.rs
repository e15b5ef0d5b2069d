//! URL policy: the rules an environment puts on the URLs it may reach
//! (`allowed_hosts`, `database_pattern`, `require_tls`), checked before any
//! connection is opened.
//!
//! Every configured rule is evaluated, so `strata env` can show them all;
//! [`PolicyReport::into_result`] turns the first failure into a
//! [`ConfigError::PolicyViolation`].
//!
//! The rules run on the **effective** connection ([`Libpq::effective`]:
//! the URL after its service file and the `PG*` variables), so `PGHOST`,
//! `PGDATABASE` or `PGSSLMODE` cannot get around them. With several hosts,
//! every one must be allowed. A connection through a Unix socket (a socket
//! directory as the effective host, or no host anywhere: libpq's default
//! socket) counts as host `localhost`: a socket is always on the local
//! machine, so `allowed_hosts = ["localhost"]` admits it and a list of
//! remote hosts does not. A TCP host is compared as written (`::1` is not
//! `localhost`).
//!
//! [`Libpq::effective`]: super::Libpq::effective

pub(super) mod rule;

use super::env::Environment;
use super::error::ConfigError;
use super::url::DbUrl;

pub use rule::PolicyRule;

/// The host a Unix-socket URL is checked as.
///
/// # Examples
///
/// ```
/// use strata::config::{check_url_policy, DbUrl, Environment, UrlRole, SOCKET_HOST};
/// let mut env = Environment::undeclared("dev");
/// env.allowed_hosts = Some(vec![SOCKET_HOST.to_owned()]);
/// // A Unix-socket URL is checked as host `localhost`.
/// let url = DbUrl::parse("postgres://app@%2Fvar%2Frun%2Fpostgresql/shop").unwrap();
/// assert!(check_url_policy(&env, &url, UrlRole::Database).passed());
/// ```
pub const SOCKET_HOST: &str = "localhost";

/// The result of one rule.
///
/// # Examples
///
/// ```
/// use strata::config::{check_url_policy, DbUrl, Environment, UrlRole};
/// let mut env = Environment::undeclared("prod");
/// env.allowed_hosts = Some(vec!["db.internal".into()]);
/// let report = check_url_policy(&env, &DbUrl::parse("postgres://app@evil.example/shop").unwrap(), UrlRole::Database);
/// let check = &report.checks[0];
/// assert!(!check.passed);
/// assert!(check.message.contains("evil.example"), "{}", check.message);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyCheck {
    /// The rule.
    pub rule: PolicyRule,
    /// Whether the URL satisfies it.
    pub passed: bool,
    /// What was compared, e.g. "host `db.internal` is not in allowed_hosts \[localhost\]".
    pub message: String,
}

/// The results of every rule the environment configures, in the order
/// `allowed_hosts`, `database_pattern`, `require_tls`. Rules the environment
/// does not set are absent.
///
/// # Examples
///
/// ```
/// use strata::config::{check_url_policy, DbUrl, Environment, UrlRole};
/// let env = Environment::undeclared("dev");
/// let url = DbUrl::parse("postgres://app:hunter2@db/shop").unwrap();
/// let report = check_url_policy(&env, &url, UrlRole::Database);
/// // No rules configured: nothing to check, and nothing fails.
/// assert!(report.checks.is_empty() && report.passed());
/// assert!(!report.url.contains("hunter2"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyReport {
    /// The environment the rules come from.
    pub env: String,
    /// The URL, password redacted.
    pub url: String,
    /// One entry per configured rule.
    pub checks: Vec<PolicyCheck>,
}

impl PolicyReport {
    /// Whether every check passed (also when there are none).
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::{check_url_policy, DbUrl, Environment, UrlRole};
    /// let mut env = Environment::undeclared("prod");
    /// env.require_tls = true;
    /// let ok = DbUrl::parse("postgres://app@db/shop?sslmode=verify-full").unwrap();
    /// assert!(check_url_policy(&env, &ok, UrlRole::Database).passed());
    /// ```
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.passed)
    }

    /// The first failed check.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::{check_url_policy, DbUrl, DatabasePattern, Environment, PolicyRule, UrlRole};
    /// let mut env = Environment::undeclared("prod");
    /// env.database_pattern = Some(DatabasePattern::new("*_prod").unwrap());
    /// let url = DbUrl::parse("postgres://app@db/shop_dev").unwrap();
    /// let report = check_url_policy(&env, &url, UrlRole::Database);
    /// assert_eq!(report.first_violation().map(|c| c.rule), Some(PolicyRule::DatabasePattern));
    /// ```
    pub fn first_violation(&self) -> Option<&PolicyCheck> {
        self.checks.iter().find(|c| !c.passed)
    }

    /// `Ok` when every check passed.
    ///
    /// # Errors
    ///
    /// [`ConfigError::PolicyViolation`] for the first failed check, naming the
    /// rule, the environment and the redacted URL.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::{check_url_policy, DbUrl, Environment, UrlRole};
    /// let mut env = Environment::undeclared("prod");
    /// env.require_tls = true;
    /// let url = DbUrl::parse("postgres://app:hunter2@db/shop").unwrap();
    /// let err = check_url_policy(&env, &url, UrlRole::Database).to_result().unwrap_err();
    /// assert!(err.is_policy_violation());
    /// assert!(err.to_string().contains("require_tls") && !err.to_string().contains("hunter2"));
    /// ```
    pub fn to_result(&self) -> Result<(), ConfigError> {
        match self.first_violation() {
            None => Ok(()),
            Some(check) => Err(ConfigError::PolicyViolation {
                rule: check.rule,
                env: self.env.clone(),
                url: self.url.clone(),
                message: check.message.clone(),
            }),
        }
    }

    /// Consuming form of [`PolicyReport::to_result`].
    ///
    /// # Errors
    ///
    /// As [`PolicyReport::to_result`].
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::{check_url_policy, DbUrl, Environment, UrlRole};
    /// let env = Environment::undeclared("dev");
    /// let url = DbUrl::parse("postgres://app@db/shop").unwrap();
    /// assert!(check_url_policy(&env, &url, UrlRole::Database).into_result().is_ok());
    /// ```
    pub fn into_result(self) -> Result<(), ConfigError> {
        self.to_result()
    }
}

/// Which rules apply to a URL.
///
/// # Examples
///
/// ```
/// use strata::config::{check_url_policy, DbUrl, DatabasePattern, Environment, UrlRole};
/// let mut env = Environment::undeclared("prod");
/// env.database_pattern = Some(DatabasePattern::new("*_prod").unwrap());
/// // An admin URL names the maintenance database: database_pattern does not apply.
/// let admin = DbUrl::parse("postgres://admin@db/postgres").unwrap();
/// assert!(check_url_policy(&env, &admin, UrlRole::Admin).passed());
/// assert!(!check_url_policy(&env, &admin, UrlRole::Database).passed());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlRole {
    /// The database's own URL: every rule.
    Database,
    /// A server-level admin URL (`admin_url_env`): `allowed_hosts` and
    /// `require_tls` only, since it names a maintenance database.
    Admin,
}

/// Checks `url` against every rule `env` configures.
///
/// # Examples
///
/// ```
/// use strata::config::{check_url_policy, DbUrl, Environment, UrlRole};
/// let mut env = Environment::undeclared("prod");
/// env.allowed_hosts = Some(vec!["db.internal".into()]);
/// env.require_tls = true;
/// let url = DbUrl::parse("postgres://app@db.internal/shop?sslmode=require").unwrap();
/// let report = check_url_policy(&env, &url, UrlRole::Database);
/// assert_eq!(report.checks.len(), 2);
/// assert!(report.passed());
/// ```
pub fn check_url_policy(env: &Environment, url: &DbUrl, role: UrlRole) -> PolicyReport {
    check_effective_policy(env, url, url, role)
}

/// Checks the effective connection `effective` (see
/// [`Libpq::effective`](super::Libpq::effective)) of the configured URL
/// `configured` against every rule `env` configures; the report names
/// `configured`, the messages the effective values.
///
/// # Examples
///
/// ```
/// use strata::config::{check_effective_policy, DbUrl, Environment, Libpq, ProcessEnv, Project, UrlRole};
/// let project = Project::from_toml("", std::path::Path::new("/srv/app/strata.toml")).unwrap();
/// let process = ProcessEnv::from([("PGHOST".to_owned(), "::1".to_owned())]);
/// let libpq = Libpq::from_env(&project.resolve_env(None, &process).unwrap());
/// let mut env = Environment::undeclared("prod");
/// env.allowed_hosts = Some(vec!["localhost".into()]);
/// let url = DbUrl::parse("postgres://app@/shop").unwrap();
/// // PGHOST=::1 makes it a TCP connection to ::1, which is not localhost.
/// let report = check_effective_policy(&env, &url, &libpq.effective(&url).unwrap(), UrlRole::Database);
/// assert!(!report.passed(), "{report:?}");
/// assert!(report.checks[0].message.contains("`::1`"));
/// ```
pub fn check_effective_policy(
    env: &Environment,
    configured: &DbUrl,
    effective: &DbUrl,
    role: UrlRole,
) -> PolicyReport {
    let url = effective;
    let mut checks = Vec::new();

    if let Some(allowed) = &env.allowed_hosts {
        let hosts = policy_hosts(url);
        let is_allowed = |h: &(String, bool)| {
            allowed
                .iter()
                .any(|a| normalize_host(a).eq_ignore_ascii_case(&h.0))
        };
        let refused: Vec<&(String, bool)> = hosts.iter().filter(|h| !is_allowed(h)).collect();
        let passed = refused.is_empty();
        let describe = |h: &(String, bool)| {
            let socket = if h.1 {
                " (a Unix socket counts as localhost)"
            } else {
                ""
            };
            format!("`{}`{socket}", h.0)
        };
        let message = if passed {
            let shown: Vec<String> = hosts.iter().map(describe).collect();
            format!("host {} is allowed", shown.join(", "))
        } else {
            let shown: Vec<String> = refused.iter().map(|h| describe(h)).collect();
            format!(
                "host {} is not in allowed_hosts [{}]",
                shown.join(", "),
                allowed.join(", ")
            )
        };
        checks.push(PolicyCheck {
            rule: PolicyRule::AllowedHosts,
            passed,
            message,
        });
    }
    if let (Some(pattern), UrlRole::Database) = (&env.database_pattern, role) {
        let db = url.database();
        let passed = pattern.is_match(db);
        let verb = if passed { "matches" } else { "does not match" };
        checks.push(PolicyCheck {
            rule: PolicyRule::DatabasePattern,
            passed,
            message: format!("database `{db}` {verb} `{}`", pattern.as_str()),
        });
    }

    if env.require_tls {
        let (passed, message) = match url.ssl_mode() {
            Some(mode) if mode.requires_tls() => (true, format!("sslmode={mode} requires TLS")),
            Some(mode) => (
                false,
                format!(
                    "sslmode={mode} does not guarantee TLS: use sslmode=require, verify-ca or verify-full"
                ),
            ),
            None => (
                false,
                "no sslmode in the URL, the service file or PGSSLMODE (libpq defaults to prefer): add sslmode=require, verify-ca or verify-full".to_owned(),
            ),
        };
        checks.push(PolicyCheck {
            rule: PolicyRule::RequireTls,
            passed,
            message,
        });
    }

    PolicyReport {
        env: env.name.clone(),
        url: configured.redacted(),
        checks,
    }
}

/// The hosts compared against `allowed_hosts`, one per place the driver may
/// connect to, each with whether it is a Unix socket.
fn policy_hosts(url: &DbUrl) -> Vec<(String, bool)> {
    let targets = url.targets();
    if targets.is_empty() {
        // No host anywhere: libpq's default socket directory.
        return vec![(SOCKET_HOST.to_owned(), true)];
    }
    targets
        .into_iter()
        .map(|t| match (t.hostaddr, t.host) {
            // `hostaddr` is where the driver connects: that is what must be allowed.
            (Some(addr), _) => (addr.to_string(), false),
            (None, Some(h)) if h.starts_with('/') => (SOCKET_HOST.to_owned(), true),
            (None, Some(h)) => (normalize_host(&h), false),
            (None, None) => (SOCKET_HOST.to_owned(), true),
        })
        .collect()
}

/// Hosts compare case-insensitively, IPv6 with or without brackets.
fn normalize_host(host: &str) -> String {
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may panic
mod tests {
    use super::*;
    use crate::config::env::DatabasePattern;

    #[test]
    fn hostaddr_cannot_get_past_allowed_hosts() {
        let mut env = Environment::undeclared("prod");
        env.allowed_hosts = Some(vec!["localhost".into(), "db.internal".into()]);
        for text in [
            "postgres://app@localhost/db?hostaddr=203.0.113.9",
            "postgres://app@/db?hostaddr=203.0.113.9",
            "postgres://app@db.internal/db?hostaddr=203.0.113.9",
        ] {
            let url = DbUrl::parse(text).unwrap();
            let report = check_url_policy(&env, &url, UrlRole::Database);
            assert!(!report.passed(), "{text}");
            assert!(
                report.checks[0].message.contains("203.0.113.9"),
                "{}",
                report.checks[0].message
            );
        }
        env.allowed_hosts = Some(vec!["203.0.113.9".into()]);
        let url = DbUrl::parse("postgres://app@db.internal/db?hostaddr=203.0.113.9").unwrap();
        assert!(check_url_policy(&env, &url, UrlRole::Database).passed());
    }

    fn env() -> Environment {
        Environment::undeclared("prod")
    }

    fn url(s: &str) -> DbUrl {
        DbUrl::parse(s).unwrap()
    }

    #[test]
    fn no_rules_no_checks() {
        let r = check_url_policy(
            &env(),
            &url("postgres://u:pw@anywhere/db"),
            UrlRole::Database,
        );
        assert!(r.checks.is_empty());
        assert!(r.passed());
        assert!(r.to_result().is_ok());
    }

    #[test]
    fn allowed_hosts() {
        let mut e = env();
        e.allowed_hosts = Some(vec!["localhost".into(), "127.0.0.1".into(), "[::1]".into()]);
        for ok in [
            "postgres://u@localhost/db",
            "postgres://u@LOCALHOST/db",
            "postgres://u@127.0.0.1/db",
            "postgres://u@[::1]/db",
            "postgres://u@/db?host=/var/run/postgresql",
            "postgres:///db",
        ] {
            let r = check_url_policy(&e, &url(ok), UrlRole::Database);
            assert!(r.passed(), "{ok}: {r:?}");
            assert_eq!(r.checks.len(), 1);
        }
        let r = check_url_policy(
            &e,
            &url("postgres://u:hunter2@db.prod.internal/db"),
            UrlRole::Database,
        );
        assert!(!r.passed());
        let err = r.to_result().unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("allowed_hosts"), "{msg}");
        assert!(msg.contains("`prod`"), "{msg}");
        assert!(
            msg.contains("postgres://u:***@db.prod.internal/db"),
            "{msg}"
        );
        assert!(!msg.contains("hunter2"), "{msg}");
        assert!(matches!(
            err,
            ConfigError::PolicyViolation { rule: PolicyRule::AllowedHosts, ref env, .. } if env == "prod"
        ));

        // A socket only passes when localhost is allowed.
        e.allowed_hosts = Some(vec!["db.prod.internal".into()]);
        let r = check_url_policy(&e, &url("postgres:///db?host=/tmp"), UrlRole::Database);
        assert!(!r.passed());
        assert!(r.checks[0].message.contains("Unix socket"), "{r:?}");
    }

    #[test]
    fn database_pattern() {
        let mut e = env();
        e.database_pattern = Some(DatabasePattern::new("*_prod").unwrap());
        let r = check_url_policy(&e, &url("postgres://h/shop_prod"), UrlRole::Database);
        assert!(r.passed(), "{r:?}");
        let r = check_url_policy(&e, &url("postgres://h/shop_dev"), UrlRole::Database);
        assert!(!r.passed());
        assert_eq!(r.checks[0].rule, PolicyRule::DatabasePattern);
        assert!(r.checks[0].message.contains("shop_dev"));
        // Not applied to admin URLs, which name the maintenance database.
        let r = check_url_policy(&e, &url("postgres://h/postgres"), UrlRole::Admin);
        assert!(r.checks.is_empty());
    }

    #[test]
    fn require_tls() {
        let mut e = env();
        e.require_tls = true;
        for mode in ["require", "verify-ca", "verify-full"] {
            let r = check_url_policy(
                &e,
                &url(&format!("postgres://h/db?sslmode={mode}")),
                UrlRole::Database,
            );
            assert!(r.passed(), "{mode}");
        }
        for text in [
            "postgres://h/db?sslmode=disable",
            "postgres://h/db?sslmode=allow",
            "postgres://h/db?sslmode=prefer",
            "postgres://h/db",
        ] {
            let r = check_url_policy(&e, &url(text), UrlRole::Admin);
            assert!(!r.passed(), "{text}");
            assert_eq!(
                r.first_violation().map(|c| c.rule),
                Some(PolicyRule::RequireTls)
            );
        }
    }

    #[test]
    fn every_rule_is_reported() {
        let mut e = env();
        e.allowed_hosts = Some(vec!["localhost".into()]);
        e.database_pattern = Some(DatabasePattern::new("*_prod").unwrap());
        e.require_tls = true;
        let r = check_url_policy(
            &e,
            &url("postgres://remote/x_prod?sslmode=disable"),
            UrlRole::Database,
        );
        let summary: Vec<_> = r.checks.iter().map(|c| (c.rule, c.passed)).collect();
        assert_eq!(
            summary,
            [
                (PolicyRule::AllowedHosts, false),
                (PolicyRule::DatabasePattern, true),
                (PolicyRule::RequireTls, false),
            ]
        );
        assert_eq!(
            r.first_violation().map(|c| c.rule),
            Some(PolicyRule::AllowedHosts)
        );
    }
}
