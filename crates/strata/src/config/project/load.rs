//! Finding strata.toml (in a directory or the nearest parent, like cargo)
//! and reading it into a [`Project`].

use std::path::{Path, PathBuf};

use super::build::Builder;
use super::{CONFIG_FILE_NAME, Project};
use crate::config::error::ConfigError;
use crate::config::file;

impl Project {
    /// Finds strata.toml in `start_dir` or the nearest parent that has one
    /// (like cargo), and loads it.
    ///
    /// # Errors
    ///
    /// [`ConfigError::NotFound`] when no directory up to the root has one;
    /// otherwise as [`Project::load`].
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::Project;
    /// let dir = tempfile::tempdir().unwrap();
    /// std::fs::write(dir.path().join("strata.toml"), "[databases.core]\n").unwrap();
    /// let nested = dir.path().join("services/api");
    /// std::fs::create_dir_all(&nested).unwrap();
    /// // Like cargo: the nearest strata.toml up the tree.
    /// assert_eq!(Project::discover(&nested).unwrap().databases()[0].name, "core");
    /// ```
    pub fn discover(start_dir: &Path) -> Result<Project, ConfigError> {
        let start = std::fs::canonicalize(start_dir).unwrap_or_else(|_| start_dir.to_owned());
        for dir in start.ancestors() {
            let candidate = dir.join(CONFIG_FILE_NAME);
            if candidate.is_file() {
                return Project::load(&candidate);
            }
        }
        Err(ConfigError::NotFound { start })
    }

    /// Loads the strata.toml at `path` (`--config FILE`).
    ///
    /// # Errors
    ///
    /// [`ConfigError::ConfigFileMissing`], [`ConfigError::Read`], and every
    /// error of [`Project::from_toml`].
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::Project;
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("strata.toml");
    /// std::fs::write(&path, "[databases.core]\nurl_envv = \"X\"\n").unwrap();
    /// // Unknown keys are errors naming the file and line.
    /// let err = Project::load(&path).unwrap_err();
    /// assert_eq!(err.line(), Some(2));
    /// assert!(err.to_string().contains("url_envv"), "{err}");
    /// ```
    pub fn load(path: &Path) -> Result<Project, ConfigError> {
        let source = match crate::source::read_regular_to_string(path) {
            Ok(s) => s,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ConfigError::ConfigFileMissing {
                    path: path.to_owned(),
                });
            }
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        Project::from_toml(&source, path)
    }

    /// Builds a project from strata.toml's text; `config_path` names the
    /// file in errors and its directory is the project root. Default seed
    /// folders are looked up on disk under that root.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Syntax`], [`ConfigError::UnknownKey`],
    /// [`ConfigError::InvalidValue`], [`ConfigError::UnknownDependency`],
    /// [`ConfigError::DependencyCycle`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::path::Path;
    /// use strata::config::Project;
    /// let toml = "[databases.app]\ndepends_on = [\"core\"]\n[databases.core]\n";
    /// let project = Project::from_toml(toml, Path::new("/srv/app/strata.toml")).unwrap();
    /// let order: Vec<_> = project.databases().iter().map(|d| d.name.as_str()).collect();
    /// assert_eq!(order, ["core", "app"]);
    /// ```
    pub fn from_toml(source: &str, config_path: &Path) -> Result<Project, ConfigError> {
        let raw = file::parse(source, config_path)?;
        Builder {
            source,
            path: config_path,
            root: root_of(config_path),
        }
        .build(raw)
    }
}

/// The directory of `config_path` (`.` for a bare file name).
fn root_of(config_path: &Path) -> PathBuf {
    match config_path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    }
}
