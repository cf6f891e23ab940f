-- The event journal behind GET /api/v1/events (docs/architecture.md "Live events"). A row is
-- written in the same transaction as the change it describes; readers deliver rows in
-- (xid, id) order and only once every transaction with a smaller xid has ended (see
-- server/events/journal.ts), so a row that commits late is never skipped.
CREATE TABLE chat_events (
  id bigserial PRIMARY KEY,
  xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
  -- The room the event is about (null: a social event for one user).
  room_id uuid,
  -- Set: only this user receives it. Null: every current member of room_id.
  user_id uuid,
  -- Who caused it: the members who blocked them do not receive it.
  actor_id uuid,
  kind text NOT NULL,
  payload jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX chat_events_order ON chat_events (xid, id);
CREATE INDEX chat_events_created ON chat_events (created_at);

-- The newest position pruned away: a cursor below it gets a `reset` event.
CREATE TABLE chat_events_horizon (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  xid xid8 NOT NULL,
  id bigint NOT NULL
);
INSERT INTO chat_events_horizon (xid, id) VALUES ('0'::xid8, 0);

-- The social and membership events are written by triggers, in the transaction of the change
-- whichever code path makes it (routes, the admin CLI): a stream can trust that every change
-- of these tables is in the journal. Room rows carry only the room id; a stream sends the room
-- as its reader sees it (GET /chat/rooms/{id}).
CREATE FUNCTION chat_events_iso(t timestamptz) RETURNS text LANGUAGE sql STABLE AS
$$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;

CREATE FUNCTION chat_events_friend_request() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  body jsonb;
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.status IS NOT DISTINCT FROM OLD.status THEN
    RETURN NULL;
  END IF;
  SELECT jsonb_build_object(
           'id', NEW.id, 'requester_id', NEW.requester_id,
           'requester_name', COALESCE(a.display_name, a.username), 'requester_avatar', a.avatar_url,
           'requestee_id', NEW.requestee_id,
           'requestee_name', COALESCE(b.display_name, b.username), 'requestee_avatar', b.avatar_url,
           'status', NEW.status, 'message', NEW.message,
           'created_at', chat_events_iso(NEW.created_at), 'responded_at', chat_events_iso(NEW.responded_at))
    INTO body
    FROM users a, users b WHERE a.id = NEW.requester_id AND b.id = NEW.requestee_id;
  IF TG_OP = 'INSERT' THEN
    INSERT INTO chat_events (user_id, actor_id, kind, payload)
    VALUES (NEW.requestee_id, NEW.requester_id, 'friend_request.received', body);
  ELSE
    INSERT INTO chat_events (user_id, kind, payload)
    VALUES (NEW.requester_id, 'friend_request.updated', body), (NEW.requestee_id, 'friend_request.updated', body);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER chat_events_friend_request AFTER INSERT OR UPDATE OF status ON friend_requests
  FOR EACH ROW EXECUTE FUNCTION chat_events_friend_request();

CREATE FUNCTION chat_events_participant() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.left_at IS NULL THEN
      INSERT INTO chat_events (room_id, user_id, kind, payload) VALUES (NEW.room_id, NEW.user_id, 'room.added', jsonb_build_object('room_id', NEW.room_id));
    END IF;
  ELSIF OLD.left_at IS NULL AND NEW.left_at IS NOT NULL THEN
    INSERT INTO chat_events (room_id, user_id, actor_id, kind, payload)
    VALUES (NEW.room_id, NEW.user_id, COALESCE(NEW.removed_by, NEW.user_id), 'room.removed',
            jsonb_build_object('room_id', NEW.room_id, 'status', CASE WHEN NEW.removed_by IS NULL THEN 'left' ELSE 'removed' END,
                               'removed_by', NEW.removed_by));
  ELSIF OLD.left_at IS NOT NULL AND NEW.left_at IS NULL THEN
    INSERT INTO chat_events (room_id, user_id, kind, payload) VALUES (NEW.room_id, NEW.user_id, 'room.added', jsonb_build_object('room_id', NEW.room_id));
  ELSIF NEW.left_at IS NULL AND NEW.role IS DISTINCT FROM OLD.role THEN
    -- Roles show in every member's copy of the room.
    INSERT INTO chat_events (room_id, kind, payload) VALUES (NEW.room_id, 'room.updated', jsonb_build_object('room_id', NEW.room_id));
  ELSIF NEW.left_at IS NULL AND (NEW.is_muted, NEW.is_archived) IS DISTINCT FROM (OLD.is_muted, OLD.is_archived) THEN
    INSERT INTO chat_events (room_id, user_id, kind, payload) VALUES (NEW.room_id, NEW.user_id, 'room.updated', jsonb_build_object('room_id', NEW.room_id));
  END IF;
  RETURN NULL;
END $$;
-- Not on last_read_seq: read markers are receipt.updated, written with the document change.
CREATE TRIGGER chat_events_participant AFTER INSERT OR UPDATE OF left_at, role, is_muted, is_archived ON chat_participants
  FOR EACH ROW EXECUTE FUNCTION chat_events_participant();

CREATE FUNCTION chat_events_room() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (NEW.name, NEW.description, NEW.visibility, NEW.slow_mode_seconds, NEW.content_filter)
     IS DISTINCT FROM (OLD.name, OLD.description, OLD.visibility, OLD.slow_mode_seconds, OLD.content_filter) THEN
    INSERT INTO chat_events (room_id, kind, payload) VALUES (NEW.id, 'room.updated', jsonb_build_object('room_id', NEW.id));
  END IF;
  RETURN NULL;
END $$;
-- Not on last_message: that is message.created, written with the document change.
CREATE TRIGGER chat_events_room AFTER UPDATE OF name, description, visibility, slow_mode_seconds, content_filter ON chat_rooms
  FOR EACH ROW EXECUTE FUNCTION chat_events_room();
