-- The auth database as Flyway 9 left it: V001 and V002 applied, recorded in
-- flyway_schema_history. Run once, before adopting that history with
-- `strata baseline --from flyway --db auth` (see the README).

\set ON_ERROR_STOP on
\ir ../infrastructure/migrations/auth-service/V001__create_users_table.sql
\ir ../infrastructure/migrations/auth-service/V002__add_user_roles.sql

CREATE TABLE flyway_schema_history (
    installed_rank INTEGER NOT NULL PRIMARY KEY,
    version VARCHAR(50),
    description VARCHAR(200) NOT NULL,
    type VARCHAR(20) NOT NULL,
    script VARCHAR(1000) NOT NULL,
    checksum INTEGER,
    installed_by VARCHAR(100) NOT NULL,
    installed_on TIMESTAMP NOT NULL DEFAULT now(),
    execution_time INTEGER NOT NULL,
    success BOOLEAN NOT NULL
);
CREATE INDEX flyway_schema_history_s_idx ON flyway_schema_history (success);

INSERT INTO flyway_schema_history
    (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)
VALUES
    (1, '001', 'create users table', 'SQL', 'V001__create_users_table.sql', -1512315468, current_user, 41, true),
    (2, '002', 'add user roles', 'SQL', 'V002__add_user_roles.sql', 873245140, current_user, 17, true);
