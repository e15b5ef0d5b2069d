-- migrate:up
CREATE TABLE vehicles (
  id SERIAL PRIMARY KEY,
  user_id UUID NOT NULL,
  vehicle_name VARCHAR(255) NOT NULL,
  plate VARCHAR(20) UNIQUE
);

-- migrate:down
DROP TABLE vehicles;
