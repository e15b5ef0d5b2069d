//! The library's one error type.
//!
//! Every fallible function returns [`Error`]. Variants carry typed fields
//! (path, version, line, SQLSTATE) so callers can act on them, and predicates
//! such as [`Error::is_lock_timeout`] so callers need not match on variants.
//! Messages are lowercase, name the file/line/key involved and say what to do
//! next when that is known. A variant either prints its source or returns it
//! from `source()`, never both. No message ever contains a password: URLs are
//! stored redacted.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::plan::problem::Problem;

/// Everything that can go wrong in strata.
///
/// Match a variant for its typed fields, or ask a predicate; the CLI turns
/// the predicates into its exit codes:
///
/// ```
/// use std::path::Path;
/// use strata::{Error, Migrations};
///
/// let err = Migrations::from_dir(Path::new("db/migrations")).unwrap_err();
/// assert!(matches!(&err, Error::NoMigrationsDir { path } if path == Path::new("db/migrations")));
/// assert_eq!(
///     err.to_string(),
///     "migrations folder db/migrations does not exist (create it, or fix `migrations` in strata.toml)"
/// );
/// let exit_code = if err.is_lock_timeout() { 4 } else if err.is_config() { 2 }
///     else if err.is_check_failure() { 3 } else { 1 };
/// assert_eq!(exit_code, 2);
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// strata.toml, environment or URL problem (exit 2).
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),

    /// The local cluster could not be found, initialised or started.
    #[error(transparent)]
    Cluster(#[from] crate::cluster::ClusterError),

    /// Reading a file or folder failed.
    #[error("cannot read {}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// The migrations folder does not exist.
    #[error("migrations folder {} does not exist (create it, or fix `migrations` in strata.toml)", path.display())]
    NoMigrationsDir {
        /// The folder.
        path: PathBuf,
    },

    /// A `.sql` file whose name follows no pattern of SPEC §2.1.
    #[error("{}: {reason}", path.display())]
    InvalidFileName {
        /// The file.
        path: PathBuf,
        /// Why, and the patterns that are accepted.
        reason: String,
    },

    /// Two files with the same version (`V1` and `V001`, say).
    #[error("duplicate version {version}: {} and {}", first.display(), second.display())]
    DuplicateVersion {
        /// The normalized version.
        version: String,
        /// The first file.
        first: PathBuf,
        /// The second file.
        second: PathBuf,
    },

    /// A down/undo file with no versioned migration of the same version.
    #[error("{}: no versioned migration {version} to undo", path.display())]
    OrphanDown {
        /// The down or undo file.
        path: PathBuf,
        /// Its version.
        version: String,
    },

    /// A file that is not valid UTF-8.
    #[error("{}: invalid UTF-8 at byte {offset} (migrations must be UTF-8; a BOM is allowed)", path.display())]
    InvalidUtf8 {
        /// The file.
        path: PathBuf,
        /// Byte offset of the first invalid byte.
        offset: u64,
    },

    /// A file containing a NUL byte (PostgreSQL cannot receive it in a query).
    #[error("{}: NUL byte at byte {offset} (is this a binary or UTF-16 file?)", path.display())]
    NulByte {
        /// The file.
        path: PathBuf,
        /// Byte offset of the NUL.
        offset: u64,
    },

    /// A migration file of zero bytes or only whitespace (SPEC §2.1).
    #[error("{}: migration is empty (no SQL statement, only whitespace)", path.display())]
    EmptyMigration {
        /// The file.
        path: PathBuf,
    },

    /// Misplaced `-- migrate:up` / `-- migrate:down` markers.
    #[error("{}:{line}: {message}", path.display())]
    Section {
        /// The file.
        path: PathBuf,
        /// 1-based line of the marker.
        line: u32,
        /// What is wrong.
        message: String,
    },

    // --- Load-time rules of migration files (SPEC §2.1, §2.2) ---
    /// A migration file breaking a load-time rule (markers, directives,
    /// meta-commands, unterminated tokens, mixed transactional statements,
    /// Flyway `.sql.conf`). Nothing ran (exit 3).
    #[error("{}:{line}: {problem}", path.display())]
    FileRule {
        /// The file.
        path: PathBuf,
        /// 1-based line the problem is at.
        line: u32,
        /// What is wrong.
        problem: crate::migration::FileProblem,
    },

    /// A `*.sql` entry of a migrations folder that is not a regular file
    /// (a FIFO, socket or device; a symbolic link to one). It is never opened.
    #[error("{}: {kind}, not a regular file: only regular files are read as migrations", path.display())]
    NotRegularFile {
        /// The entry.
        path: PathBuf,
        /// What it is.
        kind: crate::migration::FileKind,
    },

    /// A symbolic link that resolves outside the project directory.
    #[error(
        "{}: a symbolic link to {}, outside the project directory {}: only links inside the project are followed",
        path.display(), target.display(), project.display()
    )]
    LinkOutsideProject {
        /// The link.
        path: PathBuf,
        /// Where it resolves to.
        target: PathBuf,
        /// The project directory.
        project: PathBuf,
    },
    // --- end of the load-time rules ---
    /// Several problems with migration files, each its own error.
    #[error("{}", join_lines(.0))]
    InvalidMigrations(Vec<Error>),

    /// Connecting failed.
    #[error("cannot connect to {url}")]
    Connect {
        /// The redacted URL.
        url: String,
        /// The driver's error.
        #[source]
        source: tokio_postgres::Error,
    },

    /// A query of strata's own (history, lock) failed.
    #[error("{context}")]
    Db {
        /// What strata was doing.
        context: String,
        /// The driver's error.
        #[source]
        source: tokio_postgres::Error,
    },

    /// A history row holds a value strata cannot read (exit 1): the row is
    /// neither dropped nor guessed at, the command stops.
    ///
    /// ```
    /// let e = strata::Error::CorruptHistory {
    ///     table: "public.strata_schema_history".into(),
    ///     installed_rank: 7,
    ///     column: "version",
    ///     value: Some("v1.x".into()),
    ///     expected: "a version like 1, 2.1 or 20250101",
    /// };
    /// assert_eq!(
    ///     e.to_string(),
    ///     "the history table public.strata_schema_history has a corrupt row: installed_rank 7, \
    ///      column version holds \"v1.x\", which is not a version like 1, 2.1 or 20250101; \
    ///      correct or delete that row by hand"
    /// );
    /// ```
    #[error(
        "the history table {table} has a corrupt row: installed_rank {installed_rank}, column {column} holds {}, \
         which is not {expected}; correct or delete that row by hand",
        value.as_ref().map_or_else(|| "NULL".to_owned(), |v| format!("{v:?}"))
    )]
    CorruptHistory {
        /// The history table, `schema.table`.
        table: String,
        /// The row's `installed_rank`.
        installed_rank: i32,
        /// The column whose value is unreadable.
        column: &'static str,
        /// The value found (None for NULL).
        value: Option<String>,
        /// What the column must hold.
        expected: &'static str,
    },

    /// A migration's SQL failed.
    #[error(transparent)]
    Sql(Box<SqlError>),

    /// Another strata held the migration lock for longer than `--lock-wait`.
    #[error("timed out after {}s waiting for the migration lock{}", waited.as_secs_f32().round(), holder.as_ref().map(|h| format!(", held by {h}")).unwrap_or_default())]
    LockTimeout {
        /// How long strata waited.
        waited: Duration,
        /// Who held it when strata gave up.
        holder: Option<LockHolder>,
    },

    /// `migrate` refused to start because of the state of the history (exit 3).
    #[error("migrate refused, nothing was applied:\n{}", join_problems(.problems))]
    Refused {
        /// One entry per problem, each naming the command that resolves it.
        problems: Vec<Problem>,
    },

    /// `migrate --resume` found that a statement the failed run already
    /// applied has changed (exit 3); nothing was run.
    #[error(
        "cannot resume {script}: {reason}; restore the statements that already ran (they are applied), \
             or undo their effect by hand and run `strata repair` to re-run the whole file"
    )]
    ResumeRefused {
        /// The migration.
        script: String,
        /// What changed.
        reason: String,
    },

    /// `rollback` cannot run: the versions in range, the problem with each
    /// (no down part, file missing or modified, a baseline). Nothing ran (exit 3).
    #[error("rollback refused, nothing was rolled back:\n{}", join_problems(.problems))]
    RollbackRefused {
        /// One entry per version that cannot be rolled back.
        problems: Vec<Problem>,
    },

    /// `baseline` (or adoption) on a database whose history table already
    /// has rows (exit 3).
    #[error(
        "{table} already has {rows} row(s): baseline only marks a database strata has never migrated; \
             run `strata status` to see its history"
    )]
    HistoryNotEmpty {
        /// The history table.
        table: String,
        /// How many rows it has.
        rows: i64,
    },

    /// Adopting another tool's history failed a check; nothing was written (exit 3).
    #[error("cannot adopt the history of {tool} from {table}: {reason}")]
    Adopt {
        /// The tool (`flyway`, `dbmate` …).
        tool: String,
        /// Its history table.
        table: String,
        /// What is wrong and what to do.
        reason: String,
    },

    /// `BEGIN`/`COMMIT`/`ROLLBACK` in a migration strata runs in a transaction.
    #[error(
        "{script}:{line}:{column}: transaction control (`{statement}`) in a transactional migration: strata runs each \
         migration in its own transaction; remove it, or put `-- strata:no-transaction` at the top of the file"
    )]
    TransactionControl {
        /// The migration's file name.
        script: String,
        /// 1-based line.
        line: u32,
        /// 1-based column.
        column: u32,
        /// The statement's first words.
        statement: String,
    },

    /// A migration file changed between the scan and the run: the bytes read
    /// to run it are not the bytes whose checksum was recorded (exit 3).
    /// Without `applied` nothing of it took effect; with it (a no-transaction
    /// file too large to check before running) its statements ran and its
    /// history row holds the checksum of the bytes that ran.
    #[error(
        "{script} changed while strata was running; {}",
        if *applied {
            "its statements ran and are recorded with the checksum of the bytes that ran: run `strata status` to compare it with the file"
        } else {
            "nothing of it was applied: run the command again"
        }
    )]
    ChangedWhileRunning {
        /// The migration's file name.
        script: String,
        /// Whether its statements ran anyway.
        applied: bool,
    },

    /// A request that cannot be honoured (e.g. a no-transaction migration in
    /// `--single-transaction` mode).
    #[error("{0}")]
    Invalid(String),
}

fn join_lines(errors: &[Error]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

fn join_problems(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn db(context: impl Into<String>, source: tokio_postgres::Error) -> Self {
        Error::Db {
            context: context.into(),
            source,
        }
    }

    /// True when strata gave up waiting for the migration lock (exit 4).
    ///
    /// ```
    /// use std::time::Duration;
    /// use strata::error::{Error, LockHolder};
    ///
    /// let holder = LockHolder { pid: 4242, application_name: "strata".into(), since: "2025-06-01T09:30:00Z".into() };
    /// let err = Error::LockTimeout { waited: Duration::from_secs(30), holder: Some(holder) };
    /// assert!(err.is_lock_timeout());
    /// assert_eq!(
    ///     err.to_string(),
    ///     "timed out after 30s waiting for the migration lock, held by pid 4242 (strata) since 2025-06-01T09:30:00Z"
    /// );
    /// ```
    pub fn is_lock_timeout(&self) -> bool {
        matches!(self, Error::LockTimeout { .. })
    }

    /// True for configuration and usage problems (exit 2).
    ///
    /// ```
    /// use std::path::Path;
    /// use strata::{Error, Migrations};
    ///
    /// let missing = Migrations::from_dir(Path::new("no/such/folder")).unwrap_err();
    /// assert!(missing.is_config());
    /// assert!(Error::Invalid("V3__index.sql is a no-transaction migration".into()).is_config());
    /// assert!(!missing.is_check_failure());
    /// ```
    pub fn is_config(&self) -> bool {
        matches!(
            self,
            Error::Config(_) | Error::NoMigrationsDir { .. } | Error::Invalid(_)
        )
    }

    /// True when checks found problems: invalid migration files or a refused
    /// migrate (exit 3).
    ///
    /// ```
    /// use std::path::Path;
    /// use strata::Migrations;
    /// use strata::migration::Content;
    ///
    /// let files = vec![("V1_users.sql".to_owned(), Content::Static(b"CREATE TABLE users ();"))];
    /// let err = Migrations::from_files(Path::new("migrations"), files).unwrap_err();
    /// assert!(err.is_check_failure());
    /// assert_eq!(
    ///     err.to_string(),
    ///     "migrations/V1_users.sql: expected `V<version>__<description>.sql` (two underscores after the version)"
    /// );
    /// ```
    pub fn is_check_failure(&self) -> bool {
        matches!(
            self,
            Error::Refused { .. }
                | Error::ResumeRefused { .. }
                | Error::RollbackRefused { .. }
                | Error::HistoryNotEmpty { .. }
                | Error::Adopt { .. }
                | Error::TransactionControl { .. }
                | Error::ChangedWhileRunning { .. }
                | Error::InvalidMigrations(_)
                | Error::InvalidFileName { .. }
                | Error::DuplicateVersion { .. }
                | Error::OrphanDown { .. }
                | Error::InvalidUtf8 { .. }
                | Error::NulByte { .. }
                | Error::EmptyMigration { .. }
                | Error::Section { .. }
                | Error::FileRule { .. }
                | Error::NotRegularFile { .. }
                | Error::LinkOutsideProject { .. }
        )
    }

    /// The SQL error of a failed migration, if this is one.
    ///
    /// ```
    /// # use strata::error::{Error, SqlError};
    /// # let err = Error::Sql(Box::new(SqlError {
    /// #     script: "V2__orders.sql".into(), path: None, line: Some(3), column: Some(35),
    /// #     line_text: Some("INSERT INTO orders SELECT id FROM userz;".into()),
    /// #     code: "42P01".into(), message: "relation \"userz\" does not exist".into(),
    /// #     detail: None, hint: None, context: None, statements_succeeded: None,
    /// #     next_step: None, invalid_index: None,
    /// # }));
    /// // `err` as returned by a failed `Migrator::run`:
    /// if let Some(sql) = err.as_sql() {
    ///     assert_eq!(sql.code, "42P01"); // undefined_table
    ///     assert_eq!((sql.line, sql.column), (Some(3), Some(35)));
    /// }
    /// assert!(err.as_sql().is_some());
    /// assert!(Error::Invalid("not SQL".into()).as_sql().is_none());
    /// ```
    pub fn as_sql(&self) -> Option<&SqlError> {
        match self {
            Error::Sql(e) => Some(e),
            _ => None,
        }
    }
}

/// The session holding the migration lock, from `pg_stat_activity`.
///
/// Reported by [`Error::LockTimeout`], and to the `on_wait` callback of
/// [`crate::lock::MigrationLock::acquire`] while strata waits:
///
/// ```
/// use strata::error::LockHolder;
///
/// let holder = LockHolder { pid: 4242, application_name: "strata".into(), since: "2025-06-01T09:30:00Z".into() };
/// assert_eq!(holder.to_string(), "pid 4242 (strata) since 2025-06-01T09:30:00Z");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockHolder {
    /// Backend pid.
    pub pid: i32,
    /// Its `application_name`.
    pub application_name: String,
    /// When that session started (for another strata: its migrating session).
    pub since: String,
}

impl fmt::Display for LockHolder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "pid {} ({}) since {}",
            self.pid, self.application_name, self.since
        )
    }
}

/// A migration's SQL failed: where in the file, and what PostgreSQL said.
///
/// Its `Display` is what `strata migrate` prints, with the line and a caret
/// under the column:
///
/// ```
/// use strata::error::SqlError;
///
/// let e = SqlError {
///     script: "V2__orders.sql".into(),
///     path: Some("migrations/V2__orders.sql".into()),
///     line: Some(3),
///     column: Some(35),
///     line_text: Some("INSERT INTO orders SELECT id FROM userz;".into()),
///     code: "42P01".into(),
///     message: "relation \"userz\" does not exist".into(),
///     detail: None, hint: None, context: None, statements_succeeded: None,
///     next_step: None, invalid_index: None,
/// };
/// assert_eq!(e.to_string(), "\
/// V2__orders.sql:3:35: relation \"userz\" does not exist (SQLSTATE 42P01)
///  3 | INSERT INTO orders SELECT id FROM userz;
///    |                                   ^");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlError {
    /// The migration's file name.
    pub script: String,
    /// The file on disk, when there is one.
    pub path: Option<PathBuf>,
    /// 1-based line in the file, from PostgreSQL's error position.
    pub line: Option<u32>,
    /// 1-based column (characters).
    pub column: Option<u32>,
    /// The text of that line.
    pub line_text: Option<String>,
    /// SQLSTATE, e.g. `42P01`.
    pub code: String,
    /// PostgreSQL's primary message.
    pub message: String,
    /// DETAIL.
    pub detail: Option<String>,
    /// HINT.
    pub hint: Option<String>,
    /// CONTEXT (`where`), e.g. the PL/pgSQL line.
    pub context: Option<String>,
    /// For a no-transaction migration: how many statements succeeded before this one.
    pub statements_succeeded: Option<usize>,
    /// What the user should do next, when strata knows.
    pub next_step: Option<String>,
    /// A failed `CREATE INDEX CONCURRENTLY` left this INVALID index behind
    /// (`schema.name`, quoted as needed); drop it before retrying.
    pub invalid_index: Option<String>,
}

impl fmt::Display for SqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.script)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        }
        write!(f, ": {} (SQLSTATE {})", self.message, self.code)?;
        if let (Some(l), Some(text)) = (self.line, &self.line_text) {
            let gutter = l.to_string().len();
            write!(f, "\n {l} | {text}")?;
            if let Some(c) = self.column {
                // Tabs keep their width so the caret lines up.
                let pad: String = text
                    .chars()
                    .take(c.saturating_sub(1) as usize)
                    .map(|ch| if ch == '\t' { '\t' } else { ' ' })
                    .collect();
                write!(f, "\n {:gutter$} | {pad}^", "")?;
            }
        }
        if let Some(d) = &self.detail {
            write!(f, "\n  detail: {d}")?;
        }
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        if let Some(c) = &self.context {
            write!(f, "\n  context: {}", c.replace('\n', "\n    "))?;
        }
        if let Some(n) = self.statements_succeeded {
            write!(
                f,
                "\n  {n} statement(s) before this one succeeded and stay applied (no transaction)"
            )?;
        }
        if let Some(s) = &self.next_step {
            write!(f, "\n  {s}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SqlError {}
