-- The credits ledger: append-only. Each entry carries the balance after it, and the database refuses
-- a negative balance. `cause` names what the entry is for (a checkout, an invoice, a consume request's
-- idempotency key, a refund), once per customer: applying the same cause twice is a no-op.
CREATE TABLE credit_ledger (
  id bigserial PRIMARY KEY,
  customer_id text NOT NULL REFERENCES customers (id),
  delta integer NOT NULL,
  balance integer NOT NULL CHECK (balance >= 0),
  reason text NOT NULL CHECK (reason IN ('pack_purchase', 'period_reset', 'period_grant', 'consume', 'refund', 'adjustment')),
  cause text NOT NULL,
  note text,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (customer_id, cause)
);
CREATE INDEX credit_ledger_customer ON credit_ledger (customer_id, id DESC);

-- What each customer may use, derived from their subscription, with the time a past_due period began
-- (access continues for the grace period after it).
CREATE TABLE entitlements (
  customer_id text PRIMARY KEY REFERENCES customers (id),
  subscription_id text,
  plan text,
  status text,
  keys text[] NOT NULL DEFAULT '{}',
  current_period_end timestamptz,
  past_due_since timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Refunds against a recorded payment, and a customer deleted in Stripe.
ALTER TABLE payments ADD COLUMN amount_refunded bigint NOT NULL DEFAULT 0 CHECK (amount_refunded >= 0);
ALTER TABLE customers ADD COLUMN deleted_at timestamptz;
