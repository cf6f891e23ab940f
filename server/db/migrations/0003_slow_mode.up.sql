-- Slow mode: a group admin lets each member send one message per this many seconds (0: off).
ALTER TABLE chat_rooms ADD COLUMN slow_mode_seconds integer NOT NULL DEFAULT 0
  CHECK (slow_mode_seconds BETWEEN 0 AND 3600);
