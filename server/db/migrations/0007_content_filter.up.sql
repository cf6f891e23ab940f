-- Each group's content-filter mode (docs/moderation.md); NULL follows the server's default.
ALTER TABLE chat_rooms ADD COLUMN content_filter text CHECK (content_filter IN ('refuse', 'mask'));
