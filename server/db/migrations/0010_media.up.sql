-- Uploaded images and files (docs/media.md). The bytes live in the media store under
-- storage_key (and thumbnail_key for images); this row says what they are and who may read
-- them: members of room_id. A message carries an upload once (message_id, set when the server
-- accepts that message); cleanup removes uploads never attached and those whose message is gone.
CREATE TABLE media (
  id uuid PRIMARY KEY,
  room_id uuid NOT NULL REFERENCES chat_rooms (id),
  uploader_id uuid NOT NULL REFERENCES users (id),
  kind text NOT NULL CHECK (kind IN ('image', 'file')),
  name text NOT NULL,
  mime text NOT NULL,
  size bigint NOT NULL CHECK (size >= 0),
  width integer,
  height integer,
  storage_key text NOT NULL,
  thumbnail_key text,
  message_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  attached_at timestamptz
);
CREATE INDEX media_unattached ON media (created_at) WHERE message_id IS NULL;
CREATE INDEX media_message_id ON media (message_id) WHERE message_id IS NOT NULL;
