//! [`Script`]: a piece of SQL to run — a migration's up part, or a down
//! part — with what running it needs: its name, where its bytes are, the
//! byte range and first line, and whether it runs outside a transaction.
//! The ways of applying (transactional, no-transaction, single
//! transaction) take a `Script`, so a down part need not pose as a
//! [`Migration`].

use std::path::PathBuf;

use crate::error::Error;
use crate::migration::{
    Checksum, Content, DownPart, Migration, Part, PartReader, Placeholders, Replacing,
};
use crate::sql::{Chunker, Location};

/// A script to run: the up part of a migration, or a down part.
///
/// ```
/// use std::path::Path;
/// use strata::migration::Content;
/// use strata::migrator::Script;
/// use strata::source::Migrations;
/// let m = Migrations::from_files(Path::new("migrations"), vec![
///     (
///         "V1__a.sql".into(),
///         Content::Static(b"CREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n"),
///     ),
///     ("V2__b.sql".into(), Content::Static(b"CREATE TABLE b (id int);")),
///     ("U2__b.sql".into(), Content::Static(b"DROP TABLE b;")),
/// ])?;
/// let up = Script::up(&m.list[0]);
/// assert_eq!((up.name, up.part.line), ("V1__a.sql", 1));
/// let in_file = Script::down(&m.list[0]).expect("a down section");
/// assert_eq!((in_file.name, in_file.part.line), ("V1__a.sql", 2));
/// assert_eq!(in_file.read()?, "-- migrate:down\nDROP TABLE a;\n");
/// let own_file = Script::down(&m.list[1]).expect("a U file");
/// assert_eq!(own_file.name, "U2__b.sql");
/// assert!(!own_file.no_transaction());
/// # Ok::<(), strata::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Script<'a> {
    /// The file name: what errors name.
    pub name: &'a str,
    /// Where the bytes are.
    pub content: &'a Content,
    /// Its byte range and first line in `content`, and whether it runs
    /// outside a transaction.
    pub part: Part,
    /// The checksum its bytes were scanned with; None for a down section,
    /// which no checksum covers (SPEC §2.3).
    pub checksum: Option<Checksum>,
    /// The database's placeholders, replaced as the script is read (None:
    /// the text runs as written).
    pub placeholders: Option<&'a Placeholders>,
}

impl<'a> Script<'a> {
    /// The part `migrate` runs.
    ///
    /// ```
    /// use strata::migrator::Script;
    /// let migrations = strata::embed_migrations!("$CARGO_MANIFEST_DIR/tests/fixtures/embedded")?;
    /// let first = &migrations.list[0];
    /// assert_eq!(Script::up(first).name, first.script);
    /// # Ok::<(), strata::Error>(())
    /// ```
    pub fn up(m: &'a Migration) -> Script<'a> {
        Script {
            name: &m.script,
            content: &m.content,
            part: m.up,
            checksum: Some(m.checksum),
            placeholders: None,
        }
    }

    /// The part `rollback` runs: the in-file down section, or the
    /// `U`/`.down.sql` file's up part; None without one.
    ///
    /// ```
    /// use std::path::Path;
    /// use strata::migration::Content;
    /// use strata::migrator::Script;
    /// use strata::source::Migrations;
    /// let m = Migrations::from_files(Path::new("migrations"), vec![
    ///     ("V1__a.sql".into(), Content::Static(b"CREATE TABLE a (id int);")),
    /// ])?;
    /// assert!(Script::down(&m.list[0]).is_none());
    /// # Ok::<(), strata::Error>(())
    /// ```
    pub fn down(m: &'a Migration) -> Option<Script<'a>> {
        Some(match m.down.as_ref()? {
            DownPart::InFile(part) => Script {
                name: &m.script,
                content: &m.content,
                part: *part,
                checksum: None,
                placeholders: None,
            },
            DownPart::File(f) => Script::up(f),
        })
    }

    /// The same script with `placeholders` replaced as it is read.
    ///
    /// ```
    /// use strata::migrator::Script;
    /// let migrations = strata::embed_migrations!("$CARGO_MANIFEST_DIR/tests/fixtures/embedded")?;
    /// let script = Script::up(&migrations.list[0]).with_placeholders(None);
    /// assert!(script.placeholders.is_none());
    /// # Ok::<(), strata::Error>(())
    /// ```
    pub fn with_placeholders(mut self, placeholders: Option<&'a Placeholders>) -> Script<'a> {
        self.placeholders = placeholders;
        self
    }

    /// True when it runs statement by statement, outside a transaction.
    ///
    /// ```
    /// use std::path::Path;
    /// use strata::migration::Content;
    /// use strata::migrator::Script;
    /// use strata::source::Migrations;
    /// let m = Migrations::from_files(Path::new("migrations"), vec![
    ///     (
    ///         "V1__t_a.sql".into(),
    ///         Content::Static(b"-- strata:no-transaction\nCREATE INDEX CONCURRENTLY t_a ON t (a);"),
    ///     ),
    /// ])?;
    /// assert!(Script::up(&m.list[0]).no_transaction());
    /// # Ok::<(), strata::Error>(())
    /// ```
    pub fn no_transaction(&self) -> bool {
        self.part.no_transaction
    }

    /// Its text, read into memory.
    ///
    /// ```
    /// use std::path::Path;
    /// use strata::migration::Content;
    /// use strata::migrator::Script;
    /// use strata::source::Migrations;
    /// let m = Migrations::from_files(Path::new("migrations"), vec![
    ///     ("V1__a.sql".into(), Content::Static(b"CREATE TABLE a (id int);\n")),
    /// ])?;
    /// assert_eq!(Script::up(&m.list[0]).read()?, "CREATE TABLE a (id int);\n");
    /// # Ok::<(), strata::Error>(())
    /// ```
    ///
    /// # Errors
    /// I/O, or invalid UTF-8 (only if the file changed since it was scanned).
    pub fn read(&self) -> Result<String, Error> {
        self.content.read_part(&self.part, self.name)
    }

    /// The file on disk (None when embedded).
    pub(crate) fn path(&self) -> Option<PathBuf> {
        match self.content {
            Content::File(p) => Some(p.clone()),
            Content::Static(_) => None,
        }
    }

    /// Opens it to run, once: the reader hashes what it hands out, so the
    /// runner can check, before it commits, that what ran is what was
    /// scanned ([`PartReader::verify`]). With `check_first` a part that fits
    /// in memory is read whole and checked before any statement is sent
    /// (for runs outside a transaction, which cannot roll back).
    pub(crate) fn reader(&self, check_first: bool) -> Result<PartReader<'a>, Error> {
        PartReader::open(
            self.content,
            &self.part,
            self.name,
            self.checksum,
            check_first,
        )
    }

    /// The statements of `reader` (opened with [`reader`](Self::reader)),
    /// placeholders replaced: the lexer sees the SQL that runs, the reader
    /// below hashes the file as written.
    pub(crate) fn chunker<'r>(
        &self,
        reader: &'r mut PartReader<'a>,
    ) -> Chunker<Replacing<'a, &'r mut PartReader<'a>>> {
        Chunker::new(
            Replacing::new(reader, self.placeholders, self.name),
            self.start(),
        )
    }

    /// Where its first statement starts in the file.
    pub(crate) fn start(&self) -> Location {
        Location {
            offset: self.part.start,
            line: self.part.line,
            column: 1,
        }
    }

    /// An I/O error reading it.
    pub(crate) fn io(&self, e: std::io::Error) -> Error {
        Error::io(self.name, e)
    }
}
