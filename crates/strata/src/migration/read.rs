//! Reading a migration's up part to run it — once, hashing the bytes as they
//! are handed out, so that what runs is what was hashed (docs/decisions.md,
//! "Each migration file is read once").
//!
//! The scan (or the scan cache) recorded a [`Checksum`] for the part; a
//! [`PartReader`] computes the checksum of the bytes it actually hands to the
//! runner and [`PartReader::verify`] compares the two. The runner checks
//! before it commits: a transactional migration whose file changed in between
//! is rolled back. A part small enough to hold in memory
//! ([`Migration::open_up_checked`]) is read whole and checked before its
//! first statement is sent, for migrations that run outside a transaction.

use std::io::{self, BufRead, Read};

use super::checksum::StreamHasher;
use super::{Checksum, Content, Migration, Part};
use crate::error::Error;

/// Up parts up to this size are read whole by [`Migration::open_up_checked`]
/// (and checked before anything runs); larger ones are streamed.
pub const CHECK_FIRST_LIMIT: u64 = 64 << 20;

/// A reader over a migration's up part that hashes what it hands out.
///
/// ```
/// use std::io::Read;
/// use std::path::Path;
/// use strata::migration::Content;
/// use strata::source::Migrations;
/// let m = Migrations::from_files(Path::new("migrations"), vec![
///     ("V1__a.sql".into(), Content::Static(b"CREATE TABLE a (id int);\r\n")),
/// ])?;
/// let mut reader = m.list[0].open_up()?;
/// let mut text = String::new();
/// reader.read_to_string(&mut text)?;
/// assert_eq!(text, "CREATE TABLE a (id int);\r\n");
/// // The bytes read are the bytes the scan hashed.
/// assert_eq!(reader.checksum(), m.list[0].checksum);
/// reader.verify()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct PartReader<'a> {
    inner: Box<dyn BufRead + Send + 'a>,
    hasher: StreamHasher,
    expected: Option<Checksum>,
    script: &'a str,
    /// Read whole and checked already: nothing left to hash.
    checked: bool,
}

impl std::fmt::Debug for PartReader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartReader")
            .field("script", &self.script)
            .field("expected", &self.expected)
            .finish_non_exhaustive()
    }
}

impl<'a> PartReader<'a> {
    /// Opens `part` of `content` (the file `script`) to run it. With
    /// `expected`, [`verify`](Self::verify) compares the bytes read with it;
    /// with `check_first`, a part up to [`CHECK_FIRST_LIMIT`] is read whole
    /// and checked now, before any statement is sent. Without `expected` (a
    /// down section, which no checksum covers) the bytes are only hashed.
    ///
    /// # Errors
    /// [`Error::ChangedWhileRunning`] for a part checked first whose bytes
    /// are not the ones scanned; an I/O error naming the file.
    pub(crate) fn open(
        content: &'a Content,
        part: &Part,
        script: &'a str,
        expected: Option<Checksum>,
        check_first: bool,
    ) -> Result<PartReader<'a>, Error> {
        let streamed = PartReader {
            inner: content.open_part(part)?,
            hasher: StreamHasher::default(),
            expected,
            script,
            checked: false,
        };
        let len = part.end.saturating_sub(part.start);
        if !check_first || expected.is_none() || len > CHECK_FIRST_LIMIT {
            return Ok(streamed);
        }
        let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        let mut whole = streamed;
        whole
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io(script, e))?;
        whole.verify()?;
        Ok(PartReader {
            inner: Box::new(io::Cursor::new(bytes)),
            hasher: whole.hasher,
            expected,
            script,
            checked: true,
        })
    }

    /// The checksum of the bytes handed out so far.
    ///
    /// ```
    /// use std::path::Path;
    /// use strata::migration::{Checksum, Content};
    /// use strata::source::Migrations;
    /// let m = Migrations::from_files(Path::new("migrations"), vec![
    ///     ("V1__a.sql".into(), Content::Static(b"SELECT 1;\n")),
    /// ])?;
    /// let reader = m.list[0].open_up()?;
    /// assert_eq!(reader.checksum(), Checksum::of(b"")); // nothing read yet
    /// # Ok::<(), strata::Error>(())
    /// ```
    pub fn checksum(&self) -> Checksum {
        self.hasher.checksum()
    }

    /// Reads what is left of the part (hashing it) and returns the checksum
    /// of every byte of it.
    ///
    /// ```
    /// use std::path::Path;
    /// use strata::migration::Content;
    /// use strata::source::Migrations;
    /// let m = Migrations::from_files(Path::new("migrations"), vec![
    ///     ("V1__a.sql".into(), Content::Static(b"SELECT 1;\n")),
    /// ])?;
    /// assert_eq!(m.list[0].open_up()?.finish()?, m.list[0].checksum);
    /// # Ok::<(), strata::Error>(())
    /// ```
    ///
    /// # Errors
    /// An I/O error naming the file.
    pub fn finish(&mut self) -> Result<Checksum, Error> {
        if let (true, Some(expected)) = (self.checked, self.expected) {
            return Ok(expected);
        }
        // Block by block through `fill_buf`/`consume` (which hashes), not
        // `io::copy`: that reads through an 8 KiB stack buffer it first
        // fills with zeros, once per part.
        loop {
            let n = match self.fill_buf() {
                Ok(block) => block.len(),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::io(self.script, e)),
            };
            if n == 0 {
                return Ok(self.checksum());
            }
            self.consume(n);
        }
    }

    /// [`finish`](Self::finish), then checks the checksum against the one
    /// recorded when the file was scanned.
    ///
    /// ```
    /// use std::path::Path;
    /// use strata::migration::{Checksum, Content};
    /// use strata::source::Migrations;
    /// let m = Migrations::from_files(Path::new("migrations"), vec![
    ///     ("V1__a.sql".into(), Content::Static(b"SELECT 1;\n")),
    /// ])?;
    /// m.list[0].open_up()?.verify()?;
    /// // A migration whose file no longer holds the bytes it was scanned with:
    /// let mut stale = m.list[0].clone();
    /// stale.checksum = Checksum::of(b"SELECT 2;\n");
    /// let err = stale.open_up()?.verify().unwrap_err();
    /// assert!(matches!(err, strata::Error::ChangedWhileRunning { applied: false, .. }));
    /// # Ok::<(), strata::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::ChangedWhileRunning`] when they differ; an I/O error.
    pub fn verify(&mut self) -> Result<(), Error> {
        let ran = self.finish()?;
        if self.expected.is_none_or(|expected| expected == ran) {
            Ok(())
        } else {
            Err(Error::ChangedWhileRunning {
                script: self.script.to_owned(),
                applied: false,
            })
        }
    }
}

impl Read for PartReader<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = {
            let block = self.fill_buf()?;
            let n = block.len().min(out.len());
            out[..n].copy_from_slice(&block[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for PartReader<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        if amt > 0 && !self.checked {
            // The block just returned by `fill_buf`: buffered, so no I/O.
            if let Ok(block) = self.inner.fill_buf() {
                self.hasher.update(&block[..amt.min(block.len())]);
            }
        }
        self.inner.consume(amt);
    }
}

impl Migration {
    /// Opens the up part to run it, streaming: the checksum of what was read
    /// is compared with [`Migration::checksum`] by [`PartReader::verify`]
    /// once every statement has been read (before the transaction commits).
    ///
    /// ```
    /// use std::path::Path;
    /// use strata::migration::Content;
    /// use strata::sql::{Chunker, Location};
    /// use strata::source::Migrations;
    /// let m = Migrations::from_files(Path::new("migrations"), vec![
    ///     ("V1__a.sql".into(), Content::Static(b"CREATE TABLE a (id int);\nSELECT 1;\n")),
    /// ])?;
    /// let mut reader = m.list[0].open_up()?;
    /// let mut chunker = Chunker::new(&mut reader, Location { offset: 0, line: 1, column: 1 });
    /// let mut statements = 0;
    /// while chunker.next_chunk(0)?.is_some() {
    ///     statements += 1;
    /// }
    /// drop(chunker);
    /// reader.verify()?; // before COMMIT
    /// assert_eq!(statements, 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// An I/O error naming the file.
    pub fn open_up(&self) -> Result<PartReader<'_>, Error> {
        PartReader::open(
            &self.content,
            &self.up,
            &self.script,
            Some(self.checksum),
            false,
        )
    }

    /// Opens the up part to run it outside a transaction: a part up to
    /// [`CHECK_FIRST_LIMIT`] is read whole and checked now, before any
    /// statement is sent; a larger one is streamed as by
    /// [`Migration::open_up`].
    ///
    /// ```
    /// use std::path::Path;
    /// use strata::migration::{Checksum, Content};
    /// use strata::source::Migrations;
    /// let m = Migrations::from_files(Path::new("migrations"), vec![
    ///     ("V1__a.sql".into(), Content::Static(b"-- strata:no-transaction\nSELECT 1;\n")),
    /// ])?;
    /// assert!(m.list[0].open_up_checked().is_ok());
    /// let mut stale = m.list[0].clone();
    /// stale.checksum = Checksum::of(b"SELECT 2;\n");
    /// assert!(matches!(stale.open_up_checked(), Err(strata::Error::ChangedWhileRunning { .. })));
    /// # Ok::<(), strata::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::ChangedWhileRunning`] for a part read whole whose bytes are not
    /// the ones scanned; an I/O error naming the file.
    pub fn open_up_checked(&self) -> Result<PartReader<'_>, Error> {
        PartReader::open(
            &self.content,
            &self.up,
            &self.script,
            Some(self.checksum),
            true,
        )
    }
}
