DROP TABLE room_leases;
