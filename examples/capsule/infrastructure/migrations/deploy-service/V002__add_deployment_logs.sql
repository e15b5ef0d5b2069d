-- V002__add_deployment_logs.sql
-- Rollback: DROP TABLE deployment_logs;

CREATE TABLE deployment_logs (
    id BIGSERIAL PRIMARY KEY,
    deployment_id INTEGER NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
    logged_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    line TEXT NOT NULL
);

CREATE INDEX idx_deployment_logs_deployment ON deployment_logs(deployment_id, logged_at);
