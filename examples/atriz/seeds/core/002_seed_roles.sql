INSERT INTO roles (name, description) VALUES
  ('admin', 'Everything'),
  ('driver', 'Mextrack driver')
ON CONFLICT (name) DO NOTHING;

INSERT INTO user_roles (user_id, role_id)
SELECT u.id, r.id FROM users u JOIN roles r
  ON (u.email, r.name) IN (('admin@atriz.dev', 'admin'), ('driver@atriz.dev', 'driver'))
ON CONFLICT DO NOTHING;
