//! `strata drift`: per database, the live schema against the schema its
//! applied migrations build in a scratch database (SPEC §11), or with
//! `--against FILE` against a committed dump. Exit 0 when they are equal,
//! 3 when not, with one line per difference (`+ index …`, `~ column …`).
//! The live database is only read.

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::Serialize;
use strata::config::DatabaseConfig;
use strata::drift::Building;
use strata::drift::DriftReport;
use strata::schema::{Dump, Scope};
use strata::shadow::{Shadow, ShadowServer};

use super::driver::{Done, PerDatabase, for_each_database};
use crate::cli::DriftArgs;
use crate::context::Ctx;
use crate::exit::{PROBLEMS, exit};
use crate::render::DbReport;
use crate::render::json::{DbEntry, Document};

/// Runs `strata drift`.
pub async fn run(ctx: &Ctx, args: &DriftArgs) -> Result<()> {
    let against = args.against.as_ref().map(|f| ctx.work_dir.join(f));
    for_each_database(ctx, &Drift { args, against }).await
}

struct Drift<'a> {
    args: &'a DriftArgs,
    against: Option<PathBuf>,
}

impl PerDatabase for Drift<'_> {
    type Extra = Option<DriftReport>;

    async fn run(
        &self,
        ctx: &Ctx,
        db: &DatabaseConfig,
        r: &mut DbReport,
        extra: &mut Option<DriftReport>,
    ) -> Result<()> {
        // Before connecting: a bad dump or bad files fail without a session.
        let expected = match self.against.as_deref() {
            Some(file) => Expected::Dump(Box::new(Dump::read(file)?)),
            None => Expected::Files(ctx.migrations(db)?),
        };
        // Never creates the live database in the local cluster.
        let endpoint = ctx.endpoint_no_create(db).await?;
        r.url = Some(endpoint.redacted().to_owned());
        let connect = ctx.connect(&endpoint, self.args.connect.wait);
        let report = match &expected {
            Expected::Dump(dump) => {
                let live = connect.await?;
                strata::drift::against(&live, &dump.snapshot, &Scope::of(db)).await?
            }
            Expected::Files(migrations) => {
                // The live database and the shadow server are connected to
                // at once; neither has created anything yet, so when one
                // fails the other is simply dropped.
                let (live, host) = tokio::try_join!(connect, async {
                    Shadow::connect_server(&ctx.project, &ctx.env, db)
                        .await
                        .map_err(anyhow::Error::from)
                })?;
                tell_started(ctx, host.server());
                let placeholders = ctx.placeholders(db);
                strata::drift::drift_on(
                    &live,
                    host,
                    migrations,
                    db,
                    placeholders.as_ref(),
                    &mut |building| tell_building(ctx, db, building),
                )
                .await?
            }
        };
        if report.history_missing {
            ctx.out.warn(&format!(
                "database {}: no history table {}: compared with an empty schema",
                db.name, db.history_table
            ));
        }
        if let Some(version) = &report.baseline_undescribed {
            ctx.out.warn(&format!(
                "database {}: baselined at version {version} and no migration file at or below it: \
                 what the baseline stands for shows as `+` (compare with `--against` a dump instead)",
                db.name
            ));
        }
        *extra = Some(report);
        Ok(())
    }

    fn after(&self, ctx: &Ctx, r: &DbReport, extra: &Option<DriftReport>) -> Option<anyhow::Error> {
        let report = extra.as_ref()?;
        let what = match &self.against {
            Some(f) => f.display().to_string(),
            None => format!("its {} applied migration(s)", report.replayed.len()),
        };
        if report.is_clean() {
            ctx.out.result(&format!(
                "database {}: no drift: the schema matches {what}",
                r.name
            ));
            return None;
        }
        ctx.out.result(&format!(
            "database {}: the schema differs from {what}:",
            r.name
        ));
        for d in &report.differences {
            ctx.out.result(&format!("  {d}"));
        }
        Some(exit(
            PROBLEMS,
            format!(
                "database {}: {} difference(s) between the live schema and {what}",
                r.name,
                report.differences.len()
            ),
        ))
    }

    fn document<'a>(
        &'a self,
        ctx: &'a Ctx,
        dbs: &'a [Done<Option<DriftReport>>],
    ) -> impl Serialize + 'a {
        Document {
            env: &ctx.env.name,
            databases: dbs
                .iter()
                .map(|d| Database {
                    entry: DbEntry::of(&d.report),
                    against: self.against.as_deref(),
                    drift: d.extra.as_ref(),
                })
                .collect(),
        }
    }
}

/// What the live schema is compared with.
enum Expected {
    /// `--against FILE`.
    Dump(Box<Dump>),
    /// The migration files, replayed in a scratch database.
    Files(strata::Migrations),
}

/// Says that the local cluster was started for the check (stderr).
pub(crate) fn tell_started(ctx: &Ctx, server: &ShadowServer) {
    if let ShadowServer::LocalCluster { started: true } = server {
        ctx.out
            .info("started the local cluster for the expected schema");
    }
}

/// Says where the expected schema is built (stderr), and why not in one
/// transaction when that failed.
fn tell_building(ctx: &Ctx, db: &DatabaseConfig, building: Building<'_>) {
    if let Building::Scratch {
        after: Some(why), ..
    } = building
    {
        ctx.out.info(&format!(
            "database {}: the replay in one transaction failed ({why}); replaying file by file",
            db.name
        ));
    }
    ctx.out
        .info(&format!("database {}: replaying {building}", db.name));
}

/// Says where the scratch database is (stderr).
pub(crate) fn tell_shadow(ctx: &Ctx, db: &DatabaseConfig, shadow: &Shadow) {
    tell_started(ctx, shadow.server());
    ctx.out.info(&format!(
        "database {}: scratch database {} on {}",
        db.name,
        shadow.name(),
        shadow.server()
    ));
}

/// An entry of `drift`'s `--json` document (status: `ok`, `problems`
/// when differences were found, or `failed`).
#[derive(Serialize)]
struct Database<'a> {
    #[serde(flatten)]
    entry: DbEntry<'a>,
    /// The dump compared with, with `--against`.
    #[serde(skip_serializing_if = "Option::is_none")]
    against: Option<&'a Path>,
    /// `history_missing`, `replayed`, `differences`.
    #[serde(flatten)]
    drift: Option<&'a DriftReport>,
}
