-- Sign-ins to the billing pages. The browser holds a random session id in an HttpOnly cookie; only
-- its sha256 is stored here, with the customer it acts as, the CSRF token its forms carry and when it
-- expires. Signing out deletes the row; expired rows are deleted as they are met and in bulk.
CREATE TABLE page_sessions (
  id_hash text PRIMARY KEY,
  customer_id text NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  external_id text NOT NULL,
  email text,
  csrf_token text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX page_sessions_expires ON page_sessions (expires_at);
