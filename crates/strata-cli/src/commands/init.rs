//! `strata init`: a commented strata.toml and `migrations/`. Never overwrites.

use anyhow::{Context, Result};

use crate::cli::Global;
use crate::context::work_dir;
use crate::exit::{REFUSED, exit};
use crate::output::Output;
use crate::render::json::Created;
use crate::render::lines;

/// Runs `strata init`.
pub fn run(global: &Global, out: &Output) -> Result<()> {
    let dir = work_dir(global)?;
    let path = dir.join("strata.toml");
    if path.exists() {
        return Err(exit(
            REFUSED,
            format!(
                "{} already exists; nothing was written (edit it, or remove it to start over)",
                path.display()
            ),
        ));
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::write(&path, strata::scaffold::STRATA_TOML)
        .with_context(|| format!("cannot write {}", path.display()))?;
    let migrations = dir.join("migrations");
    std::fs::create_dir_all(&migrations)
        .with_context(|| format!("cannot create {}", migrations.display()))?;
    out.result(&lines::created_file(&path));
    out.result(&lines::created_dir(&migrations));
    out.info("next: `strata new create_users`, write the SQL, then `strata migrate`");
    if out.json {
        out.json(&Created {
            created: vec![path.display().to_string(), migrations.display().to_string()],
            exit_code: crate::exit::OK,
        });
    }
    Ok(())
}
