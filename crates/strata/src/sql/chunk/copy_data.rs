//! The data of a `COPY … FROM STDIN`, streamed out of the [`Chunker`] in
//! pieces of whole rows, never lexed: the rows after the statement's line,
//! up to the line `\.` (which is not data).

use std::io::{self, BufRead};

use super::Chunker;
use crate::sql::copy::is_end_of_data;

/// Where the chunker is in a COPY's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    /// Still on the statement's own line, after its `;`.
    StatementLine,
    /// At a data row (or the `\.`).
    Rows,
}

/// Whole rows of a `COPY … FROM STDIN`'s data, as written in the script
/// (line breaks included), for the COPY protocol.
///
/// ```
/// use strata::sql::{Chunker, Location};
/// let script = "COPY t (a, b) FROM stdin;\n1\tone\n2\ttwo\n\\.\nSELECT 1;\n";
/// let mut chunker = Chunker::new(script.as_bytes(), Location::START);
/// let copy = chunker.next_chunk(0)?.expect("the COPY");
/// assert!(copy.copy_from_stdin);
/// let data = chunker.next_copy_data(1 << 20)?.expect("two rows");
/// assert_eq!((data.text.as_str(), data.line, data.rows), ("1\tone\n2\ttwo\n", 2, 2));
/// assert!(chunker.next_copy_data(1 << 20)?.is_none());
/// assert_eq!(chunker.next_chunk(0)?.expect("after the data").text, "SELECT 1;");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyData {
    /// The rows, each with its line break.
    pub text: String,
    /// 1-based file line of the first row.
    pub line: u32,
    /// How many rows `text` holds.
    pub rows: u32,
}

impl<R: BufRead> Chunker<R> {
    /// The next rows of the data that follows a chunk with
    /// [`copy_from_stdin`](super::Chunk::copy_from_stdin): whole rows adding
    /// up to at least `target_bytes` (at least one row), `None` once the
    /// line `\.` has been read (or when no COPY data comes next).
    ///
    /// # Errors
    /// As [`next_chunk`](Self::next_chunk); [`io::ErrorKind::InvalidData`]
    /// when the input ends before the line `\.` (the load-time check
    /// refuses such a file first).
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::sql::{Chunker, Location};
    /// let script = "COPY t FROM stdin;\n1\n2\n3\n\\.\n";
    /// let mut chunker = Chunker::new(script.as_bytes(), Location::START);
    /// chunker.next_chunk(0)?;
    /// // One row at a time.
    /// let lines: Vec<u32> = std::iter::from_fn(|| chunker.next_copy_data(0).transpose())
    ///     .map(|d| d.map(|d| d.line))
    ///     .collect::<Result<_, _>>()?;
    /// assert_eq!(lines, [2, 3, 4]);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn next_copy_data(&mut self, target_bytes: usize) -> io::Result<Option<CopyData>> {
        self.read_copy_data(target_bytes, true)
    }

    /// Skips the rest of a COPY's data not read by the caller.
    pub(super) fn skip_copy_data(&mut self) -> io::Result<()> {
        while self.copy_phase.is_some() {
            self.read_copy_data(0, false)?;
        }
        Ok(())
    }

    fn read_copy_data(&mut self, target_bytes: usize, keep: bool) -> io::Result<Option<CopyData>> {
        let mut data: Option<CopyData> = None;
        // Bytes after `head` already searched for a line break.
        let mut searched = 0;
        while let Some(phase) = self.copy_phase {
            let rest = &self.buf[self.head..];
            let line_len = match rest[searched..].find('\n') {
                Some(i) => searched + i + 1,
                None if self.eof && !rest.is_empty() => rest.len(),
                None if self.eof => {
                    self.copy_phase = None;
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "COPY data ends at line {} without a line `\\.`",
                            self.head_loc.line
                        ),
                    ));
                }
                None => {
                    searched = rest.len();
                    self.lex_pos = self.head;
                    self.compact();
                    self.read_block()?;
                    continue;
                }
            };
            searched = 0;
            let line = &self.buf[self.head..self.head + line_len];
            let at = self.head_loc;
            match phase {
                Phase::StatementLine => self.copy_phase = Some(Phase::Rows),
                Phase::Rows if is_end_of_data(line) => self.copy_phase = None,
                Phase::Rows if keep => {
                    let d = data.get_or_insert_with(|| CopyData {
                        text: String::new(),
                        line: at.line,
                        rows: 0,
                    });
                    d.text.push_str(line);
                    d.rows += 1;
                }
                Phase::Rows => {}
            }
            self.head_loc = at.advance(line);
            self.head += line_len;
            if self.copy_phase.is_none() {
                break;
            }
            if data.as_ref().is_some_and(|d| d.text.len() >= target_bytes) || !keep {
                break;
            }
        }
        // Lexing resumes after what was read.
        self.lex_pos = self.head;
        self.chunk_end = self.head;
        self.last_content_end = self.head;
        self.at_line_start = true;
        Ok(data)
    }
}
