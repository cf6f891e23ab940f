-- REST pages from the relational mirror (issue "Long-lived rooms"): a page of GET
-- /api/v1/chat/messages/{room} reads its rows by (room_id, seq) and never loads or orders the
-- room's document, so it costs the same whatever the history. Each index row keeps the message
-- as reads show it (body: the stored fields), and each reaction is a row, both written with the
-- log entry that changed them (server/sync/room-effects.ts).
ALTER TABLE chat_message_index ADD COLUMN body jsonb;

CREATE TABLE chat_message_reactions (
  room_id uuid NOT NULL REFERENCES chat_rooms (id) ON DELETE CASCADE,
  message_id uuid NOT NULL,
  emoji text NOT NULL,
  user_id uuid NOT NULL,
  reacted_at text NOT NULL,
  PRIMARY KEY (message_id, emoji, user_id)
);

-- Rooms whose messages were mirrored before this migration have no bodies: the first page read
-- of such a room rebuilds its mirror from the document once (repairRoom), then sets this. Rooms
-- created from now on start mirrored.
ALTER TABLE chat_rooms ADD COLUMN messages_mirrored boolean NOT NULL DEFAULT false;
ALTER TABLE chat_rooms ALTER COLUMN messages_mirrored SET DEFAULT true;
