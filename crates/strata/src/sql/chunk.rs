//! Streaming a script as chunks of whole statements, in bounded memory.

use squawk_lexer::TokenKind;

use super::check::is_skipped_line;
use super::copy::CopyWatch;
use super::lexer::{Splitter, Step, is_trivia, tokens};
use super::position::Location;
use std::io::{self, BufRead};

/// squawk-lexer decides where a token ends by peeking at most two characters
/// past it (`U&'`, `1..2`, `1e+5`, `''`). A token is final once that many
/// characters follow it in the buffer (or input has ended); four leaves a
/// margin should a later lexer peek further.
const LOOKAHEAD_CHARS: usize = 4;

/// Below this the buffer's spare capacity is not worth giving back.
const MIN_CAPACITY: usize = 64 * 1024;

/// Consecutive whole statements of a script, ready to send in one query.
///
/// ```
/// use strata::sql::{Chunker, Location};
/// let script = "-- users\ncreate table users (id int);\ncreate index on users (id);\n";
/// let chunk = Chunker::new(script.as_bytes(), Location::START).next_chunk(1 << 20)?.expect("SQL");
/// // The leading comment is dropped; both statements fit in one chunk.
/// assert_eq!(chunk.text, "create table users (id int);\ncreate index on users (id);");
/// assert_eq!((chunk.offset, chunk.line, chunk.column), (9, 2, 1));
/// assert_eq!(chunk.statements, 2);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// The statements and whatever lies between them. Starts at the first
    /// statement's first token (leading whitespace and comments are dropped)
    /// and ends just after the last statement's `;` (or its last token, at
    /// the end of an unterminated script).
    pub text: String,
    /// Byte offset of `text[0]` in the file (the stream's offset plus the
    /// chunker's base).
    pub offset: u64,
    /// 1-based line of `text[0]`.
    pub line: u32,
    /// 1-based column of `text[0]`, in characters.
    pub column: u32,
    /// How many statements `text` holds (empty `;;` statements not counted).
    pub statements: usize,
    /// `text` is one `COPY … FROM STDIN` whose data follows in the script:
    /// read it with [`Chunker::next_copy_data`] (it is not SQL, and is never
    /// part of a chunk's text).
    pub copy_from_stdin: bool,
}

impl Chunk {
    /// Where `text[0]` is in the file, for [`locate`](super::locate).
    ///
    /// ```
    /// use strata::sql::{Chunker, Location, locate};
    /// let script = "select 1;\nselect * from nowhere;\n";
    /// let mut chunker = Chunker::new(script.as_bytes(), Location::START);
    /// chunker.next_chunk(0)?;
    /// let second = chunker.next_chunk(0)?.expect("a second statement");
    /// assert_eq!(second.location(), Location { offset: 10, line: 2, column: 1 });
    /// // PostgreSQL: relation "nowhere" does not exist, at character 15 of that query.
    /// let at = locate(&second.text, second.location(), 15).expect("inside the text");
    /// assert_eq!((at.line, at.column), (2, 15));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn location(&self) -> Location {
        Location {
            offset: self.offset,
            line: self.line,
            column: self.column,
        }
    }
}

/// Reads a script from a [`BufRead`] and hands it out as [`Chunk`]s of whole
/// statements, cut only after a top-level `;`.
///
/// Memory stays O(`target_bytes` + longest statement + one read block) and
/// time linear in the input, so a migration of hundreds of megabytes can be
/// sent in pieces without loading it. Statement boundaries are exactly those
/// of [`statements`](super::statements) on the whole text.
///
/// The input must be UTF-8; reads may end inside a character (the partial
/// character waits for the next read).
///
/// ```
/// use strata::sql::{Chunker, Location};
/// let script = "create table t (a int);\ninsert into t values (1);\n-- end\n";
/// let mut chunker = Chunker::new(script.as_bytes(), Location::START);
/// let first = chunker.next_chunk(0).unwrap().unwrap();
/// assert_eq!(first.text, "create table t (a int);");
/// let second = chunker.next_chunk(0).unwrap().unwrap();
/// assert_eq!((second.text.as_str(), second.line, second.column), ("insert into t values (1);", 2, 1));
/// assert!(chunker.next_chunk(0).unwrap().is_none());
/// ```
#[derive(Debug)]
pub struct Chunker<R: BufRead> {
    reader: R,
    /// Input read and not yet handed out or dropped, from `buf[head]` on.
    buf: String,
    /// Bytes removed from the front of `buf` so far.
    drained: u64,
    /// Start of the current chunk, or of trivia not yet dropped.
    head: usize,
    /// Location of `buf[head]`.
    head_loc: Location,
    /// Start of the next token to lex; always a token boundary.
    lex_pos: usize,
    splitter: Splitter,
    /// Complete statements in the current chunk.
    statements: usize,
    /// End of the current chunk's last complete statement.
    chunk_end: usize,
    /// End of the last non-trivia token (ends an unterminated last statement).
    last_content_end: usize,
    /// Length of the unlexed tail when lexing last stopped for lack of input.
    /// The next attempt waits for twice as much, so a huge token is re-lexed
    /// O(log n) times, not once per read.
    stall: usize,
    /// Bytes of a UTF-8 character split across reads.
    pending: Vec<u8>,
    eof: bool,
    /// The largest `target_bytes` asked for; capacity below it is kept.
    target: usize,
    /// The next token starts a line.
    at_line_start: bool,
    /// Watches the current statement for `COPY … FROM STDIN`.
    copy: CopyWatch,
    /// The data of a `COPY … FROM STDIN` handed out comes next.
    copy_phase: Option<copy_data::Phase>,
}

impl<R: BufRead> Chunker<R> {
    /// A chunker over `reader`, whose first byte is at `base` in the file
    /// (after a BOM, or at a section marker of a file with up and down
    /// parts).
    ///
    /// ```
    /// use strata::sql::{Chunker, Location};
    /// // The down section of a file starts on line 3, at byte 30.
    /// let down = "-- migrate:down\ndrop table a;\n";
    /// let base = Location { offset: 30, line: 3, column: 1 };
    /// let chunk = Chunker::new(down.as_bytes(), base).next_chunk(0)?.expect("a statement");
    /// assert_eq!((chunk.text.as_str(), chunk.line, chunk.offset), ("drop table a;", 4, 46));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new(reader: R, base: Location) -> Self {
        Chunker {
            reader,
            buf: String::new(),
            drained: 0,
            head: 0,
            head_loc: base,
            lex_pos: 0,
            splitter: Splitter::new(),
            statements: 0,
            chunk_end: 0,
            last_content_end: 0,
            stall: 0,
            pending: Vec::new(),
            eof: false,
            target: 0,
            at_line_start: base.column == 1,
            copy: CopyWatch::default(),
            copy_phase: None,
        }
    }

    /// The next chunk: whole statements adding up to at least `target_bytes`
    /// (fewer at the end of input), or exactly one statement when
    /// `target_bytes` is 0. `None` once only whitespace, comments and empty
    /// statements remain.
    ///
    /// ```
    /// use strata::sql::{Chunker, Location};
    /// let script = "insert into t values (1);\n\
    ///               insert into t values (2);\n\
    ///               insert into t values (3);";
    /// let mut chunker = Chunker::new(script.as_bytes(), Location::START);
    /// // At least 30 bytes: the first chunk takes two statements.
    /// let sizes: Vec<usize> = std::iter::from_fn(|| chunker.next_chunk(30).transpose())
    ///     .map(|chunk| chunk.map(|c| c.statements))
    ///     .collect::<Result<_, _>>()?;
    /// assert_eq!(sizes, [2, 1]);
    ///
    /// let bad = Chunker::new(&b"select '\xff';"[..], Location::START).next_chunk(0);
    /// assert_eq!(bad.unwrap_err().kind(), std::io::ErrorKind::InvalidData);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Errors from the reader, and [`io::ErrorKind::InvalidData`] when the
    /// input is not UTF-8.
    ///
    /// A `COPY … FROM STDIN` is always a chunk of its own
    /// ([`Chunk::copy_from_stdin`]); the data after it is skipped unless it
    /// was read with [`next_copy_data`](Self::next_copy_data).
    pub fn next_chunk(&mut self, target_bytes: usize) -> io::Result<Option<Chunk>> {
        self.target = self.target.max(target_bytes);
        self.skip_copy_data()?;
        loop {
            if let Some(chunk) = self.scan(target_bytes) {
                return Ok(Some(chunk));
            }
            if self.eof {
                return Ok(self.finish());
            }
            self.fill()?;
        }
    }

    /// Feeds the splitter every token of the buffer whose end is certain;
    /// returns a chunk as soon as one is complete and big enough.
    fn scan(&mut self, target_bytes: usize) -> Option<Chunk> {
        let buf = &self.buf;
        let mut pos = self.lex_pos;
        let mut stalled = false;
        let mut complete = false;
        // Set when the chunk ends early at a skipped `\restrict` line: where
        // that line ends, so the next chunk starts after it.
        let mut skip_to = None;
        'outer: loop {
            let at_stream_start = self.drained == 0 && pos == 0;
            for tok in tokens(&buf[pos..], at_stream_start) {
                let end = pos + tok.len as usize;
                if !self.eof && buf[end..].chars().nth(LOOKAHEAD_CHARS - 1).is_none() {
                    stalled = true;
                    break 'outer;
                }
                // `matches!`, not `==`: the derived `PartialEq` on the token
                // kind made the compiler unpack every token's payload bit
                // by bit here (hundreds of instructions a token).
                if matches!(tok.kind, TokenKind::Unknown)
                    && &buf[pos..end] == "\\"
                    && self.at_line_start
                    && !self.splitter.in_statement()
                {
                    let line_end = match buf[pos..].find('\n') {
                        Some(i) => pos + i,
                        None if self.eof => buf.len(),
                        None => {
                            stalled = true;
                            break 'outer;
                        }
                    };
                    // pg_dump's `\restrict KEY` is psql's, never the server's
                    // (other meta-commands are refused when the file is loaded).
                    if is_skipped_line(&buf[pos..line_end]) {
                        self.at_line_start = false;
                        if self.statements == 0 {
                            self.head_loc = self.head_loc.advance(&buf[self.head..line_end]);
                            self.head = line_end;
                            pos = line_end;
                            continue 'outer;
                        }
                        skip_to = Some(line_end);
                        pos = line_end;
                        complete = true;
                        break 'outer;
                    }
                }
                self.at_line_start = buf[pos..end].ends_with('\n');
                match self.splitter.step(tok.kind, &buf[pos..end]) {
                    Step::Outside | Step::Empty => {
                        if self.statements == 0 {
                            // Nothing of this chunk yet: drop the trivia.
                            self.head_loc = self.head_loc.advance(&buf[self.head..end]);
                            self.head = end;
                        }
                    }
                    Step::Inside { .. } => {
                        if !is_trivia(tok.kind) {
                            self.last_content_end = end;
                            self.copy.step(tok.kind, &buf[pos..end]);
                        }
                    }
                    Step::End if self.copy.is_copy_from_stdin() => {
                        self.copy = CopyWatch::default();
                        if self.statements > 0 {
                            // A COPY goes alone: hand out the statements
                            // before it, and lex it again next time.
                            pos = self.chunk_end;
                            self.at_line_start = false;
                            complete = true;
                            break 'outer;
                        }
                        self.statements = 1;
                        self.chunk_end = end;
                        self.copy_phase = Some(copy_data::Phase::StatementLine);
                        complete = true;
                    }
                    Step::End => {
                        self.copy = CopyWatch::default();
                        self.statements += 1;
                        self.chunk_end = end;
                        complete = end - self.head >= target_bytes;
                    }
                }
                pos = end;
                if complete {
                    break 'outer;
                }
            }
            break;
        }
        self.lex_pos = pos;
        self.stall = if stalled { self.buf.len() - pos } else { 0 };
        if !complete {
            return None;
        }
        let chunk = self.take_chunk();
        if let Some(end) = skip_to {
            self.head_loc = self.head_loc.advance(&self.buf[self.head..end]);
            self.head = end;
        }
        Some(chunk)
    }

    /// At the end of input: the last chunk, with an unterminated last
    /// statement if there is one.
    fn finish(&mut self) -> Option<Chunk> {
        if self.splitter.in_statement() {
            self.splitter.reset();
            self.copy = CopyWatch::default();
            self.statements += 1;
            self.chunk_end = self.last_content_end;
        }
        (self.statements > 0).then(|| self.take_chunk())
    }

    /// Hands out `buf[head..chunk_end]` and starts a new chunk after it.
    fn take_chunk(&mut self) -> Chunk {
        let text = self.buf[self.head..self.chunk_end].to_owned();
        let at = self.head_loc;
        self.head_loc = at.advance(&text);
        self.head = self.chunk_end;
        let statements = std::mem::take(&mut self.statements);
        Chunk {
            text,
            offset: at.offset,
            line: at.line,
            column: at.column,
            statements,
            copy_from_stdin: self.copy_phase.is_some(),
        }
    }

    /// Reads until the unlexed tail has grown enough to retry, or input ends.
    fn fill(&mut self) -> io::Result<()> {
        self.compact();
        let want = self.stall.saturating_mul(2).max(self.stall + 1);
        while !self.eof && self.buf.len() - self.lex_pos < want {
            self.read_block()?;
        }
        Ok(())
    }

    /// Drops the handed-out front of the buffer once it is at least as big
    /// as what is kept, so each byte is moved O(1) times overall.
    fn compact(&mut self) {
        if self.head == 0 || self.head < self.buf.len() - self.head {
            return;
        }
        let cut = self.head;
        self.buf.drain(..cut);
        self.drained += cut as u64;
        self.head = 0;
        self.lex_pos -= cut;
        self.chunk_end = self.chunk_end.saturating_sub(cut);
        self.last_content_end = self.last_content_end.saturating_sub(cut);
        // Give back what one huge statement made the buffer grow to.
        let keep = self.buf.len().max(self.target).max(MIN_CAPACITY);
        if self.buf.capacity() > keep.saturating_mul(4) {
            self.buf.shrink_to(keep.saturating_mul(2));
        }
    }

    /// Appends one block from the reader; sets `eof` when there is none.
    fn read_block(&mut self) -> io::Result<()> {
        let block = loop {
            match self.reader.fill_buf() {
                Ok(block) => break block,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        };
        let stream_offset = self.head_loc.offset + (self.buf.len() - self.head) as u64;
        if block.is_empty() {
            self.eof = true;
            return if self.pending.is_empty() {
                Ok(())
            } else {
                Err(invalid_utf8(stream_offset))
            };
        }
        let n = block.len();
        push_utf8(&mut self.buf, &mut self.pending, block)
            .map_err(|at| invalid_utf8(stream_offset + at as u64))?;
        self.reader.consume(n);
        Ok(())
    }
}

/// Appends `bytes` to `buf`, completing a character left in `pending` by the
/// previous block and leaving one cut by the end of this block there.
/// On invalid UTF-8 returns the offset in `bytes` (relative to the first
/// pending byte) where it was found.
fn push_utf8(buf: &mut String, pending: &mut Vec<u8>, mut bytes: &[u8]) -> Result<(), usize> {
    let carried = pending.len();
    if let Some(&lead) = pending.first() {
        let width = utf8_width(lead).ok_or(0usize)?;
        let take = (width - carried).min(bytes.len());
        pending.extend_from_slice(&bytes[..take]);
        bytes = &bytes[take..];
        if pending.len() < width {
            return Ok(());
        }
        buf.push_str(std::str::from_utf8(pending).map_err(|_| 0usize)?);
        pending.clear();
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => buf.push_str(text),
        Err(e) if e.error_len().is_none() => {
            let (valid, rest) = bytes.split_at(e.valid_up_to());
            // `valid_up_to` bytes are valid UTF-8 by definition; the error
            // branch cannot be taken.
            buf.push_str(std::str::from_utf8(valid).map_err(|_| 0usize)?);
            pending.extend_from_slice(rest);
        }
        Err(e) => return Err(carried + e.valid_up_to()),
    }
    Ok(())
}

/// Length of the UTF-8 sequence a lead byte starts, `None` if it cannot
/// start one.
fn utf8_width(lead: u8) -> Option<usize> {
    match lead {
        0x00..=0x7F => Some(1),
        0xC2..=0xDF => Some(2),
        0xE0..=0xEF => Some(3),
        0xF0..=0xF4 => Some(4),
        _ => None,
    }
}

fn invalid_utf8(offset: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("invalid UTF-8 at byte {offset}"),
    )
}

mod copy_data;
pub use copy_data::CopyData;

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests;
