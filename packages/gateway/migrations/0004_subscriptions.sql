-- paydesk's record of each subscription. Stripe is the source of truth; this row is paydesk's own id
-- for it (created before the Stripe call, so the call's idempotency key derives from it) and the last
-- state paydesk saw. `state_at` orders the states: an older one never overwrites a newer one.
CREATE TABLE subscriptions (
  id text PRIMARY KEY,
  customer_id text NOT NULL REFERENCES customers (id),
  stripe_subscription_id text UNIQUE,
  -- 'pending' until the Stripe subscription exists, then Stripe's status.
  status text NOT NULL,
  -- The catalog plan, interval and currency (null for a price that is not in the catalog).
  plan text,
  interval text CHECK (interval IN ('month', 'year')),
  currency text NOT NULL,
  cancel_at_period_end boolean NOT NULL DEFAULT false,
  cancel_at timestamptz,
  current_period_end timestamptz,
  -- When the stored state was true in Stripe (the request's start, or an event's created time).
  state_at timestamptz NOT NULL DEFAULT now(),
  -- Bumped by each change paydesk asks Stripe for; the change's idempotency key derives from it.
  revision integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX subscriptions_customer ON subscriptions (customer_id, created_at DESC);

-- At most one subscription of a customer is being created at a time.
CREATE UNIQUE INDEX subscriptions_one_pending_per_customer ON subscriptions (customer_id)
  WHERE status = 'pending';
