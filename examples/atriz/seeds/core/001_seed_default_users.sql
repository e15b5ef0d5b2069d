-- Development accounts (seeds never run in a protected environment).
INSERT INTO users (id, email, password_hash, name, email_verified) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'admin@atriz.dev', '$2a$10$devonlydevonlydevonlydevonly', 'Admin User', true),
  ('00000000-0000-0000-0000-00000000000b', 'driver@atriz.dev', '$2a$10$devonlydevonlydevonlydevonly', 'Fleet Driver', true)
ON CONFLICT (email) DO NOTHING;
