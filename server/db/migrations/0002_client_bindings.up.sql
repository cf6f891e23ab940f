-- Which user each Yjs client id of a document belongs to: bound by the first update written with
-- it, so no connection can write under another user's client id. user_id NULL: the server itself.
CREATE TABLE document_client_bindings (
  document_name text NOT NULL,
  client_id bigint NOT NULL,
  user_id uuid REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (document_name, client_id)
);
