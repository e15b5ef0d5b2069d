//! One cache entry as a line of text: name, stamp, checksum and parts,
//! tab-separated, and parsing it back (any malformed line is just a miss).

use super::Stamp;
use crate::migration::{Checksum, Part, ScannedFile};

fn part_text(p: &Part) -> String {
    format!(
        "{},{},{},{}",
        p.start,
        p.end,
        p.line,
        u8::from(p.no_transaction)
    )
}

fn parse_part(s: &[u8]) -> Option<Part> {
    let mut it = s.split(|&b| b == b',');
    let part = Part {
        start: number(it.next()?)?,
        end: number(it.next()?)?,
        line: u32::try_from(number(it.next()?)?).ok()?,
        no_transaction: it.next()? == b"1",
    };
    it.next().is_none().then_some(part)
}

/// A decimal number of at most 19 digits (hot: six per cached file).
fn number(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 19 {
        return None;
    }
    s.iter().try_fold(0u64, |n, &b| {
        b.is_ascii_digit().then(|| n * 10 + u64::from(b - b'0'))
    })
}

/// A nanosecond timestamp: an optional `-`, then a [`number`].
fn nanos(s: &[u8]) -> Option<i128> {
    match s.split_first() {
        Some((b'-', rest)) => number(rest).map(|n| -i128::from(n)),
        _ => number(s).map(i128::from),
    }
}

pub(super) fn format_line(name: &str, s: &Stamp, f: &ScannedFile) -> String {
    format!(
        "{name}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
        s.size,
        s.mtime_ns,
        s.ctime_ns,
        s.ino,
        f.checksum.to_hex(),
        part_text(&f.up),
        f.down.as_ref().map_or_else(|| "-".to_owned(), part_text),
        if f.allow.is_empty() {
            "-".to_owned()
        } else {
            f.allow.join(",")
        },
        u8::from(f.no_op),
    )
}

pub(super) fn parse_line(line: &[u8]) -> Option<(String, Stamp, ScannedFile)> {
    let mut it = Fields::new(line, b'\t');
    let name = std::str::from_utf8(it.next()?).ok()?.to_owned();
    let stamp = Stamp {
        size: number(it.next()?)?,
        mtime_ns: nanos(it.next()?)?,
        ctime_ns: nanos(it.next()?)?,
        ino: number(it.next()?)?,
    };
    let checksum = hex32(it.next()?)?;
    let up = parse_part(it.next()?)?;
    let down = match it.next()? {
        b"-" => None,
        d => Some(parse_part(d)?),
    };
    let allow = match it.next()? {
        b"-" => Vec::new(),
        a => std::str::from_utf8(a)
            .ok()?
            .split(',')
            .map(str::to_owned)
            .collect(),
    };
    let no_op = match it.next()? {
        b"0" => false,
        b"1" => true,
        _ => return None,
    };
    if it.next().is_some() {
        return None;
    }
    Some((
        name,
        stamp,
        ScannedFile {
            checksum,
            up,
            down,
            allow,
            size: stamp.size,
            no_op,
        },
    ))
}

/// The pieces of `bytes` between `sep` bytes, found with `memchr` (the
/// cache is a megabyte and a half at ten thousand files).
pub(super) struct Fields<'a> {
    rest: Option<&'a [u8]>,
    sep: u8,
}

impl<'a> Fields<'a> {
    pub(super) fn new(bytes: &'a [u8], sep: u8) -> Fields<'a> {
        Fields {
            rest: Some(bytes),
            sep,
        }
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let rest = self.rest?;
        match memchr::memchr(self.sep, rest) {
            Some(i) => {
                self.rest = Some(&rest[i + 1..]);
                Some(&rest[..i])
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}

/// 64 lowercase hex digits, decoded byte-wise (hot: once per cached file).
fn hex32(b: &[u8]) -> Option<Checksum> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        }
    }
    if b.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = (nibble(b[2 * i])? << 4) | nibble(b[2 * i + 1])?;
    }
    Some(Checksum(out))
}
