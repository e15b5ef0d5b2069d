//! [`scan`]: reads a migration's content once, line by line in bounded memory
//! (a 200 MB file costs no more than its longest line), validating its
//! encoding, finding its sections and directives and computing its checksum.

use std::io::BufRead;
use std::path::Path;

use super::checksum::{BOM, NormalizingHasher};
use super::section::{Directive, Marker, directive, is_sqlx_no_transaction, marker};
use super::{Checksum, FileProblem, Part};
use crate::error::Error;
use crate::sql::{Checker, ScriptProblem, ScriptSummary};

/// Per-section state while scanning.
struct SectionScan {
    part: Part,
    /// Still in the leading blank/comment lines where directives are read.
    in_header: bool,
    checker: Checker,
}

impl SectionScan {
    fn new(start: u64, line: u32, no_transaction: bool) -> Self {
        SectionScan {
            part: Part {
                start,
                end: start,
                line,
                no_transaction,
            },
            in_header: true,
            checker: Checker::new(line, line == 1),
        }
    }
}

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
/// let empty = scan(&mut "\n  \n".as_bytes(), Path::new("V3__todo.sql"));
/// assert!(matches!(empty, Err(Error::EmptyMigration { .. })));
/// // Only comments: a recorded no-op.
/// assert!(scan(&mut "-- nothing yet\n".as_bytes(), Path::new("V3__todo.sql"))?.no_op);
/// let binary = scan(&mut &b"SELECT 1;\0"[..], Path::new("V4__bin.sql"));
/// assert!(matches!(binary, Err(Error::NulByte { offset: 9, .. })));
/// # Ok::<(), Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidUtf8`], [`Error::NulByte`] with the byte offset,
/// [`Error::Section`] for misplaced markers, [`Error::FileRule`] for the
/// other load-time rules (look-alike markers, directives, meta-commands,
/// unterminated tokens, mixed transactional statements),
/// [`Error::EmptyMigration`] for a file of only whitespace.
pub fn scan(reader: &mut dyn BufRead, path: &Path) -> Result<ScannedFile, Error> {
    scan_with(reader, path, false)
}

/// [`scan`], with `no_transaction` set when a Flyway `<file>.sql.conf` says
/// `executeInTransaction=false`.
pub(crate) fn scan_with(
    reader: &mut dyn BufRead,
    path: &Path,
    no_transaction: bool,
) -> Result<ScannedFile, Error> {
    let (file, mixed) = scan_keeping_mixed(reader, path, no_transaction)?;
    match mixed {
        Some((line, problem)) => Err(Error::FileRule {
            path: path.to_owned(),
            line,
            problem,
        }),
        None => Ok(file),
    }
}

/// [`scan_with`], except that a transactional part mixing a statement that
/// cannot run in a transaction block with others is returned beside the
/// file ([`FileProblem::MixedTransaction`] and its line) instead of failing
/// it: `lint` reports it as a finding, with the same knowledge as the load.
pub(crate) fn scan_keeping_mixed(
    reader: &mut dyn BufRead,
    path: &Path,
    no_transaction: bool,
) -> Result<(ScannedFile, Option<(u32, FileProblem)>), Error> {
    let mut hasher = NormalizingHasher::default();
    let mut buf = Vec::with_capacity(256);
    let mut offset: u64 = 0;
    let mut line_no: u32 = 0;
    let mut up: Option<SectionScan> = None;
    let mut up_summary: Option<ScriptSummary> = None;
    let mut down: Option<SectionScan> = None;
    let mut saw_up_marker = false;
    let mut allow = Vec::new();
    let rule = |line: u32, problem: FileProblem| Error::FileRule {
        path: path.to_owned(),
        line,
        problem,
    };
    let script = |(line, problem): (u32, ScriptProblem)| rule(line, FileProblem::Script(problem));
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
        let up_section = up.get_or_insert_with(|| {
            SectionScan::new(
                content_start,
                line_no,
                no_transaction || is_sqlx_no_transaction(text),
            )
        });
        // A data row of a `COPY … FROM STDIN` is data, whatever it reads:
        // neither a marker nor a directive (the lexer knows where data is).
        let mut mark = marker(text);
        let mut dir = directive(text);
        if (!matches!(mark, Ok(None)) || dir.is_some()) && {
            let checker = match down.as_ref() {
                Some(d) => &d.checker,
                None => &up_section.checker,
            };
            checker.is_copy_data(text, line_no)
        } {
            mark = Ok(None);
            dir = None;
        }
        let mark = mark.map_err(|p| rule(line_no, p))?;
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
                if up_section.checker.has_statement() {
                    return Err(rule(line_no, FileProblem::StatementBeforeUp));
                }
                saw_up_marker = true;
                up_section.part.no_transaction |= no_transaction;
                up_section.checker.push(text).map_err(script)?;
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
                let finished =
                    std::mem::replace(&mut up_section.checker, Checker::new(line_no, false));
                up_summary = Some(finished.finish().map_err(script)?);
                let mut d = SectionScan::new(content_start, line_no, no_transaction);
                d.checker.push(text).map_err(script)?;
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
        let t = text.trim();
        if section.in_header && !(t.is_empty() || t.starts_with("--")) {
            section.in_header = false;
        }
        // An unknown `-- strata:` directive is an error wherever it is; a
        // known one after the first statement is an ordinary comment.
        match dir {
            Some(Err(p)) => return Err(rule(line_no, p)),
            Some(Ok(Directive::NoTransaction)) if section.in_header => {
                section.part.no_transaction = true;
            }
            Some(Ok(Directive::Allow(rules))) if section.in_header => allow.extend(rules),
            _ => {}
        }
        section.checker.push(text).map_err(script)?;
        section.part.end = offset;
    }
    let Some(mut up) = up else {
        return Err(Error::EmptyMigration {
            path: path.to_owned(),
        });
    };
    let up_summary = match up_summary {
        Some(s) => s,
        None => std::mem::replace(&mut up.checker, Checker::new(1, false))
            .finish()
            .map_err(script)?,
    };
    if let Some(d) = &down {
        up.part.end = d.part.start;
    }
    if up_summary.statements == 0 && !up_summary.comments {
        return Err(Error::EmptyMigration {
            path: path.to_owned(),
        });
    }
    let mut mixed = decide_transaction(&mut up.part, &up_summary).err();
    let down = match down {
        Some(mut d) => {
            let summary = std::mem::replace(&mut d.checker, Checker::new(1, false))
                .finish()
                .map_err(script)?;
            if let Err(m) = decide_transaction(&mut d.part, &summary) {
                mixed.get_or_insert(m);
            }
            Some(d.part)
        }
        None => None,
    };
    let file = ScannedFile {
        checksum: hasher.finish(),
        up: up.part,
        down,
        allow,
        size: offset,
        no_op: up_summary.statements == 0,
    };
    Ok((file, mixed))
}

/// A part that did not ask for it runs outside a transaction when every
/// statement of it must; mixing such a statement with others is refused.
fn decide_transaction(part: &mut Part, summary: &ScriptSummary) -> Result<(), (u32, FileProblem)> {
    if part.no_transaction {
        return Ok(());
    }
    match (summary.first_non_transactional, summary.first_transactional) {
        (Some(_), None) => part.no_transaction = true,
        (Some((line, kind)), Some(transactional_line)) => {
            return Err((
                line,
                FileProblem::MixedTransaction {
                    kind,
                    transactional_line,
                },
            ));
        }
        (None, _) => {}
    }
    Ok(())
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
    /// The up part holds no statement, only comments: it is applied as a
    /// recorded no-op (SPEC §2.1).
    pub no_op: bool,
}
