-- Credits per user; the stack tests write here and `db clean` empties it.
CREATE TABLE billing_accounts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    balance_credits bigint NOT NULL DEFAULT 0 CHECK (balance_credits >= 0),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX billing_accounts_user_id_idx ON billing_accounts (user_id);
