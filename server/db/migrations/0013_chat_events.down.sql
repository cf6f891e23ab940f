DROP TRIGGER chat_events_room ON chat_rooms;
DROP TRIGGER chat_events_participant ON chat_participants;
DROP TRIGGER chat_events_friend_request ON friend_requests;
DROP FUNCTION chat_events_room();
DROP FUNCTION chat_events_participant();
DROP FUNCTION chat_events_friend_request();
DROP FUNCTION chat_events_iso(timestamptz);
DROP TABLE chat_events_horizon;
DROP TABLE chat_events;
