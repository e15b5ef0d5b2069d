-- migrate:up
CREATE TABLE tracking_data (
  id BIGSERIAL PRIMARY KEY,
  vehicle_id INT NOT NULL REFERENCES vehicles(id) ON DELETE CASCADE,
  recorded_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  lat DOUBLE PRECISION NOT NULL,
  lon DOUBLE PRECISION NOT NULL
);
CREATE INDEX idx_tracking_data_vehicle ON tracking_data(vehicle_id, recorded_at);

-- migrate:down
DROP TABLE tracking_data;
