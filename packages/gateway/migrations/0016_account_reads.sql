-- What the account page reads locally instead of asking Stripe on every view (all kept current by the
-- webhook pipeline, which re-reads each object from Stripe):
-- the subscription's price per period as Stripe bills it (a subscriber keeps the price they took when
-- the catalog's changes), its trial end and its end time, recorded with the rest of its state;
ALTER TABLE subscriptions ADD COLUMN amount bigint;
ALTER TABLE subscriptions ADD COLUMN trial_end timestamptz;
ALTER TABLE subscriptions ADD COLUMN ended_at timestamptz;

-- the card a customer pays with: the Stripe customer's default payment method, or, where it has none,
-- the one its subscription's first payment saved. `source` says which; `observed_at` is when paydesk
-- read it from Stripe (an older reading never overwrites a newer one).
CREATE TABLE customer_cards (
  customer_id text PRIMARY KEY REFERENCES customers (id) ON DELETE CASCADE,
  source text NOT NULL CHECK (source IN ('customer', 'subscription')),
  payment_method text NOT NULL,
  brand text NOT NULL,
  last4 text NOT NULL,
  exp_month integer NOT NULL,
  exp_year integer NOT NULL,
  observed_at timestamptz NOT NULL
);
