//! The part of a migration that is linted (its up section, the part
//! `migrate` runs), parsed once by squawk's PostgreSQL parser: its
//! statements with their byte ranges, whether it runs in a transaction, and
//! positions in the *file* (a part starts at its marker's line).

use std::ops::Range;

use squawk_syntax::ast::{self, AstNode};
use squawk_syntax::{Parse, SourceFile};

use crate::sql::line_column;

/// One statement of the part.
pub(super) struct Stmt {
    pub(super) range: Range<usize>,
    pub(super) ast: ast::Stmt,
}

/// The up section, parsed.
pub(super) struct Part<'t> {
    pub(super) text: &'t str,
    /// The file line of the part's first byte.
    pub(super) first_line: u32,
    pub(super) in_transaction: bool,
    pub(super) parse: Parse<SourceFile>,
    pub(super) stmts: Vec<Stmt>,
    /// Byte offset of the start of each line of `text`.
    line_starts: Vec<usize>,
}

impl<'t> Part<'t> {
    pub(super) fn parse(text: &'t str, first_line: u32, in_transaction: bool) -> Part<'t> {
        let parse = SourceFile::parse(text);
        let stmts = parse
            .tree()
            .stmts()
            .map(|s| {
                let node = s.syntax();
                // From the first token that is not a comment or whitespace.
                let start = node
                    .children_with_tokens()
                    .find(|x| !x.kind().is_trivia())
                    .map_or(node.text_range().start(), |x| x.text_range().start());
                Stmt {
                    range: usize::from(start)..usize::from(node.text_range().end()),
                    ast: s,
                }
            })
            .collect();
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Part {
            line_starts,
            text,
            first_line,
            in_transaction,
            parse,
            stmts,
        }
    }

    /// The statement holding byte `offset`, if any (statements are in
    /// order and do not overlap).
    pub(super) fn stmt_at(&self, offset: usize) -> Option<usize> {
        let i = self.stmts.partition_point(|s| s.range.end <= offset);
        self.stmts
            .get(i)
            .filter(|s| s.range.start <= offset)
            .map(|_| i)
    }

    /// The first statement that starts on file line `line` or after it.
    pub(super) fn stmt_from_line(&self, line: u32) -> Option<usize> {
        self.stmts
            .iter()
            .position(|s| self.file_position(s.range.start).0 >= line)
    }

    /// A statement's text, as written.
    pub(super) fn stmt_text(&self, i: usize) -> &'t str {
        self.stmts
            .get(i)
            .and_then(|s| self.text.get(s.range.clone()))
            .unwrap_or("")
            .trim()
    }

    /// The file line and column (1-based, in characters) of byte `offset`.
    pub(super) fn file_position(&self, offset: usize) -> (u32, u32) {
        let line = self.line_starts.partition_point(|start| *start <= offset);
        let start = self
            .line_starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(0);
        let (_, column) = line_column(self.text.get(start..).unwrap_or(""), offset - start);
        (self.first_line + line as u32 - 1, column)
    }
}
