//! Refusals and confirmations of the destructive `db` commands, all before
//! the first database is touched: a protected environment refuses `drop`,
//! `clean` and `seed`; `drop` and `reset` need each database's real name,
//! from `--confirm` or typed on a terminal; a protected `reset` takes only
//! the ceremony on a terminal ([`super::ceremony`]).

use std::io::{BufRead, IsTerminal};

use anyhow::{Context as _, Result};
use strata::config::DatabaseConfig;

use crate::context::Ctx;
use crate::exit::{REFUSED, exit};

/// Refuses `verb` in a protected environment.
pub(super) fn refuse_if_protected(ctx: &Ctx, verb: &str) -> Result<()> {
    if ctx.env.spec.protected {
        let why = match verb {
            "seed" => "seeds are development data",
            _ => "it destroys data",
        };
        return Err(exit(
            REFUSED,
            format!(
                "refused: `strata db {verb}` is not allowed in protected environment {} ({why}); nothing was changed",
                ctx.env.name
            ),
        ));
    }
    Ok(())
}

/// The database name the URL names (or the local cluster's `<db>_<env>`),
/// after the policy checks: what a confirmation must repeat.
pub(super) fn real_name(ctx: &Ctx, db: &DatabaseConfig) -> Result<(String, String)> {
    let target = ctx.target(db)?;
    if target.uses_local_cluster() {
        let name = format!("{}_{}", db.name, ctx.env.name);
        return Ok((name, "the local cluster".to_owned()));
    }
    let url = target.require_url()?;
    target.check_policy()?;
    Ok((url.database().to_owned(), url.redacted()))
}

/// `drop` / `reset` confirmation, for every database before any is touched.
pub(super) fn confirm(
    ctx: &Ctx,
    dbs: &[&DatabaseConfig],
    given: &[String],
    verb: &str,
) -> Result<()> {
    let protected = ctx.env.spec.protected;
    let env = &ctx.env.name;
    if protected && !given.is_empty() {
        return Err(exit(
            REFUSED,
            format!(
                "refused: --confirm is not enough in protected environment {env}: a hard reset there \
                 must be done by hand, on a terminal, typing the database name and a challenge code; \
                 nothing was changed"
            ),
        ));
    }
    let mut names = Vec::new();
    for db in dbs {
        names.push((db, real_name(ctx, db)?));
    }
    if !given.is_empty() {
        for (db, (name, _)) in &names {
            if !given.iter().any(|g| g == name) {
                return Err(exit(
                    REFUSED,
                    format!(
                        "refused: --confirm does not name database {name} (database {} in environment {env}); nothing was changed",
                        db.name
                    ),
                ));
            }
        }
        if let Some(extra) = given
            .iter()
            .find(|g| !names.iter().any(|(_, (n, _))| n == *g))
        {
            return Err(exit(
                REFUSED,
                format!(
                    "refused: --confirm {extra} names no selected database; nothing was changed"
                ),
            ));
        }
        return Ok(());
    }
    if protected {
        // Only `reset` gets here: `drop` was refused before.
        if let Some(why) = super::ceremony::refusal(env) {
            return Err(exit(REFUSED, why));
        }
        return super::ceremony::run(ctx, &names);
    }
    if !std::io::stdin().is_terminal() {
        return Err(exit(
            REFUSED,
            format!(
                "refused: `strata db {verb}` needs a confirmation: pass --confirm <database name>, \
                 or run it on a terminal; nothing was changed"
            ),
        ));
    }
    let stdin = std::io::stdin();
    for (db, (name, where_)) in &names {
        let action = match verb {
            "reset" => "terminate its sessions, DROP, recreate, migrate and seed",
            _ => "DROP, with all its data",
        };
        ctx.out.prompt(&format!(
            "This will {action} database {name} (strata database {}, environment {env}, {where_}).\n\
             Type the database name to confirm: ",
            db.name
        ));
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .context("cannot read the confirmation")?;
        if line.trim() != name {
            return Err(exit(
                REFUSED,
                format!(
                    "refused: the confirmation does not match database {name}; nothing was changed"
                ),
            ));
        }
    }
    Ok(())
}
