DROP TABLE chat_room_segments;
ALTER TABLE chat_message_index DROP COLUMN segment;
ALTER TABLE chat_rooms DROP COLUMN live_segment;
