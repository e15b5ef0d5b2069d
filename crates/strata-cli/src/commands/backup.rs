//! `strata migrate --backup DIR` (SPEC §4): before the first database is
//! migrated, a `pg_dump -Fc` of every selected database into DIR, through
//! [`strata::backup`]. Each database is connected (as `migrate` connects:
//! its `direct_url_env` when set) to learn the server's major version, so
//! the right `pg_dump` is chosen. The first failed dump ends the command
//! (exit 1) before anything is migrated. With `--dry-run` nothing is
//! dumped: each database says where it would be dumped and with which
//! pg_dump.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context as _, Result};
use strata::backup::{DumpOptions, PgDump};
use strata::config::DatabaseConfig;

use crate::context::Ctx;

/// Dumps every database of `dbs` into `dir` (relative to the working
/// directory), or says what it would dump when `dry_run`. Returns the
/// dump file of each database, by name.
pub(crate) async fn take(
    ctx: &Ctx,
    dbs: &[&DatabaseConfig],
    dir: &Path,
    dry_run: bool,
    wait: Duration,
    lock_wait: Duration,
) -> Result<BTreeMap<String, String>> {
    let dir = ctx.work_dir.join(dir);
    let mut taken = BTreeMap::new();
    for db in dbs {
        let name = &db.name;
        let direct = ctx.direct(db);
        let endpoint = ctx.endpoint(&direct).await?;
        let pg_dump = async {
            let client = ctx.connect(&endpoint, wait).await?;
            let major = strata::backup::server_major(&client, endpoint.database()).await?;
            anyhow::Ok(PgDump::from_process_env(major)?)
        }
        .await
        .with_context(|| format!("database {name}: backup"))?;
        let program = pg_dump.path().display();
        if dry_run {
            ctx.out.result(&format!(
                "{name}: would back up {} into {} with {program}",
                endpoint.database(),
                dir.display()
            ));
            continue;
        }
        let opts = DumpOptions { lock_wait };
        let backup = strata::backup::dump(&pg_dump, &endpoint, &dir, &opts)
            .await
            .with_context(|| format!("database {name}: backup"))?;
        ctx.out.result(&format!(
            "{name}: backed up {} to {} ({})",
            backup.database,
            backup.path.display(),
            size(backup.bytes)
        ));
        taken.insert(name.clone(), backup.path.display().to_string());
    }
    Ok(taken)
}

/// `812 B`, `14 KiB`, `3.2 MiB`.
fn size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    match bytes {
        b if b < KIB => format!("{b} B"),
        b if b < KIB * KIB => format!("{} KiB", b.div_ceil(KIB)),
        b => format!("{:.1} MiB", b as f64 / (KIB * KIB) as f64),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_read_like_ls_h() {
        assert_eq!(super::size(812), "812 B");
        assert_eq!(super::size(14 * 1024 - 3), "14 KiB");
        assert_eq!(super::size(3 * 1024 * 1024 + 300_000), "3.3 MiB");
    }
}
