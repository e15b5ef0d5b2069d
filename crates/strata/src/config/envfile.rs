//! Reading one dotenv file, with the line of every assignment.
//!
//! Values come from `dotenvy`'s own parser over the whole file, so quoting,
//! escapes, `export KEY=`, comments, multi-line quoted values and `${VAR}`
//! substitution behave exactly as in every other dotenv tool built on it.
//! dotenvy does not report lines, so the file is also cut into the same
//! logical lines dotenvy reads (a copy of its small quote-tracking state
//! machine) and each one is parsed alone to learn which key it assigns.
//!
//! Known limit, inherited from dotenvy 0.15: `${VAR}` substitution looks
//! `VAR` up in the real process environment first (not the snapshot strata
//! was given), then in earlier lines of the same file; variables from other
//! env files are not visible to it.

use std::io;
use std::path::Path;

use super::error::ConfigError;

/// One assignment in an env file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub key: String,
    pub value: String,
    /// 1-based line where the assignment starts (0 if it could not be found).
    pub line: usize,
}

/// Reads `path`; `Ok(None)` when it does not exist. Later assignments of a
/// key come after earlier ones in the result (the caller lets the last win).
pub(crate) fn read(path: &Path) -> Result<Option<Vec<Entry>>, ConfigError> {
    let text = match crate::source::read_regular_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(ConfigError::Read {
                path: path.to_owned(),
                source,
            });
        }
    };
    parse(&text, path).map(Some)
}

/// Parses dotenv `text`; `path` is only used in errors.
pub(crate) fn parse(text: &str, path: &Path) -> Result<Vec<Entry>, ConfigError> {
    // dotenvy's iterator does not strip a BOM (only its `load` does).
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let syntax = |line| ConfigError::EnvFileSyntax {
        path: path.to_owned(),
        line,
    };

    // Pass 1: which key each logical line assigns, and where.
    let mut keyed_lines: Vec<(String, usize)> = Vec::new();
    for (line, chunk) in logical_lines(text) {
        for item in dotenvy::from_read_iter(chunk.as_bytes()) {
            let (key, _) = item.map_err(|_| syntax(line))?;
            keyed_lines.push((key, line));
        }
    }

    // Pass 2: the values, with substitution across lines.
    let mut pairs = Vec::new();
    for item in dotenvy::from_read_iter(text.as_bytes()) {
        pairs.push(item.map_err(|_| syntax(0))?);
    }

    let aligned = keyed_lines.len() == pairs.len()
        && keyed_lines
            .iter()
            .zip(&pairs)
            .all(|((k1, _), (k2, _))| k1 == k2);
    Ok(pairs
        .into_iter()
        .enumerate()
        .map(|(i, (key, value))| {
            let line = if aligned {
                keyed_lines[i].1
            } else {
                // Should not happen; fall back to the last line naming the key.
                keyed_lines
                    .iter()
                    .rev()
                    .find(|(k, _)| *k == key)
                    .map_or(0, |(_, l)| *l)
            };
            Entry { key, value, line }
        })
        .collect())
}

/// dotenvy's `ParseState` (iter.rs), used only to find where a logical line
/// ends.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Complete,
    Escape,
    StrongOpen,
    StrongOpenEscape,
    WeakOpen,
    WeakOpenEscape,
    Comment,
    WhiteSpace,
}

fn end_state(mut state: State, chunk: &str) -> State {
    for c in chunk.chars() {
        state = match state {
            State::WhiteSpace => match c {
                '#' => return State::Comment,
                '\\' => State::Escape,
                '"' => State::WeakOpen,
                '\'' => State::StrongOpen,
                _ => State::Complete,
            },
            State::Escape => State::Complete,
            State::Complete => match c {
                c if c.is_whitespace() && c != '\n' && c != '\r' => State::WhiteSpace,
                '\\' => State::Escape,
                '"' => State::WeakOpen,
                '\'' => State::StrongOpen,
                _ => State::Complete,
            },
            State::WeakOpen => match c {
                '\\' => State::WeakOpenEscape,
                '"' => State::Complete,
                _ => State::WeakOpen,
            },
            State::WeakOpenEscape => State::WeakOpen,
            State::StrongOpen => match c {
                '\\' => State::StrongOpenEscape,
                '\'' => State::Complete,
                _ => State::StrongOpen,
            },
            State::StrongOpenEscape => State::StrongOpen,
            State::Comment => return State::Comment,
        };
    }
    state
}

/// Splits `text` the way dotenvy's `QuotedLines` does: `(first line, text)`
/// per logical line; comment-only lines are dropped.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String, State)> = None;
    for (i, physical) in text.split_inclusive('\n').enumerate() {
        let (start, mut buf, state) = match current.take() {
            Some(open) => open,
            None => {
                if physical.trim_start().starts_with('#') {
                    continue;
                }
                (i + 1, String::new(), State::Complete)
            }
        };
        buf.push_str(physical);
        match end_state(state, physical) {
            State::Complete | State::Comment => out.push((start, buf)),
            open => current = Some((start, buf, open)),
        }
    }
    if let Some((start, buf, _)) = current {
        out.push((start, buf));
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may panic
mod tests {
    use super::*;

    fn entries(text: &str) -> Vec<(String, String, usize)> {
        parse(text, Path::new(".env"))
            .unwrap()
            .into_iter()
            .map(|e| (e.key, e.value, e.line))
            .collect()
    }

    fn e(k: &str, v: &str, line: usize) -> (String, String, usize) {
        (k.to_owned(), v.to_owned(), line)
    }

    #[test]
    fn lines_of_assignments() {
        let text = "\
# a comment
A=1

export B=\"two words\" # trailing comment
C='single # not a comment'
D=\"line one
line two
line three\"
E=after_multiline
  F = spaced
A=again
G=${A}-x
";
        assert_eq!(
            entries(text),
            [
                e("A", "1", 2),
                e("B", "two words", 4),
                e("C", "single # not a comment", 5),
                e("D", "line one\nline two\nline three", 6),
                e("E", "after_multiline", 9),
                e("F", "spaced", 10),
                e("A", "again", 11),
                e("G", "again-x", 12),
            ]
        );
    }

    #[test]
    fn bom_and_crlf() {
        assert_eq!(
            entries("\u{feff}A=1\r\nB=2\r\n"),
            [e("A", "1", 1), e("B", "2", 2)]
        );
    }

    #[test]
    fn syntax_error_names_the_line() {
        let err = parse("A=1\nB=\"unterminated\nC=3\n", Path::new(".env.local")).unwrap_err();
        assert!(
            matches!(err, ConfigError::EnvFileSyntax { line: 2, .. }),
            "{err:?}"
        );
        let err = parse("A=1\nnot an assignment\n", Path::new(".env")).unwrap_err();
        assert!(
            matches!(err, ConfigError::EnvFileSyntax { line: 2, .. }),
            "{err:?}"
        );
        assert_eq!(err.to_string(), ".env:2: invalid env file syntax");
    }

    #[test]
    fn missing_file_is_none() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(&dir.path().join("nope")).unwrap(), None);
    }
}
