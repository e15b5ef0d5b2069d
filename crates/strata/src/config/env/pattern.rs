//! `database_pattern`: a glob a database name must match in an environment.

use globset::{Glob, GlobMatcher};

/// A compiled `database_pattern` glob.
///
/// # Examples
///
/// ```
/// use strata::config::DatabasePattern;
/// let p = DatabasePattern::new("shop_{prod,stage}").unwrap();
/// assert!(p.is_match("shop_prod") && !p.is_match("shop_dev"));
/// ```
#[derive(Debug, Clone)]
pub struct DatabasePattern {
    pattern: String,
    matcher: GlobMatcher,
}

impl DatabasePattern {
    /// Compiles a glob (`*_prod`, `shop_{prod,stage}`).
    ///
    /// # Errors
    ///
    /// The glob syntax error, as text.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::DatabasePattern;
    /// assert!(DatabasePattern::new("*_prod").is_ok());
    /// assert!(DatabasePattern::new("shop_{prod").unwrap_err().contains("is not a glob"));
    /// ```
    pub fn new(pattern: &str) -> Result<DatabasePattern, String> {
        let glob = Glob::new(pattern).map_err(|e| format!("`{pattern}` is not a glob: {e}"))?;
        Ok(DatabasePattern {
            pattern: pattern.to_owned(),
            matcher: glob.compile_matcher(),
        })
    }

    /// The glob as written.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::DatabasePattern;
    /// assert_eq!(DatabasePattern::new("*_prod").unwrap().as_str(), "*_prod");
    /// ```
    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// Whether `database` matches (case-sensitive, like PostgreSQL names).
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::DatabasePattern;
    /// let p = DatabasePattern::new("*_prod").unwrap();
    /// assert!(p.is_match("billing_prod"));
    /// assert!(!p.is_match("billing_PROD"), "case-sensitive, like PostgreSQL names");
    /// ```
    pub fn is_match(&self, database: &str) -> bool {
        self.matcher.is_match(database)
    }
}

impl PartialEq for DatabasePattern {
    fn eq(&self, other: &DatabasePattern) -> bool {
        self.pattern == other.pattern
    }
}
