//! What callers ask of an [`Error`]: the predicates the CLI turns into exit
//! codes, and the typed parts (SQL error, SQLSTATE) behind a variant. Every
//! one looks through a [`Partial`] failure to the error it carries.

use std::path::PathBuf;

use super::{Error, Partial, SqlError, SqlState};

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
        matches!(self.without_report(), Error::LockTimeout { .. })
    }

    /// True for [`Error::ConnectionLost`] before strata reconnected to
    /// read whether the migration committed.
    ///
    /// ```
    /// assert!(!strata::Error::Interrupted.is_commit_unknown());
    /// ```
    pub fn is_commit_unknown(&self) -> bool {
        matches!(
            self.without_report(),
            Error::ConnectionLost {
                committed: None,
                ..
            }
        )
    }

    /// True when the run stopped between two steps on
    /// `strata::interrupt::request`. (A statement that request cancelled
    /// fails as an [`Error::Sql`] with SQLSTATE 57014, as one cancelled by
    /// `statement_timeout` does; `strata::interrupt::requested()` tells them
    /// apart.)
    ///
    /// ```
    /// assert!(strata::Error::Interrupted.is_interrupted());
    /// assert!(!strata::Error::Internal { what: "x" }.is_interrupted());
    /// ```
    pub fn is_interrupted(&self) -> bool {
        matches!(self.without_report(), Error::Interrupted)
    }

    /// True for configuration and usage problems (exit 2).
    ///
    /// ```
    /// use std::path::Path;
    /// use strata::error::{Conflict, Error};
    /// use strata::Migrations;
    ///
    /// let missing = Migrations::from_dir(Path::new("no/such/folder")).unwrap_err();
    /// assert!(missing.is_config());
    /// let conflict = Conflict::NoTransactionInSingleTransaction;
    /// assert!(Error::Conflict { script: "V3__index.sql".into(), conflict }.is_config());
    /// assert!(!missing.is_check_failure());
    /// assert!(!Error::Internal { what: "a scan thread panicked" }.is_config());
    /// ```
    pub fn is_config(&self) -> bool {
        match self.without_report() {
            Error::Tls(tls) => tls.is_config(),
            e => matches!(
                e,
                Error::Config(_) | Error::NoMigrationsDir { .. } | Error::Conflict { .. }
            ),
        }
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
            self.without_report(),
            Error::Refused { .. }
                | Error::LintRefused(_)
                | Error::Pooled { .. }
                | Error::ResumeRefused { .. }
                | Error::RollbackRefused { .. }
                | Error::HistoryNotEmpty { .. }
                | Error::ForeignHistory(_)
                | Error::NotEmpty(_)
                | Error::Placeholder(_)
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
    /// #     next_step: None, invalid_index: None, lock_wait: None,
    /// # }));
    /// // `err` as returned by a failed `Migrator::run`:
    /// if let Some(sql) = err.as_sql() {
    ///     assert_eq!(sql.code, "42P01"); // undefined_table
    ///     assert_eq!((sql.line, sql.column), (Some(3), Some(35)));
    /// }
    /// assert!(err.as_sql().is_some());
    /// assert!(Error::Internal { what: "not SQL" }.as_sql().is_none());
    /// ```
    pub fn as_sql(&self) -> Option<&SqlError> {
        match self.without_report() {
            Error::Sql(e) => Some(e),
            _ => None,
        }
    }

    /// The SQLSTATE behind this error: a failed migration's, or the
    /// server's answer to a query of strata's own or to a connection.
    ///
    /// ```
    /// # use strata::error::{Error, SqlError};
    /// # let err = Error::Sql(Box::new(SqlError {
    /// #     script: "V7__backfill.sql".into(), path: None, line: Some(1), column: Some(1),
    /// #     line_text: None, code: "57014".into(),
    /// #     message: "canceling statement due to statement timeout".into(),
    /// #     detail: None, hint: None, context: None, statements_succeeded: None,
    /// #     next_step: None, invalid_index: None, lock_wait: None,
    /// # }));
    /// // `err` as returned by a migration that ran past `statement_timeout`:
    /// assert!(err.sqlstate().is_some_and(|code| code.is_query_canceled()));
    /// assert!(Error::Internal { what: "no SQL" }.sqlstate().is_none());
    /// ```
    pub fn sqlstate(&self) -> Option<SqlState> {
        match self.without_report() {
            Error::Sql(e) => Some(e.code.clone()),
            Error::Db { source, .. } | Error::Connect { source, .. } => {
                source.code().map(SqlState::from)
            }
            _ => None,
        }
    }

    /// The error itself: for a [`Partial`] failure the error it carries,
    /// otherwise `self`. Match on this to ignore the partial report.
    ///
    /// ```
    /// use strata::Error;
    /// let err = Error::Internal { what: "example" };
    /// assert!(matches!(err.without_report(), Error::Internal { .. }));
    /// ```
    pub fn without_report(&self) -> &Error {
        match self {
            Error::Partial(p) => p.error(),
            e => e,
        }
    }

    /// The partial report of type `T`, when this error carries one.
    pub(crate) fn partial_report<T: std::any::Any>(&self) -> Option<&T> {
        match self {
            Error::Partial(p) => Partial::report(p),
            _ => None,
        }
    }
}
