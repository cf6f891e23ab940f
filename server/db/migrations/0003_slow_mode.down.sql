ALTER TABLE chat_rooms DROP COLUMN slow_mode_seconds;
