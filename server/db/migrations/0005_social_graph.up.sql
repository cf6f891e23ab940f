-- Friend requests keep their history (declines drive the re-request cooldown); at most one is
-- pending per pair of users, whichever of them asked.
CREATE TABLE friend_requests (
  id uuid PRIMARY KEY,
  requester_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  requestee_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'declined', 'cancelled')),
  message text,
  created_at timestamptz NOT NULL DEFAULT now(),
  responded_at timestamptz,
  CHECK (requester_id <> requestee_id)
);
CREATE UNIQUE INDEX friend_requests_one_pending_per_pair
  ON friend_requests (LEAST(requester_id, requestee_id), GREATEST(requester_id, requestee_id)) WHERE status = 'pending';
CREATE INDEX friend_requests_received ON friend_requests (requestee_id, created_at) WHERE status = 'pending';
CREATE INDEX friend_requests_sent ON friend_requests (requester_id, created_at) WHERE status = 'pending';
CREATE INDEX friend_requests_declined ON friend_requests (requester_id, requestee_id, responded_at) WHERE status = 'declined';

-- A friendship is stored in both directions, so "my friends" and "friends of my friends" are
-- plain index range scans. Writers always insert and delete both rows in one transaction.
CREATE TABLE friendships (
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  friend_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, friend_id),
  CHECK (user_id <> friend_id)
);

-- Prefix search on usernames and display names, case-insensitive (LIKE 'abc%' on lower()).
CREATE INDEX users_username_prefix ON users (lower(username) text_pattern_ops);
CREATE INDEX users_display_name_prefix ON users (lower(display_name) text_pattern_ops);

-- Presence: one row per open WebSocket, owned by the server process holding it. A process that
-- stops heartbeating is presumed dead and its rows are swept by the others. Unlogged: after a
-- database crash nobody is connected anyway.
CREATE UNLOGGED TABLE server_processes (
  id uuid PRIMARY KEY,
  started_at timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNLOGGED TABLE presence_connections (
  connection_id uuid PRIMARY KEY,
  process_id uuid NOT NULL REFERENCES server_processes (id) ON DELETE CASCADE,
  user_id uuid NOT NULL,
  opened_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX presence_connections_user_id ON presence_connections (user_id);
