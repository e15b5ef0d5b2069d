-- The app's accounts.
CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    wallet_address text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
);
