//! The one per-database driver: every command that works database by
//! database (`status`, `validate`, `verify`, `migrate`, `rollback`,
//! `repair`, `baseline`, `env`, `db …`) is a [`PerDatabase`] run by
//! [`for_each_database`], which owns the skeleton they share: select the
//! databases in `depends_on` order (reversed for rollback), build a
//! [`DbReport`] for each, skip the dependents of a failed one (when the
//! command asks), run it, attribute and print its failure ("database X: …")
//! right away, print the per-database result, then the JSON document or the
//! summary, and the exit code.
//!
//! Before the first database is touched, a command that connects has the
//! environment's URL policy checked on the effective connection of every
//! selected database ([`check_policies`], SPEC §1.3): a violation on the
//! last database means the first ones are not touched.

use anyhow::Result;
use serde::Serialize;
use strata::config::DatabaseConfig;

use super::release_at_exit;
use crate::context::Ctx;
use crate::exit::{Exit, FAILED, OK};
use crate::render::json::WithExitCode;
use crate::render::{DbReport, lines};

/// What one command does per database; the driver does the rest.
pub(crate) trait PerDatabase {
    /// What the command keeps about a database besides its [`DbReport`],
    /// for its JSON document (what ran, what was recorded …).
    type Extra: Default;

    /// Skip (and report as skipped) the databases that `depends_on` one that
    /// failed in this run: for commands that change databases in order.
    const SKIPS_DEPENDENTS: bool = false;
    /// Whether the command connects through `direct_url_env` when it is
    /// set (`migrate`, `rollback`, `repair`, `baseline`), so that URL is the
    /// one policy-checked.
    const DIRECT: bool = false;

    /// Dependents first: for undoing what was done in `depends_on` order.
    const DEPENDENTS_FIRST: bool = false;

    /// Whether the command connects to the databases (then the policy of
    /// every one is checked before the first is touched). `env` only
    /// reports the checks; `validate --offline` connects nowhere.
    fn connects(&self) -> bool {
        true
    }

    /// Before the first database is touched: refusals, confirmations, a
    /// header.
    fn before(&self, _ctx: &Ctx, _dbs: &[&DatabaseConfig]) -> Result<()> {
        Ok(())
    }

    /// After [`before`](Self::before), before [`run`](Self::run) touches
    /// the first database: work over every selected database that must
    /// succeed for all of them before any is changed (`migrate --backup`).
    async fn prepare(&self, _ctx: &Ctx, _dbs: &[&DatabaseConfig]) -> Result<()> {
        Ok(())
    }

    /// The work on one database. An error is attributed to the database,
    /// printed at once, recorded in the report, and stops its dependents.
    async fn run(
        &self,
        ctx: &Ctx,
        db: &DatabaseConfig,
        r: &mut DbReport,
        extra: &mut Self::Extra,
    ) -> Result<()>;

    /// After [`run`](Self::run) (and its failure, if any, was printed): the
    /// database's result lines. A returned error is a check's finding
    /// (exit 3), printed to stderr after the document.
    fn after(&self, _ctx: &Ctx, _r: &DbReport, _extra: &Self::Extra) -> Option<anyhow::Error> {
        None
    }

    /// The `--json` document.
    fn document<'a>(&'a self, ctx: &'a Ctx, dbs: &'a [Done<Self::Extra>]) -> impl Serialize + 'a;

    /// Without `--json`, after the last database: a summary.
    fn summary(&self, _ctx: &Ctx, _dbs: &[Done<Self::Extra>]) {}

    /// The outcome once every database went well (`env` fails here when a
    /// URL breaks a rule, after showing every database).
    fn conclude(&self, _dbs: &[Done<Self::Extra>]) -> Result<()> {
        Ok(())
    }
}

/// A database the driver went through.
pub(crate) struct Done<X> {
    /// What the command learnt, and whether it failed or was skipped.
    pub report: DbReport,
    /// What is particular to the command.
    pub extra: X,
}

/// Runs `per` over the selected databases (see the module docs).
pub(crate) async fn for_each_database<P: PerDatabase>(ctx: &Ctx, per: &P) -> Result<()> {
    let mut dbs = ctx.databases()?;
    if P::DEPENDENTS_FIRST {
        // Dependents first: they were migrated after what they depend on.
        dbs.reverse();
    }
    if per.connects() {
        check_policies(ctx, &dbs, P::DIRECT)?;
    }
    per.before(ctx, &dbs)?;
    per.prepare(ctx, &dbs).await?;
    let mut done = Vec::with_capacity(dbs.len());
    let mut errors = Vec::new();
    let mut findings = Vec::new();
    let mut failed = Failed::default();
    for db in dbs {
        let mut report = DbReport {
            name: db.name.clone(),
            table: ctx.table(db).to_string(),
            ..Default::default()
        };
        let mut extra = P::Extra::default();
        if strata::interrupt::requested() {
            // Interrupted (SIGINT/SIGTERM): the databases not started stay untouched.
            report.skipped = Some("interrupted".to_owned());
            done.push(Done { report, extra });
            continue;
        }
        if P::SKIPS_DEPENDENTS && failed.skip_dependent(ctx, db, &mut report) {
            done.push(Done { report, extra });
            continue;
        }
        if let Err(e) = per.run(ctx, db, &mut report, &mut extra).await {
            failed.insert(&db.name);
            record_failure(ctx, &mut report, e, &mut errors);
        }
        if let Some(finding) = per.after(ctx, &report, &extra) {
            report.found_problems = true;
            findings.push(finding);
        }
        done.push(Done { report, extra });
    }
    let outcome = finish(errors.iter().chain(&findings)).and_then(|()| per.conclude(&done));
    if ctx.out.json {
        ctx.out.json(&WithExitCode {
            document: per.document(ctx, &done),
            exit_code: outcome.as_ref().map_or_else(crate::exit::code_u8, |()| OK),
        });
    } else {
        per.summary(ctx, &done);
    }
    // Findings are summed up last, after everything they summarize.
    for f in &findings {
        ctx.out.error(f);
    }
    release_at_exit(done);
    outcome
}

/// The environment's URL policy on the effective connection of every
/// database in `dbs`, before any connects (SPEC §1.3 and §4.2 step 1): the
/// first violation is the command's error (exit 2, naming the rule, the
/// environment and the redacted URL). A protected environment connecting
/// without TLS gets a warning even without `require_tls`. Databases whose
/// URL is unset or does not parse are left to their own run, which
/// reports them.
pub(crate) fn check_policies(ctx: &Ctx, dbs: &[&DatabaseConfig], direct: bool) -> Result<()> {
    for db in dbs {
        // migrate and rollback connect through `direct_url_env` when it is set.
        let db = if direct {
            ctx.direct(db)
        } else {
            std::borrow::Cow::Borrowed(*db)
        };
        let db = db.as_ref();
        let Ok(target) = ctx.target(db) else {
            continue;
        };
        target
            .check_policy()
            .map_err(|e| anyhow::Error::new(e).context(format!("database {}", db.name)))?;
        if ctx.env.spec.protected
            && let Some(effective) = &target.effective
            && !effective.is_unix_socket()
            && !effective.ssl_mode().is_some_and(|m| m.requires_tls())
        {
            let mode = effective
                .ssl_mode()
                .map_or_else(|| "prefer (libpq's default)".to_owned(), |m| m.to_string());
            ctx.out.warn(&format!(
                "database {}: protected environment `{}` connects to {} without guaranteed TLS (sslmode={mode}): set sslmode=require, verify-ca or verify-full",
                db.name,
                ctx.env.name,
                effective.endpoint_summary()
            ));
        }
    }
    Ok(())
}

/// Databases that failed in this run, so the ones that `depends_on` them are
/// skipped (and count as failed for their own dependents).
#[derive(Default)]
struct Failed(std::collections::HashSet<String>);

impl Failed {
    /// Marks `db` failed.
    fn insert(&mut self, db: &str) {
        self.0.insert(db.to_owned());
    }

    /// When a database `db` depends on has failed: says so, marks the report
    /// skipped and `db` failed, and returns true.
    fn skip_dependent(&mut self, ctx: &Ctx, db: &DatabaseConfig, report: &mut DbReport) -> bool {
        let Some(dep) = db.depends_on.iter().find(|d| self.0.contains(*d)) else {
            return false;
        };
        let why = lines::depends_on_failed(dep);
        ctx.out.warn(&lines::skipped(&report.name, &why));
        report.skipped = Some(why);
        self.insert(&db.name);
        true
    }
}

/// Records a database's failure in its report and prints it now, so errors
/// appear next to the database they belong to.
fn record_failure(
    ctx: &Ctx,
    report: &mut DbReport,
    err: anyhow::Error,
    errors: &mut Vec<anyhow::Error>,
) {
    let with_name = err.context(format!("database {}", report.name));
    ctx.out.error(&with_name);
    report.error = Some(crate::output::one_line(&with_name));
    errors.push(with_name);
}

/// The outcome of a command over several databases: success, the one
/// failure's own exit code, or 1 when several databases failed differently.
/// Errors are printed by the driver, so the returned error carries no message.
fn finish<'a>(errors: impl Iterator<Item = &'a anyhow::Error>) -> Result<()> {
    let codes: Vec<u8> = errors.map(crate::exit::code_u8).collect();
    let Some(first) = codes.first() else {
        return Ok(());
    };
    let code = if codes.iter().all(|c| c == first) {
        *first
    } else {
        FAILED
    };
    Err(anyhow::Error::new(Exit {
        code,
        message: String::new(),
    }))
}
