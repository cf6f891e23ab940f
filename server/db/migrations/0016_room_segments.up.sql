-- Long-lived rooms (docs/architecture.md): a room is a chain of documents, its head `room:<id>`
-- (segment 0) and segments `room:<id>:<n>`. `live_segment` is where new messages go; each sealed
-- segment's successor starts at `first_seq`, so sequence numbers continue one order; each index
-- row says which segment holds its message (REST edits, deletes and reactions go there).
ALTER TABLE chat_rooms ADD COLUMN live_segment integer NOT NULL DEFAULT 0;
ALTER TABLE chat_message_index ADD COLUMN segment integer NOT NULL DEFAULT 0;
CREATE TABLE chat_room_segments (
  room_id uuid NOT NULL REFERENCES chat_rooms (id) ON DELETE CASCADE,
  segment integer NOT NULL CHECK (segment > 0),
  first_seq bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (room_id, segment)
);
