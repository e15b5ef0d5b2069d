//! Why a `${name}` placeholder cannot be replaced, as data: what
//! [`Error::Placeholder`](crate::Error::Placeholder) carries. Imports
//! nothing that can fail, so the error type can hold it without an import
//! circle.

/// Why a placeholder cannot be replaced.
///
/// ```
/// use strata::migration::{PlaceholderProblem, Unresolved};
/// let u = Unresolved { name: "tenant".into(), problem: PlaceholderProblem::Unset { var: "TENANT".into() } };
/// assert_eq!(u.problem.to_string(), "reads TENANT, which is not set (process environment or env files)");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlaceholderProblem {
    /// No such placeholder.
    Undefined {
        /// The database of strata.toml whose table lacks it.
        database: String,
    },
    /// A `strata:`/`flyway:` name that is not one of the built-ins.
    UnknownBuiltin,
    /// Its variable is not set.
    Unset {
        /// The variable.
        var: String,
    },
    /// Its variable's value has a line break.
    Multiline {
        /// The variable.
        var: String,
    },
}

impl std::fmt::Display for PlaceholderProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlaceholderProblem::Undefined { database } => write!(
                f,
                "is not defined; add it to [databases.{database}.placeholders] in strata.toml"
            ),
            PlaceholderProblem::UnknownBuiltin => f.write_str(
                "is not a built-in (strata:database, strata:schema, strata:user, strata:environment, \
                 strata:filename, flyway:defaultSchema, flyway:database, flyway:user, flyway:filename)",
            ),
            PlaceholderProblem::Unset { var } => write!(
                f,
                "reads {var}, which is not set (process environment or env files)"
            ),
            PlaceholderProblem::Multiline { var } => {
                write!(
                    f,
                    "reads {var}, whose value has a line break (a value is one line)"
                )
            }
        }
    }
}

/// A placeholder that cannot be replaced: its name and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unresolved {
    /// The name between `${` and `}`.
    pub name: String,
    /// Why.
    pub problem: PlaceholderProblem,
}

/// A placeholder of a migration file that cannot be replaced, where it is.
///
/// ```
/// use strata::migration::{PlaceholderError, PlaceholderProblem};
/// let err = strata::Error::Placeholder(PlaceholderError {
///     script: "V2__grants.sql".into(),
///     line: 3,
///     name: "role".into(),
///     problem: PlaceholderProblem::Undefined { database: "main".into() },
/// });
/// assert!(err.is_check_failure());
/// assert_eq!(err.to_string(), "V2__grants.sql:3: placeholder ${role} is not defined; \
///     add it to [databases.main.placeholders] in strata.toml");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlaceholderError {
    /// The file.
    pub script: String,
    /// Its line.
    pub line: u32,
    /// The name between `${` and `}`.
    pub name: String,
    /// Why it cannot be replaced.
    pub problem: PlaceholderProblem,
}

impl std::fmt::Display for PlaceholderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: placeholder ${{{}}} {}",
            self.script, self.line, self.name, self.problem
        )
    }
}
