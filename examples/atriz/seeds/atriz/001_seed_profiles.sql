INSERT INTO user_profiles (user_id, display_name, bio) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'Admin', 'Runs the place')
ON CONFLICT (user_id) DO NOTHING;
