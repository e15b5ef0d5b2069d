//! Keeping error text bounded in size: a line of SQL cut to a window around
//! the error's column, and a server message that echoes a huge statement
//! cut in its middle. An error on a 20 MB line must not write 40 MB to a
//! terminal; `…` marks where text was left out.

use std::borrow::Cow;

/// How many characters of the offending line an error shows.
pub(crate) const LINE_WINDOW: usize = 120;

/// How many characters of a server message (primary, detail, hint,
/// context) an error shows.
pub(crate) const MESSAGE_MAX: usize = 1000;

/// `line` cut to at most [`LINE_WINDOW`] characters around the 1-based
/// character `column` (its start when there is none), with `…` where text
/// was left out, and the 1-based column of the same character in the cut
/// line.
pub(crate) fn around_column(line: &str, column: Option<u32>) -> (Cow<'_, str>, Option<u32>) {
    let len = line.chars().count();
    if len <= LINE_WINDOW {
        return (Cow::Borrowed(line), column);
    }
    let at = column.map_or(0, |c| (c.saturating_sub(1) as usize).min(len));
    let start = at.saturating_sub(LINE_WINDOW / 2).min(len - LINE_WINDOW);
    let end = start + LINE_WINDOW;
    let mut cut = String::with_capacity(LINE_WINDOW * 4 + 6);
    if start > 0 {
        cut.push('…');
    }
    cut.extend(line.chars().skip(start).take(LINE_WINDOW));
    if end < len {
        cut.push('…');
    }
    let shift = u32::from(start > 0);
    let column = column.map(|_| (at - start) as u32 + 1 + shift);
    (Cow::Owned(cut), column)
}

/// `text` whole when it has at most [`MESSAGE_MAX`] characters, else its
/// beginning and its end around `…`.
pub(crate) fn bounded(text: &str) -> Cow<'_, str> {
    let len = text.chars().count();
    if len <= MESSAGE_MAX {
        return Cow::Borrowed(text);
    }
    let half = MESSAGE_MAX / 2;
    let head: String = text.chars().take(half).collect();
    let tail: String = text.chars().skip(len - half).collect();
    Cow::Owned(format!("{head}…{tail}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_lines_are_whole() {
        assert_eq!(
            around_column("select 1;", Some(3)),
            ("select 1;".into(), Some(3))
        );
    }

    #[test]
    fn a_long_line_is_cut_around_the_column() {
        let line = format!("{}XYZ{}", "a".repeat(5000), "b".repeat(5000));
        let (cut, col) = around_column(&line, Some(5002));
        assert!(cut.starts_with('…') && cut.ends_with('…'), "{cut}");
        assert_eq!(cut.chars().count(), LINE_WINDOW + 2);
        let col = col.unwrap() as usize;
        assert_eq!(cut.chars().nth(col - 1), Some('Y'));
    }

    #[test]
    fn near_the_end_only_the_start_is_marked() {
        let line = format!("{}END", "a".repeat(1000));
        let (cut, col) = around_column(&line, Some(1001));
        assert!(cut.starts_with('…') && cut.ends_with("END"), "{cut}");
        assert_eq!(cut.chars().nth(col.unwrap() as usize - 1), Some('E'));
        let (cut, col) = around_column(&line, None);
        assert!(cut.ends_with('…') && !cut.starts_with('…'));
        assert_eq!(col, None);
    }

    #[test]
    fn long_messages_keep_both_ends() {
        let text = format!("start{}end", "x".repeat(10_000));
        let b = bounded(&text);
        assert!(b.starts_with("start") && b.ends_with("end") && b.contains('…'));
        assert!(b.chars().count() <= MESSAGE_MAX + 1);
        assert_eq!(bounded("short"), "short");
    }
}
