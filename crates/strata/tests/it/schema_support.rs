//! Shared by the schema tests: a schema with one object of every kind SPEC
//! §11 lists, written two ways (statement order, inline vs `ALTER TABLE`,
//! index before vs after data, columns shifted by a dropped one), and a
//! snapshot helper.
#![allow(clippy::unwrap_used)]

use strata::schema::{Scope, Snapshot};
use strata_testkit::TestDb;

/// The schema, written the first way: everything inline, data before the
/// indexes.
pub const ONE_WAY: &str = r#"
CREATE EXTENSION IF NOT EXISTS citext;
CREATE SCHEMA app;
COMMENT ON SCHEMA app IS 'application objects';
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TYPE app.pair AS (a integer, b text COLLATE "C");
CREATE DOMAIN positive AS integer NOT NULL DEFAULT 1 CONSTRAINT positive_check CHECK (VALUE > 0);
CREATE TYPE floatrange AS RANGE (subtype = float8, subtype_diff = float8mi);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN NEW.updated_at := now(); RETURN NEW; END$$;
COMMENT ON FUNCTION touch() IS 'sets updated_at';
CREATE PROCEDURE app.noop(n integer) LANGUAGE sql AS $$SELECT 1$$;
CREATE SEQUENCE invoice_no START WITH 1000 INCREMENT BY 10 CACHE 5;
CREATE TABLE customers (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email citext NOT NULL UNIQUE,
    name text COLLATE "C",
    feeling mood DEFAULT 'ok',
    score positive,
    updated_at timestamptz
);
COMMENT ON TABLE customers IS 'who buys';
COMMENT ON COLUMN customers.email IS 'login';
CREATE TABLE orders (
    id serial PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    total numeric(10,2) NOT NULL CHECK (total >= 0),
    total_cents bigint GENERATED ALWAYS AS ((total * 100)::bigint) STORED,
    invoice integer DEFAULT nextval('invoice_no'),
    placed_at timestamptz NOT NULL DEFAULT now()
);
ALTER SEQUENCE invoice_no OWNED BY orders.invoice;
INSERT INTO customers (email, name) VALUES ('a@example.com', 'A');
CREATE INDEX orders_customer_idx ON orders (customer_id);
CREATE UNIQUE INDEX customers_lower_name_idx ON customers (lower(name)) WHERE name IS NOT NULL;
CREATE TABLE events (id int NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 100;
COMMENT ON VIEW big_orders IS 'over 100';
CREATE MATERIALIZED VIEW app.order_totals AS SELECT customer_id, sum(total) AS total FROM public.orders GROUP BY customer_id;
CREATE INDEX order_totals_customer_idx ON app.order_totals (customer_id);
CREATE TRIGGER customers_touch BEFORE UPDATE ON customers FOR EACH ROW EXECUTE FUNCTION touch();
ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_orders ON orders FOR SELECT TO PUBLIC USING (customer_id > 0);
"#;

/// The same schema, written another way: other statement order,
/// constraints added by `ALTER TABLE`, indexes before data, a column added
/// and dropped in between (other attnums, same column order).
pub const OTHER_WAY: &str = r#"
CREATE SCHEMA app;
CREATE EXTENSION citext;
CREATE TYPE floatrange AS RANGE (subtype = float8, subtype_diff = float8mi);
CREATE DOMAIN positive AS integer DEFAULT 1 NOT NULL;
ALTER DOMAIN positive ADD CONSTRAINT positive_check CHECK (VALUE > 0);
CREATE TYPE mood AS ENUM ('sad', 'happy');
ALTER TYPE mood ADD VALUE 'ok' BEFORE 'happy';
CREATE TYPE app.pair AS (a integer, b text COLLATE "C");
CREATE PROCEDURE app.noop(n integer) LANGUAGE sql AS $$SELECT 1$$;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN NEW.updated_at := now(); RETURN NEW; END$$;
CREATE TABLE customers (id bigint NOT NULL, dropped int, email citext NOT NULL);
ALTER TABLE customers DROP COLUMN dropped;
ALTER TABLE customers ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY;
ALTER TABLE customers ADD COLUMN name text COLLATE "C",
    ADD COLUMN feeling mood DEFAULT 'ok', ADD COLUMN score positive, ADD COLUMN updated_at timestamptz;
ALTER TABLE customers ADD CONSTRAINT customers_pkey PRIMARY KEY (id);
ALTER TABLE customers ADD CONSTRAINT customers_email_key UNIQUE (email);
CREATE UNIQUE INDEX customers_lower_name_idx ON customers (lower(name)) WHERE name IS NOT NULL;
CREATE TABLE events (id int NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE events_2026 (id int NOT NULL, at date NOT NULL);
ALTER TABLE events ATTACH PARTITION events_2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE SEQUENCE orders_id_seq AS integer;
CREATE SEQUENCE invoice_no INCREMENT BY 10 START WITH 1000 CACHE 5;
CREATE TABLE orders (
    id integer NOT NULL DEFAULT nextval('orders_id_seq'),
    customer_id bigint NOT NULL,
    total numeric(10,2) NOT NULL,
    total_cents bigint GENERATED ALWAYS AS ((total * 100)::bigint) STORED,
    invoice integer DEFAULT nextval('invoice_no'),
    placed_at timestamptz DEFAULT now()
);
ALTER TABLE orders ALTER COLUMN placed_at SET NOT NULL;
ALTER SEQUENCE orders_id_seq OWNED BY orders.id;
ALTER SEQUENCE invoice_no OWNED BY orders.invoice;
CREATE INDEX orders_customer_idx ON orders (customer_id);
ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0);
ALTER TABLE orders ADD CONSTRAINT orders_pkey PRIMARY KEY (id);
ALTER TABLE orders ADD CONSTRAINT orders_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE;
CREATE POLICY own_orders ON orders FOR SELECT USING (customer_id > 0);
ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
CREATE MATERIALIZED VIEW app.order_totals AS SELECT customer_id, sum(total) AS total FROM public.orders GROUP BY customer_id;
CREATE INDEX order_totals_customer_idx ON app.order_totals (customer_id);
CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 100;
CREATE TRIGGER customers_touch BEFORE UPDATE ON customers FOR EACH ROW EXECUTE FUNCTION touch();
INSERT INTO customers (email, name) VALUES ('a@example.com', 'A');
COMMENT ON FUNCTION touch() IS 'sets updated_at';
COMMENT ON VIEW big_orders IS 'over 100';
COMMENT ON COLUMN customers.email IS 'login';
COMMENT ON TABLE customers IS 'who buys';
COMMENT ON SCHEMA app IS 'application objects';
"#;

/// The schemas both ways use.
pub fn scope() -> Scope {
    Scope::new(["public", "app"])
}

/// A fresh database with `sql` run in it, statement by statement (each
/// its own transaction, as `ALTER TYPE … ADD VALUE` needs).
pub async fn built(hint: &str, sql: &str) -> TestDb {
    let db = strata_testkit::fresh_db(hint).await;
    run(&db, sql).await;
    db
}

/// Runs `sql` on `db`, one statement (ending in `;` at a line end) at a time.
pub async fn run(db: &TestDb, sql: &str) {
    let client = db.client().await;
    for statement in sql.split(";\n").filter(|s| !s.trim().is_empty()) {
        client
            .batch_execute(statement)
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e:?}"));
    }
}

/// The snapshot of `db` in [`scope`].
pub async fn snap(db: &TestDb) -> Snapshot {
    strata::schema::snapshot(&db.client().await, &scope())
        .await
        .unwrap()
}
