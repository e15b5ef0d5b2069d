-- migrate:up
CREATE TABLE auth_tokens (
  id BIGSERIAL PRIMARY KEY,
  user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  token_type VARCHAR(20) NOT NULL CHECK (token_type IN ('access', 'refresh')),
  token_hash TEXT NOT NULL,
  expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX idx_auth_tokens_user_id ON auth_tokens(user_id);

-- migrate:down
DROP TABLE auth_tokens;
