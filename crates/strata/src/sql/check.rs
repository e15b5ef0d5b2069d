//! Checking a script at load, without a server: the [`Checker`] is fed the
//! script a line at a time (the migration scan reads files line by line) and
//! lexes it with the same tokens and statement boundaries as the
//! [`Chunker`](super::Chunker) that later runs it. It finds what must refuse
//! the file before anything is sent ([`ScriptProblem`]) and sums up its
//! statements ([`ScriptSummary`]): how many, whether comments are all there
//! is, and which statements cannot run in a transaction block.
//!
//! Memory is bounded by the longest token plus a few dozen tokens of the
//! current statement; a token still open at the end of a line waits for the
//! next one, re-lexed only once the text after it has doubled (so a huge
//! string costs O(n log n), not O(n²)).

use std::fmt;

use squawk_lexer::{LiteralKind, TokenKind};

use super::classify::{NonTransactional, SetConfigWatch, Word, Words};
use super::copy::{CopyWatch, is_end_of_data};
use super::lexer::{Splitter, Step, is_trivia, tokens};

/// How many leading significant tokens of a statement are kept to classify it.
const KEPT_WORDS: usize = 48;
/// Token texts longer than this are not kept (no keyword is this long).
const KEPT_TEXT: usize = 80;
/// See the chunker: a token is final once this many characters follow it.
const LOOKAHEAD_CHARS: usize = 4;

/// What makes a script unfit to run, found at load.
///
/// ```
/// use strata::sql::{ScriptProblem, Unterminated};
/// let p = ScriptProblem::Unterminated(Unterminated::DollarQuote);
/// assert_eq!(p.to_string(), "unterminated dollar-quoted string (it starts here)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ScriptProblem {
    /// A string, quoted identifier, dollar quote or block comment never closed.
    Unterminated(Unterminated),
    /// A psql meta-command other than `\restrict` / `\unrestrict`.
    MetaCommand {
        /// The command as written, without its arguments (`\connect`).
        command: String,
    },
    /// `COPY … FROM STDIN` whose data never ends with a line `\.`.
    UnterminatedCopy,
    /// Text after `COPY … FROM STDIN;` on its line (the data starts on the
    /// next line).
    TextAfterCopy,
    /// A statement that turns `standard_conforming_strings` off.
    StandardConformingStringsOff,
}

/// Which kind of token was left open.
///
/// ```
/// use strata::sql::Unterminated;
/// assert_eq!(Unterminated::BlockComment.to_string(), "block comment");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unterminated {
    /// `'…`, `E'…`, `U&'…`, `B'…`, `X'…`, `N'…`.
    String,
    /// `"…`.
    QuotedIdentifier,
    /// `$$…` or `$tag$…`.
    DollarQuote,
    /// `/* …`.
    BlockComment,
}

impl fmt::Display for Unterminated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Unterminated::String => "string",
            Unterminated::QuotedIdentifier => "quoted identifier",
            Unterminated::DollarQuote => "dollar-quoted string",
            Unterminated::BlockComment => "block comment",
        })
    }
}

impl fmt::Display for ScriptProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScriptProblem::Unterminated(what) => {
                write!(f, "unterminated {what} (it starts here)")
            }
            ScriptProblem::MetaCommand { command } => write!(
                f,
                "psql meta-command `{}` is not SQL and is never sent to the server; \
                 remove it (only pg_dump's `\\restrict` / `\\unrestrict` are skipped)",
                printable(command)
            ),
            ScriptProblem::UnterminatedCopy => {
                f.write_str("COPY FROM STDIN data is not terminated: end it with a line `\\.`")
            }
            ScriptProblem::TextAfterCopy => f.write_str(
                "text after COPY FROM STDIN on the same line: its data starts on the next line",
            ),
            ScriptProblem::StandardConformingStringsOff => f.write_str(
                "standard_conforming_strings must stay on: strata reads the file with the \
                 rules it implies (a backslash is an ordinary character in '…')",
            ),
        }
    }
}

/// What a script holds, once it has been checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ScriptSummary {
    /// Statements (empty `;;` ones not counted).
    pub(crate) statements: usize,
    /// Whether there is a comment outside every statement.
    pub(crate) comments: bool,
    /// Line of the first statement that can run in a transaction block.
    pub(crate) first_transactional: Option<u32>,
    /// The first statement that cannot, and its line.
    pub(crate) first_non_transactional: Option<(u32, NonTransactional)>,
}

/// The statement being read.
#[derive(Default, Clone)]
struct Current {
    line: u32,
    first: Vec<Word>,
    last: Option<Word>,
    set_config: SetConfigWatch,
    scs_off: bool,
    copy: CopyWatch,
}

/// Where the checker is in the data of a `COPY … FROM STDIN`.
#[derive(Clone, Copy)]
struct CopyData {
    /// Line of the COPY statement.
    line: u32,
    /// Still on the statement's own line (before the first data row).
    on_statement_line: bool,
}

/// Checks a script fed a piece at a time; see the module docs.
#[derive(Clone)]
pub(crate) struct Checker {
    /// Text not yet lexed for good, starting at a token boundary.
    buf: String,
    /// Line of `buf[0]`.
    line: u32,
    /// `buf[0]` is at the start of a line.
    at_line_start: bool,
    at_stream_start: bool,
    /// Length of the tail left unlexed last time (see the module docs).
    stall: usize,
    splitter: Splitter,
    current: Current,
    summary: ScriptSummary,
    /// In the data of a `COPY … FROM STDIN` (not lexed).
    copy: Option<CopyData>,
    /// The last line read as a data row of a `COPY … FROM STDIN`.
    last_data_line: Option<u32>,
}

impl Checker {
    /// A checker for a script whose first byte is at the start of `line`.
    pub(crate) fn new(line: u32, at_stream_start: bool) -> Checker {
        Checker {
            buf: String::new(),
            line,
            at_line_start: true,
            at_stream_start,
            stall: 0,
            splitter: Splitter::new(),
            current: Current::default(),
            summary: ScriptSummary::default(),
            copy: None,
            last_data_line: None,
        }
    }

    /// Whether a statement has been seen (complete or still open).
    pub(crate) fn has_statement(&self) -> bool {
        self.summary.statements > 0 || self.splitter.in_statement()
    }

    /// Whether `text`, line `line` of the script and the next one to be
    /// pushed, is a data row of a `COPY … FROM STDIN` (or its `\.`): such a
    /// line is data, never a section marker or a directive, whatever it
    /// reads. The lexer may wait for a few characters after the COPY's `;`
    /// before it ends the statement, so this lexes a copy of the checker with
    /// the line added; call it only for a line that would otherwise be taken
    /// for a marker or a directive.
    pub(crate) fn is_copy_data(&self, text: &str, line: u32) -> bool {
        let mut probe = self.clone();
        probe.buf.push_str(text);
        if !text.ends_with('\n') {
            probe.buf.push('\n');
        }
        probe.lex(false).is_ok() && probe.last_data_line == Some(line)
    }

    /// Feeds the next piece of the script.
    ///
    /// # Errors
    /// The first problem found, with its 1-based line.
    pub(crate) fn push(&mut self, text: &str) -> Result<(), (u32, ScriptProblem)> {
        self.buf.push_str(text);
        if self.buf.len() < self.stall.saturating_mul(2) {
            return Ok(());
        }
        self.lex(false)
    }

    /// Ends the script.
    ///
    /// # Errors
    /// The first problem found, with its 1-based line.
    pub(crate) fn finish(mut self) -> Result<ScriptSummary, (u32, ScriptProblem)> {
        self.lex(true)?;
        if let Some(copy) = self.copy {
            return Err((copy.line, ScriptProblem::UnterminatedCopy));
        }
        if self.splitter.in_statement() {
            self.splitter.reset();
            self.end_statement()?;
        }
        Ok(self.summary)
    }

    fn lex(&mut self, eof: bool) -> Result<(), (u32, ScriptProblem)> {
        let buf = std::mem::take(&mut self.buf);
        let mut pos = 0;
        let mut stalled = false;
        let result = 'outer: loop {
            match self.copy_data(&buf, &mut pos, eof) {
                Ok(true) => {}
                Ok(false) => {
                    stalled = true;
                    break 'outer Ok(());
                }
                Err(e) => break 'outer Err(e),
            }
            let from = pos;
            for tok in tokens(&buf[from..], self.at_stream_start && from == 0) {
                let end = pos + tok.len as usize;
                if !eof && buf[end..].chars().nth(LOOKAHEAD_CHARS - 1).is_none() {
                    stalled = true;
                    break 'outer Ok(());
                }
                let text = &buf[pos..end];
                if matches!(tok.kind, TokenKind::Unknown) && text == "\\" {
                    let line_end = buf[pos..].find('\n').map(|i| pos + i);
                    if line_end.is_none() && !eof {
                        stalled = true;
                        break 'outer Ok(());
                    }
                    let line_end = line_end.unwrap_or(buf.len());
                    let command = meta_command(&buf[pos..line_end]);
                    if self.at_line_start && !self.splitter.in_statement() && is_skipped(command) {
                        pos = line_end;
                        self.at_line_start = false;
                        self.at_stream_start = false;
                        continue 'outer;
                    }
                    break 'outer Err((
                        self.line,
                        ScriptProblem::MetaCommand {
                            command: command.to_owned(),
                        },
                    ));
                }
                if let Err(e) = self.token(tok.kind, text) {
                    break 'outer Err(e);
                }
                self.line += text.bytes().filter(|b| *b == b'\n').count() as u32;
                self.at_line_start = text.ends_with('\n');
                pos = end;
                if self.copy.is_some() {
                    // The data after it is not SQL: read it as data.
                    continue 'outer;
                }
            }
            break Ok(());
        };
        if pos > 0 {
            self.at_stream_start = false;
        }
        self.buf = buf;
        self.buf.drain(..pos);
        self.stall = if stalled { self.buf.len() } else { 0 };
        result
    }

    /// In COPY data: consumes the whole lines of `buf[*pos..]` up to and
    /// including the `\.` line. False when it needs more input.
    fn copy_data(
        &mut self,
        buf: &str,
        pos: &mut usize,
        eof: bool,
    ) -> Result<bool, (u32, ScriptProblem)> {
        while let Some(copy) = &mut self.copy {
            let line = match buf[*pos..].find('\n') {
                Some(i) => &buf[*pos..*pos + i + 1],
                None if eof && *pos < buf.len() => &buf[*pos..],
                None if eof => return Ok(true),
                None => return Ok(false),
            };
            if copy.on_statement_line {
                copy.on_statement_line = false;
                let rest = line.trim();
                if !(rest.is_empty() || rest.starts_with("--")) {
                    return Err((self.line, ScriptProblem::TextAfterCopy));
                }
            } else {
                self.last_data_line = Some(self.line);
                if is_end_of_data(line) {
                    self.copy = None;
                }
            }
            *pos += line.len();
            if line.ends_with('\n') {
                self.line += 1;
            }
            self.at_line_start = true;
        }
        Ok(true)
    }

    fn token(&mut self, kind: TokenKind, text: &str) -> Result<(), (u32, ScriptProblem)> {
        if let Some(what) = unterminated(kind) {
            return Err((self.line, ScriptProblem::Unterminated(what)));
        }
        match self.splitter.step(kind, text) {
            Step::Outside | Step::Empty => {
                if matches!(
                    kind,
                    TokenKind::LineComment | TokenKind::BlockComment { .. }
                ) {
                    self.summary.comments = true;
                }
            }
            Step::Inside { starts } => {
                if starts {
                    self.current = Current {
                        line: self.line,
                        ..Current::default()
                    };
                }
                if !is_trivia(kind) {
                    let word = (
                        kind,
                        if text.len() <= KEPT_TEXT {
                            text.to_owned()
                        } else {
                            String::new()
                        },
                    );
                    let c = &mut self.current;
                    c.copy.step(kind, text);
                    c.scs_off |= c.set_config.step(&word);
                    if c.first.len() < KEPT_WORDS {
                        c.first.push(word.clone());
                    }
                    c.last = Some(word);
                }
            }
            Step::End => self.end_statement()?,
        }
        Ok(())
    }

    fn end_statement(&mut self) -> Result<(), (u32, ScriptProblem)> {
        let c = std::mem::take(&mut self.current);
        self.summary.statements += 1;
        let words = Words {
            first: &c.first,
            last: c.last.as_ref(),
        };
        if c.copy.is_copy_from_stdin() {
            self.copy = Some(CopyData {
                line: c.line,
                on_statement_line: true,
            });
        }
        if c.scs_off || words.sets_scs_off() {
            return Err((c.line, ScriptProblem::StandardConformingStringsOff));
        }
        match words.non_transactional() {
            Some(kind) => {
                self.summary
                    .first_non_transactional
                    .get_or_insert((c.line, kind));
            }
            None => {
                self.summary.first_transactional.get_or_insert(c.line);
            }
        }
        Ok(())
    }
}

/// `text` with control characters escaped, for a terminal.
pub(crate) fn printable(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}

/// `\name` of a meta-command line (from the backslash to the end of the line).
fn meta_command(line: &str) -> &str {
    let end = line[1..]
        .find(|c: char| c.is_whitespace() || c == '\\')
        .map_or(line.len(), |i| i + 1);
    &line[..end]
}

/// pg_dump's `\restrict KEY` / `\unrestrict KEY` (PostgreSQL 17.6 and later):
/// psql-only, skipped.
pub(crate) fn is_skipped(command: &str) -> bool {
    command == "\\restrict" || command == "\\unrestrict"
}

/// Whether `line` (from its first byte) is a `\restrict` / `\unrestrict` line.
pub(crate) fn is_skipped_line(line: &str) -> bool {
    line.starts_with('\\') && is_skipped(meta_command(line.trim_end_matches(['\n', '\r'])))
}

fn unterminated(kind: TokenKind) -> Option<Unterminated> {
    use LiteralKind as L;
    match kind {
        TokenKind::BlockComment { terminated: false } => Some(Unterminated::BlockComment),
        TokenKind::QuotedIdent {
            terminated: false, ..
        } => Some(Unterminated::QuotedIdentifier),
        TokenKind::Literal { kind } => match kind {
            L::DollarQuotedString { terminated: false } => Some(Unterminated::DollarQuote),
            L::Str { terminated: false }
            | L::NationalStr { terminated: false }
            | L::ByteStr { terminated: false }
            | L::BitStr { terminated: false }
            | L::UnicodeEscStr { terminated: false }
            | L::EscStr { terminated: false } => Some(Unterminated::String),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests;
