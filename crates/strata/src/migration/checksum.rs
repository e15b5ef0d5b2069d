//! [`Checksum`]: SHA-256 of a migration's up part after normalizing its line
//! endings (SPEC §2.3), and the hashers that compute it — line by line while
//! a file is scanned, or over arbitrary chunks while it is read to run.
//!
//! Like [`super::Version`] it imports nothing from the rest of the crate, so
//! the error and problem types can carry checksums without an import circle.

use std::fmt;

use sha2::{Digest, Sha256};

/// SHA-256 of a migration's content after removing a UTF-8 BOM and turning
/// CRLF into LF (SPEC §2.3); for a file with a down section, of the up part only.
///
/// ```
/// use strata::migration::Checksum;
/// // A BOM and CRLF line endings do not change the checksum.
/// let lf = Checksum::of(b"CREATE TABLE a (id int);\n");
/// assert_eq!(Checksum::of(b"\xEF\xBB\xBFCREATE TABLE a (id int);\r\n"), lf);
/// assert_ne!(Checksum::of(b"CREATE TABLE a (id bigint);\n"), lf);
/// // Shown as the 64 hex digits stored in the history table.
/// assert_eq!(lf.to_string(), lf.to_hex());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Checksum(pub [u8; 32]);

impl Checksum {
    /// Parses 64 lowercase or uppercase hex digits.
    ///
    /// ```
    /// use strata::migration::Checksum;
    /// let c = Checksum::of(b"SELECT 1;\n");
    /// assert_eq!(Checksum::from_hex(&c.to_hex()), Some(c));
    /// assert_eq!(Checksum::from_hex(&c.to_hex().to_uppercase()), Some(c));
    /// assert_eq!(Checksum::from_hex("abc"), None); // not 64 digits
    /// ```
    pub fn from_hex(s: &str) -> Option<Checksum> {
        if s.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, chunk) in s.as_bytes().chunks(2).enumerate() {
            let hi = (chunk[0] as char).to_digit(16)?;
            let lo = (chunk[1] as char).to_digit(16)?;
            out[i] = (hi * 16 + lo) as u8;
        }
        Some(Checksum(out))
    }

    /// The checksum of an in-memory text, as [`Migration`](super::Migration) would compute it for
    /// a file without a down section.
    ///
    /// ```
    /// use strata::migration::Checksum;
    /// // SHA-256 of the empty text; a lone BOM is removed first.
    /// let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    /// assert_eq!(Checksum::of(b"").to_hex(), empty);
    /// assert_eq!(Checksum::of(b"\xEF\xBB\xBF").to_hex(), empty);
    /// ```
    pub fn of(text: &[u8]) -> Checksum {
        let mut h = NormalizingHasher::default();
        let text = text.strip_prefix(BOM).unwrap_or(text);
        for line in text.split_inclusive(|b| *b == b'\n') {
            h.line(line);
        }
        h.finish()
    }
}

impl Checksum {
    /// Lowercase hex, as stored in the history table. Hot in `status` and
    /// `verify` (once per file), so no formatting machinery.
    ///
    /// ```
    /// use strata::migration::Checksum;
    /// let hex = Checksum::of(b"SELECT 1;\n").to_hex();
    /// assert_eq!(hex.len(), 64);
    /// assert!(hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    /// ```
    pub fn to_hex(&self) -> String {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut out = [0u8; 64];
        for (pair, b) in out.chunks_exact_mut(2).zip(self.0) {
            pair[0] = DIGITS[usize::from(b >> 4)];
            pair[1] = DIGITS[usize::from(b & 0xf)];
        }
        // Hex digits are ASCII.
        String::from_utf8_lossy(&out).into_owned()
    }
}

impl fmt::Display for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Checksum({self})")
    }
}

/// Hashes a text line by line, turning CRLF into LF.
#[derive(Default)]
pub(crate) struct NormalizingHasher(Sha256);

impl NormalizingHasher {
    /// Feeds one line (with its terminator, if any), turning CRLF into LF.
    pub(crate) fn line(&mut self, line: &[u8]) {
        match line.strip_suffix(b"\r\n") {
            Some(body) => {
                self.0.update(body);
                self.0.update(b"\n");
            }
            None => self.0.update(line),
        }
    }

    /// The checksum of everything fed.
    pub(crate) fn finish(self) -> Checksum {
        Checksum(self.0.finalize().into())
    }
}

/// The UTF-8 byte-order mark, removed before hashing.
pub(crate) const BOM: &[u8] = b"\xEF\xBB\xBF";

/// [`NormalizingHasher`] over chunks cut anywhere, as a reader hands them
/// out: a CR at the end of one chunk may pair with the LF that starts the
/// next. Gives the same checksum as hashing the same bytes line by line.
#[derive(Clone, Default)]
pub(crate) struct StreamHasher {
    sha: Sha256,
    /// The last chunk ended in a CR not yet known to start a CRLF.
    cr: bool,
}

impl StreamHasher {
    /// Feeds the next bytes, turning every CRLF into LF.
    pub(crate) fn update(&mut self, mut bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if std::mem::take(&mut self.cr) && bytes[0] != b'\n' {
            self.sha.update(b"\r");
        }
        while let Some(i) = memchr::memchr(b'\r', bytes) {
            self.sha.update(&bytes[..i]);
            match bytes.get(i + 1) {
                None => {
                    self.cr = true;
                    return;
                }
                // Drop the CR; the LF starts what is hashed next.
                Some(b'\n') => {}
                Some(_) => self.sha.update(b"\r"),
            }
            bytes = &bytes[i + 1..];
        }
        self.sha.update(bytes);
    }

    /// The checksum of everything fed so far.
    pub(crate) fn checksum(&self) -> Checksum {
        let mut sha = self.sha.clone();
        if self.cr {
            sha.update(b"\r");
        }
        Checksum(sha.finalize().into())
    }
}
