//! The dump file of `strata schema dump`: the snapshot as SQL a person can
//! read and diff, which strata can also read back exactly.
//!
//! Every object is its `-- strata: {…}` record line (the object as JSON, one
//! line) followed by the SQL that creates it. Reading a dump
//! ([`Dump::parse`]) takes the records, never the SQL — no SQL parser and no
//! scratch database — then renders the dump again from them and requires
//! the same text: a hand edit of the SQL, which the records would not
//! show, is an error naming its line instead of being ignored. Line endings
//! may be CRLF (a Windows checkout). The header names the format version,
//! the project's database and the server's major version.
//!
//! The SQL runs in order on an empty database for most schemas: schemas,
//! extensions, types, functions (bodies not checked), sequences, tables,
//! then sequence ownership and partitions, constraints (foreign keys
//! last), views, indexes (some are on materialized views), triggers,
//! policies. Views come after the views their query names, else in name
//! order ([`view_order`]).

use serde::{Deserialize, Serialize};

pub use crate::error::DumpError;

use super::{
    Constraint, Extension, Function, Index, Policy, Schema, Sequence, Snapshot, Table, Trigger,
    TypeDef, View, sql,
};

/// The first line of every dump; the number is the format version.
const MAGIC: &str = "-- strata schema dump, format ";
/// The format this version of strata writes and reads.
pub const FORMAT: u32 = 1;
const RECORD: &str = "-- strata: ";

/// A dump read back: the database it was taken of (its name in
/// strata.toml) and the snapshot.
///
/// The file: a header (`-- strata schema dump, format 1`, `-- database:
/// NAME`, `-- server major version: N`), then every object as its
/// `-- strata: {…}` record line (the object as JSON) followed by the SQL
/// that creates it. [`Dump::parse`] reads the records, never the SQL, then
/// renders the dump again from them and requires the same text: a hand
/// edit of the SQL is an error naming its line, not silently ignored. CRLF
/// line ends are accepted. The SQL runs in order on an empty database for
/// most schemas (a view after the views it reads).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dump {
    /// The database's name in strata.toml, from the header.
    pub database: String,
    /// The schema.
    pub snapshot: Snapshot,
}

/// One record, as written.
#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum RecordRef<'a> {
    Schema(&'a Schema),
    Extension(&'a Extension),
    Type(&'a TypeDef),
    Function(&'a Function),
    Sequence(&'a Sequence),
    Table(&'a Table),
    Constraint(&'a Constraint),
    Index(&'a Index),
    View(&'a View),
    Trigger(&'a Trigger),
    Policy(&'a Policy),
}

/// One record, as read.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum Record {
    Schema(Schema),
    Extension(Extension),
    Type(TypeDef),
    Function(Function),
    Sequence(Sequence),
    Table(Table),
    Constraint(Constraint),
    Index(Index),
    View(View),
    Trigger(Trigger),
    Policy(Policy),
}

impl Snapshot {
    /// The dump of this snapshot for the project's database `database`
    /// (the format is described at [`Dump`]). Deterministic: equal snapshots give
    /// identical text.
    ///
    /// ```
    /// use strata::schema::{Extension, Snapshot};
    ///
    /// let s = Snapshot {
    ///     server_major: 15,
    ///     extensions: vec![Extension { name: "citext".into(), schema: "public".into() }],
    ///     ..Default::default()
    /// };
    /// let text = s.to_dump("main");
    /// assert!(text.contains("\nCREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public;\n"));
    /// assert_eq!(Snapshot::from_dump(&text).unwrap(), s);
    /// ```
    pub fn to_dump(&self, database: &str) -> String {
        let mut out = format!(
            "{MAGIC}{FORMAT}\n-- database: {}\n-- server major version: {}\n--\n\
             -- Written from the catalogs by `strata schema dump`; regenerate it rather than edit it.\n\
             -- Each object is its `-- strata:` record (what `strata drift --against` reads) and its SQL.\n\n\
             SET check_function_bodies = false;\n",
            one_line(database),
            self.server_major
        );
        let mut item = |record: RecordRef<'_>, text: String| {
            // Serializing plain data (strings, numbers, bools) cannot fail.
            let json = serde_json::to_string(&record).unwrap_or_default();
            out.push_str(&format!("\n{RECORD}{json}\n{text}\n"));
        };
        for s in &self.schemas {
            item(RecordRef::Schema(s), sql::schema(s));
        }
        for e in &self.extensions {
            item(RecordRef::Extension(e), sql::extension(e));
        }
        for t in &self.types {
            item(RecordRef::Type(t), sql::type_def(t));
        }
        for f in &self.functions {
            item(RecordRef::Function(f), sql::function(f));
        }
        for s in &self.sequences {
            item(RecordRef::Sequence(s), sql::sequence(s));
        }
        for t in &self.tables {
            item(RecordRef::Table(t), sql::table(t));
        }
        let links: Vec<String> = self
            .sequences
            .iter()
            .filter_map(sql::owned_by)
            .chain(self.tables.iter().filter_map(sql::attach))
            .collect();
        if !links.is_empty() {
            out.push_str(&format!(
                "\n-- sequence ownership and partitions (from the records above)\n{}\n",
                links.join("\n")
            ));
        }
        let mut item = |record: RecordRef<'_>, text: String| {
            let json = serde_json::to_string(&record).unwrap_or_default();
            out.push_str(&format!("\n{RECORD}{json}\n{text}\n"));
        };
        // Foreign keys last: they need the keys they reference.
        for c in self.constraints.iter().filter(|c| c.kind != "foreign key") {
            item(RecordRef::Constraint(c), sql::constraint(c));
        }
        for c in self.constraints.iter().filter(|c| c.kind == "foreign key") {
            item(RecordRef::Constraint(c), sql::constraint(c));
        }
        for i in view_order(&self.views) {
            let v = &self.views[i];
            item(RecordRef::View(v), sql::view(v));
        }
        for i in &self.indexes {
            item(RecordRef::Index(i), sql::index(i));
        }
        for t in &self.triggers {
            item(RecordRef::Trigger(t), sql::trigger(t));
        }
        for p in &self.policies {
            item(RecordRef::Policy(p), sql::policy(p));
        }
        out
    }

    /// The snapshot a dump holds ([`Dump::parse`] without the header).
    ///
    /// # Errors
    ///
    /// [`DumpError`]: not a dump, an unknown format, a record that does not
    /// parse, or a dump edited by hand.
    ///
    /// ```
    /// let err = strata::schema::Snapshot::from_dump("CREATE TABLE t ();").unwrap_err();
    /// assert!(err.to_string().starts_with("not a strata schema dump"));
    /// ```
    pub fn from_dump(text: &str) -> Result<Snapshot, DumpError> {
        Dump::parse(text).map(|d| d.snapshot)
    }
}

impl Dump {
    /// Reads a dump written by [`Snapshot::to_dump`]: its records, checked
    /// against its SQL (see [`Dump`]).
    ///
    /// # Errors
    ///
    /// See [`Snapshot::from_dump`].
    ///
    /// ```
    /// use strata::schema::{Dump, Snapshot};
    ///
    /// let text = Snapshot { server_major: 15, ..Default::default() }.to_dump("core");
    /// let dump = Dump::parse(&text.replace('\n', "\r\n")).unwrap();
    /// assert_eq!((dump.database.as_str(), dump.snapshot.server_major), ("core", 15));
    /// ```
    pub fn parse(text: &str) -> Result<Dump, DumpError> {
        let text = text
            .strip_prefix('\u{feff}')
            .unwrap_or(text)
            .replace("\r\n", "\n");
        let mut lines = text.lines();
        let first = lines.next().unwrap_or_default();
        let format = first.strip_prefix(MAGIC).ok_or(DumpError::NotADump)?;
        if format != FORMAT.to_string() {
            return Err(DumpError::UnsupportedFormat {
                found: format.to_owned(),
                supported: FORMAT,
            });
        }
        let database = lines
            .next()
            .and_then(|l| l.strip_prefix("-- database: "))
            .ok_or(DumpError::Header {
                line: 2,
                expected: "-- database: NAME",
            })?
            .to_owned();
        let server_major = lines
            .next()
            .and_then(|l| l.strip_prefix("-- server major version: "))
            .and_then(|v| v.parse().ok())
            .ok_or(DumpError::Header {
                line: 3,
                expected: "-- server major version: N",
            })?;
        let mut s = Snapshot {
            server_major,
            ..Default::default()
        };
        for (i, line) in text.lines().enumerate() {
            let Some(json) = line.strip_prefix(RECORD) else {
                continue;
            };
            let record = serde_json::from_str(json).map_err(|e| DumpError::Record {
                line: i + 1,
                reason: e.to_string(),
            })?;
            match record {
                Record::Schema(x) => s.schemas.push(x),
                Record::Extension(x) => s.extensions.push(x),
                Record::Type(x) => s.types.push(x),
                Record::Function(x) => s.functions.push(x),
                Record::Sequence(x) => s.sequences.push(x),
                Record::Table(x) => s.tables.push(x),
                Record::Constraint(x) => s.constraints.push(x),
                Record::Index(x) => s.indexes.push(x),
                Record::View(x) => s.views.push(x),
                Record::Trigger(x) => s.triggers.push(x),
                Record::Policy(x) => s.policies.push(x),
            }
        }
        s.normalize();
        // CRLF inside a function body is CRLF in the rendering too: compare
        // both with LF line ends.
        let again = s.to_dump(&database).replace("\r\n", "\n");
        if again != text {
            let line = again
                .lines()
                .zip(text.lines())
                .position(|(a, b)| a != b)
                .unwrap_or_else(|| again.lines().count().min(text.lines().count()));
            return Err(DumpError::Edited { line: line + 1 });
        }
        Ok(Dump {
            database,
            snapshot: s,
        })
    }

    /// Reads the dump file at `path`.
    ///
    /// # Errors
    ///
    /// [`Error::Io`](crate::Error::Io), or [`Error::SchemaDump`](crate::Error::SchemaDump)
    /// naming the file.
    ///
    /// ```no_run
    /// let dump = strata::schema::Dump::read(std::path::Path::new("schema.sql"))?;
    /// println!("{}: {} tables", dump.database, dump.snapshot.tables.len());
    /// # Ok::<(), strata::Error>(())
    /// ```
    pub fn read(path: &std::path::Path) -> Result<Dump, crate::Error> {
        let text =
            crate::source::read_regular_to_string(path).map_err(|e| crate::Error::io(path, e))?;
        Dump::parse(&text).map_err(|error| crate::Error::SchemaDump {
            path: path.to_owned(),
            error,
        })
    }
}

/// A database name on one header line (names come from strata.toml keys,
/// but a line break must never split the header).
fn one_line(name: &str) -> String {
    name.replace(['\n', '\r'], " ")
}

/// The order views are written in: each after the views (and materialized
/// views) its query names, else in the snapshot's order (by name). A view
/// names another as `schema.name` in its deparsed query (the snapshot is
/// read with only `pg_catalog` on the search path, so every name is
/// qualified); the text is searched for that name between characters that
/// cannot be part of it. A name that appears only in a string literal
/// orders the two needlessly, never wrongly; a cycle of such names (which
/// real dependencies cannot make) leaves those views in name order.
fn view_order(views: &[View]) -> Vec<usize> {
    let names: Vec<Vec<String>> = views
        .iter()
        .map(|v| {
            let mut forms = vec![sql::qualified(&v.schema, &v.name)];
            // PostgreSQL leaves some keywords bare that `ident` quotes.
            let bare = format!("{}.{}", v.schema, v.name);
            if !forms.contains(&bare) && is_plain(&v.schema) && is_plain(&v.name) {
                forms.push(bare);
            }
            forms
        })
        .collect();
    // needs[i]: the views view i reads.
    let needs: Vec<Vec<usize>> = views
        .iter()
        .enumerate()
        .map(|(i, v)| {
            (0..views.len())
                .filter(|&j| j != i && names[j].iter().any(|n| mentions(&v.definition, n)))
                .collect()
        })
        .collect();
    let mut done = vec![false; views.len()];
    let mut order = Vec::with_capacity(views.len());
    // Repeatedly take the first view, in name order, whose needs are
    // written: O(n²) per pass, fine for the hundreds a schema has.
    while order.len() < views.len() {
        let next = (0..views.len()).find(|&i| !done[i] && needs[i].iter().all(|&j| done[j]));
        // A cycle: the first not written, in name order.
        let next = next.or_else(|| (0..views.len()).find(|&i| !done[i]));
        let Some(i) = next else { break };
        done[i] = true;
        order.push(i);
    }
    order
}

/// Lowercase letters, digits and `_`, not starting with a digit.
fn is_plain(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Whether `text` has `name` where neither the character before nor the
/// one after could continue it (a letter, digit, `_`, `$`, `"` or `.`).
fn mentions(text: &str, name: &str) -> bool {
    let part = |c: Option<char>| {
        c.is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '$' | '"' | '.'))
    };
    text.match_indices(name).any(|(at, _)| {
        !part(text[..at].chars().next_back()) && !part(text[at + name.len()..].chars().next())
    })
}

#[cfg(test)]
mod tests {
    use super::{View, mentions, view_order};

    fn view(name: &str, definition: &str) -> View {
        View {
            schema: "public".into(),
            name: name.into(),
            materialized: false,
            definition: definition.into(),
            comment: None,
        }
    }

    #[test]
    fn views_come_after_the_views_they_read_else_in_name_order() {
        let views = [
            view("a", " SELECT c.id\n   FROM public.c;"),
            view("b", " SELECT 1;"),
            view("c", " SELECT d.id\n   FROM public.d;"),
            view("d", " SELECT t.id\n   FROM public.t;"),
            view("e", " SELECT 'public.a' AS s;"),
        ];
        // e names a only in a string: ordered after it, which is harmless.
        assert_eq!(view_order(&views), [1, 3, 2, 0, 4]);
    }

    #[test]
    fn a_cycle_of_mentions_falls_back_to_name_order() {
        let views = [
            view("x", " SELECT 'public.y' AS s;"),
            view("y", " SELECT 'public.x' AS s;"),
        ];
        assert_eq!(view_order(&views), [0, 1]);
    }

    #[test]
    fn a_mention_is_the_whole_name() {
        assert!(mentions("FROM public.v1;", "public.v1"));
        assert!(mentions("FROM public.v1\n", "public.v1"));
        assert!(!mentions("FROM public.v10;", "public.v1"));
        assert!(!mentions("FROM xpublic.v1;", "public.v1"));
        assert!(!mentions("FROM \"public.v1\";", "public.v1"));
    }
}
