-- V002__add_project_settings.sql
-- Rollback: DROP TABLE project_settings;

CREATE TABLE project_settings (
    project_id INTEGER PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
    default_branch VARCHAR(100) NOT NULL DEFAULT 'main',
    auto_deploy BOOLEAN NOT NULL DEFAULT false,
    settings JSONB NOT NULL DEFAULT '{}'
);
