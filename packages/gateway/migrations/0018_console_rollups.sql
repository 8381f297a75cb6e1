-- The overview's subscription and webhook-event charts read roll-ups instead of the tables they count
-- (console/overview-store.ts). 0018 came after 0019: it depends on nothing 0019 added, so a database
-- that already has 0019 applies it next like any other pending migration.

-- Subscriptions per UTC day, plan, interval and currency (an empty string for a plan or interval
-- outside the catalog), kept by a trigger in the transaction that changes a subscription. Only
-- subscriptions that have started count (STARTED below: paid once or trialing; `canceled` ones
-- ended). On its start day (created_at) a subscription adds to `started`; a cancelled one adds to
-- `churned` on the day it was cancelled (state_at) and to `ended` on that day or its start day,
-- whichever is later (so it is never active for a negative span).
CREATE TABLE console_subscription_days (
  day date NOT NULL,
  plan text NOT NULL,
  interval text NOT NULL,
  currency text NOT NULL,
  started integer NOT NULL DEFAULT 0,
  churned integer NOT NULL DEFAULT 0,
  ended integer NOT NULL DEFAULT 0,
  PRIMARY KEY (day, plan, interval, currency)
);
-- Started and not cancelled, per plan, interval and currency: the active count at the end of today,
-- from which the overview counts back to the start of its range.
CREATE TABLE console_subscription_totals (
  plan text NOT NULL,
  interval text NOT NULL,
  currency text NOT NULL,
  active integer NOT NULL DEFAULT 0,
  PRIMARY KEY (plan, interval, currency)
);

-- Adds `sign` (1 or -1) times one subscription to the roll-ups. Rows are locked in one order (its
-- days, then its total), so two transactions that each change one subscription never deadlock.
CREATE FUNCTION console_count_subscription(
  sign integer, p_status text, p_plan text, p_interval text, p_currency text,
  p_created_at timestamptz, p_state_at timestamptz
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  start_day date := (p_created_at AT TIME ZONE 'UTC')::date;
  end_day date := (p_state_at AT TIME ZONE 'UTC')::date;
  k_plan text := coalesce(p_plan, '');
  k_interval text := coalesce(p_interval, '');
BEGIN
  IF p_status NOT IN ('active', 'trialing', 'past_due', 'unpaid', 'paused', 'canceled') THEN
    RETURN;
  END IF;
  IF p_status = 'canceled' THEN
    INSERT INTO console_subscription_days AS d (day, plan, interval, currency, started, churned, ended)
    SELECT x.day, k_plan, k_interval, p_currency, sum(x.s), sum(x.c), sum(x.e)
    FROM (VALUES (start_day, sign, 0, 0), (end_day, 0, sign, 0), (greatest(start_day, end_day), 0, 0, sign))
      AS x(day, s, c, e)
    GROUP BY x.day ORDER BY x.day
    ON CONFLICT (day, plan, interval, currency) DO UPDATE
      SET started = d.started + excluded.started, churned = d.churned + excluded.churned,
          ended = d.ended + excluded.ended;
  ELSE
    INSERT INTO console_subscription_days AS d (day, plan, interval, currency, started)
    VALUES (start_day, k_plan, k_interval, p_currency, sign)
    ON CONFLICT (day, plan, interval, currency) DO UPDATE SET started = d.started + excluded.started;
    INSERT INTO console_subscription_totals AS t (plan, interval, currency, active)
    VALUES (k_plan, k_interval, p_currency, sign)
    ON CONFLICT (plan, interval, currency) DO UPDATE SET active = t.active + excluded.active;
  END IF;
END
$$;

CREATE FUNCTION console_subscriptions_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM console_count_subscription(-1, OLD.status, OLD.plan, OLD.interval, OLD.currency, OLD.created_at, OLD.state_at);
  END IF;
  IF TG_OP <> 'DELETE' THEN
    PERFORM console_count_subscription(1, NEW.status, NEW.plan, NEW.interval, NEW.currency, NEW.created_at, NEW.state_at);
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER console_subscriptions_insert_delete AFTER INSERT OR DELETE ON subscriptions
  FOR EACH ROW EXECUTE FUNCTION console_subscriptions_changed();
-- Most updates (a new period end, a revision) change nothing the roll-ups count: the trigger runs only
-- for those that do (state_at matters only for a cancelled subscription: it is the day it ended).
CREATE TRIGGER console_subscriptions_update AFTER UPDATE ON subscriptions
  FOR EACH ROW WHEN (
    (OLD.status, OLD.plan, OLD.interval, OLD.currency, OLD.created_at) IS DISTINCT FROM
      (NEW.status, NEW.plan, NEW.interval, NEW.currency, NEW.created_at)
    OR (NEW.status = 'canceled' AND OLD.state_at IS DISTINCT FROM NEW.state_at)
  ) EXECUTE FUNCTION console_subscriptions_changed();

-- The subscriptions there are already.
INSERT INTO console_subscription_days (day, plan, interval, currency, started, churned, ended)
SELECT day, plan, interval, currency, sum(s), sum(c), sum(e) FROM (
  SELECT (created_at AT TIME ZONE 'UTC')::date AS day, coalesce(plan, '') AS plan,
    coalesce(interval, '') AS interval, currency, 1 AS s, 0 AS c, 0 AS e
  FROM subscriptions WHERE status IN ('active', 'trialing', 'past_due', 'unpaid', 'paused', 'canceled')
  UNION ALL
  SELECT (state_at AT TIME ZONE 'UTC')::date, coalesce(plan, ''), coalesce(interval, ''), currency, 0, 1, 0
  FROM subscriptions WHERE status = 'canceled'
  UNION ALL
  SELECT (greatest(created_at, state_at) AT TIME ZONE 'UTC')::date, coalesce(plan, ''), coalesce(interval, ''),
    currency, 0, 0, 1
  FROM subscriptions WHERE status = 'canceled'
) x GROUP BY day, plan, interval, currency;
INSERT INTO console_subscription_totals (plan, interval, currency, active)
SELECT coalesce(plan, ''), coalesce(interval, ''), currency, count(*) FROM subscriptions
WHERE status IN ('active', 'trialing', 'past_due', 'unpaid', 'paused')
GROUP BY 1, 2, 3;

-- Webhook events per minute of reception: the count, the failed ones and the apply latency's p50 and
-- p99 (ms, of processed and ignored events), for the overview's last hour. The overview writes a
-- minute's figures once the minute is closed (see overview-store.ts), from stripe_events. An event of
-- a closed minute that is written or changes afterwards (a retry that succeeds or gives up, a replay,
-- a late insert) bumps its minute's `version` and clears `fresh`, by the trigger below, and the next
-- overview computes that minute again; the overview stores its figures only if the version it read
-- is still the row's.
CREATE TABLE console_event_minutes (
  minute timestamptz PRIMARY KEY,
  version integer NOT NULL DEFAULT 0,
  fresh boolean NOT NULL DEFAULT false,
  events integer NOT NULL DEFAULT 0,
  failed integer NOT NULL DEFAULT 0,
  p50 double precision,
  p99 double precision
);

CREATE FUNCTION console_event_minute_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  at timestamptz := CASE WHEN TG_OP = 'DELETE' THEN OLD.received_at ELSE NEW.received_at END;
BEGIN
  INSERT INTO console_event_minutes AS m (minute, version) VALUES (date_trunc('minute', at), 1)
  ON CONFLICT (minute) DO UPDATE SET version = m.version + 1, fresh = false;
  IF TG_OP = 'UPDATE' AND date_trunc('minute', OLD.received_at) <> date_trunc('minute', NEW.received_at) THEN
    INSERT INTO console_event_minutes AS m (minute, version) VALUES (date_trunc('minute', OLD.received_at), 1)
    ON CONFLICT (minute) DO UPDATE SET version = m.version + 1, fresh = false;
  END IF;
  RETURN NULL;
END
$$;

-- Only for events of the last two hours received at least three minutes before the change (the
-- overview closes a minute five minutes after it ends, so a change it missed would have to commit
-- more than two minutes after its transaction began): the ingest and apply paths, which write
-- fresh events, pay a comparison per row and no function call.
CREATE TRIGGER console_events_insert AFTER INSERT ON stripe_events
  FOR EACH ROW WHEN (NEW.received_at < now() - interval '3 minutes' AND NEW.received_at > now() - interval '2 hours')
  EXECUTE FUNCTION console_event_minute_changed();
CREATE TRIGGER console_events_update AFTER UPDATE OF status, processed_at, received_at ON stripe_events
  FOR EACH ROW WHEN (
    (NEW.received_at < now() - interval '3 minutes' AND NEW.received_at > now() - interval '2 hours')
    OR (OLD.received_at < now() - interval '3 minutes' AND OLD.received_at > now() - interval '2 hours')
  ) EXECUTE FUNCTION console_event_minute_changed();
CREATE TRIGGER console_events_delete AFTER DELETE ON stripe_events
  FOR EACH ROW WHEN (OLD.received_at < now() - interval '3 minutes' AND OLD.received_at > now() - interval '2 hours')
  EXECUTE FUNCTION console_event_minute_changed();
