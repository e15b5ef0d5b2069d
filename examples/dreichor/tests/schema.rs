//! `schema.sql` is what the migrations make: they are applied to an empty
//! database, the schema is dumped exactly as `strata schema dump --out`
//! writes it (same snapshot, same database name, same scope), and the text
//! must equal the committed file. Fails when a migration was added or
//! changed without regenerating the dump (README: "A new migration").
#![allow(clippy::unwrap_used)]

use std::path::Path;

use strata::config::Project;
use strata::migrator::Migrator;
use strata::schema::{Dump, Scope};
use strata::source::Migrations;

#[tokio::test]
async fn schema_sql_is_what_the_migrations_make() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let project = Project::from_toml(
        &std::fs::read_to_string(root.join("strata.toml")).unwrap(),
        &root.join("strata.toml"),
    )
    .unwrap();
    let db_config = &project.databases()[0];
    let migrations = Migrations::from_dir(&root.join("infra/db/migrations")).unwrap();

    let db = strata_testkit::fresh_db("dreichor_schema_sql").await;
    let client = db.client().await;
    Migrator::new(&migrations, db_config.history_table.clone())
        .run(&client, &mut |_| {})
        .await
        .unwrap();
    let live = strata::schema::snapshot(&client, &Scope::of(db_config))
        .await
        .unwrap();
    let regenerated = live.to_dump(&db_config.name);

    let committed = std::fs::read_to_string(root.join("schema.sql")).unwrap();
    if committed != regenerated {
        let lines: Vec<String> = match Dump::parse(&committed) {
            Ok(d) => d
                .snapshot
                .diff(&live)
                .iter()
                .map(ToString::to_string)
                .collect(),
            Err(e) => vec![e.to_string()],
        };
        panic!(
            "examples/dreichor/schema.sql is stale; regenerate it (`infra/db/migrate.sh dev`, \
             then `strata schema dump --out schema.sql`) and commit it:\n  {}",
            lines.join("\n  ")
        );
    }
}
