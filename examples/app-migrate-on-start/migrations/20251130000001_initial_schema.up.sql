CREATE TABLE research_tasks (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    query      text NOT NULL,
    status     text NOT NULL DEFAULT 'pending',
    created_at timestamptz NOT NULL DEFAULT now()
);
