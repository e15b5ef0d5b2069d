INSERT INTO tracking_data (vehicle_id, lat, lon)
SELECT v.id, 19.4326, -99.1332 FROM vehicles v WHERE v.plate = 'ATZ-001';
