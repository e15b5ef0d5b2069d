//! Source positions: line and column of a byte offset, and mapping
//! PostgreSQL's error position back to a migration file.

/// A position in a migration file: where a piece of text sent to the server
/// starts.
///
/// `line` and `column` are 1-based; `column` counts characters (Unicode
/// scalar values), not bytes. Lines are separated by `\n` (a `\r` before it
/// is an ordinary character of the line, so CRLF files count lines the same).
///
/// ```
/// use strata::sql::Location;
/// let at = Location::START.advance("-- migrate:up\nselect 'é';");
/// assert_eq!(at, Location { offset: 26, line: 2, column: 12 });
/// assert_eq!(Location::default(), Location::START);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Location {
    /// Byte offset from the start of the file.
    pub offset: u64,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
}

impl Location {
    /// The start of a file: offset 0, line 1, column 1.
    ///
    /// ```
    /// use strata::sql::Location;
    /// assert_eq!(Location::START, Location { offset: 0, line: 1, column: 1 });
    /// ```
    pub const START: Location = Location {
        offset: 0,
        line: 1,
        column: 1,
    };

    /// The location reached after `text`, which starts at `self`.
    ///
    /// ```
    /// use strata::sql::Location;
    /// let line_2 = Location { offset: 10, line: 2, column: 1 };
    /// assert_eq!(line_2.advance("abc"), Location { offset: 13, line: 2, column: 4 });
    /// assert_eq!(line_2.advance("a\r\nb"), Location { offset: 14, line: 3, column: 2 });
    /// ```
    #[must_use]
    pub fn advance(self, text: &str) -> Location {
        self.advance_bytes(text.as_bytes())
    }
}

impl Default for Location {
    fn default() -> Self {
        Location::START
    }
}

/// Where an error points in a migration file, with the line to show.
///
/// ```
/// use strata::sql::{Location, SourcePosition, locate};
/// // Text sent from line 7 of the file; the server points at character 20 (`wher`).
/// let sent = "update t set a = 1 wher b = 2;";
/// let at = locate(sent, Location { offset: 120, line: 7, column: 1 }, 20);
/// assert_eq!(at, Some(SourcePosition {
///     line: 7,
///     column: 20,
///     offset: 139,
///     line_text: "update t set a = 1 wher b = 2;".into(),
/// }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SourcePosition {
    /// 1-based line in the file.
    pub line: u32,
    /// 1-based column in characters.
    pub column: u32,
    /// Byte offset in the file.
    pub offset: u64,
    /// The text of that line, without its line ending. When the line began
    /// before the text that was sent, only the part that was sent.
    pub line_text: String,
}

/// 1-based `(line, column)` of `byte_offset` in `text`; the column counts
/// characters.
///
/// An offset past the end is clamped to the end; an offset inside a
/// multi-byte character gives that character's column.
///
/// ```
/// // "d" is byte 7: `c` is one byte, `é` two.
/// assert_eq!(strata::sql::line_column("ab\ncé d", 7), (2, 4));
/// ```
pub fn line_column(text: &str, byte_offset: usize) -> (u32, u32) {
    let bytes = &text.as_bytes()[..byte_offset.min(text.len())];
    let start = Location::START.advance_bytes(bytes);
    (start.line, start.column)
}

impl Location {
    /// [`Location::advance`] over bytes that may end inside a character.
    fn advance_bytes(self, bytes: &[u8]) -> Location {
        let (line, column) = match bytes.iter().rposition(|&b| b == b'\n') {
            Some(last_nl) => {
                let newlines = bytes.iter().filter(|&&b| b == b'\n').count();
                (
                    self.line.saturating_add(to_u32(newlines)),
                    1 + char_count(&bytes[last_nl + 1..]),
                )
            }
            None => (self.line, self.column.saturating_add(char_count(bytes))),
        };
        Location {
            offset: self.offset + bytes.len() as u64,
            line,
            column,
        }
    }
}

/// Maps PostgreSQL's error position to the file.
///
/// `sent` is the text exactly as it was sent in the query message and
/// `sent_start` where `sent[0]` is in the file. `char_position` is the
/// server's `ErrorPosition::Original`: a 1-based index in *characters* into
/// the query string. Positions just past the end (PostgreSQL's "at end of
/// input") point after the last character.
///
/// Returns `None` for position 0 and for positions more than one past the
/// last character. When strata sent a prefix of its own before the file's
/// text (`BEGIN;\n`), first subtract it with [`position_after_prefix`].
///
/// ```
/// use strata::sql::{locate, Location};
/// let sent = "select 1;\nselect 'é' + x;";
/// // PostgreSQL: "column x does not exist", position 24 (characters).
/// let pos = locate(sent, Location::START, 24).unwrap();
/// assert_eq!((pos.line, pos.column), (2, 14));
/// assert_eq!(pos.line_text, "select 'é' + x;");
/// ```
pub fn locate(sent: &str, sent_start: Location, char_position: u32) -> Option<SourcePosition> {
    let index = usize::try_from(char_position.checked_sub(1)?).ok()?;
    let byte = match sent.char_indices().nth(index) {
        Some((byte, _)) => byte,
        None if sent.chars().count() == index => sent.len(),
        None => return None,
    };
    let at = sent_start.advance(&sent[..byte]);
    let line_start = sent[..byte].rfind('\n').map_or(0, |nl| nl + 1);
    let line_end = sent[byte..].find('\n').map_or(sent.len(), |nl| byte + nl);
    let line_text = &sent[line_start..line_end];
    Some(SourcePosition {
        line: at.line,
        column: at.column,
        offset: at.offset,
        line_text: line_text.strip_suffix('\r').unwrap_or(line_text).to_owned(),
    })
}

/// Turns an error position in a query made of `prefix` followed by the
/// file's text into a position in the file's text alone.
///
/// Returns `None` when the position falls inside the prefix (the error is
/// strata's own statement, not the file's).
///
/// ```
/// use strata::sql::position_after_prefix;
/// assert_eq!(position_after_prefix(9, "BEGIN;\n"), Some(2));
/// assert_eq!(position_after_prefix(3, "BEGIN;\n"), None);
/// ```
pub fn position_after_prefix(char_position: u32, prefix: &str) -> Option<u32> {
    let prefix_chars = u32::try_from(prefix.chars().count()).ok()?;
    char_position
        .checked_sub(prefix_chars)
        .filter(|&position| position > 0)
}

/// Characters in UTF-8 bytes: every byte that is not a continuation byte
/// starts one.
fn char_count(bytes: &[u8]) -> u32 {
    to_u32(bytes.iter().filter(|&&b| (b & 0xC0) != 0x80).count())
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_characters_not_bytes() {
        let text = "é日本\n🦀x";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 2), (1, 2));
        assert_eq!(line_column(text, 8), (1, 4));
        assert_eq!(line_column(text, 9), (2, 1));
        assert_eq!(line_column(text, 13), (2, 2));
        // Inside the crab: its own column; past the end: clamped.
        assert_eq!(line_column(text, 11), (2, 2));
        assert_eq!(line_column(text, 1000), (2, 3));
    }

    #[test]
    fn advance_continues_a_line_or_restarts_the_column() {
        let at = Location {
            offset: 10,
            line: 3,
            column: 5,
        };
        assert_eq!(
            at.advance("ab"),
            Location {
                offset: 12,
                line: 3,
                column: 7
            }
        );
        assert_eq!(
            at.advance("ab\r\ncd\né"),
            Location {
                offset: 19,
                line: 5,
                column: 2
            }
        );
    }

    #[test]
    fn locate_counts_multibyte_characters_before_the_error() {
        let sent = "insert into t values ('é', '日本', '🦀');\nselect nope;";
        // "nope" is character 47 (1-based): 38 characters and \n on line 1
        // (74 bytes), then 8 on line 2.
        let nope = sent[..sent.find("nope").unwrap()].chars().count() as u32 + 1;
        assert_eq!(nope, 47);
        let pos = locate(sent, Location::START, nope).unwrap();
        assert_eq!(pos.line, 2);
        assert_eq!(pos.column, 8);
        assert_eq!(pos.offset as usize, sent.find("nope").unwrap());
        assert_eq!(pos.line_text, "select nope;");

        // On the first line, after the multibyte characters.
        let crab = sent.find('🦀').unwrap();
        let char_pos = sent[..crab].chars().count() as u32 + 1;
        let pos = locate(sent, Location::START, char_pos).unwrap();
        assert_eq!(
            (pos.line, pos.column, pos.offset),
            (1, char_pos, crab as u64)
        );
    }

    #[test]
    fn locate_adds_the_chunk_start_and_keeps_the_partial_first_line() {
        // The chunk began mid-line 7, column 12, at byte 300 of the file.
        let start = Location {
            offset: 300,
            line: 7,
            column: 12,
        };
        let sent = "selec 1;\r\nselect 2;";
        let pos = locate(sent, start, 1).unwrap();
        assert_eq!((pos.line, pos.column, pos.offset), (7, 12, 300));
        assert_eq!(pos.line_text, "selec 1;");
        let pos = locate(sent, start, 11).unwrap();
        assert_eq!((pos.line, pos.column, pos.offset), (8, 1, 310));
        assert_eq!(pos.line_text, "select 2;");
    }

    #[test]
    fn locate_handles_end_of_input_and_out_of_range() {
        let sent = "select (1";
        let pos = locate(sent, Location::START, 10).unwrap();
        assert_eq!((pos.line, pos.column, pos.offset), (1, 10, 9));
        assert_eq!(pos.line_text, "select (1");
        assert_eq!(locate(sent, Location::START, 11), None);
        assert_eq!(locate(sent, Location::START, 0), None);
        assert_eq!(locate("", Location::START, 1).map(|p| p.column), Some(1));
    }

    #[test]
    fn prefix_is_counted_in_characters() {
        let prefix = "SET x = 'é';\n";
        let sent = format!("{prefix}select bad;");
        // The server points at "bad": character 21 of what was sent.
        let in_sent = sent[..sent.find("bad").unwrap()].chars().count() as u32 + 1;
        assert_eq!(in_sent, 21);
        let file_pos = position_after_prefix(in_sent, prefix).unwrap();
        let pos = locate("select bad;", Location::START, file_pos).unwrap();
        assert_eq!(pos.column, 8);
        assert_eq!(position_after_prefix(13, prefix), None);
        assert_eq!(position_after_prefix(14, prefix), Some(1));
    }
}
