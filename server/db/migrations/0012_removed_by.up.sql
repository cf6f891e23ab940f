-- Who removed a member from a group (null: they left, or are still in). A removed person's app
-- says "You were removed from <group> by <admin>" and keeps their copy of the history up to then
-- readable (docs/web-app.md "Removed from a group"); the member directory names past members.
ALTER TABLE chat_participants ADD COLUMN removed_by uuid REFERENCES users (id);
