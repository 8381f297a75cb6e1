-- The stored events are their own apply queue: an event waiting to be applied is a `pending` row with
-- the queue's columns (attempts, when it is due, which worker holds it), so ingest writes one row per
-- event instead of an event and a job, and applying it writes its outcome once instead of a claim, a
-- completion and an outcome.
--
-- `run_at` is when the event may next be taken: a worker holding it (`locked_by`) moves `run_at` to
-- the end of its lease, so an event whose worker stopped is due again once that lease has run out,
-- and a claim is one range scan of `stripe_events_due`.
ALTER TABLE stripe_events
  ADD COLUMN seq bigserial,
  ADD COLUMN attempts integer NOT NULL DEFAULT 0,
  ADD COLUMN max_attempts integer NOT NULL DEFAULT 12 CHECK (max_attempts >= 1),
  ADD COLUMN run_at timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN locked_by text,
  ADD COLUMN last_error text;

-- The body as Stripe sent it (validated JSON; no jsonb conversion on the ingest path, and the
-- `->`/`->>` operators still work).
ALTER TABLE stripe_events ALTER COLUMN payload TYPE json USING payload::json;

-- Apply-jobs of the jobs table that had not finished carry over to their events.
UPDATE stripe_events e
SET attempts = j.attempts, last_error = j.last_error,
    run_at = CASE WHEN j.status = 'queued' THEN j.run_at ELSE now() END,
    status = CASE WHEN j.status = 'dead' THEN 'failed' ELSE e.status END,
    status_reason = CASE WHEN j.status = 'dead' THEN j.last_error ELSE e.status_reason END
FROM jobs j
WHERE j.kind = 'stripe_event' AND j.status <> 'done' AND j.payload->>'event_id' = e.id AND e.status = 'pending';
DELETE FROM jobs WHERE kind = 'stripe_event';

-- None of these indexes had a reader; each cost every stored event an index entry (two for the
-- status one, which every outcome changed).
DROP INDEX stripe_events_status;
DROP INDEX stripe_events_type_created;
DROP INDEX stripe_events_object;
-- The queue (pending events, by when they are due) and the dead ones (for the console and
-- /metrics); processed and ignored events are in no index but the primary key.
CREATE INDEX stripe_events_due ON stripe_events (run_at, seq) WHERE status = 'pending';
CREATE INDEX stripe_events_failed ON stripe_events (processed_at) WHERE status = 'failed';

-- Bodies over ~2 KB are compressed when stored: lz4 costs a fraction of the default pglz's CPU. Only
-- where the server was built with it (PostgreSQL 14+ usually is); elsewhere pglz stays.
DO $$
BEGIN
  ALTER TABLE stripe_events ALTER COLUMN payload SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR undefined_object OR syntax_error OR invalid_parameter_value THEN
  NULL;
END
$$;
