//! Unit tests of normalization, the diff and its lines, identifier
//! quoting, and reading a dump back — no database.
#![allow(clippy::unwrap_used)]

use super::*;

fn column(name: &str, data_type: &str) -> Column {
    Column {
        name: name.into(),
        data_type: data_type.into(),
        not_null: false,
        default: None,
        generated: None,
        identity: None,
        identity_options: None,
        collation: None,
        comment: None,
    }
}

fn table(name: &str, columns: Vec<Column>) -> Table {
    Table {
        schema: "public".into(),
        name: name.into(),
        columns,
        unlogged: false,
        partition_key: None,
        partition_of: None,
        rls_enabled: false,
        rls_forced: false,
        comment: None,
    }
}

fn index(schema: &str, name: &str, definition: &str) -> Index {
    Index {
        schema: schema.into(),
        name: name.into(),
        table: "orders".into(),
        definition: definition.into(),
        valid: true,
        comment: None,
    }
}

fn with_tables(tables: Vec<Table>) -> Snapshot {
    Snapshot {
        server_major: 15,
        tables,
        ..Default::default()
    }
}

fn lines(a: &Snapshot, b: &Snapshot) -> Vec<String> {
    a.diff(b).iter().map(ToString::to_string).collect()
}

#[test]
fn normalizing_sorts_by_identity_in_byte_order_and_keeps_column_order() {
    let mut a = with_tables(vec![
        table("b", vec![column("z", "int"), column("a", "int")]),
        table("B", vec![]),
        table("a", vec![]),
    ]);
    a.indexes = vec![index("public", "i2", "x"), index("app", "i9", "y")];
    a.policies = vec![Policy {
        schema: "public".into(),
        table: "b".into(),
        name: "p".into(),
        command: "ALL".into(),
        permissive: true,
        roles: vec!["writer".into(), "reader".into()],
        using: None,
        with_check: None,
        comment: None,
    }];
    a.normalize();
    let names: Vec<&str> = a.tables.iter().map(|t| t.name.as_str()).collect();
    // Byte order: upper case first, never a collation's order.
    assert_eq!(names, ["B", "a", "b"]);
    let cols: Vec<&str> = a.tables[2]
        .columns
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(cols, ["z", "a"]);
    assert_eq!(a.indexes[0].schema, "app");
    assert_eq!(a.policies[0].roles, ["reader", "writer"]);
}

#[test]
fn diff_reports_added_removed_and_changed_with_both_versions() {
    let mut before = with_tables(vec![
        table("orders", vec![column("id", "integer")]),
        table("gone", vec![]),
    ]);
    before.indexes = vec![index("public", "orders_total_idx", "CREATE INDEX a")];
    let mut after = with_tables(vec![table(
        "orders",
        vec![column("id", "integer"), column("note", "text")],
    )]);
    after.indexes = vec![
        index("public", "orders_customer_idx", "CREATE INDEX c"),
        index("public", "orders_total_idx", "CREATE INDEX b"),
    ];
    let diff = before.diff(&after);
    assert_eq!(
        lines(&before, &after),
        [
            "- table gone",
            "+ table orders.note (text)",
            "+ index orders_customer_idx",
            "~ index orders_total_idx: CREATE INDEX a → CREATE INDEX b",
        ]
    );
    assert_eq!(diff[1].kind, ObjectKind::Column);
    match &diff[3].change {
        Change::Changed {
            before: Object::Index(b),
            after: Object::Index(a),
        } => assert_eq!(
            (b.definition.as_str(), a.definition.as_str()),
            ("CREATE INDEX a", "CREATE INDEX b")
        ),
        other => panic!("{other:?}"),
    }
    // And the other way round.
    assert_eq!(
        lines(&after, &before)[..2],
        ["+ table gone", "- table orders.note (text)"]
    );
}

#[test]
fn a_changed_column_says_what_changed_and_equal_snapshots_have_no_difference() {
    let mut email = column("email", "character varying(100)");
    let before = with_tables(vec![table("users", vec![email.clone()])]);
    email.data_type = "text".into();
    email.not_null = true;
    email.default = Some("''::text".into());
    let after = with_tables(vec![table("users", vec![email])]);
    assert_eq!(
        lines(&before, &after),
        [
            "~ column users.email: character varying(100) → text; nullable → not null; default none → ''::text"
        ]
    );
    assert!(before.diff(&before.clone()).is_empty());
    // The server's major version is not a difference in the schema.
    let other_major = Snapshot {
        server_major: 16,
        ..before.clone()
    };
    assert!(before.diff(&other_major).is_empty());
}

#[test]
fn column_order_is_a_difference_of_the_table() {
    let before = with_tables(vec![table(
        "t",
        vec![column("a", "int"), column("b", "int")],
    )]);
    let after = with_tables(vec![table(
        "t",
        vec![column("b", "int"), column("a", "int")],
    )]);
    let diff = before.diff(&after);
    assert_eq!(diff.len(), 1);
    assert_eq!(diff[0].kind, ObjectKind::Table);
    assert_eq!(
        diff[0].to_string(),
        "~ table t: column order (a, b) → (b, a)"
    );
}

#[test]
fn names_outside_public_are_shown_with_their_schema() {
    let before = Snapshot::default();
    let after = Snapshot {
        indexes: vec![index("app", "x_idx", "CREATE INDEX x_idx")],
        constraints: vec![Constraint {
            schema: "app".into(),
            table: "orders".into(),
            name: "orders_pkey".into(),
            kind: "primary key".into(),
            definition: "PRIMARY KEY (id)".into(),
            comment: None,
        }],
        ..Default::default()
    };
    assert_eq!(
        lines(&before, &after),
        [
            "+ constraint orders_pkey on app.orders",
            "+ index app.x_idx"
        ]
    );
}

#[test]
fn differences_serialize_with_kind_change_and_versions() {
    let before = Snapshot::default();
    let after = with_tables(vec![table("t", vec![])]);
    let json = serde_json::to_value(before.diff(&after)).unwrap();
    assert_eq!(json[0]["kind"], "table");
    assert_eq!(json[0]["name"], "t");
    assert_eq!(json[0]["change"], "added");
    assert_eq!(json[0]["after"]["name"], "t");
}

#[test]
fn identifiers_are_quoted_only_where_needed() {
    assert!(sql::ident("orders") == "orders" && sql::ident("order") == "\"order\"");
    assert_eq!(sql::ident("1st"), "\"1st\"");
    assert_eq!(sql::ident("café"), "\"café\"");
    assert_eq!(sql::qualified("App", "t"), "\"App\".t");
}

#[test]
fn the_keyword_list_is_sorted_for_its_binary_search() {
    assert!(sql::KEYWORDS.windows(2).all(|w| w[0] < w[1]));
    for w in ["all", "with", "user", "table", "between", "varchar"] {
        assert!(sql::ident(w).starts_with('"'), "{w}");
    }
}

#[test]
fn a_dump_round_trips_and_a_hand_edit_is_an_error_naming_its_line() {
    let mut s = with_tables(vec![table("orders", vec![column("id", "integer")])]);
    s.indexes = vec![index(
        "public",
        "orders_idx",
        "CREATE INDEX orders_idx ON public.orders USING btree (id)",
    )];
    s.normalize();
    let text = s.to_dump("main");
    assert_eq!(Snapshot::from_dump(&text).unwrap(), s);
    assert_eq!(Snapshot::from_dump(&format!("\u{feff}{text}")).unwrap(), s);

    let edited = text.replace("    id integer", "    id bigint");
    let line = text.lines().position(|l| l == "    id integer").unwrap() + 1;
    assert_eq!(
        Snapshot::from_dump(&edited),
        Err(DumpError::Edited { line })
    );

    let broken = text.replace("-- strata: {\"table\"", "-- strata: {\"tabel\"");
    assert!(matches!(
        Snapshot::from_dump(&broken),
        Err(DumpError::Record { .. })
    ));

    let later = text.replace("format 1", "format 2");
    assert_eq!(
        Snapshot::from_dump(&later),
        Err(DumpError::UnsupportedFormat {
            found: "2".into(),
            supported: 1
        })
    );
    assert_eq!(Snapshot::from_dump(""), Err(DumpError::NotADump));
    let no_header = text.replace("-- database: main\n", "");
    assert!(matches!(
        Snapshot::from_dump(&no_header),
        Err(DumpError::Header { line: 2, .. })
    ));
}
