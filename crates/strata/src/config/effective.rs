//! The effective connection: what libpq would connect to given a
//! connection string, its service (`service=` or `PGSERVICE`, from
//! `pg_service.conf`) and the `PG*` variables, in libpq's precedence — the
//! string first, then the service file, then the variables, then the
//! defaults (the user from the operating system, the database from the
//! user). The policy checks run on it, before anything connects.

use std::path::PathBuf;

use super::error::ConfigError;
use super::libpq::Libpq;
use super::service::{self, DEFAULT_SYSCONFDIR};
use super::url::{DbUrl, Param, UrlError};

impl Libpq {
    /// `url` with what libpq fills in: the service file's parameters, then
    /// the `PG*` variables ([`ENV_VARS`](crate::config::ENV_VARS)), for
    /// every parameter the string leaves out; then the operating-system
    /// user when there is still none. The password file is not read here
    /// (it only gives a password; see [`Libpq::pg_config`]).
    ///
    /// # Errors
    ///
    /// [`ConfigError::InvalidUrl`] naming the variable (or the service) whose
    /// value is not acceptable, a parameter strata does not support, or a
    /// service no file defines.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::{DbUrl, Libpq, ProcessEnv, Project, SslMode};
    /// let project = Project::from_toml("", std::path::Path::new("/srv/app/strata.toml")).unwrap();
    /// let process = ProcessEnv::from([
    ///     ("PGHOST".to_owned(), "::1".to_owned()),
    ///     ("PGDATABASE".to_owned(), "shop".to_owned()),
    ///     ("PGSSLMODE".to_owned(), "verify-full".to_owned()),
    /// ]);
    /// let libpq = Libpq::from_env(&project.resolve_env(None, &process).unwrap());
    /// let url = libpq.effective(&DbUrl::parse("postgres://app@/").unwrap()).unwrap();
    /// assert_eq!((url.host(), url.database()), (Some("::1"), "shop"));
    /// assert_eq!(url.ssl_mode(), Some(SslMode::VerifyFull));
    /// assert!(!url.is_unix_socket());
    /// ```
    pub fn effective(&self, url: &DbUrl) -> Result<DbUrl, ConfigError> {
        let mut eff = url.clone();
        let service = url
            .param(Param::Service)
            .map(|s| (s.to_owned(), None))
            .or_else(|| {
                self.vars
                    .iter()
                    .find(|v| v.var == "PGSERVICE")
                    .map(|v| (v.value.clone(), Some(v)))
            });
        if let Some((name, from_var)) = service {
            let invalid = |reason: UrlError| ConfigError::InvalidUrl {
                var: from_var.map_or_else(|| "service".to_owned(), |v| v.var.to_owned()),
                origin: from_var.and_then(|v| v.origin.clone()),
                reason,
            };
            let (pairs, path) = service::lookup(&name, &self.service_files()).map_err(invalid)?;
            for (key, value) in pairs {
                if !eff.is_set(&key) {
                    eff.set(&key, &value)
                        .map_err(|reason| ConfigError::InvalidUrl {
                            var: format!("service `{name}` in {}", path.display()),
                            origin: None,
                            reason,
                        })?;
                }
            }
        }
        for v in &self.vars {
            if v.key == "service" || eff.is_set(v.key) {
                continue;
            }
            eff.set(v.key, &v.value)
                .map_err(|reason| ConfigError::InvalidUrl {
                    var: v.var.to_owned(),
                    origin: v.origin.clone(),
                    reason: match reason {
                        // Name the variable, not the parameter it fills.
                        UrlError::UnsupportedParameter { reason, .. } => {
                            UrlError::UnsupportedParameter {
                                name: v.var.to_owned(),
                                reason,
                            }
                        }
                        other => other,
                    },
                })?;
        }
        if !eff.is_set("user")
            && let Some(user) = self.os_user()
        {
            eff.set("user", user)
                .map_err(|reason| ConfigError::InvalidUrl {
                    var: "USER".to_owned(),
                    origin: None,
                    reason,
                })?;
        }
        Ok(eff)
    }

    /// Where a service is looked up, in order: `PGSERVICEFILE` (else
    /// `~/.pg_service.conf`), then `PGSYSCONFDIR/pg_service.conf`.
    fn service_files(&self) -> Vec<PathBuf> {
        let mut files = Vec::new();
        match (&self.service_file, self.home()) {
            (Some(f), _) => files.push(f.clone()),
            (None, Some(home)) => files.push(home.join(".pg_service.conf")),
            (None, None) => {}
        }
        let sys = self
            .sysconfdir
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_SYSCONFDIR));
        files.push(sys.join("pg_service.conf"));
        files
    }
}
