ALTER TABLE chat_rooms DROP COLUMN messages_mirrored;
DROP TABLE chat_message_reactions;
ALTER TABLE chat_message_index DROP COLUMN body;
