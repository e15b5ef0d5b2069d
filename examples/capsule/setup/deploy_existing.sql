-- The deploy database as it was made by hand before any migration tool:
-- the deployments table of V001, with rows, two of them the same project
-- and version (which V003's unique index will refuse).

\set ON_ERROR_STOP on
\ir ../infrastructure/migrations/deploy-service/V001__create_deployments_table.sql

INSERT INTO deployments (project_id, version, status) VALUES
    (1, 'v1.0.0', 'succeeded'),
    (1, 'v1.1.0', 'failed'),
    (1, 'v1.1.0', 'succeeded'),
    (2, 'v0.1.0', 'succeeded');
