-- The operator console's tables (console/views/): each lists newest first with a keyset cursor, so
-- each filter it offers has an index in that order. payments_newest (paid_at, created_at, id) and
-- payments_customer_newest already serve the unfiltered and per-customer lists.
CREATE INDEX payments_currency_newest ON payments (currency, paid_at DESC, created_at DESC, id DESC);
-- Refunded and disputed payments are few: partial indexes keep those filters from walking every payment.
CREATE INDEX payments_refunded_newest ON payments (paid_at DESC, created_at DESC, id DESC)
  WHERE amount_refunded > 0;
CREATE INDEX payments_disputed_newest ON payments (paid_at DESC, created_at DESC, id DESC)
  WHERE dispute_status IS NOT NULL;
CREATE INDEX subscriptions_newest ON subscriptions (created_at DESC, id DESC);
CREATE INDEX customers_newest ON customers (created_at DESC, id DESC);
CREATE INDEX customers_email ON customers (lower(email));
-- The events list, newest first. Its status filter needs no index of its own: pending and failed events
-- are few (stripe_events_due, stripe_events_failed) and the others are most of the table.
CREATE INDEX stripe_events_newest ON stripe_events (seq);
