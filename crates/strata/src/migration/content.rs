//! Where a migration's bytes are ([`Content`]: a file or embedded bytes),
//! which byte ranges of them run ([`Part`], [`DownPart`]), and opening them.

use std::fmt;
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

use super::Migration;
use crate::error::Error;

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
