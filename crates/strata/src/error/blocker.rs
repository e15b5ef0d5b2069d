//! [`Blocker`]: a session holding a lock a migration waited for, as
//! `pg_blocking_pids` and `pg_stat_activity` tell; and [`LockWait`], what a
//! migration that failed on `lock_timeout` knows about its waits.

use std::fmt;

use super::bounded::bounded;

/// How many characters of a blocker's query an error shows.
const QUERY_MAX: usize = 120;

/// A session that blocked a migration's lock request.
///
/// Its `Display` is what `strata migrate` prints after "blocked by":
///
/// ```
/// use strata::error::Blocker;
///
/// let b = Blocker {
///     pid: 4242,
///     application_name: "orders-api".into(),
///     state: "idle in transaction".into(),
///     query_start: Some("2025-06-01T12:00:01Z".into()),
///     query: "SELECT * FROM orders\nWHERE id = $1".into(),
/// };
/// assert_eq!(
///     b.to_string(),
///     "pid 4242 (app \"orders-api\", idle in transaction since 2025-06-01T12:00:01Z): SELECT * FROM orders …"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blocker {
    /// Backend pid.
    pub pid: i32,
    /// Its `application_name` (empty when it set none).
    pub application_name: String,
    /// `pg_stat_activity.state`: `active`, `idle in transaction` …
    pub state: String,
    /// When its current (or, idle, its last) query started, UTC.
    pub query_start: Option<String>,
    /// Its current or last query as the server shows it (for another
    /// role's session without `pg_read_all_stats`: `<insufficient privilege>`).
    pub query: String,
}

impl Blocker {
    /// The first non-blank line of the query, at most 120 characters, with
    /// `…` when more follows.
    ///
    /// ```
    /// use strata::error::Blocker;
    /// let b = Blocker { pid: 1, application_name: String::new(), state: "active".into(),
    ///     query_start: None, query: "\n  LOCK TABLE t IN ACCESS SHARE MODE".into() };
    /// assert_eq!(b.first_line(), "LOCK TABLE t IN ACCESS SHARE MODE");
    /// ```
    pub fn first_line(&self) -> String {
        let mut lines = self.query.lines().map(str::trim).filter(|l| !l.is_empty());
        let first = lines.next().unwrap_or("");
        let more = lines.next().is_some();
        let mut out: String = first.chars().take(QUERY_MAX).collect();
        if more || first.chars().count() > QUERY_MAX {
            out.push_str(" …");
        }
        out
    }
}

impl fmt::Display for Blocker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pid {} (app {:?}", self.pid, self.application_name)?;
        if !self.state.is_empty() {
            write!(f, ", {}", self.state)?;
        }
        if let Some(t) = &self.query_start {
            write!(f, " since {t}")?;
        }
        write!(f, "): {}", bounded(&self.first_line()))
    }
}

/// What a transactional migration that failed on `lock_timeout` (SQLSTATE
/// 55P03) knows about its waits: how many times it ran, and the sessions
/// seen blocking it in the last one.
///
/// ```
/// use strata::error::LockWait;
/// let w = LockWait { attempts: 4, blockers: vec![] };
/// assert_eq!(
///     w.to_string(),
///     "gave up after 4 attempts (lock_retries = 3)\n  no blocking session was seen (it may have ended before strata looked)"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockWait {
    /// How many times the migration ran (1 when it was not retried).
    pub attempts: u32,
    /// The sessions blocking its last attempt, by pid.
    pub blockers: Vec<Blocker>,
}

impl fmt::Display for LockWait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.attempts > 1 {
            write!(
                f,
                "gave up after {} attempts (lock_retries = {})",
                self.attempts,
                self.attempts - 1
            )?;
        } else {
            write!(
                f,
                "not retried (set `lock_retries` for the environment, or pass --lock-retries N)"
            )?;
        }
        if self.blockers.is_empty() {
            write!(
                f,
                "\n  no blocking session was seen (it may have ended before strata looked)"
            )?;
        }
        for b in &self.blockers {
            write!(f, "\n  blocked by {b}")?;
        }
        Ok(())
    }
}
