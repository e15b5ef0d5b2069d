-- migrate:up
CREATE TABLE products (
  id SERIAL PRIMARY KEY,
  sku VARCHAR(40) NOT NULL UNIQUE,
  name VARCHAR(255) NOT NULL,
  price_cents INT NOT NULL CHECK (price_cents >= 0)
);

-- migrate:down
DROP TABLE products;
