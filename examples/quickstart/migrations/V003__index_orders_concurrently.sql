-- strata:no-transaction
--
-- CREATE INDEX CONCURRENTLY builds the index without blocking writes to
-- orders, but PostgreSQL refuses to run it inside a transaction block. The
-- directive above makes strata run this file outside a transaction,
-- statement by statement.
--
-- If the build fails, PostgreSQL leaves an INVALID index behind: drop it
-- (DROP INDEX CONCURRENTLY orders_user_id_created_at_idx) before retrying.
CREATE INDEX CONCURRENTLY orders_user_id_created_at_idx
    ON orders (user_id, created_at);
