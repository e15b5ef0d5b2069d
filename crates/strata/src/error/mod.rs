//! The library's one error type.
//!
//! Every fallible function returns [`Error`]. Variants carry typed fields
//! (path, version, line, SQLSTATE) so callers can act on them, and predicates
//! such as [`Error::is_lock_timeout`] so callers need not match on variants.
//! Messages are lowercase, name the file/line/key involved and say what to do
//! next when that is known. A variant either prints its source or returns it
//! from `source()`, never both. No message ever contains a password: URLs are
//! stored redacted.
//!
//! One file per part: the enum (here), its predicates and accessors, the
//! [`SqlError`] of a failed migration, the [`SqlState`] type, the
//! [`LockHolder`] a lock timeout names, the [`Conflict`] of options with a
//! migration, the [`DumpError`] of a schema dump that does not read back,
//! and the [`Partial`] failure that carries what a run did before it failed.

mod blocker;
mod bounded;
mod conflict;
mod dump;
mod lock_holder;
mod partial;
mod predicates;
mod sql;
mod sqlstate;
mod text;
mod tls;
mod unmanaged;

use std::path::PathBuf;
use std::time::Duration;

use crate::plan::problem::Problem;
pub(crate) use text::first_line;
use text::{join_lines, join_problems};

pub use blocker::{Blocker, LockWait};
pub use conflict::Conflict;
pub use dump::DumpError;
pub use lock_holder::LockHolder;
pub use partial::Partial;
pub use sql::SqlError;
pub use sqlstate::SqlState;
pub use tls::TlsError;
pub use unmanaged::{ForeignHistory, NotEmpty};

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
    /// A `${name}` that cannot be replaced (SPEC §2.4; at load, exit 3).
    #[error("{0}")]
    Placeholder(crate::migration::placeholder_error::PlaceholderError),

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

    /// The server accepted the connection (or did not refuse it) but did
    /// not finish the startup exchange within `connect_timeout`.
    #[error(
        "cannot connect to {url}: the server did not answer within {}s (connect_timeout; set it in the URL, 0 waits for ever)",
        .after.as_secs()
    )]
    ConnectTimeout {
        /// The redacted URL.
        url: String,
        /// The `connect_timeout` that ran out.
        after: Duration,
    },

    /// The database cannot be written: a hot standby (in recovery), or
    /// read-only (`default_transaction_read_only` on). Found before the
    /// lock is taken (SPEC §4.2 step 1).
    #[error(
        "database `{database}` is {}, so nothing can be changed there; nothing was: point the URL at a writable primary",
        if *.in_recovery {
            "in recovery (a hot standby)"
        } else {
            "read-only (transaction_read_only is on: default_transaction_read_only is set for the database, the role or the session)"
        }
    )]
    ReadOnly {
        /// The database's real name (`current_database()`).
        database: String,
        /// `pg_is_in_recovery()`: a standby, not only a read-only setting.
        in_recovery: bool,
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

    /// `migrate` found error-level lint findings in what it was to apply (exit 3).
    #[error("{}", text::lint_refused(.0))]
    LintRefused(Vec<crate::lint::finding::Finding>),

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

    /// Tables but no history on a first `migrate` (SPEC §4.1; exit 3).
    #[error("{0}")]
    NotEmpty(NotEmpty),

    /// Another tool's history table (SPEC §3; exit 3).
    #[error("{0}")]
    ForeignHistory(ForeignHistory),

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
    #[error("{script} changed while strata was running; {}", text::changed_outcome(*applied))]
    ChangedWhileRunning {
        /// The migration's file name.
        script: String,
        /// Whether its statements ran anyway.
        applied: bool,
    },

    /// Stopped by [`crate::interrupt::request`] (SIGINT/SIGTERM in the CLI).
    #[error("interrupted: the running statement was cancelled and its transaction rolled back")]
    Interrupted,

    /// Lost while a migration's `COMMIT` may have been in flight (exit 1).
    #[error("{script}: the connection was lost while its COMMIT may have been in flight; {}", text::commit_outcome(*committed))]
    ConnectionLost {
        /// The migration's file name.
        script: String,
        /// Whether it committed, as the history said after reconnecting once.
        committed: Option<bool>,
        /// The driver's error.
        source: tokio_postgres::Error,
    },

    /// A no-transaction file ended inside a transaction it opened (exit 1).
    #[error("{script} left a transaction open (a `BEGIN` without `COMMIT`): {}", text::left_open(*statements_rolled_back, *statements_applied, *recorded))]
    TransactionLeftOpen {
        /// The migration's file name.
        script: String,
        /// Statements done outside that transaction (they stay applied).
        statements_applied: usize,
        /// Statements of the transaction left open (rolled back).
        statements_rolled_back: usize,
        /// Whether the history row was updated to say failed.
        recorded: bool,
    },

    /// A migration cannot run with the options given (exit 2), e.g. a
    /// no-transaction migration with `--single-transaction`. Nothing ran.
    ///
    /// ```
    /// use strata::error::{Conflict, Error};
    ///
    /// let err = Error::Conflict { script: "V3__index.sql".into(), conflict: Conflict::NoTransactionInSingleTransaction };
    /// assert!(err.is_config());
    /// assert_eq!(
    ///     err.to_string(),
    ///     "V3__index.sql is a no-transaction migration and cannot run with --single-transaction; run without it"
    /// );
    /// ```
    #[error("{script} {conflict}")]
    Conflict {
        /// The migration's file name.
        script: String,
        /// What it conflicts with.
        conflict: Conflict,
    },

    /// The connection goes through a pooler (the backend is not the one
    /// the startup named, as behind PgBouncer) and `what` needs a session
    /// of its own (exit 3): a no-transaction migration, or the session lock
    /// of `rollback`, `repair`, `baseline`. Nothing ran.
    ///
    /// ```
    /// use strata::Error;
    ///
    /// let err = Error::Pooled { what: "V3__index.sql (a no-transaction migration)".into() };
    /// assert!(err.is_check_failure());
    /// assert!(err.to_string().contains("direct_url_env"), "{err}");
    /// ```
    #[error("{what} {}", text::NEEDS_OWN_SESSION)]
    Pooled {
        /// What needs a session of its own.
        what: String,
    },

    /// TLS could not be set up, or the handshake failed (see [`TlsError`]
    /// for which; `is_config` for roots and client files, exit 2).
    #[error(transparent)]
    Tls(#[from] TlsError),

    /// A schema dump file that cannot be read back (exit 1).
    #[error("{}: {error}", path.display())]
    SchemaDump {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        error: DumpError,
    },

    /// Something that cannot happen did (exit 1): a bug in strata.
    ///
    /// ```
    /// let err = strata::Error::Internal { what: "a migration scan thread panicked" };
    /// assert_eq!(
    ///     err.to_string(),
    ///     "internal error: a migration scan thread panicked; this is a bug in strata, please report it"
    /// );
    /// ```
    #[error("internal error: {what}; this is a bug in strata, please report it")]
    Internal {
        /// What went wrong.
        what: &'static str,
    },

    /// A run that failed after it changed the database: the error, and the
    /// report of what it did before (see [`Error::report`] for `migrate`,
    /// [`Error::rollback_report`] for `rollback`). Prints as the error
    /// itself; every predicate looks through it.
    #[error(transparent)]
    Partial(Box<Partial>),
}
