DROP TABLE room_leases;
DROP SEQUENCE room_lease_epochs;
