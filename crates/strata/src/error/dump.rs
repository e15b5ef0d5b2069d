//! [`DumpError`]: why a text is not a schema dump strata can read back
//! (`strata::schema::Dump::parse`).

/// Why a text is not a dump strata can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DumpError {
    /// The first line is not a dump header.
    #[error(
        "not a strata schema dump (the first line is not `-- strata schema dump, format N`); write one with `strata schema dump --out FILE`"
    )]
    NotADump,
    /// A format this strata does not know.
    #[error(
        "dump format {found} is not supported (this strata reads format {supported}); write the dump again with this strata"
    )]
    UnsupportedFormat {
        /// The format in the header.
        found: String,
        /// The format this strata reads (`strata::schema::FORMAT`).
        supported: u32,
    },
    /// A header line is missing or malformed.
    #[error("line {line}: expected the header line `{expected}`")]
    Header {
        /// 1-based line.
        line: usize,
        /// What the line should say.
        expected: &'static str,
    },
    /// A `-- strata:` record that does not parse.
    #[error("line {line}: the `-- strata:` record does not parse: {reason}")]
    Record {
        /// 1-based line.
        line: usize,
        /// serde's message.
        reason: String,
    },
    /// The text differs from what its records render to: edited by hand.
    #[error(
        "line {line}: the dump was edited by hand (the SQL no longer matches its `-- strata:` records); \
         write it again with `strata schema dump --out FILE`"
    )]
    Edited {
        /// 1-based line of the first difference.
        line: usize,
    },
}
