//! The serde shape of strata.toml and the translation of TOML errors into
//! [`ConfigError`]s that name the file, line, column and key.
//!
//! Every table denies unknown keys. Values that need checking beyond their
//! type (durations, table names, globs, references) are kept as
//! [`Spanned`] so the later validation can point at their line too.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::error::{ConfigError, Location, floor_char_boundary};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFile {
    pub default_env: Option<Spanned<String>>,
    pub history_table: Option<Spanned<String>>,
    pub databases: Option<BTreeMap<String, Spanned<RawDatabase>>>,
    pub environments: Option<BTreeMap<String, Spanned<RawEnvironment>>>,
    pub lint: Option<RawLint>,
}

/// `[lint]` (SPEC §8): `rules = { "rule-id" = "off" | "warning" | "error" }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLint {
    #[serde(default)]
    pub rules: BTreeMap<Spanned<String>, Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDatabase {
    pub migrations: Option<String>,
    pub url_env: Option<Spanned<String>>,
    pub seeds: Option<String>,
    #[serde(default)]
    pub depends_on: Vec<Spanned<String>>,
    pub schemas: Option<Vec<Spanned<String>>>,
    pub history_table: Option<Spanned<String>>,
    pub admin_url_env: Option<Spanned<String>>,
    pub direct_url_env: Option<Spanned<String>>,
    pub shadow_url_env: Option<Spanned<String>>,
    #[serde(default)]
    pub baseline_on_migrate: bool,
    pub owner: Option<Spanned<String>>,
    pub placeholders: Option<BTreeMap<String, Spanned<RawPlaceholder>>>,
}

/// A placeholder's value: a string, or `{ env = "VAR" }`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum RawPlaceholder {
    Text(String),
    Env(RawEnvRef),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawEnvRef {
    pub env: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawEnvironment {
    #[serde(default)]
    pub env_files: Vec<String>,
    #[serde(default)]
    pub local_cluster: bool,
    #[serde(default)]
    pub protected: bool,
    pub allowed_hosts: Option<Spanned<Vec<String>>>,
    pub database_pattern: Option<Spanned<String>>,
    #[serde(default)]
    pub require_tls: bool,
    /// A string (`"5s"`) or an integer (milliseconds).
    pub lock_timeout: Option<Spanned<toml::Value>>,
    /// A string (`"5s"`) or an integer (milliseconds).
    pub statement_timeout: Option<Spanned<toml::Value>>,
    /// Retries of a transactional migration that fails on `lock_timeout`.
    #[serde(default)]
    pub lock_retries: u32,
}

/// Parses strata.toml's text.
pub(crate) fn parse(source: &str, path: &Path) -> Result<RawFile, ConfigError> {
    // Syntax first, so a syntax error is never reported as a schema error.
    if let Err(e) = source.parse::<toml::Table>() {
        let at = e
            .span()
            .map(|s| Location::of_offset(source, s.start))
            .unwrap_or_default();
        return Err(ConfigError::Syntax {
            path: path.to_owned(),
            line: at.line,
            column: at.column,
            message: e.message().trim().to_owned(),
        });
    }
    toml::from_str::<RawFile>(source).map_err(|e| schema_error(source, path, &e))
}

fn schema_error(source: &str, path: &Path, e: &toml::de::Error) -> ConfigError {
    let message = e.message().trim();
    let span = e.span();
    let at = span
        .as_ref()
        .map(|s| Location::of_offset(source, s.start))
        .unwrap_or_default();
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (field, tail) = rest.split_once('`').unwrap_or((rest, ""));
        let expected = tail
            .trim_start_matches(',')
            .trim()
            .strip_prefix("expected ")
            .map(str::to_owned);
        let key = match span.as_ref().and_then(|s| header_before(source, s.start)) {
            Some(header) => format!("{header}.{field}"),
            None => field.to_owned(),
        };
        return ConfigError::UnknownKey {
            path: path.to_owned(),
            line: at.line,
            column: at.column,
            key,
            expected,
        };
    }
    ConfigError::InvalidValue {
        path: path.to_owned(),
        line: at.line,
        column: at.column,
        key: span
            .map(|s| key_at(source, s))
            .unwrap_or_else(|| "?".to_owned()),
        message: message.to_owned(),
    }
}

/// An error about the value at `span`: file, line, column and key.
pub(crate) fn invalid_value(
    source: &str,
    path: &Path,
    span: Range<usize>,
    message: impl Into<String>,
) -> ConfigError {
    let at = Location::of_offset(source, span.start);
    ConfigError::InvalidValue {
        path: path.to_owned(),
        line: at.line,
        column: at.column,
        key: key_at(source, span),
        message: message.into(),
    }
}

/// The dotted key a value at `span` belongs to: the nearest `[header]`
/// above it plus the key left of the `=` on its line (or an earlier line,
/// for a multi-line array). Best effort: inline tables are not unpicked.
pub(crate) fn key_at(source: &str, span: Range<usize>) -> String {
    let start = floor_char_boundary(source, span.start.min(source.len()));
    let line_end = source[start..]
        .find('\n')
        .map_or(source.len(), |i| start + i);
    let at = source[start..line_end].trim();
    let before = &source[..start];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    // A value that is itself a table (`[databases.x]` spanned): the header.
    if at.starts_with('[') && before[line_start..].trim().is_empty() {
        return header_name(at);
    }
    let mut key = None;
    for line in before.rsplit('\n') {
        if line.trim_start().starts_with('[') {
            break;
        }
        if let Some((k, _)) = line.split_once('=') {
            key = Some(k.trim().trim_matches('"').to_owned());
            break;
        }
    }
    let header = header_before(source, start);
    match (header, key) {
        (Some(h), Some(k)) => format!("{h}.{k}"),
        (Some(h), None) => h,
        (None, Some(k)) => k,
        (None, None) => String::new(),
    }
}

/// The `[header]` in force at byte `offset`, if any.
fn header_before(source: &str, offset: usize) -> Option<String> {
    let before = source.get(..offset.min(source.len()))?;
    // Skip the line `offset` is on: a header there would start a new table
    // whose own keys come after it.
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    before[..line_start]
        .lines()
        .rev()
        .map(str::trim_start)
        .find(|l| l.starts_with('['))
        .map(header_name)
}

fn header_name(line: &str) -> String {
    let inner = line.trim_start_matches('[');
    let end = inner.find(']').unwrap_or(inner.len());
    inner[..end]
        .split('.')
        .map(|p| p.trim().trim_matches('"'))
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may panic
mod tests {
    use super::*;

    #[test]
    fn key_at_finds_dotted_keys() {
        let src = "a = 1\n[environments.prod]\nlock_timeout = \"x\"\nallowed_hosts = [\n  1,\n]\n";
        let span = |needle: &str| {
            let i = src.find(needle).unwrap();
            i..i + needle.len()
        };
        assert_eq!(key_at(src, span("1\n[")), "a");
        assert_eq!(key_at(src, span("\"x\"")), "environments.prod.lock_timeout");
        assert_eq!(key_at(src, span("1,")), "environments.prod.allowed_hosts");
        assert_eq!(
            key_at(src, span("[environments.prod]")),
            "environments.prod"
        );
    }
}
