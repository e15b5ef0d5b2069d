//! A schema-qualified table name, as written in `history_table`.

use std::fmt;

/// The default history table, `public.strata_schema_history`.
///
/// # Examples
///
/// ```
/// use strata::config::{TableName, DEFAULT_HISTORY_TABLE};
/// assert_eq!(TableName::parse(DEFAULT_HISTORY_TABLE).unwrap(), TableName::default());
/// ```
pub const DEFAULT_HISTORY_TABLE: &str = "public.strata_schema_history";

/// PostgreSQL truncates identifiers to `NAMEDATALEN - 1` bytes
/// (<https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-SYNTAX-IDENTIFIERS>);
/// strata refuses longer names instead of letting the server truncate them.
const MAX_IDENTIFIER_BYTES: usize = 63;

/// `schema.table`; `table` alone means schema `public`.
///
/// Each part must be a plain identifier (`[A-Za-z_][A-Za-z0-9_$]*`). strata
/// always quotes the name in SQL, so the case is kept exactly as written:
/// `public.History` is the table `"public"."History"`, not `history`.
///
/// # Examples
///
/// ```
/// use strata::config::TableName;
/// let t = TableName::default();
/// assert_eq!((t.schema.as_str(), t.name.as_str()), ("public", "strata_schema_history"));
/// assert_eq!(t.to_string(), "public.strata_schema_history");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TableName {
    /// The schema.
    pub schema: String,
    /// The table.
    pub name: String,
}

impl TableName {
    /// Parses `schema.table` or `table`.
    ///
    /// # Errors
    ///
    /// A message saying what is expected.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::TableName;
    /// let t = TableName::parse("ops.schema_migrations").unwrap();
    /// assert_eq!((t.schema.as_str(), t.name.as_str()), ("ops", "schema_migrations"));
    /// assert_eq!(TableName::parse("history").unwrap().schema, "public");
    /// assert!(TableName::parse("a.b.c").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<TableName, String> {
        let (schema, name) = match text.split_once('.') {
            Some((schema, name)) => (schema, name),
            None => ("public", text),
        };
        for part in [schema, name] {
            check_identifier(part).map_err(|why| {
                format!("`{text}` is not a table name: {why} (expected `schema.table` or `table`)")
            })?;
        }
        Ok(TableName {
            schema: schema.to_owned(),
            name: name.to_owned(),
        })
    }

    /// The name quoted for SQL: `"public"."strata_schema_history"`.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::TableName;
    /// assert_eq!(TableName::parse("ops.history").unwrap().quoted(), r#""ops"."history""#);
    /// ```
    pub fn quoted(&self) -> String {
        format!("{}.{}", quote_ident(&self.schema), quote_ident(&self.name))
    }
}

impl Default for TableName {
    fn default() -> TableName {
        TableName {
            schema: "public".to_owned(),
            name: "strata_schema_history".to_owned(),
        }
    }
}

/// `schema.table`, unquoted (for messages).
impl fmt::Display for TableName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.schema, self.name)
    }
}

pub(crate) fn check_identifier(part: &str) -> Result<(), String> {
    let mut chars = part.chars();
    match chars.next() {
        None => return Err("a part is empty".to_owned()),
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
        Some(c) => return Err(format!("`{part}` starts with `{c}`")),
    }
    if let Some(c) = chars.find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '$')) {
        return Err(format!("`{part}` contains `{c}`"));
    }
    if part.len() > MAX_IDENTIFIER_BYTES {
        return Err(format!(
            "`{part}` is longer than {MAX_IDENTIFIER_BYTES} bytes"
        ));
    }
    Ok(())
}

/// Quotes an SQL identifier, doubling embedded quotes: `a"b` becomes `"a""b"`.
///
/// # Examples
///
/// ```
/// use strata::config::quote_ident;
/// assert_eq!(quote_ident("users"), r#""users""#);
/// assert_eq!(quote_ident(r#"we"ird"#), r#""we""ird""#);
/// ```
pub fn quote_ident(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may panic
mod tests {
    use super::*;

    #[test]
    fn parses_and_quotes() {
        let t = TableName::parse("public.strata_schema_history").unwrap();
        assert_eq!(t, TableName::default());
        assert_eq!(t.quoted(), r#""public"."strata_schema_history""#);
        assert_eq!(t.to_string(), DEFAULT_HISTORY_TABLE);

        let t = TableName::parse("atriz_schema_history").unwrap();
        assert_eq!(t.schema, "public");
        assert_eq!(t.name, "atriz_schema_history");

        let t = TableName::parse("Ops.History$1").unwrap();
        assert_eq!(t.quoted(), r#""Ops"."History$1""#);
    }

    #[test]
    fn rejects_bad_names() {
        for text in [
            "", ".", "a.", ".b", "a.b.c", "1abc", "a b", "a\"b", "a;drop",
        ] {
            assert!(
                TableName::parse(text).is_err(),
                "{text:?} should be rejected"
            );
        }
        assert!(TableName::parse(&"x".repeat(64)).is_err());
        assert!(TableName::parse(&"x".repeat(63)).is_ok());
    }

    #[test]
    fn quote_ident_doubles_quotes() {
        assert_eq!(quote_ident(r#"a"b"#), r#""a""b""#);
    }
}
