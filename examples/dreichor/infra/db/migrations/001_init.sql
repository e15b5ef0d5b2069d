-- Dreichor's core tables. Append-only: never edit an applied file.
CREATE TABLE decisions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    made_at     timestamptz NOT NULL DEFAULT now(),
    instrument  text NOT NULL,
    action      text NOT NULL CHECK (action IN ('buy', 'sell', 'hold'))
);
