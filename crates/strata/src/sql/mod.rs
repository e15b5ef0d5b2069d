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
