-- paydesk's customers: one per user of the host product (external_id), linked to one Stripe customer.
CREATE TABLE customers (
  id text PRIMARY KEY,
  external_id text NOT NULL UNIQUE,
  stripe_customer_id text UNIQUE,
  email text,
  name text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Server-to-server API keys. Only a hash of the secret part is stored; the key is shown once.
CREATE TABLE api_keys (
  id text PRIMARY KEY,
  name text NOT NULL,
  secret_hash text NOT NULL,
  scopes text[] NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);
