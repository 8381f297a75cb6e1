-- The operator console: its sign-ins, the audit log of what operators did, and what its overview
-- reads quickly.

-- Sign-ins to the console. As with page_sessions, the browser holds a random id in an HttpOnly cookie
-- and only its sha256 is stored, with the credential's role, the operator's name if they gave one,
-- the CSRF token its forms carry and when it expires. Signing out deletes the row.
CREATE TABLE console_sessions (
  id_hash text PRIMARY KEY,
  role text NOT NULL CHECK (role IN ('admin', 'read_only')),
  operator text,
  csrf_token text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX console_sessions_expires ON console_sessions (expires_at);

-- Every action taken through the console (and its sign-ins and sign-outs): who, when, what, on what.
-- Written in the same transaction as the change it records.
CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  actor text NOT NULL,
  action text NOT NULL,
  target text,
  details jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_action ON audit_log (action, id DESC);

-- The overview's revenue and credits charts add up closed hours once (by when rows were written,
-- which never changes for a closed hour) and only the open hours live. One row per (hour written,
-- day the money or credits are counted on, currency).
CREATE TABLE console_payment_hours (
  hour timestamptz NOT NULL,
  day date NOT NULL,
  currency text NOT NULL,
  amount bigint NOT NULL,
  payments bigint NOT NULL,
  PRIMARY KEY (hour, day, currency)
);
CREATE INDEX console_payment_hours_day ON console_payment_hours (day);
CREATE TABLE console_credit_hours (
  hour timestamptz NOT NULL,
  day date NOT NULL,
  granted bigint NOT NULL,
  consumed bigint NOT NULL,
  PRIMARY KEY (hour, day)
);
CREATE INDEX console_credit_hours_day ON console_credit_hours (day);
-- How far each roll-up has added up (exclusive): one row per roll-up, moved forward with the rows it covers.
CREATE TABLE console_rollups (
  name text PRIMARY KEY,
  closed_through timestamptz NOT NULL
);
INSERT INTO console_rollups (name, closed_through) VALUES ('payments', '1970-01-01T00:00:00Z'), ('credits', '1970-01-01T00:00:00Z');

-- What the overview's live parts read: rows by when they were written.
CREATE INDEX payments_written ON payments (created_at) INCLUDE (paid_at, currency, amount);
CREATE INDEX credit_ledger_written ON credit_ledger (created_at) INCLUDE (delta, reason);
CREATE INDEX stripe_events_received ON stripe_events (received_at);
CREATE INDEX subscriptions_created ON subscriptions (created_at);
