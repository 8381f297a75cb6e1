-- A notification's deliveries are the notify jobs that carry it (the first one, queued with the change
-- it reports, and each redelivery an operator asked for): found by the notification's id.
CREATE INDEX jobs_notification ON jobs ((payload -> 'notification' ->> 'id')) WHERE kind = 'notify';
