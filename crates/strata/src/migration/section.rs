//! Inside a file, line by line: section markers (dbmate's `-- migrate:up` /
//! `-- migrate:down`, node-pg-migrate's `-- Up Migration` / `-- Down
//! Migration`), comment lines that look like markers but are none, and the
//! `-- strata:` directives (SPEC §2.2).
//!
//! Markers are matched on whole lines, exactly as the tools that define them
//! match them (both search the file's lines with a regular expression,
//! whatever the SQL around them): dbmate's `^--\s*migrate:up(\s*$|\s+\S+)`,
//! case-sensitive; node-pg-migrate's `^\s*--[\s-]*up\s+migration`,
//! case-insensitive, trailing text allowed. These regular expressions are
//! over *comment lines*, not SQL: statements are only ever read by the lexer.

use super::FileProblem;

/// A section marker.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub(super) enum Marker {
    Up { no_transaction: bool },
    Down { no_transaction: bool },
}

/// Whitespace as Go's and JavaScript's `\s` read it within a line.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n' | '\x0b' | '\x0c')
}

/// The marker on `line`, if it is one; an error for a line that looks like
/// one but is none, or for an unknown option.
pub(super) fn marker(line: &str) -> Result<Option<Marker>, FileProblem> {
    if let Some(found) = dbmate(line)? {
        return Ok(Some(found));
    }
    if let Some(found) = node_pg_migrate(line) {
        return Ok(Some(found));
    }
    if looks_like_a_marker(line) {
        return Err(FileProblem::LookAlikeMarker {
            text: line.trim().to_owned(),
        });
    }
    Ok(None)
}

/// dbmate: `^--\s*migrate:(up|down)(\s*$|\s+\S+)`, then its options.
fn dbmate(line: &str) -> Result<Option<Marker>, FileProblem> {
    let Some(rest) = line.strip_prefix("--") else {
        return Ok(None);
    };
    let rest = rest.trim_start_matches(is_space);
    for (word, up) in [("migrate:up", true), ("migrate:down", false)] {
        let Some(after) = rest.strip_prefix(word) else {
            continue;
        };
        if !(after.is_empty() || after.starts_with(is_space)) {
            return Ok(None);
        }
        let mut no_transaction = false;
        for option in after.split(is_space).filter(|o| !o.is_empty()) {
            match option {
                "transaction:false" => no_transaction = true,
                "transaction:true" => {}
                _ => {
                    return Err(FileProblem::MarkerOption {
                        option: option.to_owned(),
                    });
                }
            }
        }
        return Ok(Some(if up {
            Marker::Up { no_transaction }
        } else {
            Marker::Down { no_transaction }
        }));
    }
    Ok(None)
}

/// node-pg-migrate: `^\s*--[\s-]*(up|down)\s+migration`, case-insensitive.
fn node_pg_migrate(line: &str) -> Option<Marker> {
    let body = comment_body(line)?.to_ascii_lowercase();
    for (word, up) in [("up", true), ("down", false)] {
        if let Some(after) = body.strip_prefix(word)
            && after.starts_with(is_space)
            && after.trim_start_matches(is_space).starts_with("migration")
        {
            return Some(if up {
                Marker::Up {
                    no_transaction: false,
                }
            } else {
                Marker::Down {
                    no_transaction: false,
                }
            });
        }
    }
    None
}

/// The text of a comment line after `--` and any run of spaces and dashes.
fn comment_body(line: &str) -> Option<&str> {
    let rest = line.trim_start_matches(is_space).strip_prefix("--")?;
    Some(rest.trim_start_matches(|c| is_space(c) || c == '-'))
}

/// A comment line meant as a marker: `migrate` then `:` (any case, any
/// spacing), or `up`/`down` run into `migration` without the space.
fn looks_like_a_marker(line: &str) -> bool {
    let Some(body) = comment_body(line) else {
        return false;
    };
    let body = body.to_ascii_lowercase();
    if let Some(after) = body.strip_prefix("migrate") {
        return after.trim_start_matches(is_space).starts_with(':');
    }
    ["up", "down"].iter().any(|word| {
        body.strip_prefix(word).is_some_and(|after| {
            after
                .trim_start_matches(|c| is_space(c) || c == '_' || c == '-')
                .starts_with("migration")
        })
    })
}

/// A `-- strata:` directive.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Directive {
    NoTransaction,
    Allow(Vec<String>),
}

/// The directive on `line`, if it carries one; an error for an unknown one.
pub(super) fn directive(line: &str) -> Option<Result<Directive, FileProblem>> {
    let body = line.trim().strip_prefix("--")?.trim();
    let rest = body.strip_prefix("strata:")?;
    let name_end = rest.find([' ', '\t', ',']).unwrap_or(rest.len());
    let (name, args) = rest.split_at(name_end);
    Some(match name {
        "no-transaction" if args.trim().is_empty() => Ok(Directive::NoTransaction),
        "todo" => Err(FileProblem::Unwritten),
        "allow" => {
            let rules: Vec<String> = args
                .split([',', ' ', '\t'])
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(str::to_owned)
                .collect();
            if rules.is_empty() {
                Err(FileProblem::UnknownDirective {
                    directive: body.to_owned(),
                })
            } else {
                Ok(Directive::Allow(rules))
            }
        }
        _ => Err(FileProblem::UnknownDirective {
            directive: body.to_owned(),
        }),
    })
}

/// sqlx's directive: the file's first line starts with `-- no-transaction`.
pub(super) fn is_sqlx_no_transaction(first_line: &str) -> bool {
    first_line.starts_with("-- no-transaction")
}

#[cfg(test)]
mod tests;
