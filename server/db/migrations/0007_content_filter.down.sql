ALTER TABLE chat_rooms DROP COLUMN content_filter;
