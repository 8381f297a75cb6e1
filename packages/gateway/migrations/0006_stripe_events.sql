-- Every Stripe event paydesk has received (webhook, reconcile or a verified return), stored before it
-- is acknowledged and applied afterwards by a job. The id is Stripe's, so a redelivery is a no-op.
CREATE TABLE stripe_events (
  id text PRIMARY KEY,
  type text NOT NULL,
  created timestamptz NOT NULL,
  livemode boolean NOT NULL,
  api_version text,
  object_id text,
  payload jsonb NOT NULL,
  source text NOT NULL DEFAULT 'webhook' CHECK (source IN ('webhook', 'reconcile', 'replay')),
  received_at timestamptz NOT NULL DEFAULT now(),
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processed', 'ignored', 'failed')),
  status_reason text,
  processed_at timestamptz
);

CREATE INDEX stripe_events_status ON stripe_events (status, received_at);
CREATE INDEX stripe_events_object ON stripe_events (object_id, created);
CREATE INDEX stripe_events_type_created ON stripe_events (type, created);
