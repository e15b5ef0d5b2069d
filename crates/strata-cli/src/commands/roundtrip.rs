//! `strata roundtrip`: per database, in a scratch database (SPEC §11),
//! every reversible migration's up, down and up again, with the schema
//! before its up required to equal the schema after its down. Exit 3
//! naming each migration whose down does not restore it; irreversible
//! migrations are listed. Connects to no live database.

use anyhow::Result;
use serde::Serialize;
use strata::config::DatabaseConfig;
use strata::roundtrip::{Outcome, RoundtripReport};
use strata::schema::Scope;
use strata::shadow::Shadow;

use super::driver::{Done, PerDatabase, for_each_database};
use crate::context::Ctx;
use crate::exit::{PROBLEMS, exit};
use crate::render::DbReport;
use crate::render::json::Document;

/// Runs `strata roundtrip`.
pub async fn run(ctx: &Ctx) -> Result<()> {
    for_each_database(ctx, &Roundtrip).await
}

struct Roundtrip;

impl PerDatabase for Roundtrip {
    type Extra = Option<RoundtripReport>;

    /// The live databases are not connected to: their URL policy does not apply.
    fn connects(&self) -> bool {
        false
    }

    async fn run(
        &self,
        ctx: &Ctx,
        db: &DatabaseConfig,
        _r: &mut DbReport,
        extra: &mut Option<RoundtripReport>,
    ) -> Result<()> {
        let migrations = ctx.migrations(db)?;
        let shadow = Shadow::create(&ctx.project, &ctx.env, db).await?;
        super::drift::tell_shadow(ctx, db, &shadow);
        let placeholders = ctx.placeholders(db);
        let scope = Scope::of(db);
        let report = shadow
            .run(async |client| {
                strata::roundtrip::roundtrip(
                    client,
                    &migrations,
                    &db.history_table,
                    &scope,
                    placeholders.as_ref(),
                )
                .await
            })
            .await?;
        *extra = Some(report);
        Ok(())
    }

    fn after(
        &self,
        ctx: &Ctx,
        r: &DbReport,
        extra: &Option<RoundtripReport>,
    ) -> Option<anyhow::Error> {
        let report = extra.as_ref()?;
        for c in &report.checked {
            match &c.outcome {
                Outcome::Restored => ctx.out.result(&format!(
                    "database {}: {}: its down restores the schema",
                    r.name, c.script
                )),
                Outcome::Irreversible => ctx.out.result(&format!(
                    "database {}: {}: irreversible (no down part)",
                    r.name, c.script
                )),
                Outcome::NotRestored { differences } => {
                    ctx.out.result(&format!(
                        "database {}: {}: its down does not restore the schema:",
                        r.name, c.script
                    ));
                    for d in differences {
                        ctx.out.result(&format!("  {d}"));
                    }
                }
            }
        }
        let failed: Vec<&str> = report.failures().map(|c| c.script.as_str()).collect();
        if failed.is_empty() {
            return None;
        }
        Some(exit(
            PROBLEMS,
            format!(
                "database {}: {} down part(s) do not restore the schema: {}",
                r.name,
                failed.len(),
                failed.join(", ")
            ),
        ))
    }

    fn document<'a>(
        &'a self,
        ctx: &'a Ctx,
        dbs: &'a [Done<Option<RoundtripReport>>],
    ) -> impl Serialize + 'a {
        Document {
            env: &ctx.env.name,
            databases: dbs
                .iter()
                .map(|d| Database {
                    name: &d.report.name,
                    status: d.report.outcome(),
                    error: d.report.error.as_deref(),
                    migrations: d.extra.as_ref().map(|r| r.checked.as_slice()),
                })
                .collect(),
        }
    }
}

/// An entry of `roundtrip`'s `--json` document (no `url`: it connects to
/// no live database).
#[derive(Serialize)]
struct Database<'a> {
    name: &'a str,
    /// `ok`, `problems` (a down does not restore the schema) or `failed`.
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    /// Per versioned migration: version, script, outcome
    /// (`restored`, `not_restored` with `differences`, `irreversible`).
    migrations: Option<&'a [strata::roundtrip::Checked]>,
}
