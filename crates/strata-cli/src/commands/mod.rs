//! One file per command. Each takes parsed arguments, does its work through
//! the library, and renders; none decides the exit code (main does).

pub mod baseline;
pub mod db;
pub mod dev;
pub mod env;
pub mod init;
pub mod migrate;
pub mod new;
pub mod repair;
pub mod rollback;
pub mod status;
pub mod validate;
pub mod verify;

use crate::exit::{Exit, FAILED};
use crate::render::DbReport;

/// Leaves `value` to the operating system, which takes the whole heap back
/// at exit, instead of freeing it allocation by allocation: with ten
/// thousand migrations, dropping the file list, the history and the reports
/// was a tenth of `verify`'s time. Only for what a command holds until it
/// returns; the process ends right after.
pub(crate) fn release_at_exit<T>(value: T) {
    std::mem::forget(value);
}

/// Databases that failed in this run, so the ones that `depends_on` them are
/// skipped (and count as failed for their own dependents).
#[derive(Default)]
pub(crate) struct Failed(std::collections::HashSet<String>);

impl Failed {
    /// Marks `db` failed.
    pub(crate) fn insert(&mut self, db: &str) {
        self.0.insert(db.to_owned());
    }

    /// When a database `db` depends on has failed: says so, marks the report
    /// skipped and `db` failed, and returns true.
    pub(crate) fn skip_dependent(
        &mut self,
        ctx: &crate::context::Ctx,
        db: &strata::config::DatabaseConfig,
        report: &mut DbReport,
    ) -> bool {
        let Some(dep) = db.depends_on.iter().find(|d| self.0.contains(*d)) else {
            return false;
        };
        let why = format!("skipped: it depends on {dep}, which failed");
        ctx.out.warn(&format!("database {}: {why}", report.name));
        report.skipped = Some(why);
        self.insert(&db.name);
        true
    }
}

/// Records a database's failure in its report and prints it now, so errors
/// appear next to the database they belong to.
pub(crate) fn record_failure(
    ctx: &crate::context::Ctx,
    report: &mut DbReport,
    err: anyhow::Error,
    errors: &mut Vec<anyhow::Error>,
) {
    let with_name = err.context(format!("database {}", report.name));
    ctx.out.error(&with_name);
    report.error = Some(format!("{with_name:#}"));
    errors.push(with_name);
}

/// [`finish`] for the checking commands (`validate`, `verify`): their problem
/// summaries (exit-3 [`Exit`]s, not yet printed) go to stderr first.
pub(crate) fn finish_checks(
    ctx: &crate::context::Ctx,
    errors: Vec<anyhow::Error>,
) -> anyhow::Result<()> {
    for e in errors.iter().filter(|e| e.downcast_ref::<Exit>().is_some()) {
        ctx.out.error(e);
    }
    finish(errors)
}

/// The outcome of a command over several databases: success, the one
/// failure's own exit code, or 1 when several databases failed differently.
/// Errors were already printed, so the returned error carries no message.
pub(crate) fn finish(errors: Vec<anyhow::Error>) -> anyhow::Result<()> {
    if errors.is_empty() {
        return Ok(());
    }
    let codes: Vec<u8> = errors.iter().map(crate::exit::code_u8).collect();
    let code = if codes.iter().all(|c| *c == codes[0]) {
        codes[0]
    } else {
        FAILED
    };
    Err(anyhow::Error::new(Exit {
        code,
        message: String::new(),
    }))
}
