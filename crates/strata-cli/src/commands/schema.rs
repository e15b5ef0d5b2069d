//! `strata schema dump`: each selected database's schema, read from the
//! catalogs, as the deterministic SQL of a dump file (SPEC §11) — on
//! stdout, or with `--out FILE` into a file, which then holds exactly one
//! database (several databases need `--db NAME` to pick one). `--json`
//! prints the snapshots' structure instead. Reads only.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use serde::Serialize;
use strata::config::DatabaseConfig;
use strata::schema::{Scope, Snapshot};

use super::driver::{Done, PerDatabase, for_each_database};
use crate::cli::{SchemaAction, SchemaArgs, SchemaDumpArgs};
use crate::context::Ctx;
use crate::exit::{USAGE, exit};
use crate::render::DbReport;
use crate::render::json::{DbEntry, Document};

/// Runs `strata schema …`; `work_dir` is where a relative `--out` is.
pub async fn run(ctx: &Ctx, args: &SchemaArgs, work_dir: &Path) -> Result<()> {
    match &args.action {
        SchemaAction::Dump(a) => {
            let out = a.out.as_ref().map(|f| work_dir.join(f));
            for_each_database(ctx, &Dump { args: a, out }).await
        }
    }
}

struct Dump<'a> {
    args: &'a SchemaDumpArgs,
    out: Option<PathBuf>,
}

impl PerDatabase for Dump<'_> {
    type Extra = Option<Snapshot>;

    fn before(&self, _ctx: &Ctx, dbs: &[&DatabaseConfig]) -> Result<()> {
        if self.out.is_some() && dbs.len() != 1 {
            let names: Vec<&str> = dbs.iter().map(|d| d.name.as_str()).collect();
            return Err(exit(
                USAGE,
                format!(
                    "--out writes the dump of one database, and {} are selected ({}): pick one with --db NAME",
                    dbs.len(),
                    names.join(", ")
                ),
            ));
        }
        Ok(())
    }

    async fn run(
        &self,
        ctx: &Ctx,
        db: &DatabaseConfig,
        r: &mut DbReport,
        snapshot: &mut Option<Snapshot>,
    ) -> Result<()> {
        let endpoint = ctx.endpoint(db).await?;
        r.url = Some(endpoint.redacted().to_owned());
        let client = ctx.connect(&endpoint, self.args.connect.wait).await?;
        let s = strata::schema::snapshot(&client, &Scope::of(db)).await?;
        if let Some(path) = &self.out {
            write_atomically(path, &s.to_dump(&db.name))?;
            ctx.out.info(&format!(
                "database {}: wrote its schema to {}",
                db.name,
                path.display()
            ));
        } else if !ctx.out.json {
            // The file's text; a dump ends with a newline, the line adds it.
            ctx.out.result(s.to_dump(&db.name).trim_end_matches('\n'));
        }
        *snapshot = Some(s);
        Ok(())
    }

    fn document<'a>(
        &'a self,
        ctx: &'a Ctx,
        dbs: &'a [Done<Option<Snapshot>>],
    ) -> impl Serialize + 'a {
        Document {
            env: &ctx.env.name,
            databases: dbs
                .iter()
                .map(|d| Database {
                    entry: DbEntry::of(&d.report),
                    out: self.out.as_deref(),
                    snapshot: d.extra.as_ref(),
                })
                .collect(),
        }
    }
}

/// An entry of `schema dump`'s `--json` document (status: `ok` or
/// `failed`).
#[derive(Serialize)]
struct Database<'a> {
    #[serde(flatten)]
    entry: DbEntry<'a>,
    /// The file written, with `--out`.
    #[serde(skip_serializing_if = "Option::is_none")]
    out: Option<&'a Path>,
    /// The schema (`strata::schema::Snapshot`).
    snapshot: Option<&'a Snapshot>,
}

/// Writes `text` to `path` through a temporary file beside it, renamed
/// over it, so a reader (or a failed write) never sees half a dump.
fn write_atomically(path: &Path, text: &str) -> Result<()> {
    let name = path
        .file_name()
        .with_context(|| format!("--out {}: not a file name", path.display()))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(".strata-tmp");
    let tmp = path.with_file_name(tmp_name);
    let written = std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.with_context(|| format!("cannot write {}", path.display()))
}
