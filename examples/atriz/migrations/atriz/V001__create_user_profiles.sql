-- migrate:up
-- user_id references users.id in atriz_shared: no foreign key across databases.
CREATE TABLE user_profiles (
  id SERIAL PRIMARY KEY,
  user_id UUID NOT NULL UNIQUE,
  display_name VARCHAR(100),
  bio TEXT
);

-- migrate:down
DROP TABLE user_profiles;
