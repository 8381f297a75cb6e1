-- Instance-wide settings that paydesk keeps in its own database (for example the instance id that
-- tags every object paydesk creates in Stripe).
CREATE TABLE paydesk_settings (
  key text PRIMARY KEY,
  value jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
