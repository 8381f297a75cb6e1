-- Checkout sessions paydesk opened: paydesk's own record (written before the Stripe call, so its id
-- derives the Stripe idempotency key), what was sold at which catalog amount, and what Stripe last said.
CREATE TABLE checkout_sessions (
  id text PRIMARY KEY,
  customer_id text REFERENCES customers(id),
  kind text NOT NULL CHECK (kind IN ('pack', 'plan', 'custom')),
  item_id text,
  plan_interval text CHECK (plan_interval IN ('month', 'year')),
  quantity integer NOT NULL CHECK (quantity > 0),
  currency text NOT NULL,
  amount_total bigint NOT NULL CHECK (amount_total >= 0),
  mode text NOT NULL CHECK (mode IN ('payment', 'subscription')),
  redirect_url text,
  stripe_session_id text UNIQUE,
  url text,
  status text NOT NULL DEFAULT 'creating',
  payment_status text NOT NULL DEFAULT 'unpaid',
  stripe_payment_intent_id text,
  stripe_subscription_id text,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX checkout_sessions_customer ON checkout_sessions (customer_id, created_at DESC);

-- Payment intents paydesk created for API-key callers. (api_key_id, idempotency_key) makes a repeated
-- request with the same Idempotency-Key header the same operation; request_hash detects a changed body.
CREATE TABLE payment_intents (
  id text PRIMARY KEY,
  api_key_id text NOT NULL,
  idempotency_key text,
  request_hash text NOT NULL,
  customer_id text REFERENCES customers(id),
  kind text NOT NULL CHECK (kind IN ('pack', 'custom')),
  item_id text,
  quantity integer NOT NULL CHECK (quantity > 0),
  amount bigint NOT NULL CHECK (amount > 0),
  currency text NOT NULL,
  stripe_payment_intent_id text UNIQUE,
  status text NOT NULL DEFAULT 'creating',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (api_key_id, idempotency_key)
);
CREATE INDEX payment_intents_customer ON payment_intents (customer_id, created_at DESC);

-- Payment history: one row per Stripe payment intent that succeeded, whoever saw it first (a read
-- that verified it with Stripe, or the webhook pipeline); the unique key makes the write idempotent.
CREATE TABLE payments (
  id text PRIMARY KEY,
  stripe_payment_intent_id text NOT NULL UNIQUE,
  customer_id text REFERENCES customers(id),
  amount bigint NOT NULL CHECK (amount >= 0),
  currency text NOT NULL,
  source text NOT NULL CHECK (source IN ('checkout', 'payment_intent', 'invoice')),
  checkout_session_id text REFERENCES checkout_sessions(id),
  payment_intent_record_id text REFERENCES payment_intents(id),
  item_kind text,
  item_id text,
  quantity integer,
  description text,
  paid_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_newest ON payments (paid_at DESC, created_at DESC, id DESC);
CREATE INDEX payments_customer_newest ON payments (customer_id, paid_at DESC, created_at DESC, id DESC);
