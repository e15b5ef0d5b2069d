//! From the parsed file to a [`Project`]: names and identifiers checked,
//! the defaults of SPEC §1.1 applied, paths resolved against the project
//! root, databases put in `depends_on` order.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use toml::Spanned;

use super::PlaceholderValue;
use super::order;
use super::{DEFAULT_DATABASE, DEFAULT_URL_ENV, DatabaseConfig, Project};
use crate::config::env::{DEFAULT_LOCK_TIMEOUT, DatabasePattern, Environment};
use crate::config::error::{ConfigError, Location};
use crate::config::file::{RawDatabase, RawEnvironment, RawFile, RawPlaceholder, invalid_value};
use crate::config::table::{TableName, check_identifier};
use crate::config::timeout::Timeout;

/// `[A-Za-z0-9_-]+`.
fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

pub(super) struct Builder<'a> {
    pub(super) source: &'a str,
    pub(super) path: &'a Path,
    pub(super) root: PathBuf,
}

impl Builder<'_> {
    fn invalid(&self, span: std::ops::Range<usize>, message: impl Into<String>) -> ConfigError {
        invalid_value(self.source, self.path, span, message)
    }

    pub(super) fn build(&self, raw: RawFile) -> Result<Project, ConfigError> {
        let history_table = match &raw.history_table {
            Some(s) => self.table(s)?,
            None => TableName::default(),
        };
        let default_env = raw.default_env.map(Spanned::into_inner);

        let raw_dbs = in_declaration_order(raw.databases.unwrap_or_default());
        let several = raw_dbs.len() > 1;
        let mut databases = Vec::new();
        if raw_dbs.is_empty() {
            databases.push(self.database(
                DEFAULT_DATABASE,
                RawDatabase::empty(),
                false,
                &history_table,
            )?);
        }
        let mut dep_locations = Vec::new();
        for (name, span, db) in raw_dbs {
            if !is_valid_name(&name) {
                return Err(self.invalid(
                    span,
                    format!("database name `{name}` must match [A-Za-z0-9_-]+"),
                ));
            }
            for dep in &db.depends_on {
                let at = Location::of_offset(self.source, dep.span().start);
                dep_locations.push((name.clone(), dep.get_ref().clone(), at));
            }
            databases.push(self.database(&name, db, several, &history_table)?);
        }
        let databases = order::order(databases, &dep_locations, self.path)?;

        let mut environments = Vec::new();
        for (name, span, env) in in_declaration_order(raw.environments.unwrap_or_default()) {
            if !is_valid_name(&name) {
                return Err(self.invalid(
                    span,
                    format!("environment name `{name}` must match [A-Za-z0-9_-]+"),
                ));
            }
            environments.push(self.environment(name, env)?);
        }

        let lint = self.lint(raw.lint)?;
        Ok(Project {
            lint,
            config_path: self.path.to_owned(),
            root: self.root.clone(),
            default_env,
            history_table,
            databases,
            environments,
        })
    }

    /// `[lint] rules`: every key a rule strata knows, every value `off`,
    /// `warning` or `error`.
    fn lint(
        &self,
        raw: Option<super::super::file::RawLint>,
    ) -> Result<crate::lint::rules::Rules, ConfigError> {
        use crate::lint::rule::{Rule, UnknownRule};
        use crate::lint::rules::Rules;
        use crate::lint::severity::Severity;
        let mut rules = Rules::default();
        for (key, value) in raw.map(|l| l.rules).unwrap_or_default() {
            let rule: Rule = key.get_ref().parse().map_err(|e: UnknownRule| {
                self.invalid(
                    key.span(),
                    format!("{e} (the rules are listed in docs/commands/lint.md)"),
                )
            })?;
            let severity = match value.get_ref().as_str() {
                "off" => None,
                v => Some(v.parse::<Severity>().map_err(|()| {
                    self.invalid(
                        value.span(),
                        format!("`{v}` for lint rule `{rule}`: expected \"off\", \"warning\" or \"error\""),
                    )
                })?),
            };
            if rule.cannot_be_lowered() && severity != Some(Severity::Error) {
                return Err(self.invalid(
                    value.span(),
                    format!(
                        "lint rule `{rule}` is always an error: PostgreSQL refuses such a migration"
                    ),
                ));
            }
            rules.set(rule, severity);
        }
        Ok(rules)
    }

    fn table(&self, s: &Spanned<String>) -> Result<TableName, ConfigError> {
        TableName::parse(s.get_ref()).map_err(|m| self.invalid(s.span(), m))
    }

    fn var_name(&self, s: &Spanned<String>) -> Result<String, ConfigError> {
        let v = s.get_ref().trim();
        if v.is_empty() || v.contains('=') || v.contains('\0') {
            return Err(self.invalid(s.span(), "expected an environment variable name"));
        }
        Ok(v.to_owned())
    }

    fn database(
        &self,
        name: &str,
        raw: RawDatabase,
        several: bool,
        default_history: &TableName,
    ) -> Result<DatabaseConfig, ConfigError> {
        let migrations = match raw.migrations {
            Some(m) => self.root.join(m),
            None if several => self.root.join("migrations").join(name),
            None => self.root.join("migrations"),
        };
        let seeds = match raw.seeds {
            Some(s) => Some(self.root.join(s)),
            None => {
                let per_db = self.root.join("seeds").join(name);
                let single = self.root.join("seeds");
                if per_db.is_dir() {
                    Some(per_db)
                } else if !several && single.is_dir() {
                    Some(single)
                } else {
                    None
                }
            }
        };
        let url_env = match &raw.url_env {
            Some(v) => self.var_name(v)?,
            None => DEFAULT_URL_ENV.to_owned(),
        };
        let admin_url_env = raw
            .admin_url_env
            .as_ref()
            .map(|v| self.var_name(v))
            .transpose()?;
        let direct_url_env = raw
            .direct_url_env
            .as_ref()
            .map(|v| self.var_name(v))
            .transpose()?;
        let shadow_url_env = raw
            .shadow_url_env
            .as_ref()
            .map(|v| self.var_name(v))
            .transpose()?;
        let owner = match raw.owner {
            Some(o) if o.get_ref().is_empty() => {
                return Err(self.invalid(o.span(), "`owner` is empty: name a role".to_owned()));
            }
            o => o.map(Spanned::into_inner),
        };
        let schemas = match raw.schemas {
            None => vec!["public".to_owned()],
            Some(list) => list
                .into_iter()
                .map(|s| {
                    check_identifier(s.get_ref())
                        .map_err(|m| self.invalid(s.span(), format!("invalid schema name: {m}")))?;
                    Ok(s.into_inner())
                })
                .collect::<Result<_, ConfigError>>()?,
        };
        let history_table = match &raw.history_table {
            Some(s) => self.table(s)?,
            None => default_history.clone(),
        };
        let depends_on = raw
            .depends_on
            .into_iter()
            .map(Spanned::into_inner)
            .collect();
        Ok(DatabaseConfig {
            name: name.to_owned(),
            migrations,
            seeds,
            url_env,
            admin_url_env,
            direct_url_env,
            shadow_url_env,
            owner,
            depends_on,
            schemas,
            history_table,
            baseline_on_migrate: raw.baseline_on_migrate,
            placeholders: raw.placeholders.map(|p| self.placeholders(p)).transpose()?,
        })
    }

    /// Names are `[A-Za-z0-9_.-]+` (`:` is the built-ins' namespace); a
    /// value is one line, so replacing it keeps every line number of the file.
    fn placeholders(
        &self,
        raw: BTreeMap<String, Spanned<RawPlaceholder>>,
    ) -> Result<BTreeMap<String, PlaceholderValue>, ConfigError> {
        let mut out = BTreeMap::new();
        for (name, span, value) in in_declaration_order(raw) {
            let valid = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
            if !valid {
                return Err(self.invalid(
                    span,
                    format!("placeholder name `{name}` must match [A-Za-z0-9_.-]+"),
                ));
            }
            let value = match value {
                RawPlaceholder::Text(t) if t.contains(['\n', '\r']) => {
                    return Err(self.invalid(
                        span,
                        format!("placeholder `{name}`: a value is one line (it is inserted into SQL lines)"),
                    ));
                }
                RawPlaceholder::Text(t) => PlaceholderValue::Text(t),
                RawPlaceholder::Env(e) => {
                    let v = e.env.trim();
                    if v.is_empty() || v.contains('=') || v.contains('\0') {
                        return Err(self.invalid(span, "expected an environment variable name"));
                    }
                    PlaceholderValue::Env(v.to_owned())
                }
            };
            out.insert(name, value);
        }
        Ok(out)
    }

    fn environment(&self, name: String, raw: RawEnvironment) -> Result<Environment, ConfigError> {
        let mut env = Environment::undeclared(name);
        env.declared = true;
        env.env_files = raw.env_files.iter().map(|f| self.root.join(f)).collect();
        env.local_cluster = raw.local_cluster;
        env.protected = raw.protected;
        env.require_tls = raw.require_tls;
        env.lock_retries = raw.lock_retries;
        if let Some(hosts) = raw.allowed_hosts {
            if hosts.get_ref().is_empty() {
                return Err(self.invalid(
                    hosts.span(),
                    "an empty list allows no host: list the allowed hosts, or remove the key to allow any",
                ));
            }
            env.allowed_hosts = Some(hosts.into_inner());
        }
        if let Some(p) = raw.database_pattern {
            env.database_pattern =
                Some(DatabasePattern::new(p.get_ref()).map_err(|m| self.invalid(p.span(), m))?);
        }
        env.lock_timeout = match raw.lock_timeout {
            Some(v) => self.timeout(&v)?,
            None => DEFAULT_LOCK_TIMEOUT,
        };
        env.statement_timeout = raw
            .statement_timeout
            .map(|v| self.timeout(&v))
            .transpose()?;
        Ok(env)
    }

    fn timeout(&self, v: &Spanned<toml::Value>) -> Result<Timeout, ConfigError> {
        let parsed = match v.get_ref() {
            toml::Value::String(s) => Timeout::parse(s),
            toml::Value::Integer(i) => u64::try_from(*i)
                .map_err(|_| format!("`{i}` is negative"))
                .and_then(|ms| Timeout::parse(&ms.to_string())),
            other => Err(format!(
                "expected a duration such as \"5s\" or an integer of milliseconds, found a {}",
                other.type_str()
            )),
        };
        parsed.map_err(|m| self.invalid(v.span(), m))
    }
}

/// Table entries sorted by where they appear in the file.
fn in_declaration_order<T>(
    map: BTreeMap<String, Spanned<T>>,
) -> Vec<(String, std::ops::Range<usize>, T)> {
    let mut v: Vec<_> = map
        .into_iter()
        .map(|(name, value)| {
            let span = value.span();
            (name, span, value.into_inner())
        })
        .collect();
    v.sort_by_key(|(_, span, _)| span.start);
    v
}

impl RawDatabase {
    fn empty() -> RawDatabase {
        RawDatabase {
            migrations: None,
            url_env: None,
            seeds: None,
            depends_on: Vec::new(),
            schemas: None,
            history_table: None,
            admin_url_env: None,
            direct_url_env: None,
            shadow_url_env: None,
            baseline_on_migrate: false,
            placeholders: None,
            owner: None,
        }
    }
}
