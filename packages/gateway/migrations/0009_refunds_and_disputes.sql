-- Refunds paydesk made (POST /v1/refunds, the compat routes) and refunds made in Stripe (its
-- dashboard, another tool), one row each. `request_id` is the operation: the caller's, or derived;
-- the Stripe idempotency key derives from it, and it is unique, so a retried request, a crash or a
-- second instance never make a second refund.
CREATE TABLE refunds (
  id text PRIMARY KEY,
  request_id text NOT NULL UNIQUE,
  -- A hash of what was asked (payment, amount, reason, metadata…): the same request_id with another
  -- body is refused. Null for a refund made in Stripe.
  request_hash text,
  origin text NOT NULL CHECK (origin IN ('api', 'stripe')),
  payment_id text NOT NULL REFERENCES payments (id),
  customer_id text REFERENCES customers (id),
  stripe_payment_intent_id text NOT NULL,
  stripe_charge_id text,
  stripe_refund_id text UNIQUE,
  amount bigint NOT NULL CHECK (amount > 0),
  currency text NOT NULL,
  reason text CHECK (reason IN ('duplicate', 'fraudulent', 'requested_by_customer', 'expired_uncaptured_charge')),
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  status text NOT NULL CHECK (status IN ('queued', 'processing', 'pending', 'succeeded', 'failed', 'canceled')),
  failure_reason text,
  attempts integer NOT NULL DEFAULT 0,
  async boolean NOT NULL DEFAULT false,
  cancel_subscription boolean NOT NULL DEFAULT false,
  -- Effects: credits taken back for this refund (asked), the part the balance could not cover, and
  -- whether they were given back after the refund failed.
  credits_taken bigint NOT NULL DEFAULT 0,
  credits_shortfall bigint NOT NULL DEFAULT 0,
  credits_restored boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refunds_newest ON refunds (created_at DESC, id DESC);
CREATE INDEX refunds_payment ON refunds (payment_id, created_at DESC, id DESC);
CREATE INDEX refunds_status ON refunds (status, created_at DESC, id DESC);

-- Chargebacks, one row per Stripe dispute, kept as Stripe last said (re-read on every event), with
-- the effects applied to paydesk's side.
CREATE TABLE disputes (
  id text PRIMARY KEY,
  payment_id text REFERENCES payments (id),
  customer_id text REFERENCES customers (id),
  stripe_charge_id text NOT NULL,
  stripe_payment_intent_id text,
  amount bigint NOT NULL,
  currency text NOT NULL,
  reason text NOT NULL,
  status text NOT NULL,
  evidence_due_by timestamptz,
  funds_withdrawn boolean NOT NULL DEFAULT false,
  -- Effects: credits held (freeze) or taken (clawback), the part the balance could not cover,
  -- whether held credits went back, and whether the customer's access is suspended.
  credits_mode text NOT NULL DEFAULT 'off' CHECK (credits_mode IN ('off', 'freeze', 'clawback')),
  credits_held bigint NOT NULL DEFAULT 0,
  credits_shortfall bigint NOT NULL DEFAULT 0,
  credits_released boolean NOT NULL DEFAULT false,
  access_suspended boolean NOT NULL DEFAULT false,
  stripe_created_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX disputes_newest ON disputes (stripe_created_at DESC, id DESC);
CREATE INDEX disputes_customer ON disputes (customer_id) WHERE access_suspended;

-- A payment's dispute, as the payment history shows it.
ALTER TABLE payments ADD COLUMN dispute_status text;

-- Ledger reasons for disputes: credits held while a dispute is open, released when it is won, taken
-- back for good.
ALTER TABLE credit_ledger DROP CONSTRAINT credit_ledger_reason_check;
ALTER TABLE credit_ledger ADD CONSTRAINT credit_ledger_reason_check CHECK (reason IN
  ('pack_purchase', 'period_reset', 'period_grant', 'consume', 'refund', 'refund_reversed', 'adjustment',
   'dispute_hold', 'dispute_release', 'dispute_clawback'));
