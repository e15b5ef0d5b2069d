//! Finding the PostgreSQL server binaries (`initdb`, `pg_ctl`, `postgres`).
//!
//! The search order is the one in SPEC §6: `STRATA_PG_BIN`, then
//! `pg_config --bindir`, then `/usr/lib/postgresql/<version>/bin` (Debian and
//! Ubuntu install server binaries there, outside `PATH`; the highest version
//! wins), then every directory of `PATH`. A candidate counts only if it holds
//! all three programs as executable files.

use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::error::ClusterError;

/// The programs a directory must hold to be a server installation.
const REQUIRED: [&str; 3] = ["initdb", "pg_ctl", "postgres"];

/// Where Debian-style packages put versioned server binaries.
const DEBIAN_ROOT: &str = "/usr/lib/postgresql";

/// A directory holding the PostgreSQL server binaries.
///
/// Usually found with [`PgBinaries::from_process_env`] and handed to
/// [`LocalCluster::new`](super::LocalCluster::new):
///
/// ```no_run
/// # fn f() -> Result<(), Box<dyn std::error::Error>> {
/// use strata::cluster::{LocalCluster, PgBinaries};
///
/// let bins = PgBinaries::from_process_env()?; // e.g. /usr/lib/postgresql/16/bin
/// println!("using {}", bins.bin_dir().display());
/// let cluster = LocalCluster::new(".strata/cluster", bins)?;
/// # let _ = cluster; Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgBinaries {
    bin_dir: PathBuf,
}

impl PgBinaries {
    /// Finds the server binaries, reading variables through `env` (so callers
    /// can pass a resolved environment rather than the process's own).
    ///
    /// Order: `STRATA_PG_BIN`, `pg_config --bindir` (with `pg_config` looked
    /// up on `env`'s `PATH`), `/usr/lib/postgresql/*/bin` (highest numeric
    /// version first), each directory of `PATH`.
    ///
    /// # Errors
    ///
    /// [`ClusterError::InvalidPgBin`] when `STRATA_PG_BIN` is set but lacks a
    /// program (no silent fallback from an explicit setting);
    /// [`ClusterError::BinariesNotFound`], whose message says how to install
    /// PostgreSQL, when no candidate holds all three programs.
    ///
    /// # Examples
    ///
    /// With variables from a map instead of the process:
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use strata::cluster::{ClusterError, PgBinaries};
    ///
    /// # let bin_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/doc/docs-cluster-pg-bin");
    /// let vars = HashMap::from([("STRATA_PG_BIN", bin_dir.to_owned())]);
    /// let bins = PgBinaries::find(&|name| vars.get(name).cloned())?;
    /// assert_eq!(bins.bin_dir(), std::path::Path::new(bin_dir));
    ///
    /// // An explicit STRATA_PG_BIN that is wrong is an error, never a fallback.
    /// let vars = HashMap::from([("STRATA_PG_BIN", "/nonexistent".to_owned())]);
    /// let err = PgBinaries::find(&|name| vars.get(name).cloned()).unwrap_err();
    /// assert!(matches!(err, ClusterError::InvalidPgBin { missing: "initdb", .. }));
    /// # Ok::<(), ClusterError>(())
    /// ```
    pub fn find(env: &impl Fn(&str) -> Option<String>) -> Result<Self, ClusterError> {
        find_in(env, Path::new(DEBIAN_ROOT))
    }

    /// [`PgBinaries::find`] over the process environment.
    ///
    /// # Errors
    ///
    /// As [`PgBinaries::find`].
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::cluster::PgBinaries;
    ///
    /// match PgBinaries::from_process_env() {
    ///     Ok(bins) => assert!(bins.initdb().starts_with(bins.bin_dir())),
    ///     // The message says how to install PostgreSQL or set STRATA_PG_BIN.
    ///     Err(e) if e.is_binaries_missing() => eprintln!("error: {e}"),
    ///     Err(e) => panic!("{e}"),
    /// }
    /// ```
    pub fn from_process_env() -> Result<Self, ClusterError> {
        Self::find(&|name| std::env::var(name).ok())
    }

    /// Uses `dir` as is, after checking it holds `initdb`, `pg_ctl` and
    /// `postgres`.
    ///
    /// # Errors
    ///
    /// [`ClusterError::BinariesNotFound`] naming `dir` when a program is missing.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::cluster::{ClusterError, PgBinaries};
    ///
    /// # let bin_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/doc/docs-cluster-pg-bin");
    /// let bins = PgBinaries::from_dir(bin_dir)?; // e.g. "/usr/lib/postgresql/16/bin"
    /// assert_eq!(bins.bin_dir(), std::path::Path::new(bin_dir));
    ///
    /// let err = PgBinaries::from_dir("/nonexistent").unwrap_err();
    /// assert!(matches!(&err, ClusterError::BinariesNotFound { searched } if searched.len() == 1));
    /// # Ok::<(), ClusterError>(())
    /// ```
    pub fn from_dir(dir: impl Into<PathBuf>) -> Result<Self, ClusterError> {
        let dir = dir.into();
        match first_missing(&dir) {
            None => Ok(PgBinaries { bin_dir: dir }),
            Some(_) => Err(ClusterError::BinariesNotFound {
                searched: vec![dir],
            }),
        }
    }

    /// The directory holding the binaries.
    ///
    /// ```
    /// use std::path::Path;
    /// use strata::cluster::PgBinaries;
    ///
    /// # let bin_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/doc/docs-cluster-pg-bin");
    /// let bins = PgBinaries::from_dir(bin_dir)?;
    /// assert_eq!(bins.bin_dir(), Path::new(bin_dir));
    /// # Ok::<(), strata::cluster::ClusterError>(())
    /// ```
    pub fn bin_dir(&self) -> &Path {
        &self.bin_dir
    }

    /// The path of the program `name` in [`bin_dir`](Self::bin_dir), e.g.
    /// `psql` or `pg_dump` (which may not exist: only the three server
    /// programs are checked).
    ///
    /// ```
    /// use strata::cluster::PgBinaries;
    ///
    /// # let bin_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/doc/docs-cluster-pg-bin");
    /// let bins = PgBinaries::from_dir(bin_dir)?;
    /// let psql = bins.program("psql");
    /// assert_eq!(psql, bins.bin_dir().join("psql"));
    /// # Ok::<(), strata::cluster::ClusterError>(())
    /// ```
    pub fn program(&self, name: &str) -> PathBuf {
        self.bin_dir.join(name)
    }

    /// The `initdb` program.
    ///
    /// ```
    /// use strata::cluster::PgBinaries;
    ///
    /// # let bin_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/doc/docs-cluster-pg-bin");
    /// let bins = PgBinaries::from_dir(bin_dir)?;
    /// assert_eq!(bins.initdb(), bins.bin_dir().join("initdb"));
    /// assert!(bins.initdb().is_file()); // from_dir checked it
    /// # Ok::<(), strata::cluster::ClusterError>(())
    /// ```
    pub fn initdb(&self) -> PathBuf {
        self.program("initdb")
    }

    /// The `pg_ctl` program.
    ///
    /// ```
    /// use strata::cluster::PgBinaries;
    ///
    /// # let bin_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/doc/docs-cluster-pg-bin");
    /// let bins = PgBinaries::from_dir(bin_dir)?;
    /// assert_eq!(bins.pg_ctl(), bins.bin_dir().join("pg_ctl"));
    /// assert!(bins.pg_ctl().is_file()); // from_dir checked it
    /// # Ok::<(), strata::cluster::ClusterError>(())
    /// ```
    pub fn pg_ctl(&self) -> PathBuf {
        self.program("pg_ctl")
    }

    /// The `postgres` server program.
    ///
    /// ```
    /// use strata::cluster::PgBinaries;
    ///
    /// # let bin_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/doc/docs-cluster-pg-bin");
    /// let bins = PgBinaries::from_dir(bin_dir)?;
    /// assert_eq!(bins.postgres(), bins.bin_dir().join("postgres"));
    /// assert!(bins.postgres().is_file()); // from_dir checked it
    /// # Ok::<(), strata::cluster::ClusterError>(())
    /// ```
    pub fn postgres(&self) -> PathBuf {
        self.program("postgres")
    }
}

pub(crate) fn find_in(
    env: &impl Fn(&str) -> Option<String>,
    debian_root: &Path,
) -> Result<PgBinaries, ClusterError> {
    if let Some(dir) = env("STRATA_PG_BIN").filter(|v| !v.is_empty()) {
        let dir = PathBuf::from(dir);
        return match first_missing(&dir) {
            None => Ok(PgBinaries { bin_dir: dir }),
            Some(missing) => Err(ClusterError::InvalidPgBin { dir, missing }),
        };
    }

    let path_dirs: Vec<PathBuf> = env("PATH")
        .map(|p| std::env::split_paths(OsStr::new(&p)).collect())
        .unwrap_or_default();

    let mut searched = Vec::new();
    let mut candidates = Vec::new();
    if let Some(dir) = pg_config_bindir(&path_dirs) {
        candidates.push(dir);
    }
    candidates.extend(debian_bin_dirs(debian_root));
    candidates.extend(path_dirs.iter().filter(|d| d.is_absolute()).cloned());

    for dir in candidates {
        if first_missing(&dir).is_none() {
            return Ok(PgBinaries { bin_dir: dir });
        }
        if !searched.contains(&dir) {
            searched.push(dir);
        }
    }
    Err(ClusterError::BinariesNotFound { searched })
}

/// Every directory that may hold PostgreSQL programs, in the search order
/// of [`PgBinaries::find`] after `STRATA_PG_BIN`: `pg_config --bindir`,
/// `/usr/lib/postgresql/*/bin` (highest version first), each absolute
/// directory of `PATH`. For client programs such as `pg_dump`, which the
/// caller checks itself.
pub(crate) fn search_dirs(env: &impl Fn(&str) -> Option<String>) -> Vec<PathBuf> {
    let path_dirs: Vec<PathBuf> = env("PATH")
        .map(|p| std::env::split_paths(OsStr::new(&p)).collect())
        .unwrap_or_default();
    let mut dirs = Vec::new();
    dirs.extend(pg_config_bindir(&path_dirs));
    dirs.extend(debian_bin_dirs(Path::new(DEBIAN_ROOT)));
    dirs.extend(path_dirs.into_iter().filter(|d| d.is_absolute()));
    let mut seen = std::collections::HashSet::new();
    dirs.retain(|d| seen.insert(d.clone()));
    dirs
}

/// Runs the first `pg_config` on `path_dirs` and returns its `--bindir`.
fn pg_config_bindir(path_dirs: &[PathBuf]) -> Option<PathBuf> {
    let pg_config = path_dirs
        .iter()
        .map(|d| d.join("pg_config"))
        .find(|p| is_executable(p))?;
    let out = Command::new(pg_config)
        .arg("--bindir")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let dir = String::from_utf8(out.stdout).ok()?;
    let dir = dir.trim();
    (!dir.is_empty()).then(|| PathBuf::from(dir))
}

/// `<root>/<version>/bin` for every numeric version, highest first.
fn debian_bin_dirs(root: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut versions: Vec<(Vec<u32>, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let key = name
                .split('.')
                .map(|part| part.parse::<u32>().ok())
                .collect::<Option<Vec<u32>>>()?;
            Some((key, e.path().join("bin")))
        })
        .collect();
    versions.sort_by(|a, b| b.0.cmp(&a.0));
    versions.into_iter().map(|(_, dir)| dir).collect()
}

fn first_missing(dir: &Path) -> Option<&'static str> {
    REQUIRED
        .into_iter()
        .find(|name| !is_executable(&dir.join(name)))
}

pub(crate) fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn fake_install(dir: &Path, programs: &[&str]) {
        std::fs::create_dir_all(dir).expect("mkdir");
        for p in programs {
            let file = dir.join(p);
            std::fs::write(&file, "#!/bin/sh\n").expect("write");
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
    }

    fn env_of(vars: &[(&str, String)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn strata_pg_bin_wins_and_must_be_complete() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let good = tmp.path().join("good");
        let partial = tmp.path().join("partial");
        fake_install(&good, &REQUIRED);
        fake_install(&partial, &["initdb", "postgres"]);
        let empty_root = tmp.path().join("none");

        let env = env_of(&[("STRATA_PG_BIN", good.display().to_string())]);
        assert_eq!(find_in(&env, &empty_root).expect("found").bin_dir(), good);

        let env = env_of(&[
            ("STRATA_PG_BIN", partial.display().to_string()),
            ("PATH", good.display().to_string()),
        ]);
        let err = find_in(&env, &empty_root).expect_err("partial dir");
        assert!(matches!(
            err,
            ClusterError::InvalidPgBin {
                missing: "pg_ctl",
                ..
            }
        ));
        assert!(err.is_binaries_missing());
    }

    #[test]
    fn highest_debian_version_before_path() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path().join("usr-lib-postgresql");
        fake_install(&root.join("9.6/bin"), &REQUIRED);
        fake_install(&root.join("16/bin"), &REQUIRED);
        fake_install(&root.join("17/bin"), &["initdb"]); // incomplete: skipped
        fake_install(&root.join("notaversion/bin"), &REQUIRED);
        let on_path = tmp.path().join("path");
        fake_install(&on_path, &REQUIRED);

        let env = env_of(&[("PATH", on_path.display().to_string())]);
        assert_eq!(
            find_in(&env, &root).expect("found").bin_dir(),
            root.join("16/bin")
        );
    }

    #[test]
    fn pg_config_bindir_comes_first() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let real = tmp.path().join("real");
        fake_install(&real, &REQUIRED);
        let tools = tmp.path().join("tools");
        std::fs::create_dir_all(&tools).expect("mkdir");
        let pg_config = tools.join("pg_config");
        std::fs::write(
            &pg_config,
            format!("#!/bin/sh\necho '{}'\n", real.display()),
        )
        .expect("write");
        std::fs::set_permissions(&pg_config, std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
        let root = tmp.path().join("usr-lib-postgresql");
        fake_install(&root.join("16/bin"), &REQUIRED);

        let env = env_of(&[("PATH", tools.display().to_string())]);
        assert_eq!(find_in(&env, &root).expect("found").bin_dir(), real);
    }

    #[test]
    fn falls_back_to_path_then_explains_how_to_install() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let a = tmp.path().join("a");
        let b = tmp.path().join("b");
        fake_install(&a, &["psql"]);
        fake_install(&b, &REQUIRED);
        let root = tmp.path().join("none");
        let path = std::env::join_paths([&a, &b]).expect("join");
        let env = env_of(&[("PATH", path.to_string_lossy().into_owned())]);
        assert_eq!(find_in(&env, &root).expect("found").bin_dir(), b);

        let env = env_of(&[("PATH", a.display().to_string())]);
        let err = find_in(&env, &root).expect_err("nothing");
        let msg = err.to_string();
        assert!(msg.contains("apt-get install postgresql"), "{msg}");
        assert!(msg.contains("brew install postgresql@16"), "{msg}");
        assert!(msg.contains("STRATA_PG_BIN"), "{msg}");
        assert!(msg.contains(&a.display().to_string()), "{msg}");
    }
}
