-- Message search (GET /api/v1/chat/messages/search): the mirror keeps each accepted message's
-- text beside its index row, written in the same transaction as the log append that changed it
-- (server/sync/room-effects.ts), and a full-text vector of it. A deleted or erased message keeps
-- no text here. The 'simple' configuration lowercases and splits words without stemming: chat
-- is written in every language, and a stemmer for one would mangle the others.
ALTER TABLE chat_message_index ADD COLUMN content text;
ALTER TABLE chat_message_index
  ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (to_tsvector('simple', COALESCE(content, ''))) STORED;
CREATE INDEX chat_message_index_search ON chat_message_index USING gin (search_vector);
