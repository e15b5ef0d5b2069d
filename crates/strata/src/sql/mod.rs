//! TEMPORARY shim until the sql branch lands.
/// placeholder
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Statement {
    pub start: usize,
    pub end: usize,
}
/// placeholder: NOT lexically correct
pub fn statements(script: &str) -> impl Iterator<Item = Statement> + '_ {
    let mut pos = 0;
    script.split_inclusive(';').filter_map(move |piece| {
        let start = pos;
        pos += piece.len();
        let t = piece.trim_start();
        let lead = piece.len() - t.len();
        let body: String = t
            .lines()
            .filter(|l| !l.trim_start().starts_with("--"))
            .collect();
        if body.trim().trim_end_matches(';').trim().is_empty() || body.trim().starts_with("/*") {
            None
        } else {
            Some(Statement {
                start: start + lead,
                end: start + piece.len(),
            })
        }
    })
}
/// placeholder
pub fn first_statement(script: &str) -> Option<Statement> {
    statements(script).next()
}
/// placeholder
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Location {
    pub offset: u64,
    pub line: u32,
    pub column: u32,
}
/// placeholder
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub text: String,
    pub offset: u64,
    pub line: u32,
    pub column: u32,
    pub statements: usize,
}
/// placeholder
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcePosition {
    pub line: u32,
    pub column: u32,
    pub offset: u64,
    pub line_text: String,
}
/// placeholder (reads everything)
pub struct Chunker<R> {
    r: Option<R>,
    stmts: std::collections::VecDeque<Chunk>,
}
impl<R: std::io::BufRead> Chunker<R> {
    /// placeholder
    pub fn new(r: R, base: Location) -> Self {
        let _ = base;
        Chunker {
            r: Some(r),
            stmts: Default::default(),
        }
    }
    /// placeholder
    pub fn next_chunk(&mut self, _target: usize) -> std::io::Result<Option<Chunk>> {
        if let Some(mut r) = self.r.take() {
            let mut s = String::new();
            r.read_to_string(&mut s)?;
            for st in statements(&s) {
                let (line, column) = line_column(&s, st.start);
                self.stmts.push_back(Chunk {
                    text: s[st.start..st.end].to_owned(),
                    offset: st.start as u64,
                    line,
                    column,
                    statements: 1,
                });
            }
        }
        Ok(self.stmts.pop_front())
    }
}
/// placeholder
pub fn line_column(text: &str, byte_offset: usize) -> (u32, u32) {
    let before = &text[..byte_offset];
    let line = before.matches('\n').count() as u32 + 1;
    let col = before.rsplit('\n').next().unwrap_or("").chars().count() as u32 + 1;
    (line, col)
}
/// placeholder
pub fn locate(text: &str, start: Location, char_position: u32) -> Option<SourcePosition> {
    let byte = text
        .char_indices()
        .nth(char_position.checked_sub(1)? as usize)
        .map(|(b, _)| b)?;
    let (l, c) = line_column(text, byte);
    let line_start = text[..byte].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[byte..].find('\n').map_or(text.len(), |i| byte + i);
    Some(SourcePosition {
        line: start.line + l - 1,
        column: if l == 1 { start.column + c - 1 } else { c },
        offset: start.offset + byte as u64,
        line_text: text[line_start..line_end].to_owned(),
    })
}
/// placeholder
pub fn is_transaction_control(stmt: &str) -> bool {
    let w = stmt
        .trim_start()
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or("")
        .to_ascii_uppercase();
    matches!(w.as_str(), "COMMIT" | "ROLLBACK" | "ABORT")
        || (w == "BEGIN" && !stmt.to_ascii_uppercase().contains("ATOMIC"))
}
