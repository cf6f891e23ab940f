-- Reports of messages and users, and suspensions (docs/moderation.md).
ALTER TABLE users ADD COLUMN suspended_until timestamptz;
ALTER TABLE users ADD COLUMN suspension_reason text;

CREATE TABLE reports (
  id uuid PRIMARY KEY,
  reporter_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  target_type text NOT NULL CHECK (target_type IN ('message', 'user')),
  -- The reported user: the message's sender for a message report.
  target_user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  room_id uuid REFERENCES chat_rooms (id) ON DELETE CASCADE,
  message_id uuid,
  -- The message's text when it was reported: what the admin judges, even if it is edited later.
  message_excerpt text,
  reason text NOT NULL CHECK (reason IN ('spam', 'harassment', 'hate', 'sexual', 'violence', 'self_harm', 'other')),
  details text,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
  resolution text CHECK (resolution IN ('dismissed', 'message_deleted', 'user_suspended')),
  resolution_note text,
  resolved_by text,
  resolved_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((target_type = 'message') = (message_id IS NOT NULL AND room_id IS NOT NULL))
);
-- The admin queue: open reports, oldest first.
CREATE INDEX reports_queue ON reports (status, created_at);
-- One open report per reporter and target: reporting again while it waits changes nothing.
CREATE UNIQUE INDEX reports_one_open ON reports (reporter_id, target_type, COALESCE(message_id, target_user_id)) WHERE status = 'open';
