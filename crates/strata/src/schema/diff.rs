//! [`Snapshot::diff`]: the typed differences between two snapshots, object
//! by object. Objects are matched by identity (kind, schema, table where
//! there is one, name, a function's arguments); one present on one side
//! only is added or removed, one present on both with different contents
//! is changed, carrying both versions. A table present on both sides is
//! compared column by column (a column is its own object here), and then
//! for what is the table's own: its flags, partitioning, comment, and its
//! column order. How a difference reads is in [`super::describe`].

use std::collections::BTreeMap;

use serde::Serialize;

use super::{
    Column, Constraint, Extension, Function, Index, Policy, Schema, Sequence, Snapshot, Table,
    Trigger, TypeDef, View,
};

/// What kind of object a [`Difference`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ObjectKind {
    /// A schema.
    Schema,
    /// An extension.
    Extension,
    /// A type (enum, composite, domain, range).
    Type,
    /// A function.
    Function,
    /// A procedure.
    Procedure,
    /// A sequence.
    Sequence,
    /// A table itself (flags, partitioning, comment, column order).
    Table,
    /// A column of a table.
    Column,
    /// A table constraint.
    Constraint,
    /// An index.
    Index,
    /// A view.
    View,
    /// A materialized view.
    MaterializedView,
    /// A trigger.
    Trigger,
    /// A row-level-security policy.
    Policy,
}

/// One version of an object, as a [`Difference`] carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
#[allow(missing_docs)] // each variant holds the object of its name
pub enum Object {
    Schema(Schema),
    Extension(Extension),
    Type(TypeDef),
    Function(Function),
    Sequence(Sequence),
    Table(Table),
    Column(ColumnOf),
    Constraint(Constraint),
    Index(Index),
    View(View),
    Trigger(Trigger),
    Policy(Policy),
}

/// A column with the table it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColumnOf {
    /// The table's schema.
    pub schema: String,
    /// The table.
    pub table: String,
    /// The column.
    #[serde(flatten)]
    pub column: Column,
}

/// What happened to an object, from the first snapshot to the second.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "change", rename_all = "snake_case")]
// `Changed` holds two objects, the others one: boxing would only add an
// allocation per difference to a list that is short and read once.
#[allow(clippy::large_enum_variant)]
pub enum Change {
    /// Only in the second snapshot.
    Added {
        /// The object.
        after: Object,
    },
    /// Only in the first snapshot.
    Removed {
        /// The object.
        before: Object,
    },
    /// In both, different.
    Changed {
        /// As in the first snapshot.
        before: Object,
        /// As in the second.
        after: Object,
    },
}

/// One difference between two snapshots. `Display` gives its one line
/// (`+ index orders_customer_idx`, `~ column users.email: character
/// varying(100) → text`); serialized, it is `{"kind", "name", "change",
/// "before"/"after"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// The object's kind.
    pub kind: ObjectKind,
    /// How the object is named in output: `orders`, `app.orders`,
    /// `users.email`, `orders_pkey on orders`, `f(integer)`
    /// (the schema is left out when it is `public`).
    pub name: String,
    /// What happened, with the object's versions.
    #[serde(flatten)]
    pub change: Change,
}

impl Snapshot {
    /// The differences that lead from `self` to `other`: an object only in
    /// `other` is [`Change::Added`]. So `expected.diff(&live)` reports an
    /// index created by hand on the live database as added. Sorted by
    /// kind, then identity; empty when the schemas are equal (the
    /// `server_major` field is not compared).
    ///
    /// ```
    /// use strata::schema::{Change, Extension, ObjectKind, Snapshot};
    ///
    /// let before = Snapshot::default();
    /// let after = Snapshot {
    ///     extensions: vec![Extension { name: "citext".into(), schema: "public".into() }],
    ///     ..Default::default()
    /// };
    /// let diff = before.diff(&after);
    /// assert_eq!(diff.len(), 1);
    /// assert_eq!(diff[0].kind, ObjectKind::Extension);
    /// assert!(matches!(diff[0].change, Change::Added { .. }));
    /// assert_eq!(diff[0].to_string(), "+ extension citext");
    /// ```
    pub fn diff(&self, other: &Snapshot) -> Vec<Difference> {
        let mut out = Vec::new();
        let a = self;
        let b = other;
        keyed(&mut out, &a.schemas, &b.schemas, |s| {
            (
                s.name.clone(),
                ObjectKind::Schema,
                s.name.clone(),
                Object::Schema(s.clone()),
            )
        });
        keyed(&mut out, &a.extensions, &b.extensions, |e| {
            (
                e.name.clone(),
                ObjectKind::Extension,
                e.name.clone(),
                Object::Extension(e.clone()),
            )
        });
        keyed(&mut out, &a.types, &b.types, |t| {
            (
                qualified(&t.schema, &t.name),
                ObjectKind::Type,
                shown(&t.schema, &t.name),
                Object::Type(t.clone()),
            )
        });
        keyed(&mut out, &a.functions, &b.functions, |f| {
            let kind = if f.kind == "procedure" {
                ObjectKind::Procedure
            } else {
                ObjectKind::Function
            };
            let name = format!("{}({})", shown(&f.schema, &f.name), f.arguments);
            (
                format!("{}({})", qualified(&f.schema, &f.name), f.arguments),
                kind,
                name,
                Object::Function(f.clone()),
            )
        });
        keyed(&mut out, &a.sequences, &b.sequences, |s| {
            (
                qualified(&s.schema, &s.name),
                ObjectKind::Sequence,
                shown(&s.schema, &s.name),
                Object::Sequence(s.clone()),
            )
        });
        tables(&mut out, &a.tables, &b.tables);
        keyed(&mut out, &a.constraints, &b.constraints, |c| {
            (
                on(&c.schema, &c.table, &c.name),
                ObjectKind::Constraint,
                format!("{} on {}", c.name, shown(&c.schema, &c.table)),
                Object::Constraint(c.clone()),
            )
        });
        keyed(&mut out, &a.indexes, &b.indexes, |i| {
            (
                qualified(&i.schema, &i.name),
                ObjectKind::Index,
                shown(&i.schema, &i.name),
                Object::Index(i.clone()),
            )
        });
        keyed(&mut out, &a.views, &b.views, |v| {
            let kind = if v.materialized {
                ObjectKind::MaterializedView
            } else {
                ObjectKind::View
            };
            (
                qualified(&v.schema, &v.name),
                kind,
                shown(&v.schema, &v.name),
                Object::View(v.clone()),
            )
        });
        keyed(&mut out, &a.triggers, &b.triggers, |t| {
            (
                on(&t.schema, &t.table, &t.name),
                ObjectKind::Trigger,
                format!("{} on {}", t.name, shown(&t.schema, &t.table)),
                Object::Trigger(t.clone()),
            )
        });
        keyed(&mut out, &a.policies, &b.policies, |p| {
            (
                on(&p.schema, &p.table, &p.name),
                ObjectKind::Policy,
                format!("{} on {}", p.name, shown(&p.schema, &p.table)),
                Object::Policy(p.clone()),
            )
        });
        // Stable: within a kind, the order of identity the lists were walked in.
        out.sort_by_key(|d| d.kind);
        out
    }
}

/// `schema.name`, for matching (unambiguous: names are compared as pairs).
fn qualified(schema: &str, name: &str) -> String {
    format!("{schema}\u{0}{name}")
}

/// Identity of an object that lives on a table.
fn on(schema: &str, table: &str, name: &str) -> String {
    format!("{schema}\u{0}{table}\u{0}{name}")
}

/// How a name is shown: without the schema when it is `public`.
pub(super) fn shown(schema: &str, name: &str) -> String {
    if schema == "public" {
        name.to_owned()
    } else {
        format!("{schema}.{name}")
    }
}

/// Matches two lists by key: added, removed and changed objects, in key order.
fn keyed<T: PartialEq>(
    out: &mut Vec<Difference>,
    before: &[T],
    after: &[T],
    identify: impl Fn(&T) -> (String, ObjectKind, String, Object),
) {
    let index = |list: &[T]| -> BTreeMap<String, usize> {
        list.iter()
            .enumerate()
            .map(|(i, x)| (identify(x).0, i))
            .collect()
    };
    let (ia, ib) = (index(before), index(after));
    let mut keys: Vec<&String> = ia.keys().chain(ib.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        let change = match (
            ia.get(key).map(|&i| &before[i]),
            ib.get(key).map(|&i| &after[i]),
        ) {
            (Some(x), None) => {
                let (_, kind, name, before) = identify(x);
                Difference {
                    kind,
                    name,
                    change: Change::Removed { before },
                }
            }
            (None, Some(y)) => {
                let (_, kind, name, after) = identify(y);
                Difference {
                    kind,
                    name,
                    change: Change::Added { after },
                }
            }
            (Some(x), Some(y)) if x != y => {
                let (_, kind, name, before) = identify(x);
                let (_, _, _, after) = identify(y);
                Difference {
                    kind,
                    name,
                    change: Change::Changed { before, after },
                }
            }
            _ => continue,
        };
        out.push(change);
    }
}

/// Tables: whole tables added or removed; for a table on both sides, its
/// columns one by one, then the table's own properties and column order.
fn tables(out: &mut Vec<Difference>, before: &[Table], after: &[Table]) {
    let by_key = |list: &[Table]| -> BTreeMap<String, usize> {
        list.iter()
            .enumerate()
            .map(|(i, t)| (qualified(&t.schema, &t.name), i))
            .collect()
    };
    let (ia, ib) = (by_key(before), by_key(after));
    let table_diff = |t: &Table, change: Change| Difference {
        kind: ObjectKind::Table,
        name: shown(&t.schema, &t.name),
        change,
    };
    let mut keys: Vec<&String> = ia.keys().chain(ib.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        match (
            ia.get(key).map(|&i| &before[i]),
            ib.get(key).map(|&i| &after[i]),
        ) {
            (Some(x), None) => out.push(table_diff(
                x,
                Change::Removed {
                    before: Object::Table(x.clone()),
                },
            )),
            (None, Some(y)) => out.push(table_diff(
                y,
                Change::Added {
                    after: Object::Table(y.clone()),
                },
            )),
            (Some(x), Some(y)) if x != y => {
                let column_of = |t: &Table, c: &Column| ColumnOf {
                    schema: t.schema.clone(),
                    table: t.name.clone(),
                    column: c.clone(),
                };
                let cols = |t: &Table| {
                    t.columns
                        .iter()
                        .map(|c| (c.name.clone(), column_of(t, c)))
                        .collect::<Vec<_>>()
                };
                let (ca, cb) = (cols(x), cols(y));
                keyed(out, &ca, &cb, |(name, c)| {
                    (
                        name.clone(),
                        ObjectKind::Column,
                        format!("{}.{}", shown(&c.schema, &c.table), name),
                        Object::Column(c.clone()),
                    )
                });
                if own_properties_differ(x, y) {
                    out.push(table_diff(
                        x,
                        Change::Changed {
                            before: Object::Table(x.clone()),
                            after: Object::Table(y.clone()),
                        },
                    ));
                }
            }
            _ => {}
        }
    }
}

/// Whether two versions of a table differ in more than their columns'
/// contents and presence: flags, partitioning, comment, or the order of
/// the columns they share.
fn own_properties_differ(a: &Table, b: &Table) -> bool {
    let props = |t: &Table| Table {
        columns: Vec::new(),
        ..t.clone()
    };
    let (x, y) = shared_order(a, b);
    props(a) != props(b) || x != y
}

/// The order of the columns both versions of a table have, in each.
pub(super) fn shared_order(a: &Table, b: &Table) -> (Vec<String>, Vec<String>) {
    let names = |t: &Table, other: &Table| -> Vec<String> {
        t.columns
            .iter()
            .filter(|c| other.columns.iter().any(|o| o.name == c.name))
            .map(|c| c.name.clone())
            .collect()
    };
    (names(a, b), names(b, a))
}
