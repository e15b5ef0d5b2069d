//! Each snapshot object as the SQL that creates it: what `strata schema
//! dump` shows a reviewer. Identifiers are quoted only where PostgreSQL
//! needs it (upper case, odd characters, a keyword), so the text reads
//! like hand-written DDL; deparsed parts (`pg_get_indexdef`, `format_type`
//! …) come quoted by the server already. Deterministic: the same object
//! always gives the same bytes.

use super::relations::Column;
use super::{
    Attribute, Constraint, Extension, Function, Index, Policy, Schema, Sequence, Table, Trigger,
    TypeBody, TypeDef, View,
};

/// Keywords that cannot be a bare name somewhere (PostgreSQL's reserved,
/// type/function-name and column-name categories): quoted, to be safe
/// everywhere a name appears.
#[rustfmt::skip]
pub(super) const KEYWORDS: &[&str] = &[
    "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric",
    "authorization", "between", "bigint", "binary", "bit", "boolean", "both", "case", "cast",
    "char", "character", "check", "coalesce", "collate", "collation", "column", "concurrently",
    "constraint", "create", "cross", "current_catalog", "current_date", "current_role",
    "current_schema", "current_time", "current_timestamp", "current_user", "dec", "decimal",
    "default", "deferrable", "desc", "distinct", "do", "else", "end", "except", "exists",
    "extract", "false", "fetch", "float", "for", "foreign", "freeze", "from", "full", "grant",
    "greatest", "group", "grouping", "having", "ilike", "in", "initially", "inner", "inout",
    "int", "integer", "intersect", "interval", "into", "is", "isnull", "join",
    "lateral", "leading", "least", "left", "like", "limit", "localtime", "localtimestamp",
    "national", "natural", "nchar", "none", "normalize", "not", "notnull", "null", "nullif",
    "numeric", "offset", "on", "only", "or", "order", "out", "outer", "overlaps", "overlay",
    "placing", "position", "precision", "primary", "real", "references", "returning", "right",
    "row", "select", "session_user", "setof", "similar", "smallint", "some", "substring",
    "symmetric", "system_user", "table", "tablesample", "then", "time", "timestamp", "to",
    "trailing", "treat", "trim", "true", "union", "unique", "user", "using", "values",
    "varchar", "variadic", "verbose", "when", "where", "window", "with",
];

/// A name as SQL: bare when PostgreSQL reads it back unchanged, else in
/// double quotes.
///
/// ```
/// use strata::schema::sql::ident;
/// assert_eq!(ident("orders"), "orders");
/// assert_eq!(ident("Orders"), "\"Orders\"");
/// assert_eq!(ident("user"), "\"user\"");
/// assert_eq!(ident("a\"b"), "\"a\"\"b\"");
/// ```
pub fn ident(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$')
        && KEYWORDS.binary_search(&name).is_err();
    if plain {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// `schema.name`, each part as [`ident`].
pub fn qualified(schema: &str, name: &str) -> String {
    format!("{}.{}", ident(schema), ident(name))
}

/// A string literal (`standard_conforming_strings` on: only `'` is doubled).
///
/// ```
/// assert_eq!(strata::schema::sql::literal("it's"), "'it''s'");
/// ```
pub fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn comment(out: &mut String, on: &str, comment: &Option<String>) {
    if let Some(c) = comment {
        out.push_str(&format!("\nCOMMENT ON {on} IS {};", literal(c)));
    }
}

/// `CREATE SCHEMA IF NOT EXISTS` (`public` exists in a new database).
pub fn schema(s: &Schema) -> String {
    let mut out = format!("CREATE SCHEMA IF NOT EXISTS {};", ident(&s.name));
    comment(&mut out, &format!("SCHEMA {}", ident(&s.name)), &s.comment);
    out
}

/// `CREATE EXTENSION IF NOT EXISTS … WITH SCHEMA …`.
pub fn extension(e: &Extension) -> String {
    format!(
        "CREATE EXTENSION IF NOT EXISTS {} WITH SCHEMA {};",
        ident(&e.name),
        ident(&e.schema)
    )
}

/// A composite type's attribute: `name type [COLLATE c]`.
pub fn attribute(a: &Attribute) -> String {
    let mut s = format!("{} {}", ident(&a.name), a.data_type);
    if let Some(c) = &a.collation {
        s.push_str(&format!(" COLLATE {c}"));
    }
    s
}

/// `CREATE TYPE` or `CREATE DOMAIN`.
pub fn type_def(t: &TypeDef) -> String {
    let name = qualified(&t.schema, &t.name);
    let mut out = match &t.definition {
        TypeBody::Enum { labels } => {
            let labels: Vec<String> = labels
                .iter()
                .map(|l| format!("    {}", literal(l)))
                .collect();
            format!("CREATE TYPE {name} AS ENUM (\n{}\n);", labels.join(",\n"))
        }
        TypeBody::Composite { attributes } => {
            let attrs: Vec<String> = attributes
                .iter()
                .map(|a| format!("    {}", attribute(a)))
                .collect();
            format!("CREATE TYPE {name} AS (\n{}\n);", attrs.join(",\n"))
        }
        TypeBody::Domain {
            base,
            not_null,
            default,
            collation,
            constraints,
        } => {
            let mut s = format!("CREATE DOMAIN {name} AS {base}");
            if let Some(c) = collation {
                s.push_str(&format!(" COLLATE {c}"));
            }
            if let Some(d) = default {
                s.push_str(&format!(" DEFAULT {d}"));
            }
            if *not_null {
                s.push_str(" NOT NULL");
            }
            for k in constraints {
                s.push_str(&format!(
                    "\n    CONSTRAINT {} {}",
                    ident(&k.name),
                    k.definition
                ));
            }
            s.push(';');
            s
        }
        TypeBody::Range {
            subtype,
            collation,
            subtype_diff,
            canonical,
        } => {
            let mut parts = vec![format!("SUBTYPE = {subtype}")];
            if let Some(c) = collation {
                parts.push(format!("COLLATION = {c}"));
            }
            if let Some(c) = canonical {
                parts.push(format!("CANONICAL = {c}"));
            }
            if let Some(d) = subtype_diff {
                parts.push(format!("SUBTYPE_DIFF = {d}"));
            }
            format!("CREATE TYPE {name} AS RANGE ({});", parts.join(", "))
        }
    };
    let kind = if matches!(t.definition, TypeBody::Domain { .. }) {
        "DOMAIN"
    } else {
        "TYPE"
    };
    comment(&mut out, &format!("{kind} {name}"), &t.comment);
    out
}

/// The function's own `CREATE OR REPLACE …` (`pg_get_functiondef`).
pub fn function(f: &Function) -> String {
    let mut out = format!("{};", f.definition.trim_end());
    let kind = if f.kind == "procedure" {
        "PROCEDURE"
    } else {
        "FUNCTION"
    };
    let on = format!("{kind} {}({})", qualified(&f.schema, &f.name), f.arguments);
    comment(&mut out, &on, &f.comment);
    out
}

/// `CREATE SEQUENCE` with every parameter spelt out (`OWNED BY` is
/// [`owned_by`], once the table exists).
pub fn sequence(s: &Sequence) -> String {
    let name = qualified(&s.schema, &s.name);
    let mut out = format!(
        "CREATE SEQUENCE {name} AS {} START WITH {} INCREMENT BY {} MINVALUE {} MAXVALUE {} CACHE {}{};",
        s.data_type,
        s.start,
        s.increment,
        s.min,
        s.max,
        s.cache,
        if s.cycle { " CYCLE" } else { " NO CYCLE" }
    );
    comment(&mut out, &format!("SEQUENCE {name}"), &s.comment);
    out
}

/// `ALTER SEQUENCE … OWNED BY …`, for a sequence that belongs to a column.
pub fn owned_by(s: &Sequence) -> Option<String> {
    s.owned_by.as_ref().map(|o| {
        format!(
            "ALTER SEQUENCE {} OWNED BY {}.{};",
            qualified(&s.schema, &s.name),
            qualified(&s.schema, &o.table),
            ident(&o.column)
        )
    })
}

fn column(c: &Column) -> String {
    let mut s = format!("{} {}", ident(&c.name), c.data_type);
    if let Some(coll) = &c.collation {
        s.push_str(&format!(" COLLATE {coll}"));
    }
    if let Some(g) = &c.generated {
        s.push_str(&format!(" GENERATED ALWAYS AS ({g}) STORED"));
    }
    if let Some(i) = &c.identity {
        s.push_str(&format!(" GENERATED {} AS IDENTITY", i.to_uppercase()));
        if let Some(o) = &c.identity_options {
            s.push_str(&format!(" ({o})"));
        }
    }
    if let Some(d) = &c.default {
        s.push_str(&format!(" DEFAULT {d}"));
    }
    if c.not_null {
        s.push_str(" NOT NULL");
    }
    s
}

/// `CREATE TABLE` with its columns in order, its row-level-security flags
/// and its comments (a partition is attached by [`attach`]).
pub fn table(t: &Table) -> String {
    let name = qualified(&t.schema, &t.name);
    let cols: Vec<String> = t
        .columns
        .iter()
        .map(|c| format!("    {}", column(c)))
        .collect();
    let mut out = format!(
        "CREATE {}TABLE {name} (\n{}\n){};",
        if t.unlogged { "UNLOGGED " } else { "" },
        cols.join(",\n"),
        t.partition_key
            .as_ref()
            .map(|k| format!(" PARTITION BY {k}"))
            .unwrap_or_default()
    );
    if t.rls_enabled {
        out.push_str(&format!("\nALTER TABLE {name} ENABLE ROW LEVEL SECURITY;"));
    }
    if t.rls_forced {
        out.push_str(&format!("\nALTER TABLE {name} FORCE ROW LEVEL SECURITY;"));
    }
    comment(&mut out, &format!("TABLE {name}"), &t.comment);
    for c in &t.columns {
        comment(
            &mut out,
            &format!("COLUMN {name}.{}", ident(&c.name)),
            &c.comment,
        );
    }
    out
}

/// `ALTER TABLE parent ATTACH PARTITION …`, for a partition.
pub fn attach(t: &Table) -> Option<String> {
    t.partition_of.as_ref().map(|p| {
        format!(
            "ALTER TABLE {} ATTACH PARTITION {} {};",
            p.parent,
            qualified(&t.schema, &t.name),
            p.bound
        )
    })
}

/// `ALTER TABLE … ADD CONSTRAINT …`.
pub fn constraint(c: &Constraint) -> String {
    let table = qualified(&c.schema, &c.table);
    let mut out = format!(
        "ALTER TABLE {table} ADD CONSTRAINT {} {};",
        ident(&c.name),
        c.definition
    );
    comment(
        &mut out,
        &format!("CONSTRAINT {} ON {table}", ident(&c.name)),
        &c.comment,
    );
    out
}

/// The index's `CREATE INDEX` (`pg_get_indexdef`); an invalid one says so.
pub fn index(i: &Index) -> String {
    let mut out = String::new();
    if !i.valid {
        out.push_str("-- INVALID (a failed CREATE INDEX CONCURRENTLY leaves one): drop it and create it again\n");
    }
    out.push_str(&format!("{};", i.definition));
    comment(
        &mut out,
        &format!("INDEX {}", qualified(&i.schema, &i.name)),
        &i.comment,
    );
    out
}

/// `CREATE [MATERIALIZED] VIEW … AS` its query (`pg_get_viewdef`).
pub fn view(v: &View) -> String {
    let kind = if v.materialized {
        "MATERIALIZED VIEW"
    } else {
        "VIEW"
    };
    let name = qualified(&v.schema, &v.name);
    let query = v.definition.trim_end().trim_end_matches(';');
    let mut out = format!("CREATE {kind} {name} AS\n{query};");
    comment(&mut out, &format!("{kind} {name}"), &v.comment);
    out
}

/// The trigger's `CREATE TRIGGER` (`pg_get_triggerdef`), and how it is
/// enabled when that is not the default.
pub fn trigger(t: &Trigger) -> String {
    let table = qualified(&t.schema, &t.table);
    let mut out = format!("{};", t.definition);
    let how = match t.enabled.as_str() {
        "disabled" => Some("DISABLE"),
        "replica" => Some("ENABLE REPLICA"),
        "always" => Some("ENABLE ALWAYS"),
        _ => None,
    };
    if let Some(how) = how {
        out.push_str(&format!(
            "\nALTER TABLE {table} {how} TRIGGER {};",
            ident(&t.name)
        ));
    }
    comment(
        &mut out,
        &format!("TRIGGER {} ON {table}", ident(&t.name)),
        &t.comment,
    );
    out
}

/// `CREATE POLICY`.
pub fn policy(p: &Policy) -> String {
    let table = qualified(&p.schema, &p.table);
    let roles: Vec<String> = p
        .roles
        .iter()
        .map(|r| {
            if r == "public" {
                "PUBLIC".to_owned()
            } else {
                ident(r)
            }
        })
        .collect();
    let mut out = format!(
        "CREATE POLICY {} ON {table} AS {} FOR {} TO {}",
        ident(&p.name),
        if p.permissive {
            "PERMISSIVE"
        } else {
            "RESTRICTIVE"
        },
        p.command,
        roles.join(", ")
    );
    if let Some(u) = &p.using {
        out.push_str(&format!(" USING ({u})"));
    }
    if let Some(w) = &p.with_check {
        out.push_str(&format!(" WITH CHECK ({w})"));
    }
    out.push(';');
    comment(
        &mut out,
        &format!("POLICY {} ON {table}", ident(&p.name)),
        &p.comment,
    );
    out
}
