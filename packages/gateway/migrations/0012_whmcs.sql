-- WHMCS bridge: one row per Checkout session opened for a WHMCS invoice (the durable link between the
-- two), and what became of its payment. The session id is the key, so a session is recorded once.
CREATE TABLE whmcs_payments (
  stripe_session_id text PRIMARY KEY,
  invoice_id bigint NOT NULL,
  client_id bigint NOT NULL,
  email text NOT NULL,
  currency text NOT NULL,
  -- The invoice's balance when the session opened, in minor units (what the client was asked to pay).
  amount bigint NOT NULL,
  -- open → paid (Stripe says so; the recording job is queued) → recorded | mismatch | dead; or expired.
  status text NOT NULL DEFAULT 'open'
    CHECK (status IN ('open', 'paid', 'recorded', 'mismatch', 'dead', 'expired')),
  stripe_charge_id text,
  amount_paid bigint,
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX whmcs_payments_invoice ON whmcs_payments (invoice_id);
CREATE INDEX whmcs_payments_status ON whmcs_payments (status) WHERE status IN ('paid', 'mismatch', 'dead');
