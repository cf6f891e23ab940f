-- Which process sequences each room, when several serve one database (REDIS_URL set). A lease is
-- held until expires_at and renewed by its owner; every acquisition takes a new epoch from one
-- sequence (never reused, whoever acquires), and every append of an owner checks its
-- (owner, epoch) under a share lock of this row, so a process, or a dropped copy in it, that lost
-- its lease can no longer write the room's log (docs/architecture.md "Several processes").
CREATE SEQUENCE room_lease_epochs;
CREATE TABLE room_leases (
  document_name text PRIMARY KEY,
  owner text NOT NULL,
  epoch bigint NOT NULL,
  expires_at timestamptz NOT NULL
);
