//! [`FileName`]: what a file name says before the file is read — which of the
//! naming patterns of SPEC §2.1 it follows, its version and description.

use super::Version;

/// What a file name says, before the file is read.
///
/// ```
/// use strata::migration::FileName;
/// let name = FileName::parse("20250101_add_users.down.sql");
/// let Ok(Some(FileName::Down { version, description })) = name else {
///     panic!("a down file: {name:?}");
/// };
/// assert_eq!(version.to_string(), "20250101");
/// assert_eq!(description, "add users");
/// assert_eq!(
///     FileName::parse("R__views.sql"),
///     Ok(Some(FileName::Repeatable { description: "views".into() }))
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileName {
    /// A versioned migration; `paired_down` is true for `<digits>_x.up.sql`.
    Versioned {
        /// Its version.
        version: Version,
        /// Its description, `_` shown as space.
        description: String,
        /// True for the `.up.sql` half of a pair.
        up_of_pair: bool,
    },
    /// `U<version>__x.sql`: the undo script of that version.
    Undo {
        /// The version it undoes.
        version: Version,
        /// Its description.
        description: String,
    },
    /// `<digits>_x.down.sql`: the down half of a pair.
    Down {
        /// The version it reverses.
        version: Version,
        /// Its description.
        description: String,
    },
    /// `R__x.sql`.
    Repeatable {
        /// Its description.
        description: String,
    },
}

impl FileName {
    /// Classifies a file name (without directory). `Ok(None)` for files that are
    /// not `.sql` (ignored); `Err(reason)` for a `.sql` file that follows no
    /// pattern of SPEC §2.1 — such a file is never skipped silently.
    ///
    /// ```
    /// use strata::migration::FileName;
    /// assert!(matches!(FileName::parse("V001__users.sql"), Ok(Some(FileName::Versioned { .. }))));
    /// assert!(matches!(FileName::parse("README.md"), Ok(None)));
    /// assert!(FileName::parse("V1_users.sql").is_err());
    /// assert!(matches!(FileName::parse("01-schemas.sql"), Ok(Some(FileName::Versioned { .. }))));
    /// assert!(matches!(FileName::parse("000001.sql"), Ok(Some(FileName::Versioned { .. }))));
    /// for refused in ["V1__a.SQL", "V5__.sql", "V9__x.up.sql"] {
    ///     assert!(FileName::parse(refused).is_err(), "{refused}");
    /// }
    /// ```
    pub fn parse(name: &str) -> Result<Option<FileName>, String> {
        let Some(stem) = name.strip_suffix(".sql") else {
            let ext = name.len().checked_sub(4).and_then(|i| name.get(i..));
            if ext.is_some_and(|e| e.eq_ignore_ascii_case(".sql")) {
                return Err(
                    "the extension must be `.sql` in lower case: rename the file (it is never skipped silently)"
                        .into(),
                );
            }
            return Ok(None);
        };
        let describe = |d: &str| d.replace('_', " ");
        let paired = |d: &str| d.ends_with(".up") || d.ends_with(".down");
        if let Some(rest) = stem.strip_prefix("R__") {
            if rest.is_empty() {
                return Err(
                    "a repeatable migration needs a description: `R__<description>.sql`".into(),
                );
            }
            if paired(rest) {
                return Err(
                    "`.up.sql` / `.down.sql` pairs are named `<digits>_<description>.up.sql`; \
                     a repeatable migration is `R__<description>.sql`"
                        .into(),
                );
            }
            return Ok(Some(FileName::Repeatable {
                description: describe(rest),
            }));
        }
        for (prefix, undo) in [('V', false), ('U', true)] {
            if let Some(rest) = stem.strip_prefix(prefix)
                && rest.starts_with(|c: char| c.is_ascii_digit())
            {
                let Some((ver, desc)) = rest.split_once("__") else {
                    return Err(format!(
                        "expected `{prefix}<version>__<description>.sql` (two underscores after the version)"
                    ));
                };
                let version: Version = ver.parse()?;
                if desc.is_empty() {
                    return Err(format!(
                        "expected `{prefix}<version>__<description>.sql`: the description is empty"
                    ));
                }
                if paired(desc) {
                    return Err(format!(
                        "a `{prefix}` file cannot be half of an `.up.sql` / `.down.sql` pair: name it \
                         `{prefix}<version>__<description>.sql`{}",
                        if undo {
                            ""
                        } else {
                            " (its undo is `U<version>__<description>.sql`)"
                        }
                    ));
                }
                let description = describe(desc);
                return Ok(Some(if undo {
                    FileName::Undo {
                        version,
                        description,
                    }
                } else {
                    FileName::Versioned {
                        version,
                        description,
                        up_of_pair: false,
                    }
                }));
            }
        }
        let digits = stem.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && digits == stem.len() {
            // graphile-migrate: `000001.sql`, no description.
            return Ok(Some(FileName::Versioned {
                version: stem.parse()?,
                description: String::new(),
                up_of_pair: false,
            }));
        }
        if digits > 0 && stem.as_bytes().get(digits) == Some(&b'-') {
            // dbmate and node-pg-migrate: `01-schemas.sql`.
            let desc = &stem[digits + 1..];
            if desc.is_empty() {
                return Err(
                    "expected `<digits>-<description>.sql`: the description is empty".into(),
                );
            }
            if paired(desc) {
                return Err(
                    "`.up.sql` / `.down.sql` pairs are named `<digits>_<description>.up.sql`"
                        .into(),
                );
            }
            return Ok(Some(FileName::Versioned {
                version: stem[..digits].parse()?,
                description: describe(desc),
                up_of_pair: false,
            }));
        }
        if digits > 0 && stem.as_bytes().get(digits) == Some(&b'_') {
            let version: Version = stem[..digits].parse()?;
            let rest = &stem[digits + 1..];
            let (desc, half) = if let Some(d) = rest.strip_suffix(".up") {
                (d, Some(true))
            } else if let Some(d) = rest.strip_suffix(".down") {
                (d, Some(false))
            } else {
                (rest, None)
            };
            if desc.is_empty() {
                return Err(
                    "expected `<digits>_<description>.sql`: the description is empty".into(),
                );
            }
            let description = describe(desc);
            return Ok(Some(match half {
                Some(false) => FileName::Down {
                    version,
                    description,
                },
                Some(true) => FileName::Versioned {
                    version,
                    description,
                    up_of_pair: true,
                },
                None => FileName::Versioned {
                    version,
                    description,
                    up_of_pair: false,
                },
            }));
        }
        Err("not a migration name: use `V<version>__<description>.sql`, `U<version>__<description>.sql`, \
             `R__<description>.sql`, `<digits>_<description>.sql`, `<digits>-<description>.sql`, `<digits>.sql` \
             or `<digits>_<description>.up.sql`/`.down.sql`"
            .into())
    }
}
