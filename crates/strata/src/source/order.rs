//! Putting scanned files in execution order and checking them as a set:
//! versioned by version, repeatables by description, down files attached to
//! their up part, and every problem (misnamed, duplicate, orphan) collected.

use std::collections::BTreeMap;
use std::path::Path;

use super::Migrations;
use super::flyway_conf::{self, is_conf};
use super::folder::Listed;
use super::threads::scan_all;
use crate::cache::ScanCache;
use crate::error::Error;
use crate::migration::{DownPart, FileName, Migration, MigrationKind, Version};

impl Migrations {
    pub(super) fn build(
        base: &Path,
        files: Vec<Listed>,
        mut errors: Vec<Error>,
        cache: Option<&mut ScanCache>,
    ) -> Result<Migrations, Error> {
        let (confs, mut files): (Vec<Listed>, Vec<Listed>) =
            files.into_iter().partition(|(name, _, _)| is_conf(name));
        // Names in a folder are unique: the unstable sort is the faster one.
        files.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let names: Vec<&str> = files.iter().map(|(n, _, _)| n.as_str()).collect();
        let confs = flyway_conf::read_all(
            base,
            confs.into_iter().map(|(n, c, _)| (n, c)).collect(),
            &names,
            &mut errors,
        );
        // Collected in file-name order, then put in version order once.
        let mut versioned: Vec<Migration> = Vec::with_capacity(files.len());
        let mut repeatable: BTreeMap<String, Migration> = BTreeMap::new();
        let mut downs: Vec<(Version, Migration)> = Vec::new();
        let mut named = Vec::with_capacity(files.len());
        let mut no_ops = Vec::new();
        for (name, content, entry) in files {
            match FileName::parse(&name) {
                Ok(Some(parsed)) => named.push((name, parsed, content, entry)),
                Ok(None) => {}
                Err(reason) => errors.push(Error::InvalidFileName {
                    path: base.join(&name),
                    reason,
                }),
            }
        }
        // Reading and hashing the files is the expensive part: do it on every core.
        let scanned_all = scan_all(base, &named, cache.as_deref(), &confs);
        if let Some(cache) = cache {
            for ((name, _, _, _), (scanned, stamp, hit)) in named.iter().zip(&scanned_all) {
                // A file with a `.sql.conf` is scanned each time: the
                // configuration is not part of its stamp.
                if let (Ok(f), Some(stamp), false, false) =
                    (scanned, stamp, hit, confs.contains_key(name))
                {
                    cache.put(name, *stamp, f);
                }
            }
            cache.retain_sorted(named.iter().map(|(n, _, _, _)| n.as_str()));
        }

        for ((name, parsed, content, _), (scanned, _, _)) in named.into_iter().zip(scanned_all) {
            let scanned = match scanned {
                Ok(s) => s,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            let (kind, version, description, is_down) = match parsed {
                FileName::Versioned {
                    version,
                    description,
                    ..
                } => (MigrationKind::Versioned, Some(version), description, false),
                FileName::Repeatable { description } => {
                    (MigrationKind::Repeatable, None, description, false)
                }
                FileName::Undo {
                    version,
                    description,
                }
                | FileName::Down {
                    version,
                    description,
                } => (MigrationKind::Versioned, Some(version), description, true),
            };
            if scanned.no_op && !is_down {
                no_ops.push(name.clone());
            }
            let migration = Migration {
                script: name.clone(),
                content,
                kind,
                version: version.clone(),
                description,
                checksum: scanned.checksum,
                up: scanned.up,
                down: scanned.down.map(DownPart::InFile),
                allow: scanned.allow,
                size: scanned.size,
            };
            match (version, is_down) {
                (Some(v), true) => downs.push((v, migration)),
                (Some(_), false) => versioned.push(migration),
                (None, _) => {
                    if let Some(existing) = repeatable.get(&migration.description) {
                        errors.push(Error::InvalidFileName {
                            path: base.join(&name),
                            reason: format!(
                                "same description as {}: repeatable migrations are identified by description",
                                existing.script
                            ),
                        });
                    } else {
                        repeatable.insert(migration.description.clone(), migration);
                    }
                }
            }
        }

        // Stable: files of one version stay in file-name order, so the first
        // of a duplicate pair is the one `ls` lists first.
        versioned.sort_by(|a, b| a.version.cmp(&b.version));
        versioned.dedup_by(|later, first| {
            let duplicate = later.version == first.version;
            if duplicate {
                errors.push(Error::DuplicateVersion {
                    version: later
                        .version
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                    first: base.join(&first.script),
                    second: base.join(&later.script),
                });
            }
            duplicate
        });

        for (v, down) in downs {
            let path = base.join(&down.script);
            let up = versioned
                .binary_search_by(|m| m.version.as_ref().cmp(&Some(&v)))
                .ok()
                .map(|i| &mut versioned[i]);
            match up {
                None => errors.push(Error::OrphanDown {
                    path,
                    version: v.to_string(),
                }),
                Some(up) => match &up.down {
                    Some(DownPart::InFile(_)) => errors.push(Error::InvalidFileName {
                        path,
                        reason: format!("{} already has an in-file down section", up.script),
                    }),
                    Some(DownPart::File(other)) => errors.push(Error::DuplicateVersion {
                        version: v.to_string(),
                        first: base.join(&other.script),
                        second: path,
                    }),
                    None => {
                        let mut down = down;
                        down.down = None;
                        up.down = Some(DownPart::File(Box::new(down)));
                    }
                },
            }
        }

        if !errors.is_empty() {
            // In file-name order, whichever check found them.
            errors.sort_by(|a, b| error_path(a).cmp(&error_path(b)));
            return Err(if errors.len() == 1 {
                errors.remove(0)
            } else {
                Error::InvalidMigrations(errors)
            });
        }

        let mut list = versioned;
        let mut warnings = Vec::new();
        // `ls` shows files in byte order; warn when that is not the execution order.
        if !list.is_sorted_by(|a, b| a.script <= b.script) {
            let execution: Vec<&str> = list.iter().map(|m| m.script.as_str()).collect();
            let mut in_ls_order = execution.clone();
            in_ls_order.sort_unstable();
            if let Some(i) = (0..execution.len()).find(|i| execution[*i] != in_ls_order[*i]) {
                warnings.push(format!(
                    "file-name order differs from execution order: `{}` runs before `{}`, but `ls` lists `{}` first; \
                     zero-pad versions to the same width so both orders agree",
                    execution[i], in_ls_order[i], in_ls_order[i]
                ));
            }
        }
        list.extend(repeatable.into_values());
        for name in no_ops {
            warnings.push(format!(
                "{name}: the up part holds only comments; it is applied as a recorded no-op (nothing is sent)"
            ));
        }
        Ok(Migrations { list, warnings })
    }
}

/// The file an error is about, for ordering a list of errors.
fn error_path(e: &Error) -> Option<&Path> {
    match e {
        Error::InvalidFileName { path, .. }
        | Error::InvalidUtf8 { path, .. }
        | Error::NulByte { path, .. }
        | Error::EmptyMigration { path }
        | Error::Section { path, .. }
        | Error::FileRule { path, .. }
        | Error::NotRegularFile { path, .. }
        | Error::LinkOutsideProject { path, .. }
        | Error::OrphanDown { path, .. }
        | Error::Io { path, .. } => Some(path),
        Error::DuplicateVersion { second, .. } => Some(second),
        _ => None,
    }
}
