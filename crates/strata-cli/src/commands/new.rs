//! `strata new DESCRIPTION`: the next migration file, named in the folder's style.

use std::io::Write;

use anyhow::{Context, Result};

use crate::cli::NewArgs;
use crate::context::Ctx;
use crate::exit::{USAGE, exit};
use crate::render::json::Created;

/// Runs `strata new`.
pub fn run(ctx: &Ctx, args: &NewArgs) -> Result<()> {
    let dbs = ctx.databases()?;
    let db = match dbs.as_slice() {
        [one] => *one,
        _ => {
            let names: Vec<&str> = dbs.iter().map(|d| d.name.as_str()).collect();
            return Err(exit(
                USAGE,
                format!(
                    "several databases ({}); pick one with --db NAME",
                    names.join(", ")
                ),
            ));
        }
    };
    let dir = &db.migrations;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut existing = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let entry = entry.with_context(|| format!("cannot read {}", dir.display()))?;
        if let Some(n) = entry.file_name().to_str() {
            existing.push(n.to_owned());
        }
    }
    let now = time::OffsetDateTime::now_utc();
    let stamp = format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    let description = args.description.join(" ");
    let files = strata::scaffold::next_migration(&existing, &description, args.reversible, &stamp)
        .map_err(|e| exit(USAGE, e))?;
    let mut created = Vec::new();
    for f in files {
        let path = dir.join(&f.name);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        file.write_all(f.content.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
        ctx.out.result(&path.display().to_string());
        created.push(path.display().to_string());
    }
    if ctx.out.json {
        ctx.out.json(&Created {
            created,
            exit_code: crate::exit::OK,
        });
    }
    Ok(())
}
