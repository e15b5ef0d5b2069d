CREATE TABLE decision_memory (
    decision_id bigint PRIMARY KEY REFERENCES decisions (id),
    context     jsonb NOT NULL DEFAULT '{}'
);
