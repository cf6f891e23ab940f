-- Accounts and sessions.
CREATE TABLE users (
  id uuid PRIMARY KEY,
  username text NOT NULL,
  display_name text,
  avatar_url text,
  bio text,
  password_hash text NOT NULL,
  is_server_admin boolean NOT NULL DEFAULT false,
  friend_requests_from text NOT NULL DEFAULT 'everyone'
    CHECK (friend_requests_from IN ('everyone', 'friends_of_friends', 'nobody')),
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen timestamptz
);
CREATE UNIQUE INDEX users_username_key ON users (lower(username));

-- Opaque session tokens: only a SHA-256 of the token is stored, so a database leak yields no sessions.
CREATE TABLE sessions (
  token_hash bytea PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz
);
CREATE INDEX sessions_user_id ON sessions (user_id);

-- Counters of rate-limiter-flexible (failed logins, later sends and requests); shared by all processes.
CREATE TABLE rate_limits (
  key varchar(255) PRIMARY KEY,
  points integer NOT NULL DEFAULT 0,
  expire bigint
);

-- Who blocked whom. The social-graph issue fills in the routes; rooms already respect it.
CREATE TABLE user_blocks (
  blocker_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  blocked_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (blocker_id, blocked_id)
);
CREATE INDEX user_blocks_blocked_id ON user_blocks (blocked_id);

-- Rooms: the relational side of each room document `room:<id>`.
CREATE TABLE chat_rooms (
  id uuid PRIMARY KEY,
  type text NOT NULL CHECK (type IN ('direct', 'group')),
  name text,
  description text,
  visibility text NOT NULL DEFAULT 'private' CHECK (visibility IN ('private', 'public')),
  -- The seed's integration points: a room may belong to a community or a trainer's client group.
  context_type text CHECK (context_type IN ('community', 'trainer')),
  context_id text,
  -- "<smaller user id>:<larger user id>" for direct rooms, so a pair has exactly one.
  direct_key text UNIQUE,
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  last_message_at timestamptz,
  last_message jsonb
);
CREATE INDEX chat_rooms_public ON chat_rooms (created_at) WHERE visibility = 'public';

CREATE TABLE chat_participants (
  room_id uuid NOT NULL REFERENCES chat_rooms (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role text NOT NULL DEFAULT 'member' CHECK (role IN ('admin', 'member')),
  joined_at timestamptz NOT NULL DEFAULT now(),
  left_at timestamptz,
  last_read_seq bigint NOT NULL DEFAULT 0,
  last_read_at timestamptz,
  is_muted boolean NOT NULL DEFAULT false,
  is_archived boolean NOT NULL DEFAULT false,
  PRIMARY KEY (room_id, user_id)
);
CREATE INDEX chat_participants_current ON chat_participants (user_id) WHERE left_at IS NULL;

-- One row per message, derived from the documents: message id -> room (for PUT/DELETE
-- /messages/{id}), and what unread counts need. The text itself lives only in the document.
CREATE TABLE chat_message_index (
  message_id uuid PRIMARY KEY,
  room_id uuid NOT NULL REFERENCES chat_rooms (id) ON DELETE CASCADE,
  seq bigint,
  sender_id uuid NOT NULL,
  created_at timestamptz NOT NULL,
  is_system boolean NOT NULL DEFAULT false,
  is_deleted boolean NOT NULL DEFAULT false
);
CREATE INDEX chat_message_index_room_seq ON chat_message_index (room_id, seq);

-- The documents: an append-only log of Yjs updates plus snapshots that fold a prefix of it.
CREATE TABLE document_updates (
  id bigserial PRIMARY KEY,
  document_name text NOT NULL,
  update bytea NOT NULL,
  origin text NOT NULL CHECK (origin IN ('connection', 'rest', 'server')),
  user_id uuid,
  connection_id text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX document_updates_document ON document_updates (document_name, id);

CREATE TABLE document_snapshots (
  document_name text NOT NULL,
  -- The snapshot holds every update of this document with id <= upto_update_id.
  upto_update_id bigint NOT NULL,
  state bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (document_name, upto_update_id)
);
