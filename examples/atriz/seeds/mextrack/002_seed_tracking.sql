-- One position for Van 1; running the seeds again adds none.
INSERT INTO tracking_data (vehicle_id, lat, lon)
SELECT v.id, 19.4326, -99.1332 FROM vehicles v
WHERE v.plate = 'ATZ-001'
  AND NOT EXISTS (SELECT 1 FROM tracking_data t WHERE t.vehicle_id = v.id);
