//! Migration files on disk: names, versions, sections, directives and checksums.
//!
//! This module owns what a single `.sql` file *is* (SPEC §2): which of the five
//! naming patterns it follows, its normalized [`Version`], where its up and down
//! parts lie, which directives it carries and its [`Checksum`]. It reads a file
//! once, line by line, in bounded memory, so a 200 MB migration costs no more
//! than its longest line. Collecting a folder of files is [`crate::source`]'s job.

use std::cmp::Ordering;
use std::fmt;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::Error;

/// A migration version: one or more numbers separated by `.` or `_`.
///
/// Versions compare numerically part by part (`2 < 10`), missing parts count
/// as zero, so `V1` and `V001` are the same version. The normalized form drops
/// leading zeros and joins the parts with `.` (`V2_01` is `2.1`).
///
/// ```
/// use strata::migration::Version;
/// let a: Version = "002".parse().unwrap();
/// let b: Version = "10".parse().unwrap();
/// assert!(a < b);
/// assert_eq!(a.to_string(), "2");
/// assert_eq!("2_1".parse::<Version>().unwrap().to_string(), "2.1");
/// ```
#[derive(Clone)]
pub struct Version {
    /// The numbers as written, each up to 38 digits (u128), compared as
    /// integers. Up to two parts live inline, so the common `V12__` and
    /// `V2_1__` versions cost no allocation: `status` parses and compares
    /// tens of thousands of them.
    parts: Parts,
}

#[derive(Clone)]
enum Parts {
    Inline { len: u8, parts: [u128; 2] },
    Heap(Box<[u128]>),
}

impl Version {
    /// The numeric parts, as written (trailing zeros included).
    ///
    /// ```
    /// use strata::migration::Version;
    /// let v: Version = "2_01.0".parse().unwrap();
    /// assert_eq!(v.parts(), &[2, 1, 0]);
    /// assert_eq!(v, "2.1".parse().unwrap()); // trailing zeros do not count
    /// ```
    pub fn parts(&self) -> &[u128] {
        match &self.parts {
            Parts::Inline { len, parts } => &parts[..usize::from(*len)],
            Parts::Heap(parts) => parts,
        }
    }

    /// The parts without trailing zeros: equal versions have equal keys.
    fn key(&self) -> &[u128] {
        let parts = self.parts();
        let mut n = parts.len();
        while n > 1 && parts[n - 1] == 0 {
            n -= 1;
        }
        &parts[..n]
    }
}

impl std::str::FromStr for Version {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Err("empty version".into());
        }
        let mut inline = [0u128; 2];
        let mut len = 0usize;
        let mut heap: Vec<u128> = Vec::new();
        for part in s.split(['.', '_']) {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    "`{s}` is not a version (numbers separated by `.` or `_`)"
                ));
            }
            let digits = part.trim_start_matches('0');
            if digits.len() > 38 {
                return Err(format!("`{s}`: a version part has more than 38 digits"));
            }
            // At most 38 ASCII digits always fit in a u128.
            let n = digits
                .bytes()
                .fold(0u128, |n, b| n * 10 + u128::from(b - b'0'));
            if len < 2 {
                inline[len] = n;
            } else {
                if heap.is_empty() {
                    heap.extend_from_slice(&inline);
                }
                heap.push(n);
            }
            len += 1;
        }
        let parts = if len <= 2 {
            Parts::Inline {
                len: len as u8,
                parts: inline,
            }
        } else {
            Parts::Heap(heap.into_boxed_slice())
        };
        Ok(Version { parts })
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (self.parts(), other.parts());
        let n = a.len().max(b.len());
        for i in 0..n {
            let x = a.get(i).copied().unwrap_or(0);
            let y = b.get(i).copied().unwrap_or(0);
            match x.cmp(&y) {
                Ordering::Equal => continue,
                o => return o,
            }
        }
        Ordering::Equal
    }
}

impl Eq for Version {}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl std::hash::Hash for Version {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // Equal versions must hash alike: ignore trailing zero parts.
        self.key().hash(state);
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, &p) in self.parts().iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            // u128 formatting divides in 128 bits; nearly every part fits in 64.
            match u64::try_from(p) {
                Ok(small) => write!(f, "{small}")?,
                Err(_) => write!(f, "{p}")?,
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Version({self})")
    }
}

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

    /// The checksum of an in-memory text, as [`Migration`] would compute it for
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

#[derive(Default)]
struct NormalizingHasher(Sha256);

impl NormalizingHasher {
    /// Feeds one line (with its terminator, if any), turning CRLF into LF.
    fn line(&mut self, line: &[u8]) {
        match line.strip_suffix(b"\r\n") {
            Some(body) => {
                self.0.update(body);
                self.0.update(b"\n");
            }
            None => self.0.update(line),
        }
    }

    fn finish(self) -> Checksum {
        Checksum(self.0.finalize().into())
    }
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// What a migration file does.
///
/// Versioned migrations sort (and run) before repeatable ones.
///
/// ```
/// use strata::migration::MigrationKind;
/// assert!(MigrationKind::Versioned < MigrationKind::Repeatable);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MigrationKind {
    /// `V<version>__…`, `<digits>_….sql`, `<digits>_….up.sql`: applied once, in version order.
    Versioned,
    /// `R__…`: re-applied whenever its checksum changes, after all versioned ones.
    Repeatable,
}

impl MigrationKind {
    /// The name used in the history table's `kind` column.
    ///
    /// ```
    /// use strata::migration::MigrationKind;
    /// assert_eq!(MigrationKind::Versioned.as_str(), "versioned");
    /// assert_eq!(MigrationKind::Repeatable.as_str(), "repeatable");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            MigrationKind::Versioned => "versioned",
            MigrationKind::Repeatable => "repeatable",
        }
    }
}

/// What a file name says, before the file is read.
///
/// ```
/// use strata::migration::FileName;
/// let name = FileName::parse("20250101_add_users.down.sql");
/// let Ok(Some(FileName::Down { version, description })) = name else {
///     panic!("a down file: {name:?}");
/// };
/// assert_eq!(version.to_string(), "20250101");
/// assert_eq!(description, "add users");
/// assert_eq!(
///     FileName::parse("R__views.sql"),
///     Ok(Some(FileName::Repeatable { description: "views".into() }))
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileName {
    /// A versioned migration; `paired_down` is true for `<digits>_x.up.sql`.
    Versioned {
        /// Its version.
        version: Version,
        /// Its description, `_` shown as space.
        description: String,
        /// True for the `.up.sql` half of a pair.
        up_of_pair: bool,
    },
    /// `U<version>__x.sql`: the undo script of that version.
    Undo {
        /// The version it undoes.
        version: Version,
        /// Its description.
        description: String,
    },
    /// `<digits>_x.down.sql`: the down half of a pair.
    Down {
        /// The version it reverses.
        version: Version,
        /// Its description.
        description: String,
    },
    /// `R__x.sql`.
    Repeatable {
        /// Its description.
        description: String,
    },
}

impl FileName {
    /// Classifies a file name (without directory). `Ok(None)` for files that are
    /// not `.sql` (ignored); `Err(reason)` for a `.sql` file that follows no
    /// pattern of SPEC §2.1 — such a file is never skipped silently.
    ///
    /// ```
    /// use strata::migration::FileName;
    /// assert!(matches!(FileName::parse("V001__users.sql"), Ok(Some(FileName::Versioned { .. }))));
    /// assert!(matches!(FileName::parse("README.md"), Ok(None)));
    /// assert!(FileName::parse("V1_users.sql").is_err());
    /// ```
    pub fn parse(name: &str) -> Result<Option<FileName>, String> {
        let Some(stem) = name.strip_suffix(".sql") else {
            return Ok(None);
        };
        let describe = |d: &str| d.replace('_', " ");
        if let Some(rest) = stem.strip_prefix("R__") {
            if rest.is_empty() {
                return Err(
                    "a repeatable migration needs a description: `R__<description>.sql`".into(),
                );
            }
            return Ok(Some(FileName::Repeatable {
                description: describe(rest),
            }));
        }
        for (prefix, undo) in [('V', false), ('U', true)] {
            if let Some(rest) = stem.strip_prefix(prefix)
                && rest.starts_with(|c: char| c.is_ascii_digit())
            {
                let Some((ver, desc)) = rest.split_once("__") else {
                    return Err(format!(
                        "expected `{prefix}<version>__<description>.sql` (two underscores after the version)"
                    ));
                };
                let version: Version = ver.parse()?;
                let description = describe(desc);
                return Ok(Some(if undo {
                    FileName::Undo {
                        version,
                        description,
                    }
                } else {
                    FileName::Versioned {
                        version,
                        description,
                        up_of_pair: false,
                    }
                }));
            }
        }
        let digits = stem.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && stem.as_bytes().get(digits) == Some(&b'_') {
            let version: Version = stem[..digits].parse()?;
            let rest = &stem[digits + 1..];
            let (desc, half) = if let Some(d) = rest.strip_suffix(".up") {
                (d, Some(true))
            } else if let Some(d) = rest.strip_suffix(".down") {
                (d, Some(false))
            } else {
                (rest, None)
            };
            if desc.is_empty() {
                return Err(
                    "expected `<digits>_<description>.sql`: the description is empty".into(),
                );
            }
            let description = describe(desc);
            return Ok(Some(match half {
                Some(false) => FileName::Down {
                    version,
                    description,
                },
                Some(true) => FileName::Versioned {
                    version,
                    description,
                    up_of_pair: true,
                },
                None => FileName::Versioned {
                    version,
                    description,
                    up_of_pair: false,
                },
            }));
        }
        Err("not a migration name: use `V<version>__<description>.sql`, `U<version>__<description>.sql`, \
             `R__<description>.sql`, `<digits>_<description>.sql` or `<digits>_<description>.up.sql`/`.down.sql`"
            .into())
    }
}

/// A byte range of a migration's content that is run as one script.
///
/// In a file with an up and a down section, each part starts at its marker:
///
/// ```
/// use std::path::Path;
/// use strata::migration::scan;
/// let text = "-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n";
/// let file = scan(&mut text.as_bytes(), Path::new("V1__a.sql"))?;
/// let (up, down) = (file.up, file.down.expect("a down section"));
/// let range = |start: u64, end: u64| &text[start as usize..end as usize];
/// assert_eq!(range(up.start, up.end), "-- migrate:up\nCREATE TABLE a (id int);\n");
/// assert_eq!(range(down.start, down.end), "-- migrate:down\nDROP TABLE a;\n");
/// assert_eq!((up.line, down.line), (1, 3));
/// # Ok::<(), strata::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Part {
    /// Byte offset of the first byte (after any BOM).
    pub start: u64,
    /// Byte offset just past the last byte.
    pub end: u64,
    /// 1-based line of `start`.
    pub line: u32,
    /// Run outside a transaction, statement by statement.
    pub no_transaction: bool,
}

/// Where a migration's down part lives.
///
/// ```
/// use std::path::Path;
/// use strata::migration::{Content, DownPart};
/// use strata::source::Migrations;
/// let m = Migrations::from_files(Path::new("migrations"), vec![
///     ("V1__users.sql".into(), Content::Static(b"CREATE TABLE users (id int);")),
///     ("U1__users.sql".into(), Content::Static(b"DROP TABLE users;")),
///     (
///         "V2__roles.sql".into(),
///         Content::Static(b"CREATE TABLE roles (id int);\n-- migrate:down\nDROP TABLE roles;"),
///     ),
/// ])?;
/// assert!(matches!(&m.list[0].down, Some(DownPart::File(undo)) if undo.script == "U1__users.sql"));
/// assert!(matches!(&m.list[1].down, Some(DownPart::InFile(part)) if part.line == 2));
/// # Ok::<(), strata::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DownPart {
    /// A `-- migrate:down` / `-- Down Migration` section of the same file.
    InFile(Part),
    /// A `U<version>__…sql` or `….down.sql` file.
    File(Box<Migration>),
}

/// Where a migration's bytes come from.
///
/// ```
/// use std::io::Read;
/// use strata::migration::Content;
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("V1__users.sql");
/// # std::fs::write(&path, "CREATE TABLE users (id int);\n")?;
/// let on_disk = Content::File(path);
/// let embedded = Content::Static(b"CREATE TABLE users (id int);\n");
/// for content in [on_disk, embedded] {
///     let mut text = String::new();
///     content.open()?.read_to_string(&mut text)?;
///     assert_eq!(text, "CREATE TABLE users (id int);\n");
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub enum Content {
    /// A file on disk.
    File(PathBuf),
    /// Bytes embedded in the application binary.
    Static(&'static [u8]),
}

impl fmt::Debug for Content {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Content::File(p) => write!(f, "File({})", p.display()),
            Content::Static(b) => write!(f, "Static({} bytes)", b.len()),
        }
    }
}

impl Content {
    /// Opens the content for reading.
    ///
    /// ```
    /// use std::io::BufRead;
    /// use strata::migration::Content;
    /// let content = Content::Static(b"SELECT 1;\nSELECT 2;\n");
    /// let lines: Vec<String> = content.open()?.lines().collect::<Result<_, _>>()?;
    /// assert_eq!(lines, ["SELECT 1;", "SELECT 2;"]);
    ///
    /// let gone = Content::File("no/such/V1__x.sql".into());
    /// assert!(matches!(gone.open(), Err(strata::Error::Io { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// An I/O error naming the file.
    pub fn open(&self) -> Result<Box<dyn BufRead + Send + '_>, Error> {
        match self {
            Content::File(p) => {
                let f = std::fs::File::open(p).map_err(|e| Error::io(p, e))?;
                Ok(Box::new(std::io::BufReader::with_capacity(64 * 1024, f)))
            }
            Content::Static(b) => Ok(Box::new(*b)),
        }
    }

    /// Opens the byte range of `part` for reading.
    ///
    /// ```
    /// use std::io::Read;
    /// use std::path::Path;
    /// use strata::migration::{Content, scan};
    /// let bytes: &'static [u8] = b"CREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n";
    /// let file = scan(&mut &bytes[..], Path::new("V1__a.sql"))?;
    /// let mut down = String::new();
    /// Content::Static(bytes)
    ///     .open_part(&file.down.expect("a down section"))?
    ///     .read_to_string(&mut down)?;
    /// assert_eq!(down, "-- migrate:down\nDROP TABLE a;\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// An I/O error naming the file.
    pub fn open_part(&self, part: &Part) -> Result<Box<dyn BufRead + Send + '_>, Error> {
        use std::io::{Read, Seek, SeekFrom};
        match self {
            Content::File(p) => {
                let mut f = std::fs::File::open(p).map_err(|e| Error::io(p, e))?;
                f.seek(SeekFrom::Start(part.start))
                    .map_err(|e| Error::io(p, e))?;
                Ok(Box::new(std::io::BufReader::with_capacity(
                    64 * 1024,
                    f.take(part.end - part.start),
                )))
            }
            Content::Static(b) => {
                let s = usize::try_from(part.start)
                    .unwrap_or(usize::MAX)
                    .min(b.len());
                let e = usize::try_from(part.end).unwrap_or(usize::MAX).min(b.len());
                Ok(Box::new(&b[s..e]))
            }
        }
    }

    /// Reads the range of `part` into memory.
    ///
    /// `script` names the file in errors.
    ///
    /// ```
    /// use std::path::Path;
    /// use strata::migration::{Content, scan};
    /// let bytes: &'static [u8] = b"CREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n";
    /// let file = scan(&mut &bytes[..], Path::new("V1__a.sql"))?;
    /// let up = Content::Static(bytes).read_part(&file.up, "V1__a.sql")?;
    /// assert_eq!(up, "CREATE TABLE a (id int);\n");
    /// # Ok::<(), strata::Error>(())
    /// ```
    ///
    /// # Errors
    /// An I/O error naming the file, or invalid UTF-8 (already rejected when the
    /// file was scanned, so only if it changed since).
    pub fn read_part(&self, part: &Part, script: &str) -> Result<String, Error> {
        let mut buf = Vec::with_capacity(usize::try_from(part.end - part.start).unwrap_or(0));
        self.open_part(part)?
            .read_to_end(&mut buf)
            .map_err(|e| Error::io(Path::new(script), e))?;
        String::from_utf8(buf).map_err(|e| Error::InvalidUtf8 {
            path: PathBuf::from(script),
            offset: part.start + e.utf8_error().valid_up_to() as u64,
        })
    }
}

/// A migration file as found on disk (or embedded), before any database is consulted.
///
/// See [`crate::history::AppliedMigration`] for a row of the history table:
/// the two are deliberately separate types.
///
/// Usually built by [`crate::source::Migrations`] from a folder or from
/// embedded files:
///
/// ```
/// use std::path::Path;
/// use strata::migration::{Checksum, Content, MigrationKind};
/// use strata::source::Migrations;
/// let m = Migrations::from_files(Path::new("migrations"), vec![
///     ("V004__add_orders.sql".into(), Content::Static(b"CREATE TABLE orders (id int);\n")),
/// ])?;
/// let orders = &m.list[0];
/// assert_eq!(orders.kind, MigrationKind::Versioned);
/// assert_eq!(orders.version.as_ref().map(ToString::to_string), Some("4".to_owned()));
/// assert_eq!(orders.description, "add orders");
/// assert_eq!(orders.checksum, Checksum::of(b"CREATE TABLE orders (id int);\n"));
/// assert!(orders.down.is_none());
/// # Ok::<(), strata::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Migration {
    /// File name relative to the migrations folder (the history's `script`).
    pub script: String,
    /// Where the bytes are.
    pub content: Content,
    /// Versioned or repeatable.
    pub kind: MigrationKind,
    /// The version (None for repeatable migrations).
    pub version: Option<Version>,
    /// From the file name, `_` shown as space.
    pub description: String,
    /// SPEC §2.3.
    pub checksum: Checksum,
    /// The part `migrate` runs.
    pub up: Part,
    /// The part `rollback` runs, if any.
    pub down: Option<DownPart>,
    /// Lint rules suppressed by `-- strata:allow`.
    pub allow: Vec<String>,
    /// Size in bytes.
    pub size: u64,
}

impl Migration {
    /// True when the up part runs outside a transaction.
    ///
    /// ```
    /// use std::path::Path;
    /// use strata::migration::Content;
    /// use strata::source::Migrations;
    /// let m = Migrations::from_files(Path::new("migrations"), vec![
    ///     ("V1__t.sql".into(), Content::Static(b"CREATE TABLE t (a int);")),
    ///     (
    ///         "V2__t_a.sql".into(),
    ///         Content::Static(b"-- strata:no-transaction\nCREATE INDEX CONCURRENTLY t_a ON t (a);"),
    ///     ),
    /// ])?;
    /// assert!(!m.list[0].no_transaction());
    /// assert!(m.list[1].no_transaction());
    /// # Ok::<(), strata::Error>(())
    /// ```
    pub fn no_transaction(&self) -> bool {
        self.up.no_transaction
    }

    /// A short label: the normalized version for versioned migrations
    /// (`4` for `V004__…`), `R ` and the description for repeatables.
    ///
    /// ```
    /// use std::path::Path;
    /// use strata::migration::Content;
    /// use strata::source::Migrations;
    /// let m = Migrations::from_files(Path::new("migrations"), vec![
    ///     ("V004__add_orders.sql".into(), Content::Static(b"CREATE TABLE orders (id int);")),
    ///     ("R__order_views.sql".into(), Content::Static(b"CREATE OR REPLACE VIEW v AS SELECT 1;")),
    /// ])?;
    /// assert_eq!(m.list[0].label(), "4");
    /// assert_eq!(m.list[1].label(), "R order views");
    /// # Ok::<(), strata::Error>(())
    /// ```
    pub fn label(&self) -> String {
        match &self.version {
            Some(v) => format!("{v}"),
            None => format!("R {}", self.description),
        }
    }
}

/// Section markers recognised in a file.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum Marker {
    Up { no_transaction: bool },
    Down { no_transaction: bool },
}

fn marker(line: &str) -> Option<Marker> {
    let t = line.trim();
    let body = t.strip_prefix("--")?.trim();
    let lower = body.to_ascii_lowercase();
    let opts_no_tx = |rest: &str| rest.split_whitespace().any(|o| o == "transaction:false");
    if let Some(rest) = lower.strip_prefix("migrate:up")
        && (rest.is_empty() || rest.starts_with(char::is_whitespace))
    {
        return Some(Marker::Up {
            no_transaction: opts_no_tx(rest),
        });
    }
    if let Some(rest) = lower.strip_prefix("migrate:down")
        && (rest.is_empty() || rest.starts_with(char::is_whitespace))
    {
        return Some(Marker::Down {
            no_transaction: opts_no_tx(rest),
        });
    }
    match lower.as_str() {
        "up migration" => Some(Marker::Up {
            no_transaction: false,
        }),
        "down migration" => Some(Marker::Down {
            no_transaction: false,
        }),
        _ => None,
    }
}

enum Directive {
    NoTransaction,
    Allow(Vec<String>),
}

fn directive(line: &str) -> Option<Directive> {
    let body = line.trim().strip_prefix("--")?.trim();
    let rest = body.strip_prefix("strata:")?;
    if rest.trim() == "no-transaction" {
        return Some(Directive::NoTransaction);
    }
    let rules = rest.strip_prefix("allow")?;
    Some(Directive::Allow(
        rules
            .split([',', ' ', '\t'])
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_owned)
            .collect(),
    ))
}

/// Per-section state while scanning.
struct SectionScan {
    part: Part,
    /// Still in the leading blank/comment lines where directives are read.
    in_header: bool,
    /// Text seen so far while no statement has been found (bounded: only leading trivia).
    pending: String,
    has_statement: bool,
}

impl SectionScan {
    fn new(start: u64, line: u32, no_transaction: bool) -> Self {
        SectionScan {
            part: Part {
                start,
                end: start,
                line,
                no_transaction,
            },
            in_header: true,
            pending: String::new(),
            has_statement: false,
        }
    }

    fn feed(&mut self, text: &str) {
        if self.has_statement {
            return;
        }
        self.pending.push_str(text);
        let t = text.trim();
        if !t.is_empty() && !t.starts_with("--") {
            // Only now can a statement have started; the lexer decides. A block
            // comment still open at the end of this line is not a statement yet.
            self.has_statement = crate::sql::first_statement(&self.pending)
                .is_some_and(|st| !self.pending[st.start..].starts_with("/*"));
        }
        if self.has_statement {
            self.pending = String::new();
        }
    }
}

/// Reads a migration's content once: validates encoding, finds sections and
/// directives, and computes the checksum.
///
/// `script` names the file in errors. Lines are read one at a time, so memory
/// is bounded by the longest line.
///
/// ```
/// use std::path::Path;
/// use strata::Error;
/// use strata::migration::{Checksum, scan};
/// let text = "-- strata:no-transaction\r\nCREATE INDEX CONCURRENTLY i ON t (a);\r\n";
/// let file = scan(&mut text.as_bytes(), Path::new("V2__index.sql"))?;
/// assert!(file.up.no_transaction);
/// assert_eq!(file.size, text.len() as u64);
/// assert_eq!(file.checksum, Checksum::of(text.replace("\r\n", "\n").as_bytes()));
///
/// let empty = scan(&mut "-- nothing yet\n".as_bytes(), Path::new("V3__todo.sql"));
/// assert!(matches!(empty, Err(Error::EmptyMigration { .. })));
/// let binary = scan(&mut &b"SELECT 1;\0"[..], Path::new("V4__bin.sql"));
/// assert!(matches!(binary, Err(Error::NulByte { offset: 9, .. })));
/// # Ok::<(), Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidUtf8`], [`Error::NulByte`] with the byte offset,
/// [`Error::Section`] for misplaced markers, [`Error::EmptyMigration`].
pub fn scan(reader: &mut dyn BufRead, path: &Path) -> Result<ScannedFile, Error> {
    let mut hasher = NormalizingHasher::default();
    let mut buf = Vec::with_capacity(256);
    let mut offset: u64 = 0;
    let mut line_no: u32 = 0;
    let mut up: Option<SectionScan> = None;
    let mut down: Option<SectionScan> = None;
    let mut saw_up_marker = false;
    let mut allow = Vec::new();
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let mut line: &[u8] = &buf;
        let line_start = offset;
        offset += n as u64;
        let mut content_start = line_start;
        if line_no == 1 && line.starts_with(BOM) {
            line = &line[BOM.len()..];
            content_start += BOM.len() as u64;
        }
        if let Some(i) = line.iter().position(|b| *b == 0) {
            return Err(Error::NulByte {
                path: path.to_owned(),
                offset: content_start + i as u64,
            });
        }
        let text = std::str::from_utf8(line).map_err(|e| Error::InvalidUtf8 {
            path: path.to_owned(),
            offset: content_start + e.valid_up_to() as u64,
        })?;
        let up_section = up.get_or_insert_with(|| SectionScan::new(content_start, line_no, false));
        let mark = marker(text);
        if down.is_none() && !matches!(mark, Some(Marker::Down { .. })) {
            hasher.line(line);
        }
        match mark {
            Some(Marker::Up { no_transaction }) => {
                if saw_up_marker || down.is_some() {
                    return Err(Error::Section {
                        path: path.to_owned(),
                        line: line_no,
                        message: if down.is_some() {
                            "an up marker after the down marker".into()
                        } else {
                            "a second up marker".into()
                        },
                    });
                }
                saw_up_marker = true;
                up_section.part.no_transaction |= no_transaction;
                up_section.part.end = offset;
                continue;
            }
            Some(Marker::Down { no_transaction }) => {
                if down.is_some() {
                    return Err(Error::Section {
                        path: path.to_owned(),
                        line: line_no,
                        message: "a second down marker".into(),
                    });
                }
                let mut d = SectionScan::new(content_start, line_no, no_transaction);
                d.part.end = offset;
                down = Some(d);
                continue;
            }
            None => {}
        }
        let section = match down.as_mut() {
            Some(d) => d,
            None => up_section,
        };
        if section.in_header {
            let t = text.trim();
            if t.is_empty() || t.starts_with("--") {
                match directive(text) {
                    Some(Directive::NoTransaction) => {
                        section.part.no_transaction = true;
                    }
                    Some(Directive::Allow(rules)) => allow.extend(rules),
                    None => {}
                }
            } else {
                section.in_header = false;
            }
        }
        section.feed(text);
        section.part.end = offset;
    }
    let Some(mut up) = up else {
        return Err(Error::EmptyMigration {
            path: path.to_owned(),
        });
    };
    if let Some(d) = &down {
        up.part.end = d.part.start;
    }
    // Still open at the end of the file: PostgreSQL will report it, so it counts.
    up.has_statement |= crate::sql::first_statement(&up.pending).is_some();
    if !up.has_statement {
        return Err(Error::EmptyMigration {
            path: path.to_owned(),
        });
    }
    Ok(ScannedFile {
        checksum: hasher.finish(),
        up: up.part,
        down: down.filter(|d| d.has_statement).map(|d| d.part),
        allow,
        size: offset,
    })
}

/// What [`scan`] learns about a file.
///
/// ```
/// use std::path::Path;
/// use strata::migration::{Checksum, scan};
/// let text = "-- strata:allow ban-drop-column\n\
///             ALTER TABLE t DROP COLUMN a;\n\
///             -- migrate:down\n\
///             SELECT 1;\n";
/// let file = scan(&mut text.as_bytes(), Path::new("V5__drop_a.sql"))?;
/// assert_eq!(file.allow, ["ban-drop-column"]);
/// assert!(file.down.is_some());
/// // Only the up part is summed: editing the down part changes nothing.
/// let up_len = file.up.end as usize;
/// assert_eq!(file.checksum, Checksum::of(&text.as_bytes()[..up_len]));
/// # Ok::<(), strata::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScannedFile {
    /// SPEC §2.3.
    pub checksum: Checksum,
    /// The part `migrate` runs.
    pub up: Part,
    /// An in-file down section with at least one statement.
    pub down: Option<Part>,
    /// Rules named by `-- strata:allow`.
    pub allow: Vec<String>,
    /// Size in bytes.
    pub size: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        s.parse().unwrap()
    }

    fn scan_str(s: &str) -> Result<ScannedFile, Error> {
        scan(&mut s.as_bytes(), Path::new("x.sql"))
    }

    #[test]
    fn versions_compare_numerically() {
        assert!(v("2") < v("10"));
        assert!(v("1.2") < v("1.10"));
        assert!(v("1_9") < v("2"));
        assert_eq!(v("001"), v("1"));
        assert_eq!(v("1.0"), v("1"));
        assert!(v("20251019120000") > v("20250101"));
        assert_eq!(v("0002_01").to_string(), "2.1");
        assert_eq!(v("000").to_string(), "0");
        assert!("1..2".parse::<Version>().is_err());
        assert!("1a".parse::<Version>().is_err());
    }

    #[test]
    fn versions_hash_like_they_compare() {
        use std::collections::HashSet;
        let set: HashSet<Version> = [v("1"), v("001"), v("1.0")].into_iter().collect();
        assert_eq!(set.len(), 1);
    }

    #[test]
    fn long_versions_compare_with_short_ones() {
        // Up to two parts are stored inline, more on the heap: both agree.
        assert_eq!(v("1.2.0.0"), v("1.2"));
        assert_eq!(v("1_2_0").to_string(), "1.2.0");
        assert!(v("1.2.3") > v("1.2"));
        assert!(v("1.2.3") < v("1.3"));
        assert!(v("1.2.3.4") < v("1.2.3.5"));
        assert_eq!(v("7.8.9").parts(), &[7, 8, 9]);
        assert_eq!(v("7").parts(), &[7]);
        let max = "9".repeat(38);
        assert_eq!(v(&max).to_string(), max);
        use std::collections::HashSet;
        let set: HashSet<Version> = [v("3.1.0"), v("3.1"), v("3_1_0_0")].into_iter().collect();
        assert_eq!(set.len(), 1);
    }

    #[test]
    fn all_five_name_patterns() {
        let p = |n| FileName::parse(n).unwrap().unwrap();
        assert_eq!(
            p("V001__create_users.sql"),
            FileName::Versioned {
                version: v("1"),
                description: "create users".into(),
                up_of_pair: false
            }
        );
        assert_eq!(
            p("V1.2__x.sql"),
            FileName::Versioned {
                version: v("1.2"),
                description: "x".into(),
                up_of_pair: false
            }
        );
        assert_eq!(
            p("U001__create_users.sql"),
            FileName::Undo {
                version: v("1"),
                description: "create users".into()
            }
        );
        assert_eq!(
            p("R__views.sql"),
            FileName::Repeatable {
                description: "views".into()
            }
        );
        assert_eq!(
            p("20251019120000_add_users.sql"),
            FileName::Versioned {
                version: v("20251019120000"),
                description: "add users".into(),
                up_of_pair: false
            }
        );
        assert_eq!(
            p("20250101_users.up.sql"),
            FileName::Versioned {
                version: v("20250101"),
                description: "users".into(),
                up_of_pair: true
            }
        );
        assert_eq!(
            p("20250101_users.down.sql"),
            FileName::Down {
                version: v("20250101"),
                description: "users".into()
            }
        );
        assert_eq!(FileName::parse("notes.txt"), Ok(None));
    }

    #[test]
    fn misnamed_sql_files_are_errors() {
        for bad in [
            "V1_x.sql",
            "V__x.sql",
            "v1__x.sql",
            "init.sql",
            "R_x.sql",
            "R__.sql",
            "1_.sql",
            "V1.a__x.sql",
            "001.sql",
        ] {
            assert!(FileName::parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn crlf_and_bom_give_the_same_checksum() {
        let lf = "CREATE TABLE a (id int);\nSELECT 1;\n";
        let crlf = "CREATE TABLE a (id int);\r\nSELECT 1;\r\n";
        let bom = format!("\u{feff}{crlf}");
        let a = scan_str(lf).unwrap().checksum;
        assert_eq!(a, scan_str(crlf).unwrap().checksum);
        assert_eq!(a, scan_str(&bom).unwrap().checksum);
        assert_eq!(a, Checksum::of(bom.as_bytes()));
        assert_ne!(
            a,
            scan_str("CREATE TABLE a (id int);\nSELECT 2;\n")
                .unwrap()
                .checksum
        );
        // sha256("CREATE TABLE a (id int);\nSELECT 1;\n") — fixed so the format can never drift
        assert_eq!(a.to_string().len(), 64);
        assert_eq!(Checksum::from_hex(&a.to_string()), Some(a));
    }

    #[test]
    fn checksum_is_sha256_of_normalized_text() {
        // sha256 of the empty string, a well-known value
        assert_eq!(
            Checksum::of(b"").to_string(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(Checksum::of(b"\xEF\xBB\xBF"), Checksum::of(b""));
    }

    #[test]
    fn dbmate_sections_and_checksum_of_up_only() {
        let f = "-- migrate:up\nCREATE TABLE a (id int);\n\n-- migrate:down\nDROP TABLE a;\n";
        let s = scan_str(f).unwrap();
        assert_eq!(
            s.up,
            Part {
                start: 0,
                end: 40,
                line: 1,
                no_transaction: false
            }
        );
        assert_eq!(&f[40..], "-- migrate:down\nDROP TABLE a;\n");
        let down = s.down.unwrap();
        assert_eq!(down.line, 4);
        assert_eq!(down.start, 40);
        assert_eq!(down.end as usize, f.len());
        let other_down = f.replace("DROP TABLE a;", "DROP TABLE a CASCADE;");
        assert_eq!(scan_str(&other_down).unwrap().checksum, s.checksum);
        assert_eq!(s.checksum, Checksum::of(&f.as_bytes()[..40]));
    }

    #[test]
    fn node_pg_migrate_sections() {
        let f = "-- Up Migration\nCREATE TABLE a (id int);\n-- Down Migration\nDROP TABLE a;\n";
        let s = scan_str(f).unwrap();
        assert_eq!(s.down.unwrap().line, 3);
    }

    #[test]
    fn misplaced_markers_name_the_line() {
        let e = scan_str("-- migrate:down\nDROP TABLE a;\n-- migrate:up\nSELECT 1;\n").unwrap_err();
        assert!(matches!(e, Error::Section { line: 3, .. }), "{e:?}");
        let e = scan_str("-- migrate:up\nSELECT 1;\n-- migrate:up\n").unwrap_err();
        assert!(matches!(e, Error::Section { line: 3, .. }), "{e:?}");
    }

    #[test]
    fn no_transaction_directives() {
        for f in [
            "-- strata:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);\n",
            "\u{feff}-- strata:no-transaction\r\nCREATE INDEX CONCURRENTLY i ON t (a);\r\n",
            "\n\n  \n-- a comment\n-- strata:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);\n",
            "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (a);\n-- migrate:down\nDROP INDEX i;\n",
        ] {
            assert!(scan_str(f).unwrap().up.no_transaction, "{f:?}");
        }
        // after the first statement it is just a comment
        let late = "SELECT 1;\n-- strata:no-transaction\nSELECT 2;\n";
        assert!(!scan_str(late).unwrap().up.no_transaction);
        let down_only = "-- migrate:up\nSELECT 1;\n-- migrate:down transaction:false\nSELECT 2;\n";
        let s = scan_str(down_only).unwrap();
        assert!(!s.up.no_transaction);
        assert!(s.down.unwrap().no_transaction);
    }

    #[test]
    fn allow_directive() {
        let s = scan_str("-- strata:allow ban-drop-column, require-concurrent-index\nSELECT 1;\n")
            .unwrap();
        assert_eq!(s.allow, vec!["ban-drop-column", "require-concurrent-index"]);
    }

    #[test]
    fn bad_encoding_and_empty_files() {
        let e = scan(&mut &b"SELECT 1;\nSELECT '\xff';\n"[..], Path::new("x.sql")).unwrap_err();
        assert!(matches!(e, Error::InvalidUtf8 { offset: 18, .. }), "{e:?}");
        let e = scan(&mut &b"SELECT 1;\0\n"[..], Path::new("x.sql")).unwrap_err();
        assert!(matches!(e, Error::NulByte { offset: 9, .. }), "{e:?}");
        for empty in [
            "",
            "\n\n",
            "-- nothing\n",
            "/* a\n block */\n",
            "\u{feff}",
            "-- migrate:up\n-- migrate:down\nDROP TABLE a;\n",
        ] {
            assert!(
                matches!(scan_str(empty), Err(Error::EmptyMigration { .. })),
                "{empty:?}"
            );
        }
    }
}
