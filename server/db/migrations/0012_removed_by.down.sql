ALTER TABLE chat_participants DROP COLUMN removed_by;
