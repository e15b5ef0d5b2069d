//! [`FileProblem`]: why a migration file is refused at load (SPEC §2.1,
//! §2.2), as data. [`crate::Error::FileRule`] carries one with the file and
//! line; the message is rendered here, once. [`FileKind`] says what a
//! `*.sql` entry that is not a regular file is.

use std::fmt;

use crate::sql::{NonTransactional, ScriptProblem, printable};

/// A load-time rule a migration file breaks; the file and line travel with
/// it in [`crate::Error::FileRule`].
///
/// ```
/// use strata::migration::FileProblem;
/// let p = FileProblem::LookAlikeMarker { text: "-- migrate:down:".into() };
/// assert!(p.to_string().starts_with("`-- migrate:down:` looks like a section marker but is none"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileProblem {
    /// What the lexer found: an unterminated token, a psql meta-command,
    /// `COPY … FROM STDIN` data without its `\.`,
    /// `standard_conforming_strings` switched off.
    Script(ScriptProblem),
    /// A comment line that looks like a section marker but is none
    /// (`-- migrate:down:`, `-- migrate:dwon`, `-- Migrate:Up`).
    LookAlikeMarker {
        /// The line, trimmed.
        text: String,
    },
    /// An option after `-- migrate:up` / `-- migrate:down` other than
    /// `transaction:false` / `transaction:true`.
    MarkerOption {
        /// The option as written.
        option: String,
    },
    /// A statement before the `-- migrate:up` marker (dbmate refuses it too).
    StatementBeforeUp,
    /// `-- strata:todo`: the file `strata new` wrote, not written yet. A
    /// template holds only comments, which would otherwise be applied as a
    /// recorded no-op (SPEC §2.1) and then count as modified once written.
    Unwritten,
    /// A `-- strata:` directive strata does not know.
    UnknownDirective {
        /// The directive as written (`strata:no-transactoin`).
        directive: String,
    },
    /// A transactional migration mixing a statement that cannot run in a
    /// transaction block with others.
    MixedTransaction {
        /// The statement that cannot run in a transaction block.
        kind: NonTransactional,
        /// Line of the first statement that can.
        transactional_line: u32,
    },
    /// `-- strata:allow` names a lint rule strata does not know.
    UnknownLintRule {
        /// The rule as written.
        rule: String,
    },
    /// A Flyway `<file>.sql.conf` key strata does not support.
    ConfKey {
        /// The key.
        key: String,
    },
    /// A Flyway `<file>.sql.conf` line that is not `key=value`, or a value
    /// that is not what the key takes.
    ConfValue {
        /// The line, trimmed.
        text: String,
    },
    /// A Flyway `<file>.sql.conf` with no migration `<file>.sql` beside it.
    OrphanConf,
}

impl fmt::Display for FileProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileProblem::Script(p) => p.fmt(f),
            FileProblem::LookAlikeMarker { text } => write!(
                f,
                "`{}` looks like a section marker but is none: write `-- migrate:up` / `-- migrate:down` \
                 (dbmate, lower case, at the start of the line) or `-- Up Migration` / `-- Down Migration`",
                printable(text)
            ),
            FileProblem::MarkerOption { option } => write!(
                f,
                "unknown section marker option `{}` (the only one is `transaction:false`)",
                printable(option)
            ),
            FileProblem::StatementBeforeUp => f.write_str(
                "a statement comes before the `-- migrate:up` marker: move it below the marker",
            ),
            FileProblem::Unwritten => f.write_str(
                "created by `strata new` and not written yet (`-- strata:todo`): write its SQL, then delete that line",
            ),
            FileProblem::UnknownDirective { directive } => write!(
                f,
                "unknown directive `-- {}` (strata knows `-- strata:no-transaction` and `-- strata:allow <rule>`)",
                printable(directive)
            ),
            FileProblem::MixedTransaction {
                kind,
                transactional_line,
            } => write!(
                f,
                "{kind} cannot run inside a transaction block, but this migration also holds statements \
                 that run in one (line {transactional_line}): add `-- strata:no-transaction` before the \
                 first statement to run it statement by statement, or move {kind} to a migration of its own"
            ),
            FileProblem::UnknownLintRule { rule } => write!(
                f,
                "`-- strata:allow {}` names no lint rule (`strata lint --help` points to the list in docs/commands/lint.md)",
                printable(rule)
            ),
            FileProblem::ConfKey { key } => write!(
                f,
                "unsupported key `{}` (strata reads only `executeInTransaction` and `encoding`)",
                printable(key)
            ),
            FileProblem::ConfValue { text } => write!(
                f,
                "`{}`: expected `executeInTransaction=true|false` or `encoding=UTF-8`",
                printable(text)
            ),
            FileProblem::OrphanConf => {
                f.write_str("no migration beside this configuration file (`<file>.sql.conf` configures `<file>.sql`)")
            }
        }
    }
}

/// What a `*.sql` entry is when it is not a regular file.
///
/// ```
/// use strata::migration::FileKind;
/// assert_eq!(FileKind::Fifo.to_string(), "a FIFO (named pipe)");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileKind {
    /// A named pipe.
    Fifo,
    /// A Unix socket.
    Socket,
    /// A block device.
    BlockDevice,
    /// A character device.
    CharDevice,
    /// A symbolic link to something that is not a regular file.
    LinkToNonRegular,
    /// Anything else.
    Other,
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileKind::Fifo => "a FIFO (named pipe)",
            FileKind::Socket => "a socket",
            FileKind::BlockDevice => "a block device",
            FileKind::CharDevice => "a character device",
            FileKind::LinkToNonRegular => "a symbolic link to something that is not a file",
            FileKind::Other => "a special file",
        })
    }
}
