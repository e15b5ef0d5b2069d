-- migrate:up
CREATE TABLE inventory (
  product_id INT PRIMARY KEY REFERENCES products(id) ON DELETE CASCADE,
  quantity INT NOT NULL DEFAULT 0 CHECK (quantity >= 0),
  updated_by UUID
);

-- migrate:down
DROP TABLE inventory;
