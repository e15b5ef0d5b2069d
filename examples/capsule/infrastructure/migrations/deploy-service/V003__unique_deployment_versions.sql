-- V003__unique_deployment_versions.sql
-- Description: one deployment per project and version.
-- Built CONCURRENTLY so deployments keep being written meanwhile; a file of
-- only this statement runs outside a transaction by itself (as Flyway does).
-- If existing rows are duplicates it fails and leaves an INVALID index:
-- drop it, fix the data, `strata repair`, migrate again.
-- Rollback: DROP INDEX CONCURRENTLY deployments_project_version_key;

CREATE UNIQUE INDEX CONCURRENTLY deployments_project_version_key
    ON deployments (project_id, version);
