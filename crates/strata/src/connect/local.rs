//! The project's local cluster as a stand-in for an unset database URL
//! (SPEC §6): where it lives (`.strata/cluster/`, kept out of version
//! control), what each database is called in it, and starting it off the
//! async runtime.

use std::path::Path;

use crate::cluster::{ClusterError, ClusterInfo, LocalCluster, PgBinaries, StartOptions};
use crate::error::Error;

/// The project's local cluster in `<root>/.strata/cluster/`, with the
/// server binaries found from the process environment. Creates `.strata/`
/// with a `.gitignore` of `*` when it is missing; starts nothing.
///
/// # Errors
///
/// [`Error::Cluster`] when `.strata/` cannot be created or no server
/// binaries are found.
///
/// # Examples
///
/// ```no_run
/// let cluster = strata::connect::local_cluster(std::path::Path::new("/srv/app"))?;
/// let info = cluster.start(&strata::cluster::StartOptions::default())?;
/// println!("{}", info.url("postgres"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn local_cluster(root: &Path) -> Result<LocalCluster, Error> {
    let strata_dir = root.join(".strata");
    std::fs::create_dir_all(&strata_dir)
        .map_err(|e| ClusterError::io("create directory", &strata_dir, e))?;
    let ignore = strata_dir.join(".gitignore");
    if !ignore.exists() {
        // Best effort: a missing .gitignore only risks committing local state.
        let _ = std::fs::write(&ignore, "*\n");
    }
    let bins = PgBinaries::from_process_env()?;
    Ok(LocalCluster::new(strata_dir.join("cluster"), bins)?)
}

/// The name database `db` gets in the local cluster in environment `env`:
/// `<db>_<env>`, so environments sharing the cluster never share a database.
///
/// # Examples
///
/// ```
/// assert_eq!(strata::connect::local_database_name("main", "dev"), "main_dev");
/// ```
pub fn local_database_name(db: &str, env: &str) -> String {
    format!("{db}_{env}")
}

/// Starts the project's local cluster (a no-op when it runs) on a blocking
/// thread, so initdb and pg_ctl do not stall the async runtime. The flag
/// says whether this call started the server.
pub(crate) async fn start(root: &Path) -> Result<(ClusterInfo, bool), Error> {
    let cluster = local_cluster(root)?;
    match tokio::task::spawn_blocking(move || cluster.start_reporting(&StartOptions::default()))
        .await
    {
        Ok(started) => Ok(started?),
        // A panic in initdb/pg_ctl handling is a bug: let it surface as one.
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => Err(Error::Internal {
            what: "the local cluster task was cancelled",
        }),
    }
}
