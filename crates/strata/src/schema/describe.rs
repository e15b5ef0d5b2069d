//! How a [`Difference`] reads: one line, `+` added, `-` removed, `~`
//! changed, the kind, the name, and for a change what changed from → to
//! (`~ column users.email: character varying(100) → text`). An added or
//! removed column reads as part of its table, as SPEC §11 writes it:
//! `+ table orders.note (text)`. Long definitions (a function's, a view's)
//! are not repeated on the line: it says `definition changed`, and both
//! versions are in the difference's data (`--json`).

use std::fmt;

use super::diff::{Change, Difference, Object, ObjectKind, shared_order};
use super::{Table, TypeBody};

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ObjectKind::Schema => "schema",
            ObjectKind::Extension => "extension",
            ObjectKind::Type => "type",
            ObjectKind::Function => "function",
            ObjectKind::Procedure => "procedure",
            ObjectKind::Sequence => "sequence",
            ObjectKind::Table => "table",
            ObjectKind::Column => "column",
            ObjectKind::Constraint => "constraint",
            ObjectKind::Index => "index",
            ObjectKind::View => "view",
            ObjectKind::MaterializedView => "materialized view",
            ObjectKind::Trigger => "trigger",
            ObjectKind::Policy => "policy",
        })
    }
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.change {
            Change::Added { after } => one_side(f, '+', self, after),
            Change::Removed { before } => one_side(f, '-', self, before),
            Change::Changed { before, after } => {
                let details = changes(before, after);
                write!(f, "~ {} {}", self.kind, self.name)?;
                if details.is_empty() {
                    Ok(())
                } else {
                    write!(f, ": {}", details.join("; "))
                }
            }
        }
    }
}

fn one_side(f: &mut fmt::Formatter<'_>, sign: char, d: &Difference, o: &Object) -> fmt::Result {
    match o {
        Object::Column(c) => write!(f, "{sign} table {} ({})", d.name, c.column.data_type),
        _ => write!(f, "{sign} {} {}", d.kind, d.name),
    }
}

/// `label a → b` for each field that differs.
#[derive(Default)]
struct Changes(Vec<String>);

impl Changes {
    fn text(&mut self, label: &str, a: &str, b: &str) {
        if a != b {
            self.0.push(if label.is_empty() {
                format!("{a} → {b}")
            } else {
                format!("{label} {a} → {b}")
            });
        }
    }

    fn opt(&mut self, label: &str, a: &Option<String>, b: &Option<String>) {
        let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "none".to_owned());
        self.text(label, &show(a), &show(b));
    }

    fn flag(&mut self, label: &str, a: bool, b: bool) {
        let show = |v: bool| if v { "on" } else { "off" };
        self.text(label, show(a), show(b));
    }

    fn num(&mut self, label: &str, a: i64, b: i64) {
        self.text(label, &a.to_string(), &b.to_string());
    }

    /// A long text: only says that it changed.
    fn long(&mut self, label: &str, a: &str, b: &str) {
        if a != b {
            self.0.push(format!("{label} changed"));
        }
    }

    fn list(&mut self, label: &str, a: &[String], b: &[String]) {
        self.text(
            label,
            &format!("({})", a.join(", ")),
            &format!("({})", b.join(", ")),
        );
    }
}

fn changes(before: &Object, after: &Object) -> Vec<String> {
    let mut c = Changes::default();
    match (before, after) {
        (Object::Schema(a), Object::Schema(b)) => c.opt("comment", &a.comment, &b.comment),
        (Object::Extension(a), Object::Extension(b)) => c.text("schema", &a.schema, &b.schema),
        (Object::Type(a), Object::Type(b)) => {
            types(&mut c, &a.definition, &b.definition);
            c.opt("comment", &a.comment, &b.comment);
        }
        (Object::Function(a), Object::Function(b)) => {
            c.long("definition", &a.definition, &b.definition);
            c.opt("comment", &a.comment, &b.comment);
        }
        (Object::Sequence(a), Object::Sequence(b)) => {
            c.text("type", &a.data_type, &b.data_type);
            c.num("start", a.start, b.start);
            c.num("increment", a.increment, b.increment);
            c.num("minvalue", a.min, b.min);
            c.num("maxvalue", a.max, b.max);
            c.num("cache", a.cache, b.cache);
            c.flag("cycle", a.cycle, b.cycle);
            let owner = |s: &super::Sequence| {
                s.owned_by
                    .as_ref()
                    .map(|o| format!("{}.{}", o.table, o.column))
            };
            c.opt("owned by", &owner(a), &owner(b));
            c.opt("comment", &a.comment, &b.comment);
        }
        (Object::Table(a), Object::Table(b)) => {
            c.flag("unlogged", a.unlogged, b.unlogged);
            c.opt("partition by", &a.partition_key, &b.partition_key);
            let part = |t: &Table| {
                t.partition_of
                    .as_ref()
                    .map(|p| format!("{} {}", p.parent, p.bound))
            };
            c.opt("partition of", &part(a), &part(b));
            c.flag("row level security", a.rls_enabled, b.rls_enabled);
            c.flag("forced row level security", a.rls_forced, b.rls_forced);
            c.opt("comment", &a.comment, &b.comment);
            let (x, y) = shared_order(a, b);
            c.list("column order", &x, &y);
        }
        (Object::Column(a), Object::Column(b)) => {
            let (a, b) = (&a.column, &b.column);
            c.text("", &a.data_type, &b.data_type);
            let null = |n: bool| if n { "not null" } else { "nullable" };
            c.text("", null(a.not_null), null(b.not_null));
            c.opt("default", &a.default, &b.default);
            c.opt("generated", &a.generated, &b.generated);
            c.opt("identity", &a.identity, &b.identity);
            c.opt("identity options", &a.identity_options, &b.identity_options);
            c.opt("collation", &a.collation, &b.collation);
            c.opt("comment", &a.comment, &b.comment);
        }
        (Object::Constraint(a), Object::Constraint(b)) => {
            c.text("", &a.definition, &b.definition);
            c.opt("comment", &a.comment, &b.comment);
        }
        (Object::Index(a), Object::Index(b)) => {
            c.text("", &a.definition, &b.definition);
            c.flag("valid", a.valid, b.valid);
            c.opt("comment", &a.comment, &b.comment);
        }
        (Object::View(a), Object::View(b)) => {
            c.flag("materialized", a.materialized, b.materialized);
            c.long("definition", &a.definition, &b.definition);
            c.opt("comment", &a.comment, &b.comment);
        }
        (Object::Trigger(a), Object::Trigger(b)) => {
            c.text("", &a.definition, &b.definition);
            c.text("", &a.enabled, &b.enabled);
            c.opt("comment", &a.comment, &b.comment);
        }
        (Object::Policy(a), Object::Policy(b)) => {
            c.text("command", &a.command, &b.command);
            c.flag("permissive", a.permissive, b.permissive);
            c.list("roles", &a.roles, &b.roles);
            c.opt("using", &a.using, &b.using);
            c.opt("with check", &a.with_check, &b.with_check);
            c.opt("comment", &a.comment, &b.comment);
        }
        _ => c.0.push("kind changed".to_owned()),
    }
    c.0
}

fn types(c: &mut Changes, a: &TypeBody, b: &TypeBody) {
    match (a, b) {
        (TypeBody::Enum { labels: x }, TypeBody::Enum { labels: y }) => {
            let quoted =
                |l: &[String]| l.iter().map(|s| super::sql::literal(s)).collect::<Vec<_>>();
            c.list("labels", &quoted(x), &quoted(y));
        }
        (TypeBody::Composite { attributes: x }, TypeBody::Composite { attributes: y }) => {
            let shown =
                |l: &[super::Attribute]| l.iter().map(super::sql::attribute).collect::<Vec<_>>();
            c.list("attributes", &shown(x), &shown(y));
        }
        (
            TypeBody::Domain {
                base: b1,
                not_null: n1,
                default: d1,
                collation: c1,
                constraints: k1,
            },
            TypeBody::Domain {
                base: b2,
                not_null: n2,
                default: d2,
                collation: c2,
                constraints: k2,
            },
        ) => {
            c.text("", b1, b2);
            c.flag("not null", *n1, *n2);
            c.opt("default", d1, d2);
            c.opt("collation", c1, c2);
            let shown = |l: &[super::DomainConstraint]| {
                l.iter()
                    .map(|k| format!("{} {}", k.name, k.definition))
                    .collect::<Vec<_>>()
            };
            c.list("constraints", &shown(k1), &shown(k2));
        }
        (
            TypeBody::Range {
                subtype: s1,
                collation: c1,
                subtype_diff: d1,
                canonical: k1,
            },
            TypeBody::Range {
                subtype: s2,
                collation: c2,
                subtype_diff: d2,
                canonical: k2,
            },
        ) => {
            c.text("subtype", s1, s2);
            c.opt("collation", c1, c2);
            c.opt("subtype_diff", d1, d2);
            c.opt("canonical", k1, k2);
        }
        _ => c.0.push(format!("{} → {}", type_kind(a), type_kind(b))),
    }
}

fn type_kind(t: &TypeBody) -> &'static str {
    match t {
        TypeBody::Enum { .. } => "enum",
        TypeBody::Composite { .. } => "composite",
        TypeBody::Domain { .. } => "domain",
        TypeBody::Range { .. } => "range",
    }
}
