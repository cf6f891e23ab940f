-- Every operator action (CLI or admin page): who, what, on what, when. Append-only.
CREATE TABLE admin_audit (
  id bigserial PRIMARY KEY,
  -- "user:<username>" for a server admin through the API, "cli:<os user>" for the CLI.
  actor text NOT NULL,
  actor_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  action text NOT NULL,
  target text,
  details jsonb NOT NULL DEFAULT '{}',
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX admin_audit_at ON admin_audit (at);
