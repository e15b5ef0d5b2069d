CREATE TABLE sources (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_id  uuid NOT NULL REFERENCES research_tasks (id) ON DELETE CASCADE,
    url      text NOT NULL
);
CREATE INDEX sources_task_id_idx ON sources (task_id);
