INSERT INTO products (sku, name, price_cents) VALUES
  ('COF-001', 'Coffee beans 1kg', 1899),
  ('MUG-001', 'Mug', 799)
ON CONFLICT (sku) DO NOTHING;
INSERT INTO inventory (product_id, quantity)
SELECT id, 10 FROM products ON CONFLICT (product_id) DO NOTHING;
