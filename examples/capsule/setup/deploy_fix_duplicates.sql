-- After V003 failed: drop the INVALID index it left, keep the latest row of
-- each duplicated (project, version). Statements run one by one (psql's
-- autocommit), as DROP INDEX CONCURRENTLY requires.

\set ON_ERROR_STOP on
DROP INDEX CONCURRENTLY IF EXISTS deployments_project_version_key;
DELETE FROM deployments d
    USING deployments newer
    WHERE d.project_id = newer.project_id
      AND d.version = newer.version
      AND d.id < newer.id;
