//! `${name}` placeholders (SPEC §2.4): only for a database that declares
//! `[databases.<name>.placeholders]`.
//!
//! Replacement is textual and happens everywhere in a file — inside string
//! literals, dollar-quoted bodies and comments too — before the lexer sees
//! it, exactly as Flyway does, so a Flyway project runs unchanged. Values
//! are one line each (strata.toml refuses a multi-line one; a variable's
//! value with a line break is refused where it is used), so every line
//! number strata reports still points at the file; a column on a line that
//! holds a placeholder counts the replaced text. Checksums are taken over
//! the file as written. A name is `[A-Za-z0-9_.:-]+` between `${` and `}`;
//! anything else (`${a + b}` in a JavaScript string, `${}`) is left alone.
//!
//! [`Placeholders::check`] finds every undefined placeholder (and every
//! `{ env }` one whose variable is unset) at load, naming file and line, so
//! `validate --offline` catches them; [`Replacing`] does the replacement for
//! the runner, line by line, over any [`BufRead`].

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{self, BufRead};

use crate::config::{DatabaseConfig, PlaceholderValue, ResolvedEnv};
use crate::error::Error;
use crate::migration::{DownPart, Migration, Part};

pub use super::placeholder_error::{PlaceholderError, PlaceholderProblem, Unresolved};

/// The placeholders of one database, resolved against an environment.
///
/// ```
/// use std::path::Path;
/// use strata::config::{ProcessEnv, Project};
/// use strata::migration::Placeholders;
/// let toml = "[databases.core]\nschemas = [\"app\"]\n\
///             [databases.core.placeholders]\nowner = \"app_owner\"\ntenant = { env = \"TENANT\" }\n";
/// let project = Project::from_toml(toml, Path::new("/srv/app/strata.toml")).unwrap();
/// let env = project
///     .resolve_env(Some("dev"), &ProcessEnv::from([("TENANT".to_owned(), "acme".to_owned())]))
///     .unwrap();
/// let p = Placeholders::for_database(project.database("core").unwrap(), &env)
///     .expect("the database declares placeholders")
///     .with_connection("shop", Some("app"));
/// let sql = "CREATE TABLE ${strata:schema}.t (); -- ${tenant} by ${flyway:user} in ${flyway:filename}";
/// assert_eq!(
///     p.replace(sql, "V1__t.sql").unwrap(),
///     "CREATE TABLE app.t (); -- acme by app in V1__t.sql"
/// );
/// // Not a placeholder name: left alone.
/// assert_eq!(p.replace("SELECT '${a + b}'", "V1__t.sql").unwrap(), "SELECT '${a + b}'");
/// assert_eq!(p.replace("${nope}", "V1__t.sql").unwrap_err().name, "nope");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placeholders {
    /// The database's name in strata.toml, for messages.
    database: String,
    values: BTreeMap<String, Resolved>,
    schema: Option<String>,
    environment: String,
    /// The database and user actually connected to (None offline).
    connection: Option<(String, Option<String>)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Resolved {
    Text(String),
    /// `{ env = VAR }` with VAR unset.
    Unset(String),
    /// `{ env = VAR }` whose value has a line break.
    Multiline(String),
}

impl Placeholders {
    /// The placeholders of `db`, their `{ env }` values read from `env`;
    /// None when `db` declares no `[placeholders]` table (then nothing is
    /// replaced).
    ///
    /// ```
    /// use std::path::Path;
    /// use strata::config::{ProcessEnv, Project};
    /// use strata::migration::Placeholders;
    /// let project = Project::from_toml("", Path::new("/srv/app/strata.toml")).unwrap();
    /// let env = project.resolve_env(None, &ProcessEnv::new()).unwrap();
    /// assert!(Placeholders::for_database(&project.databases()[0], &env).is_none());
    /// ```
    pub fn for_database(db: &DatabaseConfig, env: &ResolvedEnv) -> Option<Placeholders> {
        let table = db.placeholders.as_ref()?;
        let values = table
            .iter()
            .map(|(name, v)| {
                let resolved = match v {
                    PlaceholderValue::Text(t) => Resolved::Text(t.clone()),
                    PlaceholderValue::Env(var) => match env.get(var) {
                        None => Resolved::Unset(var.clone()),
                        Some((v, _)) if v.contains(['\n', '\r']) => {
                            Resolved::Multiline(var.clone())
                        }
                        Some((v, _)) => Resolved::Text(v.to_owned()),
                    },
                };
                (name.clone(), resolved)
            })
            .collect();
        Some(Placeholders {
            database: db.name.clone(),
            values,
            schema: db.schemas.first().cloned(),
            environment: env.name.clone(),
            connection: None,
        })
    }

    /// Sets the built-ins that need the connection: `${strata:database}`
    /// (the database name actually connected to) and `${strata:user}`.
    pub fn with_connection(mut self, database: &str, user: Option<&str>) -> Placeholders {
        self.connection = Some((database.to_owned(), user.map(str::to_owned)));
        self
    }

    /// The value of `name` in `script`; offline, a connection built-in is
    /// known to exist but has no value (`Ok(None)`).
    fn value<'s>(&'s self, name: &str, script: &'s str) -> Result<Option<&'s str>, Unresolved> {
        let conn = self.connection.as_ref();
        let builtin = match name {
            "strata:database" | "flyway:database" => Some(conn.map(|c| c.0.as_str())),
            "strata:user" | "flyway:user" => Some(conn.map(|c| c.1.as_deref().unwrap_or(""))),
            "strata:schema" | "flyway:defaultSchema" => {
                Some(Some(self.schema.as_deref().unwrap_or("public")))
            }
            "strata:environment" => Some(Some(self.environment.as_str())),
            "strata:filename" | "flyway:filename" => Some(Some(script)),
            _ => None,
        };
        if let Some(v) = builtin {
            return Ok(v);
        }
        let problem = match self.values.get(name) {
            Some(Resolved::Text(t)) => return Ok(Some(t)),
            Some(Resolved::Unset(var)) => PlaceholderProblem::Unset { var: var.clone() },
            Some(Resolved::Multiline(var)) => PlaceholderProblem::Multiline { var: var.clone() },
            None if name.contains(':') => PlaceholderProblem::UnknownBuiltin,
            None => PlaceholderProblem::Undefined {
                database: self.database.clone(),
            },
        };
        Err(Unresolved {
            name: name.to_owned(),
            problem,
        })
    }

    /// `line` with every placeholder replaced (borrowed when it has none).
    ///
    /// # Errors
    /// The first placeholder that cannot be replaced.
    pub fn replace<'l>(&self, line: &'l str, script: &str) -> Result<Cow<'l, str>, Unresolved> {
        let refs = references(line);
        if refs.is_empty() {
            return Ok(Cow::Borrowed(line));
        }
        let mut out = String::with_capacity(line.len() + 16);
        let mut at = 0;
        for (start, end, name) in refs {
            out.push_str(&line[at..start]);
            match self.value(name, script)? {
                Some(v) => out.push_str(v),
                // Offline: keep it as written.
                None => out.push_str(&line[start..end]),
            }
            at = end;
        }
        out.push_str(&line[at..]);
        Ok(Cow::Owned(out))
    }

    /// Every placeholder of every part of `migrations` that cannot be
    /// replaced, as load errors naming file and line. Reads each file.
    ///
    /// # Errors
    /// [`Error::Placeholder`] for one, [`Error::InvalidMigrations`] for
    /// several; an I/O error reading a file.
    pub fn check(&self, migrations: &[Migration]) -> Result<(), Error> {
        let mut errors = Vec::new();
        for m in migrations {
            let mut parts: Vec<(&Migration, &Part)> = vec![(m, &m.up)];
            match &m.down {
                Some(DownPart::InFile(p)) => parts.push((m, p)),
                Some(DownPart::File(f)) => parts.push((f, &f.up)),
                None => {}
            }
            for (file, part) in parts {
                self.check_part(file, part, &mut errors)?;
            }
        }
        match errors.len() {
            0 => Ok(()),
            1 => Err(errors.remove(0)),
            _ => Err(Error::InvalidMigrations(errors)),
        }
    }

    fn check_part(&self, m: &Migration, part: &Part, errors: &mut Vec<Error>) -> Result<(), Error> {
        let mut reader = m.content.open_part(part)?;
        let mut line = Vec::new();
        let mut n = part.line;
        loop {
            line.clear();
            let read = reader
                .read_until(b'\n', &mut line)
                .map_err(|e| Error::io(&m.script, e))?;
            if read == 0 {
                return Ok(());
            }
            let text = String::from_utf8_lossy(&line);
            for (_, _, name) in references(&text) {
                if let Err(u) = self.value(name, &m.script) {
                    errors.push(Error::Placeholder(PlaceholderError {
                        script: m.script.clone(),
                        line: n,
                        name: u.name,
                        problem: u.problem,
                    }));
                }
            }
            n = n.saturating_add(1);
        }
    }
}

/// `(start, end, name)` of each `${name}` in `line`.
fn references(line: &str) -> Vec<(usize, usize, &str)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = line[from..].find("${") {
        let start = from + i;
        let name_start = start + 2;
        let len = line[name_start..]
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-'))
            .count();
        let close = name_start + len;
        if len > 0 && line.as_bytes().get(close) == Some(&b'}') {
            out.push((start, close + 1, &line[name_start..close]));
            from = close + 1;
        } else {
            from = name_start;
        }
    }
    out
}

/// A [`BufRead`] that hands out `inner`'s lines with their placeholders
/// replaced (or `inner` unchanged without placeholders): what the runner
/// reads a script through, so the lexer sees the SQL that runs while the
/// reader below still hashes the file as written.
pub struct Replacing<'p, R> {
    inner: R,
    with: Option<(&'p Placeholders, &'p str)>,
    line: Vec<u8>,
    pos: usize,
}

impl<'p, R: BufRead> Replacing<'p, R> {
    /// Reads `inner` for `script`, replacing `placeholders` when there are.
    ///
    /// ```
    /// use std::io::Read;
    /// use std::path::Path;
    /// use strata::config::{ProcessEnv, Project};
    /// use strata::migration::{Placeholders, Replacing};
    /// let toml = "[databases.main.placeholders]\nrole = \"reader\"\n";
    /// let project = Project::from_toml(toml, Path::new("/srv/app/strata.toml")).unwrap();
    /// let env = project.resolve_env(None, &ProcessEnv::new()).unwrap();
    /// let p = Placeholders::for_database(&project.databases()[0], &env);
    /// let mut out = String::new();
    /// Replacing::new(&b"GRANT SELECT ON t TO ${role};\n"[..], p.as_ref(), "V1__g.sql")
    ///     .read_to_string(&mut out)?;
    /// assert_eq!(out, "GRANT SELECT ON t TO reader;\n");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new(inner: R, placeholders: Option<&'p Placeholders>, script: &'p str) -> Self {
        Replacing {
            inner,
            with: placeholders.map(|p| (p, script)),
            line: Vec::new(),
            pos: 0,
        }
    }
}

impl<R: BufRead> io::Read for Replacing<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Replacing<'_, R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        let Some((placeholders, script)) = self.with else {
            return self.inner.fill_buf();
        };
        if self.pos >= self.line.len() {
            self.line.clear();
            self.pos = 0;
            self.inner.read_until(b'\n', &mut self.line)?;
            // Invalid UTF-8 was refused at load; bytes that are not text
            // now (the file changed) pass unchanged and fail the checksum.
            if let Ok(text) = std::str::from_utf8(&self.line)
                && let Cow::Owned(replaced) = placeholders.replace(text, script).map_err(|u| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("placeholder ${{{}}} {}", u.name, u.problem),
                    )
                })?
            {
                self.line = replaced.into_bytes();
            }
        }
        Ok(&self.line[self.pos..])
    }

    fn consume(&mut self, amt: usize) {
        if self.with.is_some() {
            self.pos = (self.pos + amt).min(self.line.len());
        } else {
            self.inner.consume(amt);
        }
    }
}
