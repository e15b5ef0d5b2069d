//! [`scan`]: reads a migration's content once, line by line in bounded memory
//! (a 200 MB file costs no more than its longest line), validating its
//! encoding, finding its sections and directives and computing its checksum.

use std::io::BufRead;
use std::path::Path;

use super::checksum::{BOM, NormalizingHasher};
use super::section::{Directive, Marker, SectionScan, directive, marker};
use super::{Checksum, Part};
use crate::error::Error;

/// Reads a migration's content once: validates encoding, finds sections and
/// directives, and computes the checksum.
///
/// `script` names the file in errors. Lines are read one at a time, so memory
/// is bounded by the longest line.
///
/// ```
/// use std::path::Path;
/// use strata::Error;
/// use strata::migration::{Checksum, scan};
/// let text = "-- strata:no-transaction\r\nCREATE INDEX CONCURRENTLY i ON t (a);\r\n";
/// let file = scan(&mut text.as_bytes(), Path::new("V2__index.sql"))?;
/// assert!(file.up.no_transaction);
/// assert_eq!(file.size, text.len() as u64);
/// assert_eq!(file.checksum, Checksum::of(text.replace("\r\n", "\n").as_bytes()));
///
/// let empty = scan(&mut "-- nothing yet\n".as_bytes(), Path::new("V3__todo.sql"));
/// assert!(matches!(empty, Err(Error::EmptyMigration { .. })));
/// let binary = scan(&mut &b"SELECT 1;\0"[..], Path::new("V4__bin.sql"));
/// assert!(matches!(binary, Err(Error::NulByte { offset: 9, .. })));
/// # Ok::<(), Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidUtf8`], [`Error::NulByte`] with the byte offset,
/// [`Error::Section`] for misplaced markers, [`Error::EmptyMigration`].
pub fn scan(reader: &mut dyn BufRead, path: &Path) -> Result<ScannedFile, Error> {
    let mut hasher = NormalizingHasher::default();
    let mut buf = Vec::with_capacity(256);
    let mut offset: u64 = 0;
    let mut line_no: u32 = 0;
    let mut up: Option<SectionScan> = None;
    let mut down: Option<SectionScan> = None;
    let mut saw_up_marker = false;
    let mut allow = Vec::new();
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let mut line: &[u8] = &buf;
        let line_start = offset;
        offset += n as u64;
        let mut content_start = line_start;
        if line_no == 1 && line.starts_with(BOM) {
            line = &line[BOM.len()..];
            content_start += BOM.len() as u64;
        }
        if let Some(i) = line.iter().position(|b| *b == 0) {
            return Err(Error::NulByte {
                path: path.to_owned(),
                offset: content_start + i as u64,
            });
        }
        let text = std::str::from_utf8(line).map_err(|e| Error::InvalidUtf8 {
            path: path.to_owned(),
            offset: content_start + e.valid_up_to() as u64,
        })?;
        let up_section = up.get_or_insert_with(|| SectionScan::new(content_start, line_no, false));
        let mark = marker(text);
        if down.is_none() && !matches!(mark, Some(Marker::Down { .. })) {
            hasher.line(line);
        }
        match mark {
            Some(Marker::Up { no_transaction }) => {
                if saw_up_marker || down.is_some() {
                    return Err(Error::Section {
                        path: path.to_owned(),
                        line: line_no,
                        message: if down.is_some() {
                            "an up marker after the down marker".into()
                        } else {
                            "a second up marker".into()
                        },
                    });
                }
                saw_up_marker = true;
                up_section.part.no_transaction |= no_transaction;
                up_section.part.end = offset;
                continue;
            }
            Some(Marker::Down { no_transaction }) => {
                if down.is_some() {
                    return Err(Error::Section {
                        path: path.to_owned(),
                        line: line_no,
                        message: "a second down marker".into(),
                    });
                }
                let mut d = SectionScan::new(content_start, line_no, no_transaction);
                d.part.end = offset;
                down = Some(d);
                continue;
            }
            None => {}
        }
        let section = match down.as_mut() {
            Some(d) => d,
            None => up_section,
        };
        if section.in_header {
            let t = text.trim();
            if t.is_empty() || t.starts_with("--") {
                match directive(text) {
                    Some(Directive::NoTransaction) => {
                        section.part.no_transaction = true;
                    }
                    Some(Directive::Allow(rules)) => allow.extend(rules),
                    None => {}
                }
            } else {
                section.in_header = false;
            }
        }
        section.feed(text);
        section.part.end = offset;
    }
    let Some(mut up) = up else {
        return Err(Error::EmptyMigration {
            path: path.to_owned(),
        });
    };
    if let Some(d) = &down {
        up.part.end = d.part.start;
    }
    // Still open at the end of the file: PostgreSQL will report it, so it counts.
    up.has_statement |= crate::sql::first_statement(&up.pending).is_some();
    if !up.has_statement {
        return Err(Error::EmptyMigration {
            path: path.to_owned(),
        });
    }
    Ok(ScannedFile {
        checksum: hasher.finish(),
        up: up.part,
        down: down.filter(|d| d.has_statement).map(|d| d.part),
        allow,
        size: offset,
    })
}

/// What [`scan`] learns about a file.
///
/// ```
/// use std::path::Path;
/// use strata::migration::{Checksum, scan};
/// let text = "-- strata:allow ban-drop-column\n\
///             ALTER TABLE t DROP COLUMN a;\n\
///             -- migrate:down\n\
///             SELECT 1;\n";
/// let file = scan(&mut text.as_bytes(), Path::new("V5__drop_a.sql"))?;
/// assert_eq!(file.allow, ["ban-drop-column"]);
/// assert!(file.down.is_some());
/// // Only the up part is summed: editing the down part changes nothing.
/// let up_len = file.up.end as usize;
/// assert_eq!(file.checksum, Checksum::of(&text.as_bytes()[..up_len]));
/// # Ok::<(), strata::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScannedFile {
    /// SPEC §2.3.
    pub checksum: Checksum,
    /// The part `migrate` runs.
    pub up: Part,
    /// An in-file down section with at least one statement.
    pub down: Option<Part>,
    /// Rules named by `-- strata:allow`.
    pub allow: Vec<String>,
    /// Size in bytes.
    pub size: u64,
}
