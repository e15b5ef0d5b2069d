//! Normalization: what makes two snapshots of equal schemas byte-identical
//! whatever order their objects were created in. Every list is sorted by
//! its objects' identity (schema, then table where there is one, then name,
//! then a function's arguments), by byte order of the names — never by a
//! collation or an OID, both of which differ between servers. A table's
//! columns, a composite's attributes and an enum's labels keep their order:
//! it is part of the object. Sets inside an object (a policy's roles, a
//! domain's constraints) are sorted too.

use super::Snapshot;

impl Snapshot {
    /// Puts every list in its canonical order (see the module docs).
    /// [`super::snapshot`] and [`Snapshot::from_dump`] return normalized
    /// snapshots; call this after building or editing one by hand.
    ///
    /// ```
    /// use strata::schema::{Extension, Snapshot};
    ///
    /// let ext = |name: &str| Extension { name: name.into(), schema: "public".into() };
    /// let mut a = Snapshot { extensions: vec![ext("pgcrypto"), ext("citext")], ..Default::default() };
    /// let mut b = Snapshot { extensions: vec![ext("citext"), ext("pgcrypto")], ..Default::default() };
    /// a.normalize();
    /// b.normalize();
    /// assert_eq!(serde_json::to_string(&a).unwrap(), serde_json::to_string(&b).unwrap());
    /// ```
    pub fn normalize(&mut self) {
        self.schemas.sort_by(|a, b| a.name.cmp(&b.name));
        self.extensions.sort_by(|a, b| a.name.cmp(&b.name));
        self.types
            .sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
        for t in &mut self.types {
            if let super::TypeBody::Domain { constraints, .. } = &mut t.definition {
                constraints.sort_by(|a, b| a.name.cmp(&b.name));
            }
        }
        self.functions.sort_by(|a, b| {
            (&a.schema, &a.name, &a.arguments).cmp(&(&b.schema, &b.name, &b.arguments))
        });
        self.sequences
            .sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
        self.tables
            .sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
        self.constraints
            .sort_by(|a, b| (&a.schema, &a.table, &a.name).cmp(&(&b.schema, &b.table, &b.name)));
        self.indexes
            .sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
        self.views
            .sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
        self.triggers
            .sort_by(|a, b| (&a.schema, &a.table, &a.name).cmp(&(&b.schema, &b.table, &b.name)));
        for p in &mut self.policies {
            p.roles.sort();
        }
        self.policies
            .sort_by(|a, b| (&a.schema, &a.table, &a.name).cmp(&(&b.schema, &b.table, &b.name)));
    }
}
