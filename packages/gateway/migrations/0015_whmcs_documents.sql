-- WHMCS bridge: money that left or came back after a bridged payment (a refund, a chargeback's funds
-- withdrawn or reinstated), written on the WHMCS invoice as a transaction (AddTransaction), once.
-- The key is the transaction id written to WHMCS (re_…, du_…, du_…-reinstated), so each is one row.
CREATE TABLE whmcs_documents (
  id text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('refund', 'dispute')),
  stripe_session_id text NOT NULL REFERENCES whmcs_payments (stripe_session_id),
  invoice_id bigint NOT NULL,
  client_id bigint NOT NULL,
  currency text NOT NULL,
  amount bigint NOT NULL CHECK (amount > 0),
  -- out: money back to the client (amountout); in: money back to the merchant (amountin).
  direction text NOT NULL CHECK (direction IN ('in', 'out')),
  description text NOT NULL,
  -- A refund asked from WHMCS's admin area (the module's _refund): WHMCS records it itself, under
  -- the id the module returned (this one while Stripe had not made the refund yet, or id).
  whmcs_own_id text,
  -- pending → recorded (written, or found already there) | skipped (its payment never reached the
  -- invoice) | dead (WHMCS failed every attempt; `paydesk whmcs retry` queues it again).
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'recorded', 'skipped', 'dead')),
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX whmcs_documents_waiting ON whmcs_documents (created_at) WHERE status IN ('pending', 'dead');

-- The bridged payment's payment intent, so a refund or a dispute naming it finds its invoice.
ALTER TABLE whmcs_payments ADD COLUMN stripe_payment_intent_id text;
CREATE INDEX whmcs_payments_charge ON whmcs_payments (stripe_charge_id) WHERE stripe_charge_id IS NOT NULL;
CREATE INDEX whmcs_payments_payment_intent ON whmcs_payments (stripe_payment_intent_id)
  WHERE stripe_payment_intent_id IS NOT NULL;
